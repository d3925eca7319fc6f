/**
 * A minimal ustar writer: enough for regular files, directories and symlinks with fixed owners and times, read
 * straight from the source files (no build context is copied), as `docker import` reads an image's root file
 * system.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BrokenError } from '../../../errors.ts';
import type { Entry, ImagePlan } from './plan.ts';

const BLOCK = 512;
const EPOCH = 1; // fixed mtime: the same inputs make the same layer

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(path: string, type: '0' | '2' | '5', mode: number, size: number, uid: number, link = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new BrokenError(`path too long for the image's tar stream: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  if (Buffer.byteLength(link) > 100) throw new BrokenError(`symlink target too long for the image's tar stream: ${path} -> ${link}`);
  h.write(name, 0, 100);
  h.write(octal(mode & 0o7777, 8), 100);
  h.write(octal(uid, 8), 108);
  h.write(octal(uid, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(EPOCH, 12), 136);
  h.write('        ', 148); // checksum placeholder: eight spaces
  h.write(type, 156);
  h.write(link, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** The image's root file system as a tar stream, read straight from the source files. */
async function* tarStream(entries: Entry[]): AsyncGenerator<Buffer> {
  const explicit = new Map(entries.filter((e) => e.kind === 'dir').map((e) => [e.path, e]));
  const dirs = new Set<string>();
  const ensureParents = function* (path: string): Generator<Buffer> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      const e = explicit.get(dir);
      yield tarHeader(`${dir}/`, '5', e && e.kind === 'dir' ? e.mode : 0o755, 0, e && e.kind === 'dir' ? (e.uid ?? 0) : 0);
    }
  };
  const sorted = [...entries].sort((a, b) => a.path.localeCompare(b.path));
  for (const e of sorted) {
    yield* ensureParents(e.path);
    if (e.kind === 'dir') {
      if (dirs.has(e.path)) continue;
      dirs.add(e.path);
      yield tarHeader(`${e.path}/`, '5', e.mode, 0, e.uid ?? 0);
    } else if (e.kind === 'symlink') {
      yield tarHeader(e.path, '2', 0o777, 0, 0, e.target);
    } else if (e.kind === 'content') {
      yield tarHeader(e.path, '0', e.mode, e.content.length, 0);
      yield e.content;
      if (e.content.length % BLOCK) yield Buffer.alloc(BLOCK - (e.content.length % BLOCK));
    } else {
      const { size } = await stat(e.src);
      yield tarHeader(e.path, '0', e.mode, size, e.uid ?? 0);
      let written = 0;
      for await (const chunk of createReadStream(e.src)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== size) throw new BrokenError(`${e.src} changed while the image was written (${size} → ${written} bytes)`);
      if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
    }
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** The root file system of an image as a tar stream (what `docker import` reads). */
export function imageTar(plan: ImagePlan): Readable {
  return Readable.from(tarStream(plan.entries), { objectMode: false, highWaterMark: 1 << 20 });
}
