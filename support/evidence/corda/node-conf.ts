/**
 * A Corda `node.conf` (HOCON) → `CordaNodeInfo`.
 *
 * Substitutions: unquoted `${VAR}` resolves from the node's `env` in the descriptor, then the process
 * environment — passed to the parser as a lookup scope, so `process.env` is never modified. A `${VAR}` inside a
 * quoted string stays literal in HOCON (Corda would use the text `${VAR}` as the value): such fields are listed
 * in `literalPlaceholders`.
 *
 * The parser (`@pushcorn/hocon-parser`) goes beyond HOCON: `| eval {...}` transforms run JavaScript, and
 * includes may fetch URLs or run `.js` files. A configuration file is data, so those extensions are disabled
 * here before anything is parsed. Its file source is replaced by one that reads through the bounded input layer
 * and treats paths as paths (the parser's own turns them into URLs, so `a#b/node.conf` read as `a` and `x%41` as
 * `xA`): node.conf and each include are regular files within the size caps, an include of key material (by name
 * or content) or of a FIFO or device is refused, and the evaluation is bounded (nesting, includes, work).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../../errors.ts';
import type { CordaNodeSpec } from '../../descriptor/types.ts';
import { describeType, fieldPath, isRecord, parserMessage, readText, showValue, streamFile, walkFiles, type InputBudget } from '../input.ts';
import type { CordaNodeInfo } from '../model.ts';
import { REDACTED, SECRET_KEY, isSecretField, registerSecrets } from '../redact.ts';

interface HoconNode {
  resolve(scope?: unknown): Promise<unknown>;
}

interface HoconParser {
  (opts: { text?: string; url?: string; strict?: boolean; scope?: Record<string, unknown>; env?: boolean }): Promise<unknown>;
  getClass(name: string): new (...args: unknown[]) => object;
  Context: { registerComponent(...classes: Array<new (...args: unknown[]) => object>): void };
  Node: { prototype: HoconNode };
}

/** The bounds of one node.conf evaluation (docs/input-limits.md). */
export const HOCON_LIMITS = {
  /** `{`/`[` nesting plus the dots of a key path */
  maxDepth: 32,
  /** include statements followed, in all */
  maxIncludes: 16,
  /** resolution steps of the parser, each weighted by the size of what it produced: bounds substitution bombs and merge storms */
  maxWork: 2_000_000,
} as const;

/** What one parse may still do, and where errors go. */
interface HoconRun {
  root: string;
  rootText: string;
  includes: number;
  work: number;
  budget?: InputBudget;
}

const runs = new AsyncLocalStorage<HoconRun>();

class HoconWorkExceeded extends Error {}

/** Extensions of files that hold keys or keystores: never read as configuration. */
const KEY_FILE = /\.(key|pem|der|p8|p12|pfx|jks|jceks|bks|keystore|truststore|kdb)$/i;

const require = createRequire(import.meta.url);
let parser: HoconParser | undefined;

function workOf(value: unknown): number {
  if (typeof value === 'string') return 1 + (value.length >> 6);
  if (Array.isArray(value)) return 1 + value.length;
  if (value !== null && typeof value === 'object') return 1 + Object.keys(value).length;
  return 1;
}

