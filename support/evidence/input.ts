/**
 * The one bounded input layer every collector and the descriptor loader read through (limits: docs/input-limits.md):
 * - only regular files are opened (a FIFO, socket, device or directory where a file is expected is an InputError
 *   naming the path, found by `stat` and re-checked on the open handle, which is opened non-blocking, so nothing
 *   waits for a writer);
 * - every kind of input has a size cap, and some a cap for all files of that kind in one run (`InputBudget`);
 * - a file holding private key material is refused where a key has no business (a descriptor, a manifest's
 *   place, node.conf, …), and where one may sit (a certificate file, manifests with Secrets) no error quotes it;
 * - YAML aliases, self-references and nesting, JSON nesting, directory walks (symbolic links followed, loops
 *   detected) are bounded;
 * - errors quote at most a short excerpt, sanitised by the redaction layer.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, statfsSync, type Stats } from 'node:fs';
import { open, readdir, realpath, stat, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Composer, LineCounter, Parser, isAlias, visit, type Document } from 'yaml';
import { InputError } from '../errors.ts';
import { holdsPrivateKey, isSecretField, redactText } from './redact.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export type InputKind =
  | 'descriptor'
  | 'envFile'
  | 'manifest'
  | 'kindConfig'
  | 'kubeconfig'
  | 'certificate'
  | 'channelConfig'
  | 'nodeConf'
  | 'lbExport'
  | 'roundTrips'
  | 'nodeConfig'
  | 'hashed';

export interface InputKindLimits {
  /** what the input is, for messages */
  what: string;
  /** the largest file of this kind */
  maxBytes: number;
  /** all files of this kind read in one run together (an `InputBudget` keeps count) */
  maxTotalBytes?: number;
  /** 'refuse': a file with a private key is bad input here; 'quiet': allowed, but no error ever quotes the file */
  privateKeys: 'refuse' | 'quiet';
}

/**
 * Size caps per kind of input. YAML is parsed at about 2 MB/s, so the YAML kinds have the tightest caps; a
 * Kubernetes object is at most 1.5 MiB in etcd, and a Corda node.conf is a few KiB.
 */
export const INPUT_LIMITS: Record<InputKind, InputKindLimits> = {
  descriptor: { what: 'target descriptor', maxBytes: 1 * MiB, maxTotalBytes: 2 * MiB, privateKeys: 'refuse' },
  envFile: { what: 'envFile', maxBytes: 64 * KiB, privateKeys: 'quiet' },
  manifest: { what: 'Kubernetes manifest', maxBytes: 4 * MiB, maxTotalBytes: 6 * MiB, privateKeys: 'quiet' },
  kindConfig: { what: 'KIND cluster config', maxBytes: 256 * KiB, privateKeys: 'refuse' },
  kubeconfig: { what: 'kubeconfig', maxBytes: 1 * MiB, privateKeys: 'quiet' },
  certificate: { what: 'certificate file (PEM or DER)', maxBytes: 1 * MiB, maxTotalBytes: 64 * MiB, privateKeys: 'quiet' },
  channelConfig: { what: 'channel configuration', maxBytes: 32 * MiB, maxTotalBytes: 64 * MiB, privateKeys: 'refuse' },
  nodeConf: { what: 'node.conf (HOCON)', maxBytes: 64 * KiB, maxTotalBytes: 1 * MiB, privateKeys: 'refuse' },
  lbExport: { what: 'load-balancer export', maxBytes: 8 * MiB, privateKeys: 'refuse' },
  roundTrips: { what: 'round-trip measurement file', maxBytes: 1 * MiB, privateKeys: 'refuse' },
  nodeConfig: { what: 'Fabric node configuration file', maxBytes: 1 * MiB, privateKeys: 'refuse' },
  // SHA-256 runs at about 500 MB/s: 1 GiB of CorDapps, certificates and node infos is two seconds
  hashed: { what: 'file compared between the Corda nodes', maxBytes: 256 * MiB, maxTotalBytes: 1 * GiB, privateKeys: 'quiet' },
};

