/**
 * Loads a target descriptor: YAML → `extends` overlays merged → `${VAR}` expanded → relative paths resolved
 * against the folder of the file that declared them → validated (JSON Schema + cross-references + files exist)
 * → defaults applied. Every problem found is collected and thrown together as `InputErrors`, each naming the
 * file that declared the offending field, the field path and the value.
 *
 * Provenance is tracked per field (container object → key → declaring file), so after merging an error still
 * points at the file the operator has to edit, and a path is resolved against the right folder.
 */
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { InputError, InputErrors } from '../errors.ts';
import { InputBudget, STRUCTURE_LIMITS, fieldPath, inspectPath, isRecord, parseYaml, readText, showValue, type InputKind } from '../evidence/input.ts';
import { SECRET_KEY, registerSecrets } from '../evidence/redact.ts';
import { targetSchema } from './schema.ts';
import { byId } from '../checks/catalogue.ts';
import { waiverExpiry } from '../waivers.ts';
import { closestKey } from './suggest.ts';
import type { ChannelSpec, CordaSpec, LiveEndpoints, OrderingOrgSpec, OrganizationSpec, RegionSpec, TargetDescriptor, WaiverSpec } from './types.ts';

export const API_VERSION = 'ha-conformance/v1';
export const DEFAULT_CORDA_PORTS = { p2p: 10002, rpc: 10003, web: 10004 } as const;
export const DEFAULT_FILES_TO_MATCH = ['certificates', 'additional-node-infos', 'network-parameters', 'cordapps'] as const;

type Seg = string | number;

/** container → key → the file that declared the value under that key */
type Origins = WeakMap<object, Map<string, string>>;

/**
 * RFC 3339 date-time (the profile of ISO-8601 that names its time zone): `2026-01-01T00:00:00Z`,
 * `2026-01-01T09:30:00.5+02:00`. A real calendar date (no February 30th).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function isDateTime(v: string): boolean {
  const m = DATE_TIME.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && !Number.isNaN(Date.parse(v));
}

let compiled: ReturnType<Ajv['compile']> | undefined;
function validator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    // verbose: errors carry the schema they broke, for "did you mean"
    const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false, verbose: true });
    ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
    compiled = ajv.compile(targetSchema as unknown as object);
  }
  return compiled;
}

/** Load, merge, expand, resolve, validate and default a target descriptor. Throws `InputErrors`. */
export async function loadTarget(file: string, env: NodeJS.ProcessEnv = process.env): Promise<TargetDescriptor> {
  const top = resolve(file);
  const origins: Origins = new WeakMap();
  const errors: InputError[] = [];
  const budget = new InputBudget();
  const root = await loadLayer(top, [], origins, errors, budget);
  if (!root) throw new InputErrors(errors);
  delete root.extends;
  checkLeftoverRemoves(root, [], top, origins, errors);

  const secrets = new Set<string>();
  const fileEnv = await readEnvFile(root, top, origins, errors);
  expandEnv(root, [], top, origins, fileEnv ? { ...fileEnv, ...env } : env, secrets, errors);
  collectSecretValues(root, secrets);
  registerSecrets(secrets);
  resolvePaths(root, top, origins);

  const validate = validator();
  if (!validate(root)) {
    for (const e of validate.errors ?? []) errors.push(schemaError(e, root, top, origins));
  }
  crossCheck(root, top, origins, errors);
  await checkFiles(root, top, origins, errors);
  if (errors.length) throw new InputErrors(dedupe(errors));

  collectSecretValues(root, secrets);
  return applyDefaults(root, top, [...secrets], origins);
}

/**
 * `envFile: <path>` (relative to the file that declares it): KEY=VALUE lines that `${KEY}` references may use, so
 * secrets can live in a file only the operator can read rather than in the descriptor or the shell. The file must be
 * a regular file owned by the user running the harness and not readable or writable by group or others (chmod 600),
 * or it is refused. Every value is a secret. The process environment wins over the file.
 */