/** The HOCON parser with its code-running and network extensions disabled, its file source bounded. */
function hocon(): HoconParser {
  if (parser) return parser;
  const p = require('@pushcorn/hocon-parser') as HoconParser;
  /** A component replaced by one that refuses to be built, under the same name and every alias (`classpath` for modulepath). */
  const disabled = (adapter: string, original: string) => {
    const Base = p.getClass(adapter);
    const name = original.split('.').pop()!;
    const aliases = (p.getClass(original) as unknown as { aliases?: string[] }).aliases ?? [];
    const what = name.replace(/(Transform|Source|Builder)$/, '').toLowerCase();
    return {
      [name]: class extends Base {
        static get aliases(): string[] {
          return aliases;
        }
        constructor(...args: unknown[]) {
          super(...args);
          throw new Error(`"${[what, ...aliases].join('"/"')}" is not HOCON and is disabled when reading node.conf`);
        }
      },
    }[name];
  };
  const transforms = ['Base64Decode', 'Base64Encode', 'Eval', 'Filter', 'Hash', 'Invoke', 'Map', 'Query', 'Reduce', 'Slice', 'Sort', 'Trim', 'Unique'];
  const BaseFileSource = p.getClass('sources.FileSource') as unknown as new (...args: unknown[]) => {
    context: { url: { href: string }; parent?: { url?: { href: string } } };
    notFound: unknown;
  };
  // registered under the name "file": replaces the parser's own for node.conf and every include
  class FileSource extends BaseFileSource {
    async onLoadFile(): Promise<unknown> {
      const run = runs.getStore();
      if (!run) throw new Error('node.conf is read through readCordaNode only');
      const path = fileURLToPath(this.context.url.href);
      if (path === run.root) return run.rootText;
      const from = this.context.parent?.url ? fileURLToPath(this.context.parent.url.href) : run.root;
      const near = relative(dirname(from), path);
      const namedBy = { file: from, field: `include ${JSON.stringify(near && !near.startsWith('..') ? near : path)}` };
      if (++run.includes > HOCON_LIMITS.maxIncludes) throw new InputError(namedBy.file, namedBy.field, `more than ${HOCON_LIMITS.maxIncludes} includes (docs/input-limits.md)`);
      if (KEY_FILE.test(path)) throw new InputError(namedBy.file, namedBy.field, `${path}: includes a key or keystore file; configuration is not read from key material`);
      const within = relative(dirname(run.root), path);
      if (within.startsWith('..') || isAbsolute(within)) {
        throw new InputError(namedBy.file, namedBy.field, `${path}: outside the folder of ${run.root}; node.conf includes are read from that folder only`);
      }
      try {
        await stat(path);
      } catch (err) {
        // HOCON: a missing include is skipped (required(...) makes the parser report it)
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.notFound;
      }
      return readText(path, 'nodeConf', { namedBy, budget: run.budget });
    }

    /** An include's path, relative to the including file: a path, not a URL fragment (`#`, `%` are file name characters). */
    appendPath(path: string): string {
      if (isAbsolute(path)) return pathToFileURL(path).href;
      return pathToFileURL(resolve(dirname(fileURLToPath(this.context.url.href)), path)).href;
    }
  }
  p.Context.registerComponent(
    ...transforms.map((t) => disabled('core.TransformAdapter', `transforms.${t}Transform`)),
    disabled('core.SourceAdapter', 'sources.HttpSource'),
    disabled('core.SourceAdapter', 'sources.HttpsSource'),
    disabled('core.SourceAdapter', 'sources.ModulepathSource'),
    disabled('core.BuilderAdapter', 'builders.ScriptBuilder'),
    FileSource as unknown as new (...args: unknown[]) => object,
  );
  // every resolution step is counted, weighted by what it produced: a substitution that doubles a string at each
  // level, or an object merged again and again (each merge clones it), runs out of work long before memory or time
  const resolveStep = p.Node.prototype.resolve;
  p.Node.prototype.resolve = async function (this: HoconNode, scope?: unknown): Promise<unknown> {
    const run = runs.getStore();
    const value = await resolveStep.call(this, scope);
    if (run) {
      run.work += workOf(value);
      if (run.work > HOCON_LIMITS.maxWork) throw new HoconWorkExceeded('too much work');
    }
    return value;
  };
  parser = p;
  return p;
}

export interface NodeConfOptions {
  /** files and directories (relative to the base directory) whose hashes must match between primary and backup */
  filesToMatch?: string[];
  /** the environment `${VAR}` falls back to after the node's own `env` (default: process.env) */
  processEnv?: NodeJS.ProcessEnv;
  /** counts the bytes read against the run's limits */
  budget?: InputBudget;
}

/**
 * The nesting a HOCON text asks for, without parsing it: `{`/`[` depth plus the dots of the deepest key path
 * (`a.b.c = 1` nests three levels). Strings and comments are skipped. The parser clones each level on every merge,
 * so a few thousand levels take minutes; this refuses them first.
 */
