/**
 * The plan of an offline image: what goes where in its file system (`Entry`), the image settings, and the tag
 * everything that goes in hashes to — computed before anything is copied, so an environment can tell an image
 * that is out of date from a current one without building anything.
 */
import { createHash } from 'node:crypto';
import { IMAGE_REPOSITORY, OFFLINE_IMAGES, type OfflineImageName } from './contract.ts';
import { fileSha256, saveCache } from './file-cache.ts';
import { PLANNERS } from './planners.ts';

/** one path of the image's file system (relative, no leading slash); owner root unless `uid` says otherwise */
export type Entry =
  | { path: string; kind: 'file'; src: string; mode: number; uid?: number }
  | { path: string; kind: 'content'; content: Buffer; mode: number }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'dir'; mode: number; uid?: number };

export interface ImagePlan {
  name: OfflineImageName;
  /** `repository:tag` */
  ref: string;
  tag: string;
  entries: Entry[];
  /** Dockerfile instructions applied with `docker import --change` */
  changes: string[];
  /** build-time check of the bundles (run from outside node_modules): what each prints when run without arguments */
  smoke?: Array<{ file: string; expect: RegExp }>;
}

async function planHash(entries: Entry[], changes: string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(`changes\0${changes.join('\n')}\0`);
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`${e.kind}\0${e.path}\0`);
    if (e.kind === 'file') h.update(`${e.mode.toString(8)}\0${e.uid ?? 0}\0${await fileSha256(e.src)}\0`);
    else if (e.kind === 'content') h.update(`${e.mode.toString(8)}\0${createHash('sha256').update(e.content).digest('hex')}\0`);
    else if (e.kind === 'symlink') h.update(`${e.target}\0`);
    else h.update(`${e.mode.toString(8)}\0${e.uid ?? 0}\0`);
  }
  return h.digest('hex').slice(0, 16);
}

const plans = new Map<OfflineImageName, Promise<ImagePlan>>();

/** The plan of one offline image, with the tag its contents hash to. Memoised per process. */
export function imagePlan(name: OfflineImageName): Promise<ImagePlan> {
  let p = plans.get(name);
  if (!p) {
    p = (async () => {
      const plan = await PLANNERS[name]();
      const tag = await planHash(plan.entries, plan.changes);
      await saveCache();
      return { ...plan, tag, ref: `${IMAGE_REPOSITORY[name]}:${tag}` };
    })();
    p.catch(() => plans.delete(name));
    plans.set(name, p);
  }
  return p;
}

/** `repository:tag` of every offline image as the current sources would build it. */
export async function offlineImageRefs(): Promise<Record<OfflineImageName, string>> {
  const refs = await Promise.all(OFFLINE_IMAGES.map((n) => imagePlan(n)));
  return Object.fromEntries(refs.map((p) => [p.name, p.ref])) as Record<OfflineImageName, string>;
}