async function readEnvFile(root: Record<string, unknown>, top: string, origins: Origins, errors: InputError[]): Promise<Record<string, string> | undefined> {
  const ref = root.envFile;
  const declaredIn = originAt(origins, root, 'envFile', top);
  delete root.envFile;
  if (ref === undefined) return undefined;
  if (typeof ref !== 'string' || !ref) {
    errors.push(new InputError(declaredIn, 'envFile', `must be a file path, not ${showValue(ref)}`));
    return undefined;
  }
  const p = expandHome(ref);
  const file = isAbsolute(p) ? resolve(p) : resolve(dirname(declaredIn), p);
  const namedBy = { file: declaredIn, field: 'envFile' };
  try {
    const st = await stat(file);
    const problem = st.isFile() ? envFileAccessProblem(st) : undefined;
    if (problem) {
      errors.push(new InputError(declaredIn, 'envFile', `${file}: ${problem}`));
      return undefined;
    }
    const text = await readText(file, 'envFile', { namedBy });
    return parseEnvFile(text, file, errors);
  } catch (err) {
    if (err instanceof InputError) errors.push(err);
    else errors.push(new InputError(declaredIn, 'envFile', `${file}: ${(await inspectPath(file, 'file', 'envFile')) ?? 'cannot read'}`, { cause: err }));
    return undefined;
  }
}

/** Owner-only and owned by us: what the README promises for a file of secrets. */
function envFileAccessProblem(st: { mode: number; uid: number }): string | undefined {
  const loose = st.mode & 0o077;
  if (loose) {
    const who = [loose & 0o070 ? 'its group' : '', loose & 0o007 ? 'other users' : ''].filter(Boolean).join(' and ');
    return `holds secrets but its permissions ${(st.mode & 0o777).toString(8).padStart(3, '0')} give ${who} access; make it owner-only (chmod 600)`;
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    return `holds secrets but is owned by uid ${st.uid}, not by the user running the harness (uid ${uid}); chown it to that user`;
  }
  return undefined;
}

function parseEnvFile(text: string, file: string, errors: InputError[]): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split('\n').forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(l);
    if (!m) {
      // the line is not quoted: it may hold a secret
      errors.push(new InputError(file, `line ${i + 1}`, 'expected KEY=VALUE (the line is not shown: an envFile holds secrets)'));
      return;
    }
    vars[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2');
  });
  registerSecrets(Object.values(vars));
  return vars;
}

// ---------------------------------------------------------------------------------------------------------------
// Loading and merging

function annotate(value: unknown, file: string, origins: Origins): void {
  if (Array.isArray(value)) {
    const m = new Map<string, string>();
    value.forEach((v, i) => {
      m.set(String(i), file);
      annotate(v, file, origins);
    });
    origins.set(value, m);
  } else if (isRecord(value)) {
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(value)) {
      m.set(k, file);
      annotate(v, file, origins);
    }
    origins.set(value, m);
  }
}

