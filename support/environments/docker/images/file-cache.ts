/**
 * Values derived from host files — a file's SHA-256, the libraries `ldd` lists for a binary — cached by path, size
 * and mtime in `node_modules/.cache/ha-conformance/`, so that planning an image (node alone is ≈ 100 MB) costs a
 * stat per file when nothing changed.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BrokenError } from '../../../errors.ts';
import { REPO_ROOT } from './contract.ts';

const exec = promisify(execFile);
const CACHE_FILE = join(REPO_ROOT, 'node_modules/.cache/ha-conformance/file-hashes.json');

interface Stamp {
  size: number;
  mtimeMs: number;
}
interface HashCache {
  sha256: Record<string, Stamp & { sha256: string }>;
  ldd: Record<string, Stamp & { libs: string[] }>;
}
let cache: HashCache | undefined;
let cacheDirty = false;

async function loadCache(): Promise<HashCache> {
  if (cache) return cache;
  try {
    const c = JSON.parse(await readFile(CACHE_FILE, 'utf8')) as Partial<HashCache>;
    cache = { sha256: c.sha256 ?? {}, ldd: c.ldd ?? {} };
  } catch {
    cache = { sha256: {}, ldd: {} };
  }
  return cache;
}

export async function saveCache(): Promise<void> {
  if (!cacheDirty || !cache) return;
  cacheDirty = false;
  await mkdir(dirname(CACHE_FILE), { recursive: true }).catch(() => undefined);
  await writeFile(CACHE_FILE, JSON.stringify(cache)).catch(() => undefined);
}

/** A value derived from a file, recomputed only when its size or mtime changed. */
async function cached<E extends Stamp, V>(table: Record<string, E>, path: string, pick: (e: E) => V, compute: () => Promise<E>): Promise<V> {
  const st = await stat(path);
  const hit = table[path];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return pick(hit);
  const fresh = await compute();
  fresh.size = st.size;
  fresh.mtimeMs = st.mtimeMs;
  table[path] = fresh;
  cacheDirty = true;
  return pick(fresh);
}

export function fileSha256(path: string): Promise<string> {
  return loadCache().then((c) => cached(c.sha256, path, (e) => e.sha256, async () => {
    const h = createHash('sha256');
    await new Promise<void>((res, rej) => {
      createReadStream(path)
        .on('data', (d) => h.update(d))
        .on('end', () => res())
        .on('error', rej);
    });
    return { size: 0, mtimeMs: 0, sha256: h.digest('hex') };
  }));
}

/** Absolute paths of the shared libraries `ldd` lists for `binary` (the loader included). */
export function lddLibraries(binary: string): Promise<string[]> {
  return loadCache().then((c) => cached(c.ldd, binary, (e) => e.libs, async () => ({ size: 0, mtimeMs: 0, libs: await runLdd(binary) })));
}

async function runLdd(binary: string): Promise<string[]> {
  let out: string;
  try {
    out = (await exec('ldd', [binary])).stdout;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new BrokenError('`ldd` is not installed (Debian: `apt-get install -y libc-bin`): it lists the libraries the offline images need', { cause: err });
    // "not a dynamic executable": nothing to add
    if (/not a dynamic executable|statically linked/.test(`${e.stdout ?? ''}${e.stderr ?? ''}`)) return [];
    throw new BrokenError(`ldd ${binary} failed: ${e.stderr ?? (err as Error).message}`, { cause: err });
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    if (/not found/.test(line)) throw new BrokenError(`ldd ${binary}: a library is missing on this machine: ${line.trim()}`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}
