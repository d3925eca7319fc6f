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
 * here before anything is parsed.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { InputError } from '../../errors.ts';
import type { CordaNodeSpec } from '../../target/types.ts';
import { fieldPath, isRecord, readText, showValue } from '../input.ts';
import type { CordaNodeInfo } from '../model.ts';
import { REDACTED, SECRET_KEY } from '../redact.ts';

interface HoconParser {
  (opts: { text?: string; url?: string; strict?: boolean; scope?: Record<string, unknown>; env?: boolean }): Promise<unknown>;
  getClass(name: string): new (...args: unknown[]) => object;
  Context: { registerComponent(...classes: Array<new (...args: unknown[]) => object>): void };
}

const require = createRequire(import.meta.url);
let parser: HoconParser | undefined;

/** The HOCON parser with its code-running and network extensions disabled. */
function hocon(): HoconParser {
  if (parser) return parser;
  const p = require('@pushcorn/hocon-parser') as HoconParser;
  const disabled = (adapter: string, name: string) => {
    const Base = p.getClass(adapter);
    const what = name.replace(/(Transform|Source|Builder)$/, '').toLowerCase();
    return {
      [name]: class extends Base {
        constructor(...args: unknown[]) {
          super(...args);
          throw new Error(`"${what}" is not HOCON and is disabled when reading node.conf`);
        }
      },
    }[name];
  };
  const transforms = ['Base64Decode', 'Base64Encode', 'Eval', 'Filter', 'Hash', 'Invoke', 'Map', 'Query', 'Reduce', 'Slice', 'Sort', 'Trim', 'Unique'];
  p.Context.registerComponent(
    ...transforms.map((t) => disabled('core.TransformAdapter', `${t}Transform`)),
    disabled('core.SourceAdapter', 'HttpSource'),
    disabled('core.SourceAdapter', 'HttpsSource'),
    disabled('core.SourceAdapter', 'ModulepathSource'),
    disabled('core.BuilderAdapter', 'ScriptBuilder'),
  );
  parser = p;
  return p;
}

export interface NodeConfOptions {
  /** files and directories (relative to the base directory) whose hashes must match between primary and backup */
  filesToMatch?: string[];
  /** the environment `${VAR}` falls back to after the node's own `env` (default: process.env) */
  processEnv?: NodeJS.ProcessEnv;
}

/** Parse a node.conf into plain data. Malformed HOCON or an unset `${VAR}` → InputError with file and line. */
export async function parseNodeConf(file: string, env: Record<string, string> = {}, processEnv: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const text = await readText(file);
  if (/^\s*\{?\s*\}?\s*$/.test(text)) return {};
  // the scope is consulted before the process environment; when a caller supplies its own processEnv, merge it in
  // and turn the parser's own process.env lookup off
  const usingProcess = processEnv === process.env;
  const scope: Record<string, unknown> = usingProcess ? { ...env } : { ...definedOnly(processEnv), ...env };
  let result: unknown;
  try {
    result = await hocon()({ url: file, strict: true, scope, env: usingProcess });
  } catch (err) {
    throw hoconError(err, file);
  }
  if (result === undefined || result === null) return {};
  if (!isRecord(result)) throw new InputError(file, '', `expected a HOCON object at the top level, got ${showValue(result)}`);
  return result;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function hoconError(err: unknown, file: string): InputError {
  const msg = err instanceof Error ? err.message : String(err);
  const pos = /line: (\d+), col: (\d+)/.exec(msg);
  const where = pos ? ` at line ${pos[1]}, column ${pos[2]}` : '';
  const unresolved = /Unable to resolve '([^']+)'/.exec(msg);
  if (unresolved) {
    return new InputError(file, '', `\${${unresolved[1]}}${where} is not set (neither in the descriptor's env for this node nor in the environment)`, { cause: err });
  }
  const core = msg
    .split(/ \(Source:| \(text:|\. Token:/)[0]
    .replace(/\s+$/, '')
    .replace(/[.!]$/, '');
  return new InputError(file, '', `malformed HOCON${where}: ${core}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------------------------

const PLACEHOLDER = /\$\{\??[^}]*\}/;

function findPlaceholders(value: unknown, path: string, out: Array<{ field: string; value: string }>): void {
  if (typeof value === 'string') {
    if (PLACEHOLDER.test(value)) out.push({ field: path, value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findPlaceholders(v, fieldPath(path, i), out));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) findPlaceholders(v, fieldPath(path, k), out);
  }
}

/** A deep copy with values under secret-looking keys (password, secret, passphrase, private) replaced. */
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
  throw new InputError(file, field, `expected a string, got ${showValue(v)}`);
}

function optBool(v: unknown, file: string, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === 'false' || v === 'off' || v === 'no') return false;
  throw new InputError(file, field, `expected true or false, got ${showValue(v)}`);
}

function optMillis(v: unknown, file: string, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  throw new InputError(file, field, `expected a number of milliseconds, got ${showValue(v)}`);
}

/** Read one Corda node of the descriptor: its node.conf, artemis directory and the hashes of files to match. */
export async function readCordaNode(spec: CordaNodeSpec, opts: NodeConfOptions = {}): Promise<CordaNodeInfo> {
  const file = spec.config;
  const conf = await parseNodeConf(file, spec.env ?? {}, opts.processEnv ?? process.env);
  const literalPlaceholders: CordaNodeInfo['literalPlaceholders'] = [];
  findPlaceholders(conf, '', literalPlaceholders);

  const mx = 'enterpriseConfiguration.mutualExclusionConfiguration';
  const mxConf = lookup(conf, 'enterpriseConfiguration', 'mutualExclusionConfiguration');
  if (mxConf !== undefined && mxConf !== null && !isRecord(mxConf)) throw new InputError(file, mx, `expected an object, got ${showValue(mxConf)}`);
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
  if (dsConf !== undefined && dsConf !== null && !isRecord(dsConf)) throw new InputError(file, ds, `expected an object, got ${showValue(dsConf)}`);
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
    info.fileHashes = await hashFiles(spec.baseDirectory, opts.filesToMatch ?? []);
  }
  return info;
}

/** Marker for an entry of `filesToMatch` that does not exist under the base directory. */
export const MISSING = '(missing)';

/** SHA-256 of every file under each entry (directories recursed), keyed by path relative to `baseDir`. */
export async function hashFiles(baseDir: string, entries: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const rel = (p: string) => relative(baseDir, p).split(sep).join('/');
  const visit = async (p: string, depth: number): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch {
      // a dangling link inside a directory is reported like a missing entry
      if (depth === 0 || (await lstat(p).then(() => true, () => false))) out[rel(p)] = MISSING;
      return;
    }
    if (st.isDirectory()) {
      if (depth > 32) return;
      const names = (await readdir(p)).sort();
      await Promise.all(names.map((n) => visit(join(p, n), depth + 1)));
    } else if (st.isFile()) {
      out[rel(p)] = createHash('sha256').update(await readFile(p)).digest('hex');
    }
  };
  await Promise.all(entries.map((e) => visit(join(baseDir, e), 0)));
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