/** Bounds on structure, whatever the file's size. */
export const STRUCTURE_LIMITS = {
  /** YAML: the alias expansion weight the `yaml` package allows (its maxAliasCount) */
  yamlMaxAliasCount: 1000,
  /** nesting depth of a YAML or JSON document (a Kubernetes object nests about 15 levels) */
  maxDepth: 64,
  /** documents in one YAML stream */
  maxYamlDocuments: 10_000,
  /** directory levels below a listed directory (manifests, files compared between Corda nodes) */
  maxWalkDepth: 32,
  /** files found under the listed directories of one walk */
  maxWalkFiles: 10_000,
  /** `extends` layers of a descriptor */
  maxExtendsDepth: 8,
} as const;

export function formatBytes(n: number): string {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

const LIMITS_DOC = 'docs/input-limits.md';

// ---------------------------------------------------------------------------------------------------------------
// Where an error goes

/** The descriptor field that named a path: an error about the path is reported there, the path in the message. */
export interface NamedBy {
  file: string;
  field: string;
}

export interface ReadOptions {
  /** field inside the file, when the problem is about the whole file (usually '') */
  field?: string;
  /** the descriptor file and field that named this path */
  namedBy?: NamedBy;
  /** counts bytes per kind across one run */
  budget?: InputBudget;
}

function inputError(path: string, problem: string, opts: ReadOptions, cause?: unknown): InputError {
  const options = cause === undefined ? undefined : { cause };
  if (opts.namedBy) return new InputError(opts.namedBy.file, opts.namedBy.field, `${path}: ${problem}`, options);
  return new InputError(path, opts.field ?? '', problem, options);
}

/** Bytes read per kind in one run, against `maxTotalBytes`. One per `collectStaticEvidence` / `loadTarget` call. */
export class InputBudget {
  private readonly used = new Map<InputKind, number>();

  take(kind: InputKind, bytes: number, path: string, opts: ReadOptions = {}): void {
    const limits = INPUT_LIMITS[kind];
    const total = (this.used.get(kind) ?? 0) + bytes;
    this.used.set(kind, total);
    if (limits.maxTotalBytes !== undefined && total > limits.maxTotalBytes) {
      throw inputError(
        path,
        `reading it brings the ${limits.what} files of this target to ${formatBytes(total)}, above the limit of ${formatBytes(limits.maxTotalBytes)} for all of them together (${LIMITS_DOC})`,
        opts,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// File system

export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'ENOTDIR') return 'a parent of this path is not a directory';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'ENXIO') return 'is a socket or a device without a reader, expected a regular file';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return `cannot read (${code ?? 'unknown error'})`;
}

/** What a non-regular file is, for messages. */
export function describeType(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'an unknown kind of file';
}

/**
 * Checks a path without opening it (so a FIFO cannot block): `'file'` must be a regular file within the size
 * cap of `kind`, `'dir'` a directory, `'any'` either. Returns the problem, or undefined when the path is fine.
 */
export async function inspectPath(path: string, expect: 'file' | 'dir' | 'any', kind?: InputKind): Promise<string | undefined> {
  let st: Stats;
  let fsType: number | undefined;
  try {
    st = await stat(path);
    if (st.isFile()) fsType = (await statfs(path)).type;
  } catch (err) {
    return describeFsError(err);
  }
  return problemOf(st, expect, kind, fsType);
}

/** `inspectPath` for synchronous callers. */
export function inspectPathSync(path: string, expect: 'file' | 'dir' | 'any', kind?: InputKind): string | undefined {
  let st: Stats;
  let fsType: number | undefined;
  try {
    st = statSync(path);
    if (st.isFile()) fsType = statfsSync(path).type;
  } catch (err) {
    return describeFsError(err);
  }
  return problemOf(st, expect, kind, fsType);
}

/**
 * The kernel's pseudo file systems (their "files" look regular, report size 0 and are generated on read):
 * /proc/self/environ would hand the harness's own environment to an error message. Not an input.
 */
const PSEUDO_FS: Record<number, string> = {
  0x9fa0: '/proc',
  0x62656572: '/sys',
  0x64626720: 'debugfs',
  0x73636673: 'securityfs',
  0x74726163: 'tracefs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x62656570: 'configfs',
  0xde5e81e4: 'efivarfs',
  0xcafe4a11: 'bpf',
};

function problemOf(st: Stats, expect: 'file' | 'dir' | 'any', kind: InputKind | undefined, fsType?: number): string | undefined {
  if (st.isDirectory()) return expect === 'file' ? 'is a directory, expected a file' : undefined;
  if (expect === 'dir') return st.isFile() ? 'is a file, expected a directory' : `is ${describeType(st)}, expected a directory`;
  if (!st.isFile()) return `is ${describeType(st)}, expected a regular file`;
  const pseudo = fsType === undefined ? undefined : PSEUDO_FS[fsType];
  if (pseudo) return `is a file of the kernel's ${pseudo} pseudo file system, not an input (expected a regular file)`;
  if (kind && st.size > INPUT_LIMITS[kind].maxBytes) return tooBig(kind, st.size);
  return undefined;
}

function tooBig(kind: InputKind, size: number | undefined): string {
  const l = INPUT_LIMITS[kind];
  const what = size === undefined ? 'is larger than' : `is ${formatBytes(size)}, above`;
  return `${what} the limit of ${formatBytes(l.maxBytes)} for a ${l.what} (${LIMITS_DOC})`;
}

/** Opens a regular file for reading without blocking: stat first, then O_NONBLOCK, then fstat on the handle. */
async function openRegular(path: string, kind: InputKind, opts: ReadOptions): Promise<{ handle: FileHandle; size: number }> {
  const problem = await inspectPath(path, 'file', kind);
  if (problem) throw inputError(path, problem, opts);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw inputError(path, describeFsError(err), opts, err);
  }
  try {
    // the path may have been swapped between stat and open
    const st = await handle.stat();
    if (!st.isFile()) throw inputError(path, `is ${describeType(st)}, expected a regular file`, opts);
    if (st.size > INPUT_LIMITS[kind].maxBytes) throw inputError(path, tooBig(kind, st.size), opts);
    return { handle, size: st.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Files whose content held private key material: no error message quotes them. */
const quietFiles = new Set<string>();

/** True when `file` was read and held private key material (so nothing from it may be quoted). */
export function isQuietFile(file: string | undefined): boolean {
  return file !== undefined && quietFiles.has(file);
}

/**
 * Read a whole input file through the bounds of its kind. A missing, unreadable, non-regular or oversized file, or
 * one holding a private key where none belongs, is an InputError naming it (and the field that named it).
 */
export async function readBytes(path: string, kind: InputKind, opts: ReadOptions = {}): Promise<Buffer> {
  const limits = INPUT_LIMITS[kind];
  const { handle, size } = await openRegular(path, kind, opts);
  let bytes: Buffer;
  try {
    // read at most one byte past the cap: a file that grows (or a /proc file that reports size 0) stays bounded
    const cap = limits.maxBytes + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(size - total, 64 * KiB), cap - total);
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > limits.maxBytes) throw inputError(path, tooBig(kind, undefined), opts);
    bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, describeFsError(err), opts, err);
  } finally {
    await handle.close();
  }
  opts.budget?.take(kind, bytes.length, path, opts);
  checkKeyMaterial(path, kind, bytes, opts);
  return bytes;
}

/**
 * `readBytes` for the few synchronous callers (a Kubernetes client configuration is built synchronously): the same
 * checks, the same caps, no waiting on a FIFO.
 */
export function readBytesSync(path: string, kind: InputKind, opts: ReadOptions = {}): Buffer {
  const limits = INPUT_LIMITS[kind];
  const problem = inspectPathSync(path, 'file', kind);
  if (problem) throw inputError(path, problem, opts);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw inputError(path, describeFsError(err), opts, err);
  }
  let bytes: Buffer;
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw inputError(path, `is ${describeType(fst)}, expected a regular file`, opts);
    const buf = Buffer.allocUnsafe(limits.maxBytes + 1);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > limits.maxBytes) throw inputError(path, tooBig(kind, undefined), opts);
    }
    bytes = Buffer.from(buf.subarray(0, total));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, describeFsError(err), opts, err);
  } finally {
    closeSync(fd);
  }
  opts.budget?.take(kind, bytes.length, path, opts);
  checkKeyMaterial(path, kind, bytes, opts);
  return bytes;
}