export function hoconDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (text.startsWith('"""', i)) {
        const end = text.indexOf('"""', i + 3);
        i = end < 0 ? text.length : end + 2;
      } else {
        for (i++; i < text.length && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
      }
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      dots = 0;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      dots = 0;
    } else if (c === '}' || c === ']') {
      depth = Math.max(0, depth - 1);
    } else if (c === '.') {
      dots++;
    } else if (c === '=' || c === ':' || c === '\n' || c === ',') {
      dots = 0;
    }
    max = Math.max(max, depth + dots);
  }
  return max;
}

/** Parse a node.conf into plain data. Malformed HOCON or an unset `${VAR}` → InputError with file and line. */
export async function parseNodeConf(
  file: string,
  env: Record<string, string> = {},
  processEnv: NodeJS.ProcessEnv = process.env,
  opts: { budget?: InputBudget } = {},
): Promise<Record<string, unknown>> {
  const text = await readText(file, 'nodeConf', { budget: opts.budget });
  if (/^\s*\{?\s*\}?\s*$/.test(text)) return {};
  const depth = hoconDepth(text);
  if (depth > HOCON_LIMITS.maxDepth) throw new InputError(file, '', `HOCON nested ${depth} levels deep, more than the ${HOCON_LIMITS.maxDepth} allowed (docs/input-limits.md)`);
  // the scope is consulted before the process environment; when a caller supplies its own processEnv, merge it in
  // and turn the parser's own process.env lookup off
  const usingProcess = processEnv === process.env;
  const scope: Record<string, unknown> = usingProcess ? { ...env } : { ...definedOnly(processEnv), ...env };
  registerReferencedSecrets(text, scope, usingProcess);
  const run: HoconRun = { root: resolve(file), rootText: text, includes: 0, work: 0, budget: opts.budget };
  let result: unknown;
  try {
    const p = hocon();
    result = await runs.run(run, () => p({ url: pathToFileURL(run.root).href, strict: true, scope, env: usingProcess }));
  } catch (err) {
    throw hoconError(err, file);
  }
  if (result === undefined || result === null) return {};
  if (!isRecord(result)) throw new InputError(file, '', `expected a HOCON object at the top level, got ${showValue(result, { file })}`);
  return result;
}

/**
 * The value of every `${VAR}` the file references whose name says it is secret (CORDA_DB_PASSWORD, …KEYSTORE_PASSWORD,
 * …_TOKEN) is a secret wherever it lands: under a password key, but also where a cut or mistyped line puts it (in a
 * key's name, in a quoted string), so it is registered before parsing and no later output can show it.
 */