async function loadLayer(
  file: string,
  stack: string[],
  origins: Origins,
  errors: InputError[],
  budget: InputBudget,
  via?: { file: string; field: string },
): Promise<Record<string, unknown> | undefined> {
  if (stack.includes(file)) {
    const cycle = [...stack.slice(stack.indexOf(file)), file].join(' → ');
    errors.push(new InputError(via?.file ?? file, via?.field ?? 'extends', `extends forms a cycle: ${cycle}`));
    return undefined;
  }
  if (stack.length >= STRUCTURE_LIMITS.maxExtendsDepth) {
    errors.push(new InputError(via?.file ?? file, via?.field ?? 'extends', `extends goes more than ${STRUCTURE_LIMITS.maxExtendsDepth} layers deep (docs/input-limits.md)`));
    return undefined;
  }
  let doc: unknown;
  try {
    const text = await readText(file, 'descriptor', { namedBy: via, budget });
    doc = parseYaml(text, file);
  } catch (err) {
    if (err instanceof InputError) errors.push(err);
    else throw err;
    return undefined;
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isRecord(doc)) {
    errors.push(new InputError(file, '', `a target descriptor must be a YAML mapping, got ${Array.isArray(doc) ? 'a list' : showValue(doc, { file })}`));
    return undefined;
  }
  annotate(doc, file, origins);
  const ext = doc.extends;
  if (ext === undefined || ext === null) return doc;
  if (typeof ext !== 'string' || ext.trim() === '') {
    errors.push(new InputError(file, 'extends', `must be a path to a base descriptor, got ${showValue(ext, { file })}`));
    return undefined;
  }
  const basePath = resolve(dirname(file), expandHome(ext));
  const base = await loadLayer(basePath, [...stack, file], origins, errors, budget, { file, field: 'extends' });
  if (!base) return undefined;
  delete base.extends;
  delete doc.extends;
  return merge(base, doc, file, [], origins, errors) as Record<string, unknown>;
}

function isNamedList(list: unknown[]): boolean {
  return list.every((i) => isRecord(i) && typeof i.name === 'string');
}

function setOrigin(origins: Origins, container: object, key: string, file: string): void {
  let m = origins.get(container);
  if (!m) origins.set(container, (m = new Map()));
  m.set(key, file);
}

/** Deep merge of an overlay over a base (both already annotated). Returns a new container for merged ones. */
function merge(base: unknown, over: unknown, overFile: string, path: Seg[], origins: Origins, errors: InputError[]): unknown {
  if (isRecord(base) && isRecord(over)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) {
      out[k] = v;
      setOrigin(origins, out, k, originAt(origins, base, k, overFile));
    }
    for (const [k, v] of Object.entries(over)) {
      const from = originAt(origins, over, k, overFile);
      out[k] = k in base ? merge(base[k], v, from, [...path, k], origins, errors) : v;
      setOrigin(origins, out, k, from);
    }
    return out;
  }
  // lists of named objects merge item by item; an explicit empty list in the overlay clears the base's
  if (Array.isArray(base) && Array.isArray(over) && base.length > 0 && over.length > 0 && isNamedList(base) && isNamedList(over)) {
    const out: unknown[] = [];
    const from: string[] = [];
    base.forEach((item, i) => {
      out.push(item);
      from.push(originAt(origins, base, String(i), overFile));
    });
    over.forEach((raw, j) => {
      const item = raw as Record<string, unknown>;
      const itemFile = originAt(origins, over, String(j), overFile);
      const at = out.findIndex((b) => (b as Record<string, unknown>).name === item.name);
      if (item.remove === true) {
        if (at >= 0) {
          out.splice(at, 1);
          from.splice(at, 1);
        } else {
          errors.push(new InputError(itemFile, display([...path, j, 'remove']), `no item named ${showValue(item.name)} in the base descriptor to remove`));
        }
        return;
      }
      if (item.remove === false) delete item.remove;
      if (at >= 0) {
        out[at] = merge(out[at], item, itemFile, [...path, at], origins, errors);
        from[at] = itemFile;
      } else {
        out.push(item);
        from.push(itemFile);
      }
    });
    from.forEach((f, i) => setOrigin(origins, out, String(i), f));
    return out;
  }
  return over;
}

/** `remove: true` items that matched nothing (a list with no base to merge into) are errors, and dropped. */
function checkLeftoverRemoves(value: unknown, path: Seg[], top: string, origins: Origins, errors: InputError[]): void {
  if (Array.isArray(value)) {
    const files = value.map((_, i) => originAt(origins, value, String(i), top));
    const keep: number[] = [];
    value.forEach((item, i) => {
      if (isRecord(item) && item.remove === true) {
        errors.push(new InputError(files[i], display([...path, i, 'remove']), `no item named ${showValue(item.name)} in a base descriptor to remove`));
        return;
      }
      if (isRecord(item) && item.remove === false) delete item.remove;
      keep.push(i);
    });
    if (keep.length !== value.length) {
      const kept = keep.map((i) => value[i]);
      value.splice(0, value.length, ...kept);
      keep.forEach((from, to) => setOrigin(origins, value, String(to), files[from]));
    }
    value.forEach((item, i) => checkLeftoverRemoves(item, [...path, i], top, origins, errors));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) checkLeftoverRemoves(v, [...path, k], top, origins, errors);
  }
}