function checkKeyMaterial(path: string, kind: InputKind, bytes: Buffer, opts: ReadOptions): void {
  if (kind === 'hashed' || !holdsPrivateKey(bytes.toString('latin1'))) return;
  quietFiles.add(path);
  const limits = INPUT_LIMITS[kind];
  if (limits.privateKeys === 'refuse') {
    throw inputError(path, `holds private key material, expected a ${limits.what}; its content is not shown`, opts);
  }
}

export async function readText(path: string, kind: InputKind, opts: ReadOptions = {}): Promise<string> {
  return (await readBytes(path, kind, opts)).toString('utf8');
}

/**
 * Stream a regular file in chunks (for hashing) without holding it: same checks as `readBytes`, no key scan.
 * `onChunk` sees every chunk in order.
 */
export async function streamFile(path: string, kind: InputKind, onChunk: (chunk: Buffer) => void, opts: ReadOptions = {}): Promise<number> {
  const limits = INPUT_LIMITS[kind];
  const { handle } = await openRegular(path, kind, opts);
  let total = 0;
  try {
    const buf = Buffer.allocUnsafe(256 * KiB);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limits.maxBytes) throw inputError(path, tooBig(kind, undefined), opts);
      onChunk(buf.subarray(0, bytesRead));
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, describeFsError(err), opts, err);
  } finally {
    await handle.close();
  }
  opts.budget?.take(kind, total, path, opts);
  return total;
}

