/**
 * The offline validator image: `ha-validate` for users, the npm package as `npm pack` makes it with its production
 * dependencies, on the node binary of this machine — the image the repository's `Dockerfile` builds from
 * `node:20-slim`, without a registry.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BrokenError } from '../../../errors.ts';
import { REPO_ROOT, VALIDATOR_IMAGE } from './contract.ts';
import type { Entry, ImagePlan } from './plan.ts';
import { changes, etcFiles, findBinary, libraryEntries } from './rootfs.ts';

const exec = promisify(execFile);

/** The files `npm pack` puts in the package (its `prepare` script builds dist/ first), relative to the repository. */
async function packageFiles(): Promise<Array<{ path: string; mode: number }>> {
  let stdout: string;
  try {
    ({ stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new BrokenError('npm is not installed: it packs and builds the validator image\'s package', { cause: err });
    throw new BrokenError(`npm pack (and the build it runs) failed: ${`${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-5).join(' | ')}`, { cause: err });
  }
  const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string; mode: number }> }>;
  return pack.files;
}

/** The installed directories of the package's production dependencies (`npm ls --omit=dev`), relative to the repository. */
async function productionDependencies(): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    throw new BrokenError(`npm ls --omit=dev failed (run \`npm ci\`): ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ')}`, { cause: err });
  }
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && resolve(l) !== REPO_ROOT)
    .map((l) => relative(REPO_ROOT, l));
}

/** Every file of one installed package, its own nested node_modules left out (npm ls lists those separately). */
async function packageTree(dir: string, into: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(REPO_ROOT, dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const src = join(REPO_ROOT, dir, r);
      if (e.isDirectory()) {
        if (r !== 'node_modules') await visit(r);
      } else if (e.isSymbolicLink()) {
        out.push({ path: `${into}/${r}`, kind: 'symlink', target: await readlink(src) });
      } else if (e.isFile()) {
        out.push({ path: `${into}/${r}`, kind: 'file', src, mode: ((await stat(src)).mode & 0o111) !== 0 ? 0o755 : 0o644 });
      }
    }
  };
  await visit('');
  return out;
}

/** OCI annotations of the validator image, from package.json (no build time or commit: the tag is a content hash). */
export async function validatorLabels(): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license: string };
  return {
    'org.opencontainers.image.title': 'ha-validate',
    'org.opencontainers.image.description': pkg.description,
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.vendor': pkg.name,
  };
}

export async function validatorPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
  const node = findBinary(['/usr/bin/node', process.execPath], 'node', 'install Node.js 20');
  const v = VALIDATOR_IMAGE;
  const app = v.packageDir.slice(1);
  const entries: Entry[] = [
    { path: v.node.slice(1), kind: 'file', src: node, mode: 0o755 },
    ...(await libraryEntries([node])),
    ...etcFiles([{ name: v.user, uid: v.uid, home: '/nonexistent' }]),
  ];
  for (const f of await packageFiles()) entries.push({ path: `${app}/${f.path}`, kind: 'file', src: join(REPO_ROOT, f.path), mode: f.mode & 0o111 ? 0o755 : 0o644 });
  for (const dir of await productionDependencies()) entries.push(...(await packageTree(dir, `${app}/${dir}`)));
  const labels = Object.entries(await validatorLabels()).map(([k, val]) => `LABEL ${k}=${JSON.stringify(val)}`);
  return {
    name: 'validator',
    entries,
    changes: changes('validator', [
      `USER ${v.uid}:${v.uid}`,
      'ENV NODE_ENV=production',
      `ENTRYPOINT ${JSON.stringify(v.entrypoint)}`,
      `CMD ${JSON.stringify(v.cmd)}`,
      ...labels,
    ]),
  };
}