function originAt(origins: Origins, container: object, key: string, fallback: string): string {
  return origins.get(container)?.get(key) ?? fallback;
}

/** The file that declared the value at `path` (the deepest recorded origin along the way). */
function originOfPath(root: unknown, path: Seg[], top: string, origins: Origins): string {
  let file = top;
  let cur: unknown = root;
  for (const seg of path) {
    if (!(Array.isArray(cur) || isRecord(cur))) break;
    const o = origins.get(cur)?.get(String(seg));
    if (o) file = o;
    cur = (cur as Record<string, unknown>)[seg as string];
  }
  return file;
}

function display(path: Seg[]): string {
  return path.reduce<string>((acc, seg) => fieldPath(acc, seg), '');
}

// ---------------------------------------------------------------------------------------------------------------
// ${VAR} expansion

const REF = /\$\$\{|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function expandEnv(value: unknown, path: Seg[], top: string, origins: Origins, env: NodeJS.ProcessEnv, secrets: Set<string>, errors: InputError[]): void {
  if (!(Array.isArray(value) || isRecord(value))) return;
  const entries: Array<[Seg, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof v === 'string' && v.includes('${')) {
      const file = originAt(origins, value, String(k), top);
      const field = display([...path, k]);
      const out = v.replace(REF, (whole, name: string | undefined) => {
        if (whole === '$${') return '${';
        const n = (name ?? '').trim();
        if (!VAR_NAME.test(n)) {
          errors.push(new InputError(file, field, `invalid variable reference ${showValue(whole)} (expected \${NAME} with letters, digits and _)`));
          return whole;
        }
        const val = env[n];
        if (val === undefined) {
          errors.push(new InputError(file, field, `environment variable ${n} is not set (referenced as \${${n}})`));
          return whole;
        }
        if (val !== '') {
          secrets.add(val);
          // at once: an error about this field (a wrong type, say) must not quote the value
          registerSecrets([val]);
        }
        return val;
      });
      (value as Record<string, unknown>)[k as string] = out;
    } else {
      expandEnv(v, [...path, k], top, origins, env, secrets, errors);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

/** `~` and `~/…` → the home folder, as the descriptor's paths are read. */
export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p;
}

interface PathRef {
  container: Record<string, unknown> | unknown[];
  key: string | number;
  path: Seg[];
  /** what it must point to */
  expect: 'file' | 'dir' | 'any';
  /** which input limits apply to the file */
  input?: InputKind;
}

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  'x-path'?: { expect: PathRef['expect']; input?: InputKind };
}

/** Every path field of the descriptor, found by the schema's `x-path` marks: where it sits and what it must point to. */
function pathFields(root: Record<string, unknown>): PathRef[] {
  const refs: PathRef[] = [];
  const walk = (schema: SchemaNode | undefined, container: Record<string, unknown> | unknown[], key: string | number, path: Seg[]) => {
    if (!schema) return;
    const value = (container as Record<string, unknown>)[key as string];
    const mark = schema['x-path'];
    if (mark) {
      if (typeof value === 'string') refs.push({ container, key, path, expect: mark.expect, ...(mark.input ? { input: mark.input } : {}) });
      return;
    }
    if (Array.isArray(value) && schema.items) value.forEach((_, i) => walk(schema.items, value, i, [...path, i]));
    else if (isRecord(value)) {
      for (const k of Object.keys(value)) {
        const child = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        walk(child, value, k, [...path, k]);
      }
    }
  };
  const top = { root };
  walk(targetSchema as unknown as SchemaNode, top, 'root', []);
  return refs;
}

function resolvePaths(root: Record<string, unknown>, top: string, origins: Origins): void {
  for (const ref of pathFields(root)) {
    const c = ref.container as Record<string, unknown>;
    const value = c[ref.key as string] as string;
    const declaredIn = originAt(origins, ref.container, String(ref.key), top);
    const p = expandHome(value);
    c[ref.key as string] = isAbsolute(p) ? resolve(p) : resolve(dirname(declaredIn), p);
  }
}

/** Every path exists and is what its field expects: a regular file within its size cap, or a directory. Nothing is opened. */
async function checkFiles(root: Record<string, unknown>, top: string, origins: Origins, errors: InputError[]): Promise<void> {
  const refs = pathFields(root);
  const results = await Promise.all(
    refs.map(async (ref) => {
      const p = (ref.container as Record<string, unknown>)[ref.key as string] as string;
      const problem = await inspectPath(p, ref.expect, ref.input);
      return problem ? `${problem}: ${p}` : undefined;
    }),
  );
  results.forEach((problem, i) => {
    if (!problem) return;
    const ref = refs[i];
    const file = originAt(origins, ref.container, String(ref.key), top);
    errors.push(new InputError(file, display(ref.path), problem));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

function pointerToPath(pointer: string): Seg[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(root: unknown, path: Seg[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (!(Array.isArray(cur) || isRecord(cur))) return undefined;
    cur = (cur as Record<string, unknown>)[seg as string];
  }
  return cur;
}

function schemaError(e: ErrorObject, root: unknown, top: string, origins: Origins): InputError {
  let path = pointerToPath(e.instancePath);
  const value = valueAt(root, path);
  const file = () => originOfPath(root, path, top, origins);
  const shown = () => showValue(value, { field: display(path), file: file() });
  let message: string;
  switch (e.keyword) {
    case 'required':
      path = [...path, (e.params as { missingProperty: string }).missingProperty];
      message = 'missing required field';
      break;
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      path = [...path, extra];
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
      const guess = closestKey(extra, known);
      message = `unknown field ${showValue(extra)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : known.length ? ` (known here: ${known.join(', ')})` : ''}`;
      break;
    }
    case 'enum':
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => showValue(v)).join(', ')}, got ${shown()}`;
      break;
    case 'type':
      message = `must be ${(e.params as { type: string }).type}, got ${shown()}`;
      break;
    case 'format':
      message =
        (e.params as { format: string }).format === 'date-time'
          ? `must be an RFC 3339 (ISO-8601) date-time with a time zone, such as 2026-01-01T00:00:00Z, got ${shown()}`
          : `must be a ${(e.params as { format: string }).format}, got ${shown()}`;
      break;
    case 'maxItems':
      message = `lists ${Array.isArray(value) ? value.length : 'too many'} items, more than the ${(e.params as { limit: number }).limit} allowed (docs/input-limits.md)`;
      break;
    case 'maxProperties':
      message = `has more than the ${(e.params as { limit: number }).limit} entries allowed (docs/input-limits.md)`;
      break;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      message = `${e.message ?? 'is out of range'}, got ${shown()}`;
      break;
    case 'maxLength':
      message = `is longer than the ${(e.params as { limit: number }).limit} characters allowed`;
      break;
    case 'pattern':
      message = path[path.length - 2] === 'filesToMatch' ? `must be a path inside the base directory (relative, without ".."), got ${shown()}` : `is not valid here, got ${shown()}`;
      break;
    default:
      message = `${e.message ?? 'is invalid'}, got ${shown()}`;
  }
  return new InputError(originOfPath(root, path, top, origins), display(path), message);
}

function crossCheck(root: Record<string, unknown>, top: string, origins: Origins, errors: InputError[]): void {
  const err = (path: Seg[], message: string) => errors.push(new InputError(originOfPath(root, path, top, origins), display(path), message));
  const indexed = (v: unknown): Array<[number, Record<string, unknown>]> =>
    Array.isArray(v) ? (v.map((x, i) => [i, x]).filter(([, x]) => isRecord(x)) as Array<[number, Record<string, unknown>]>) : [];

  const dup = (what: string, list: Array<{ name: unknown; path: Seg[] }>) => {
    const seen = new Map<string, Seg[]>();
    for (const { name, path } of list) {
      if (typeof name !== 'string') continue;
      const first = seen.get(name);
      if (first) err([...path, 'name'], `duplicate ${what} name ${showValue(name)} (first at ${display(first)})`);
      else seen.set(name, path);
    }
  };

  const regions = indexed(root.regions);
  dup('region', regions.map(([i, r]) => ({ name: r.name, path: ['regions', i] })));
  // in-cluster: the one cluster the validator runs in, reached through its pod's service account, not a kubeconfig
  const inCluster = regions.filter(([, r]) => isRecord(r.kubernetes) && r.kubernetes.inCluster === true);
  for (const [i, r] of inCluster) {
    for (const key of ['context', 'kubeconfig']) {
      if ((r.kubernetes as Record<string, unknown>)[key] !== undefined) err(['regions', i, 'kubernetes', key], `cannot be combined with inCluster: true (the region is read through the pod's service account)`);
    }
  }
  if (inCluster.length > 1) {
    const names = inCluster.map(([, r]) => showValue(r.name)).join(', ');
    err(['regions', inCluster[1][0], 'kubernetes', 'inCluster'], `only one region can be the cluster ha-validate runs in; inCluster: true is set for ${names}`);
  }
  const regionNames = new Set(regions.map(([, r]) => r.name).filter((n) => typeof n === 'string'));

  const fabric = isRecord(root.fabric) ? root.fabric : undefined;
  if (fabric) {
    const ordering = indexed(fabric.ordering);
    dup('ordering organization', ordering.map(([i, o]) => ({ name: o.name, path: ['fabric', 'ordering', i] })));
    const nodes = ordering.flatMap(([i, o]) => indexed(o.nodes).map(([j, n]) => ({ n, path: ['fabric', 'ordering', i, 'nodes', j] as Seg[] })));
    dup('ordering node', nodes.map(({ n, path }) => ({ name: n.name, path })));
    const orgs = indexed(fabric.organizations);
    dup('organization', orgs.map(([i, o]) => ({ name: o.name, path: ['fabric', 'organizations', i] })));
    const peers = orgs.flatMap(([i, o]) => indexed(o.peers).map(([j, p]) => ({ n: p, path: ['fabric', 'organizations', i, 'peers', j] as Seg[] })));
    dup('peer', peers.map(({ n, path }) => ({ name: n.name, path })));
    for (const { n, path } of [...nodes, ...peers]) {
      if (typeof n.region === 'string' && !regionNames.has(n.region)) {
        const known = [...regionNames].join(', ') || 'none declared';
        err([...path, 'region'], `unknown region ${showValue(n.region)} (regions: ${known})`);
      }
    }
    const channels = indexed(fabric.channels);
    dup('channel', channels.map(([i, c]) => ({ name: c.name, path: ['fabric', 'channels', i] })));
  }
  const corda = isRecord(root.corda) ? root.corda : undefined;
  if (corda) {
    const nodes = indexed(corda.nodes);
    dup('Corda node', nodes.map(([i, n]) => ({ name: n.name, path: ['corda', 'nodes', i] })));
  }
  // waivers: a known guarantee, a real date, one waiver per guarantee and scope
  const waivers = indexed(root.waivers);
  const seenWaivers = new Map<string, number>();
  for (const [i, w] of waivers) {
    if (typeof w.id === 'string' && /^[A-Za-z]+(-[A-Za-z]+)*-[0-9]+$/.test(w.id) && !byId(w.id)) err(['waivers', i, 'id'], `unknown guarantee ID ${showValue(w.id)} (see ha-validate --list)`);
    if (typeof w.expires === 'string' && /^[0-9]{4}-/.test(w.expires) && waiverExpiry(w.expires) === undefined) err(['waivers', i, 'expires'], `not a valid date or ISO-8601 time: ${showValue(w.expires)}`);
    if (typeof w.id !== 'string') continue;
    const key = `${w.id.toUpperCase()}|${typeof w.scope === 'string' ? w.scope : ''}`;
    const first = seenWaivers.get(key);
    if (first !== undefined) err(['waivers', i], `a second waiver for ${w.id}${typeof w.scope === 'string' ? ` with scope ${showValue(w.scope)}` : ' without a scope'} (first at waivers[${first}])`);
    else seenWaivers.set(key, i);
  }
}

function dedupe(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets and defaults

/** Values of secret-looking fields (`SECRET_KEY`), and every value of a Corda node's `env` whose name is secret-looking. */
function collectSecretValues(value: unknown, secrets: Set<string>, key = ''): void {
  if (typeof value === 'string') {
    if (key && SECRET_KEY.test(key) && value !== '') secrets.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecretValues(v, secrets, key);
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) collectSecretValues(v, secrets, k);
  }
}

/** The validated document before defaults: every section and list may be absent. */
interface RawDescriptor {
  apiVersion?: string;
  name: string;
  disposable?: boolean;
  settings?: Record<string, unknown>;
  regions?: RegionSpec[];
  fabric?: {
    ordering?: Array<Omit<OrderingOrgSpec, 'ca' | 'nodes'> & Partial<Pick<OrderingOrgSpec, 'ca' | 'nodes'>>>;
    organizations?: Array<Omit<OrganizationSpec, 'ca' | 'peers'> & Partial<Pick<OrganizationSpec, 'ca' | 'peers'>>>;
    channels?: ChannelSpec[];
    roundTripMeasurements?: string;
  };
  corda?: Omit<CordaSpec, 'nodes' | 'ports' | 'filesToMatch'> & { nodes?: CordaSpec['nodes']; ports?: Partial<CordaSpec['ports']>; filesToMatch?: string[] };
  live?: LiveEndpoints;
  waivers?: Array<Omit<WaiverSpec, 'declaredIn'>>;
}

function applyDefaults(root: Record<string, unknown>, top: string, secrets: string[], origins: Origins): TargetDescriptor {
  const d = root as unknown as RawDescriptor;
  const out: TargetDescriptor = {
    apiVersion: d.apiVersion ?? API_VERSION,
    name: d.name,
    file: top,
    disposable: d.disposable ?? false,
    settings: d.settings ?? {},
    regions: d.regions ?? [],
    live: d.live ?? {},
    waivers: (d.waivers ?? []).map((w, i) => ({
      ...w,
      id: byId(w.id)?.id ?? w.id,
      declaredIn: { file: originOfPath(root, ['waivers', i], top, origins), field: `waivers[${i}]` },
    })),
    secrets,
  };
  if (d.fabric) {
    out.fabric = {
      ordering: (d.fabric.ordering ?? []).map((o) => ({ ...o, ca: o.ca ?? [], nodes: o.nodes ?? [] })),
      organizations: (d.fabric.organizations ?? []).map((o) => ({ ...o, ca: o.ca ?? [], peers: o.peers ?? [] })),
      channels: d.fabric.channels ?? [],
      ...(d.fabric.roundTripMeasurements ? { roundTripMeasurements: d.fabric.roundTripMeasurements } : {}),
    };
  }
  if (d.corda) {
    out.corda = {
      ...d.corda,
      nodes: d.corda.nodes ?? [],
      ports: { ...DEFAULT_CORDA_PORTS, ...(d.corda.ports ?? {}) },
      filesToMatch: d.corda.filesToMatch ?? [...DEFAULT_FILES_TO_MATCH],
    };
  }
  return out;
}