export interface WalkEntry {
  path: string;
  /** `stat` of the entry (symbolic links followed) */
  stats: Stats;
  /** true for the listed path itself, false for what was found below it */
  listed: boolean;
}

export interface WalkOptions extends ReadOptions {
  /** what the walk is for, in messages ("manifest folder") */
  what: string;
  /** skip names starting with a dot below the listed path */
  skipHidden?: boolean;
  /** a dangling symbolic link below the listed path: reported here instead of failing */
  onDangling?: (path: string) => void;
}

/**
 * Every non-directory entry under each listed path (directories recursed in name order), following symbolic links
 * with loop detection: a directory that is its own ancestor (by device and inode) is an InputError naming the link.
 * Bounded by `STRUCTURE_LIMITS.maxWalkDepth` and `maxWalkFiles`. Entries are returned with their stats; what to do
 * with a non-regular one is the caller's decision.
 */
export async function walkFiles(listed: string[], opts: WalkOptions): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const visit = async (path: string, depth: number, ancestors: Map<string, string>, isListed: boolean): Promise<void> => {
    let st: Stats;
    try {
      st = await stat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !isListed && opts.onDangling) return opts.onDangling(path);
      throw inputError(path, describeFsError(err), isListed ? opts : { field: opts.field }, err);
    }
    if (!st.isDirectory()) {
      out.push({ path, stats: st, listed: isListed });
      if (out.length > STRUCTURE_LIMITS.maxWalkFiles) {
        throw inputError(path, `the ${opts.what} holds more than ${STRUCTURE_LIMITS.maxWalkFiles} files (${LIMITS_DOC})`, isListed ? opts : { field: opts.field });
      }
      return;
    }
    const id = `${st.dev}:${st.ino}`;
    const seenAt = ancestors.get(id);
    if (seenAt !== undefined) {
      let real = seenAt;
      try {
        real = await realpath(path);
      } catch {
        /* the path shown is enough */
      }
      throw inputError(path, `a symbolic link loop: this directory is ${real}, which contains it (${opts.what})`, isListed ? opts : { field: opts.field });
    }
    if (depth > STRUCTURE_LIMITS.maxWalkDepth) {
      throw inputError(path, `nested more than ${STRUCTURE_LIMITS.maxWalkDepth} directories deep (${opts.what}; ${LIMITS_DOC})`, isListed ? opts : { field: opts.field });
    }
    let names: string[];
    try {
      names = (await readdir(path)).sort();
    } catch (err) {
      throw inputError(path, describeFsError(err), isListed ? opts : { field: opts.field }, err);
    }
    const inner = new Map(ancestors).set(id, path);
    for (const name of names) {
      if (opts.skipHidden && name.startsWith('.')) continue;
      await visit(join(path, name), depth + 1, inner, false);
    }
  };
  for (const p of listed) await visit(p, 0, new Map(), true);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Text positions and excerpts