function registerReferencedSecrets(text: string, scope: Record<string, unknown>, usingProcess: boolean): void {
  for (const m of text.matchAll(/\$\{\??\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}/g)) {
    const name = m[1];
    if (!SECRET_KEY.test(name)) continue;
    const value = scope[name] ?? (usingProcess ? process.env[name] : undefined);
    if (typeof value === 'string' && value !== '') registerSecrets([value]);
  }
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function hoconError(err: unknown, file: string): InputError {
  if (err instanceof InputError) return err;
  if (err instanceof HoconWorkExceeded) {
    return new InputError(file, '', `evaluating this HOCON takes more than ${HOCON_LIMITS.maxWork} steps (substitutions that keep doubling a value, or one object merged over and over?) (docs/input-limits.md)`, { cause: err });
  }
  if (err instanceof RangeError) return new InputError(file, '', `HOCON too complex to evaluate (${parserMessage(err.message)})`, { cause: err });
  const msg = err instanceof Error ? err.message : String(err);
  const pos = /line: (\d+), col: (\d+)/.exec(msg);
  const where = pos ? ` at line ${pos[1]}, column ${pos[2]}` : '';
  const unresolved = /Unable to resolve '([^']+)'/.exec(msg);
  if (unresolved) {
    return new InputError(file, '', `\${${parserMessage(unresolved[1], 80)}}${where} is not set (neither in the descriptor's env for this node nor in the environment)`, { cause: err });
  }
  // the parser quotes the token it stopped at and the text around it: never shown, the line may hold a password
  const core = msg
    .split(/ \(Source:| \(text:|\. Token:/)[0]
    .replace(/\s+$/, '')
    .replace(/[.!]$/, '');
  return new InputError(file, '', `malformed HOCON${where}: ${parserMessage(core)}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------------------------

const PLACEHOLDER = /\$\{\??[^}]*\}/;

function findPlaceholders(value: unknown, path: string, out: Array<{ field: string; value: string }>): void {
  if (typeof value === 'string') {
    // a password written as "abc${X}" is still a password: the field is reported, its text is not
    if (PLACEHOLDER.test(value)) out.push({ field: path, value: isSecretField(path) ? REDACTED : value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findPlaceholders(v, fieldPath(path, i), out));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) findPlaceholders(v, fieldPath(path, k), out);
  }
}

/** Register every string under a secret-looking key as a secret (so no later output can show it). */
function registerConfigSecrets(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key)) registerSecrets([value]);
  } else if (Array.isArray(value)) {
    for (const v of value) registerConfigSecrets(v, key);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) registerConfigSecrets(v, k);
  }
}

/** A deep copy with values under secret-looking keys (`SECRET_KEY`: password, secret, token, …) replaced. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== null && typeof v !== 'boolean' ? REDACTED : redactConfig(v);
    return out;
  }
  return value;
}

/** A value at a path of keys; a key may itself contain dots (HOCON quoted keys) or be nested (unquoted). */
function lookup(root: Record<string, unknown>, ...keys: string[]): unknown {
  let cur: unknown = root;
  for (const k of keys) {
    if (!isRecord(cur)) return undefined;
    if (k in cur) {
      cur = cur[k];
      continue;
    }
    // `dataSource.url` written unquoted nests: { dataSource: { url } }
    const parts = k.split('.');
    if (parts.length === 1) return undefined;
    cur = lookup(cur, ...parts);
  }
  return cur;
}

function optString(v: unknown, file: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new InputError(file, field, `expected a string, got ${showValue(v, { file, field })}`);
}

function optBool(v: unknown, file: string, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === 'false' || v === 'off' || v === 'no') return false;
  throw new InputError(file, field, `expected true or false, got ${showValue(v, { file, field })}`);
}

function optMillis(v: unknown, file: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  throw new InputError(file, field, `expected a number of milliseconds, got ${showValue(v, { file, field })}`);
}

/** Read one Corda node of the descriptor: its node.conf, artemis directory and the hashes of files to match. */
export async function readCordaNode(spec: CordaNodeSpec, opts: NodeConfOptions = {}): Promise<CordaNodeInfo> {
  const file = spec.config;
  const conf = await parseNodeConf(file, spec.env ?? {}, opts.processEnv ?? process.env, { budget: opts.budget });
  registerConfigSecrets(conf);
  const literalPlaceholders: CordaNodeInfo['literalPlaceholders'] = [];
  findPlaceholders(conf, '', literalPlaceholders);

  const mx = 'enterpriseConfiguration.mutualExclusionConfiguration';
  const mxConf = lookup(conf, 'enterpriseConfiguration', 'mutualExclusionConfiguration');
  if (mxConf !== undefined && mxConf !== null && !isRecord(mxConf)) throw new InputError(file, mx, `expected an object, got ${showValue(mxConf, { file, field: mx })}`);
  const mutualExclusion: CordaNodeInfo['mutualExclusion'] = {};
  if (isRecord(mxConf)) {
    const on = optBool(mxConf.on, file, `${mx}.on`);
    const machineName = optString(mxConf.machineName, file, `${mx}.machineName`);
    const updateInterval = optMillis(mxConf.updateInterval, file, `${mx}.updateInterval`);
    const waitInterval = optMillis(mxConf.waitInterval, file, `${mx}.waitInterval`);
    if (on !== undefined) mutualExclusion.on = on;
    if (machineName !== undefined) mutualExclusion.machineName = machineName;
    if (updateInterval !== undefined) mutualExclusion.updateInterval = updateInterval;
    if (waitInterval !== undefined) mutualExclusion.waitInterval = waitInterval;
  }

  const ds = 'dataSourceProperties';
  const dsConf = conf[ds];
  if (dsConf !== undefined && dsConf !== null && !isRecord(dsConf)) throw new InputError(file, ds, `expected an object, got ${showValue(dsConf, { file, field: ds })}`);
  const dataSource: CordaNodeInfo['dataSource'] = {};
  if (isRecord(dsConf)) {
    const className = optString(dsConf.dataSourceClassName, file, `${ds}.dataSourceClassName`);
    const url = optString(lookup(dsConf, 'dataSource.url'), file, `${ds}."dataSource.url"`);
    const user = optString(lookup(dsConf, 'dataSource.user'), file, `${ds}."dataSource.user"`);
    if (className !== undefined) dataSource.className = className;
    if (url !== undefined) dataSource.url = url;
    if (user !== undefined) dataSource.user = user;
  }

  const info: CordaNodeInfo = {
    name: spec.name,
    role: spec.role,
    source: file,
    machine: spec.machine,
    mutualExclusion,
    dataSource,
    literalPlaceholders,
    fileHashes: {},
    redactedConfig: redactConfig(conf) as Record<string, unknown>,
  };
  const set = <K extends keyof CordaNodeInfo>(k: K, v: CordaNodeInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set('myLegalName', optString(conf.myLegalName, file, 'myLegalName'));
  set('p2pAddress', optString(conf.p2pAddress, file, 'p2pAddress'));
  set('rpcAddress', optString(lookup(conf, 'rpcSettings', 'address'), file, 'rpcSettings.address') ?? optString(conf.rpcAddress, file, 'rpcAddress'));
  set('adminAddress', optString(lookup(conf, 'rpcSettings', 'adminAddress'), file, 'rpcSettings.adminAddress') ?? optString(conf.adminAddress, file, 'adminAddress'));

  if (spec.baseDirectory) {
    info.baseDirectory = spec.baseDirectory;
    const artemis = join(spec.baseDirectory, 'artemis');
    let exists = false;
    let realPath: string | undefined;
    try {
      await stat(artemis);
      exists = true;
      realPath = await realpath(artemis);
    } catch {
      exists = false;
    }
    info.artemis = realPath ? { path: artemis, realPath, exists } : { path: artemis, exists };
    info.fileHashes = await hashFiles(spec.baseDirectory, opts.filesToMatch ?? [], { budget: opts.budget });
  }
  return info;
}

/** Marker for an entry of `filesToMatch` that does not exist under the base directory. */
export const MISSING = '(missing)';

/**
 * SHA-256 of every file under each entry (directories recursed, symbolic links followed with loop detection), keyed by
 * path relative to `baseDir`. A FIFO, socket or device is bad input (it cannot be compared, and reading it could block
 * or never end); files are streamed within the caps of docs/input-limits.md.
 */
export async function hashFiles(baseDir: string, entries: string[], opts: { budget?: InputBudget } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const rel = (p: string) => relative(baseDir, p).split(sep).join('/');
  for (const e of entries) {
    const listed = join(baseDir, e);
    let found;
    try {
      found = await walkFiles([listed], { what: 'files compared between the Corda nodes', onDangling: (p) => (out[rel(p)] = MISSING) });
    } catch (err) {
      // an entry the base directory does not have is reported as missing, for the check to judge
      if (err instanceof InputError && err.file === listed && /file not found/.test(err.problem)) {
        out[rel(listed)] = MISSING;
        continue;
      }
      throw err;
    }
    for (const f of found) {
      if (!f.stats.isFile()) throw new InputError(f.path, '', `is ${describeType(f.stats)}: files compared between the Corda nodes must be regular files`);
      const hash = createHash('sha256');
      await streamFile(f.path, 'hashed', (chunk) => hash.update(chunk), { budget: opts.budget });
      out[rel(f.path)] = hash.digest('hex');
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
