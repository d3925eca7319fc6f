/**
 * Building the offline images: `docker import` of each image's tar stream with its settings, skipped when the tag
 * its contents hash to is present; a bundle is run on its own first, so one that still needs node_modules fails
 * the build. Only the docker CLI is used, and nothing is pulled.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrokenError } from '../../../errors.ts';
import { IMAGE_LABEL, IMAGE_REPOSITORY, OFFLINE_IMAGES, type OfflineImageName } from './contract.ts';
import { imagePlan, type ImagePlan } from './plan.ts';
import { imageTar } from './tar.ts';
import { postgresTemplate } from './postgres.ts';

const exec = promisify(execFile);

async function docker(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec('docker', args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
  } catch (err) {
    const e = err as { code?: string | number; stderr?: string };
    if (e.code === 'ENOENT') throw new BrokenError('the docker CLI is not installed (Debian: `apt-get install -y docker.io`)', { cause: err });
    throw new BrokenError(`docker ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ')}`, { cause: err });
  }
}

/** True when `ref` is present in the local image store (never pulls). */
export async function imagePresent(ref: string): Promise<boolean> {
  try {
    await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Tags of one offline image present locally (any content), newest first. */
export async function presentTags(name: OfflineImageName): Promise<string[]> {
  const { stdout } = await docker(['image', 'ls', '--filter', `label=${IMAGE_LABEL}=${name}`, '--format', '{{.Repository}}:{{.Tag}}']);
  return stdout.split('\n').filter((l) => l.startsWith(`${IMAGE_REPOSITORY[name]}:`));
}

async function dockerImport(plan: ImagePlan): Promise<void> {
  const args = ['import', ...plan.changes.flatMap((c) => ['--change', c]), '--message', `ha-conformance offline image ${plan.name} (${plan.tag})`, '-', plan.ref];
  await new Promise<void>((res, rej) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => rej(new BrokenError(`docker import: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? res() : rej(new BrokenError(`docker import of ${plan.ref} failed (exit ${code}): ${err.trim()}`))));
    const input = imageTar(plan);
    input.on('error', (e) => {
      child.kill();
      rej(e);
    });
    child.stdin.on('error', () => undefined);
    input.pipe(child.stdin);
  });
}

/** Run each bundle on its own, outside the repository, so one that still needs node_modules fails the build. */
async function smokeTest(plan: ImagePlan): Promise<void> {
  if (!plan.smoke?.length) return;
  const dir = await mkdtemp(join(tmpdir(), `hac-bundle-`));
  try {
    for (const s of plan.smoke) {
      const entry = plan.entries.find((e) => e.path === s.file);
      if (!entry || entry.kind !== 'content') throw new BrokenError(`${plan.ref}: no bundle ${s.file} in the plan`);
      const file = join(dir, s.file.replace(/\//g, '_'));
      await writeFile(file, entry.content);
      const out = await new Promise<string>((res) => {
        const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.stderr.on('data', (d: Buffer) => (text += d.toString()));
        child.on('close', () => res(text));
        child.on('error', (err) => res(String(err)));
      });
      if (!s.expect.test(out)) throw new BrokenError(`the bundle ${s.file} of ${plan.ref} does not run on its own (expected ${s.expect}):\n${out.slice(0, 2000)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BuildResult {
  name: OfflineImageName;
  ref: string;
  built: boolean;
  ms: number;
  sizeBytes?: number;
}

export interface BuildOptions {
  force?: boolean;
  /** remove older tags of the same offline image after building (default true) */
  prune?: boolean;
  log?: (line: string) => void;
  only?: OfflineImageName[];
}

/** Build every offline image whose tag is not present yet. Seconds when something changed, ≈ 1 s when not. */
export async function buildOfflineImages(options: BuildOptions = {}): Promise<BuildResult[]> {
  const log = options.log ?? (() => undefined);
  const results: BuildResult[] = [];
  const names = options.only ?? OFFLINE_IMAGES;
  const tPlan = Date.now();
  const planned = await Promise.all(names.map((n) => imagePlan(n)));
  log(`planned ${names.length} image(s) in ${Date.now() - tPlan} ms`);
  for (const plan of planned) {
    const name = plan.name;
    const t0 = Date.now();
    let built = false;
    if (options.force || !(await imagePresent(plan.ref))) {
      const previous = await docker(['image', 'inspect', '--format', '{{.Id}}', plan.ref]).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      await smokeTest(plan);
      // built-at-build-time content is not part of the tag: it is derived from the inputs the tag hashes
      const extra = name === 'postgres' ? await postgresTemplate() : undefined;
      try {
        await dockerImport(extra ? { ...plan, entries: [...plan.entries, ...extra.entries] } : plan);
      } finally {
        await extra?.cleanup();
      }
      built = true;
      // a forced rebuild leaves the previous image of the same tag untagged: remove it rather than leak it
      if (previous) await docker(['image', 'rm', previous]).catch(() => undefined);
    }
    let sizeBytes: number | undefined;
    try {
      sizeBytes = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', plan.ref])).stdout.trim());
    } catch {
      sizeBytes = undefined;
    }
    if (options.prune !== false) {
      for (const old of await presentTags(name)) {
        if (old === plan.ref) continue;
        await docker(['image', 'rm', old]).then(
          () => log(`removed the out-of-date image ${old}`),
          () => log(`kept the out-of-date image ${old} (in use)`),
        );
      }
    }
    const ms = Date.now() - t0;
    log(`${built ? 'built' : 'up to date:'} ${plan.ref} (${sizeBytes ? `${Math.round(sizeBytes / 1e6)} MB, ` : ''}${ms} ms)`);
    results.push({ name, ref: plan.ref, built, ms, sizeBytes });
  }
  return results;
}