/** 1-based line and column of a character offset. */
export function lineColAt(text: string, pos: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: pos - last };
}

const EXCERPT_CHARS = 60;

/**
 * A short, safe rendering of an offending value for an error message: nothing when the value sits in a secret field
 * or came from a file that holds key material, redacted (keys, credentials, known secrets), control characters
 * escaped, at most 60 characters.
 */
export function showValue(v: unknown, from: { file?: string; field?: string } = {}): string {
  if (isSecretField(from.field)) return '(a value in a secret field, not shown)';
  if (isQuietFile(from.file)) return '(not shown: the file holds private key material)';
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Array.isArray(v) ? 'a list' : typeof v === 'object' && v !== null ? 'a mapping' : String(v);
  }
  if (typeof v === 'string' && holdsPrivateKey(v)) return `(a string of ${v.length} characters holding private key material, not shown)`;
  s = redactText(s);
  return s.length > EXCERPT_CHARS ? `${s.slice(0, EXCERPT_CHARS - 3)}...` : s;
}

/** A parser's own message, reduced to one sanitised line (parsers like to quote the text they choke on). */
export function parserMessage(message: string, max = 160): string {
  const first = message.split('\n')[0].trim();
  const safe = redactText(holdsPrivateKey(first) ? '(a message quoting private key material)' : first);
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

/** JSON.parse with an InputError naming the file, line and column (when the engine reports a position), then bounded nesting. */
export function parseJson(text: string, file: string, what = 'JSON'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const found = m ? { pos: Number(m[1]), problem: msg.split('\n')[0].replace(/ in JSON at position \d+.*$/, '') } : jsonErrorAt(text);
    let where = '';
    let problem = msg.split('\n')[0];
    if (found) {
      const { line, col } = lineColAt(text, found.pos);
      where = ` at line ${line}, column ${col}`;
      problem = found.problem;
    }
    throw new InputError(file, '', `malformed ${what}${where}: ${isQuietFile(file) ? 'not valid JSON' : parserMessage(problem)}`, { cause: err });
  }
  checkShape(value, file, what);
  return value;
}

/**
 * Where a JSON text first goes wrong. Node 20's JSON.parse does not always say ("Unexpected token '}', ...
 * is not valid JSON"), so a small scanner finds the offset and what was expected there. Iterative: a deeply nested
 * text cannot overflow the stack.
 */
export function jsonErrorAt(text: string): { pos: number; problem: string } | undefined {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const fail = (expected: string) => ({
    pos: i,
    problem: i >= text.length ? `unexpected end of input, expected ${expected}` : `unexpected ${JSON.stringify(text[i])}, expected ${expected}`,
  });
  const str = (): boolean => {
    if (text[i] !== '"') return false;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) return false;
      i++;
    }
    if (i >= text.length) return false;
    i++;
    return true;
  };
  // the containers open at this point: '{' or '['
  const stack: string[] = [];
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const ch = text[i];
      if (ch === '{') {
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push('{');
        ws();
        if (!str()) return fail('a string');
        ws();
        if (text[i] !== ':') return fail('":"');
        i++;
        continue;
      }
      if (ch === '[') {
        i++;
        ws();
        if (text[i] === ']') {
          i++;
          expectValue = false;
          continue;
        }
        stack.push('[');
        continue;
      }
      if (ch === '"') {
        if (!str()) return fail('a closing quote');
      } else {
        const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
        if (!m) return fail('a value');
        i += m[0].length;
      }
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (i < text.length) return fail('the end of input');
      return undefined;
    }
    if (text[i] === ',') {
      i++;
      if (top === '{') {
        ws();
        if (!str()) return fail('a string');
        ws();
        if (text[i] !== ':') return fail('":"');
        i++;
      }
      expectValue = true;
      continue;
    }
    if ((top === '{' && text[i] === '}') || (top === '[' && text[i] === ']')) {
      i++;
      stack.pop();
      continue;
    }
    return fail(top === '{' ? '"," or "}"' : '"," or "]"');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// YAML

function yamlError(file: string, e: { message: string; pos?: [number, number] }, lines: LineCounter): InputError {
  const pos = e.pos ? lines.linePos(e.pos[0]) : undefined;
  const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const problem = /Maximum call stack size exceeded/.test(first)
    ? `nested too deeply (more than ${STRUCTURE_LIMITS.maxDepth} levels are allowed)`
    : isQuietFile(file)
      ? 'not valid YAML'
      : parserMessage(first);
  return new InputError(file, '', `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${problem}`, { cause: e });
}

const YAML_OPTIONS = { uniqueKeys: true, version: '1.2' as const, schema: 'core' as const };

function yamlToJs(doc: Document, file: string, lines: LineCounter, hasAliases: boolean): unknown {
  if (doc.errors.length) throw yamlError(file, doc.errors[0], lines);
  // an alias to an anchor that is not there is only found when converting; find it first, with its line
  if (hasAliases) visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.resolve(doc) === undefined) {
        const pos = node.range ? lines.linePos(node.range[0]) : undefined;
        throw new InputError(file, '', `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: alias *${parserMessage(node.source, 40)} has no anchor &${parserMessage(node.source, 40)} before it`);
      }
    },
  });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: STRUCTURE_LIMITS.yamlMaxAliasCount });
  } catch (err) {
    if (err instanceof ReferenceError && /alias count|resource exhaustion/i.test(err.message)) {
      throw new InputError(
        file,
        '',
        `YAML aliases expand beyond the limit of ${STRUCTURE_LIMITS.yamlMaxAliasCount} aliased nodes (an alias bomb?) (${LIMITS_DOC})`,
        { cause: err },
      );
    }
    if (err instanceof RangeError) throw new InputError(file, '', `YAML nested too deeply (more than ${STRUCTURE_LIMITS.maxDepth} levels are allowed)`, { cause: err });
    throw new InputError(file, '', `YAML cannot be read: ${isQuietFile(file) ? 'not valid YAML' : parserMessage((err as Error)?.message ?? String(err))}`, { cause: err });
  }
  checkShape(value, file, 'YAML');
  return value;
}

/** One YAML document → plain JS (null when empty); syntax errors become an InputError with line and column; aliases and nesting bounded. */
export function parseYaml(text: string, file: string): unknown {
  const docs = composeYaml(text, file, true);
  return docs[0]?.value ?? null;
}

/**
 * A multi-document YAML stream → the documents (empty ones dropped, index kept for field paths). Documents are
 * composed one at a time, so memory holds one document's tree, not the whole stream's.
 */
export function parseYamlDocuments(text: string, file: string): Array<{ index: number; value: unknown }> {
  return composeYaml(text, file, false);
}

function composeYaml(text: string, file: string, single: boolean): Array<{ index: number; value: unknown }> {
  const out: Array<{ index: number; value: unknown }> = [];
  const lines = new LineCounter();
  const composer = new Composer(YAML_OPTIONS);
  // an alias is written *name: without a "*" there is none to check
  const hasAliases = text.includes('*');
  let index = 0;
  try {
    for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
      if (single && index === 1) throw new InputError(file, '', 'expected one YAML document, found more than one (a "---" line starts another)');
      if (index >= STRUCTURE_LIMITS.maxYamlDocuments) throw new InputError(file, '', `more than ${STRUCTURE_LIMITS.maxYamlDocuments} YAML documents in one file (${LIMITS_DOC})`);
      const value = yamlToJs(doc as Document, file, lines, hasAliases);
      if (value !== null && value !== undefined) out.push({ index, value });
      index++;
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof RangeError) throw new InputError(file, '', `YAML nested too deeply (more than ${STRUCTURE_LIMITS.maxDepth} levels are allowed)`, { cause: err });
    throw new InputError(file, '', `YAML syntax error: ${isQuietFile(file) ? 'not valid YAML' : parserMessage((err as Error)?.message ?? String(err))}`, { cause: err });
  }
  return out;
}

/**
 * Nesting depth at most `STRUCTURE_LIMITS.maxDepth`, and no value that contains itself (a YAML alias to an
 * enclosing anchor). Iterative, so the check itself cannot overflow the stack.
 */
export function checkShape(value: unknown, file: string, what: string): void {
  if (value === null || typeof value !== 'object') return;
  // parallel stacks (this runs over every node of an 8 MiB manifest): the value, its depth, its parent's index and
  // key (for the field path of an error), and whether the entry marks leaving the value (for cycle detection)
  const values: object[] = [value];
  const depths: number[] = [1];
  const parents: number[] = [-1];
  const keys: Array<string | number> = [''];
  const leaving: boolean[] = [false];
  const frames: Array<{ parent: number; key: string | number }> = [];
  const onPath = new Set<object>();
  const pathOf = (frame: number, last?: string | number): string => {
    const segs: Array<string | number> = last === undefined ? [] : [last];
    for (let f = frame; f >= 0 && frames[f].parent !== -1; f = frames[f].parent) segs.unshift(frames[f].key);
    return segs.reduce<string>((acc, s) => fieldPath(acc, s), '');
  };
  while (values.length) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    const parent = parents.pop()!;
    const key = keys.pop()!;
    if (leaving.pop()) {
      onPath.delete(v);
      continue;
    }
    const frame = frames.push({ parent, key }) - 1;
    if (depth > STRUCTURE_LIMITS.maxDepth) throw new InputError(file, pathOf(frame), `${what} nested more than ${STRUCTURE_LIMITS.maxDepth} levels deep (${LIMITS_DOC})`);
    onPath.add(v);
    values.push(v);
    depths.push(depth);
    parents.push(parent);
    keys.push(key);
    leaving.push(true);
    const push = (k: string | number, child: unknown) => {
      if (child === null || typeof child !== 'object' || ArrayBuffer.isView(child)) return;
      if (onPath.has(child)) throw new InputError(file, pathOf(frame, k), 'a YAML alias refers to a node that contains it (a self-referencing alias cannot be read)');
      values.push(child);
      depths.push(depth + 1);
      parents.push(frame);
      keys.push(k);
      leaving.push(false);
    };
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) push(i, v[i]);
    else for (const k in v) push(k, (v as Record<string, unknown>)[k]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Field paths and values

const IDENT = /^[A-Za-z_$][\w$-]*$/;

/** Append a key or index to a dotted field path: `a.b[2]."dataSource.url"`. */
export function fieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  const k = IDENT.test(key) ? key : JSON.stringify(key);
  return base ? `${base}.${k}` : k;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** An integer within [min, max] (numeric strings accepted), or an InputError naming the field and the bound. */
export function boundedInt(v: unknown, file: string, field: string, min: number, max: number, what = 'an integer'): number {
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new InputError(file, field, `expected ${what}, got ${showValue(v, { file, field })}`);
  if (n < min || n > max) throw new InputError(file, field, `${n} is out of range: expected ${what} from ${min} to ${max}${max >= 1000 ? ` (${LIMITS_DOC})` : ''}`);
  return n;
}

/** A TCP/UDP port number (1–65535). */
export function portNumber(v: unknown, file: string, field: string): number {
  return boundedInt(v, file, field, 1, 65535, 'a port number');
}
