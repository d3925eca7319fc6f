/**
 * Redaction for anything a person will see (reports, logs, error messages): secret strings (the descriptor's
 * `secrets`: every `${VAR}` it expanded and every password it holds) and PEM private keys become `[REDACTED]`.
 *
 * Applied at display time, not to the evidence checks read: an expanded `${LB_ADDRESS}` is recorded as a secret
 * too, and replacing it inside `p2pAddress` before a check compares addresses would turn a pass into a failure.
 */
export const REDACTED = '[REDACTED]';

const PRIVATE_KEY = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;
/** Secrets shorter than this are only replaced where they are the whole string (a secret "1" must not blank every digit). */
const MIN_SUBSTRING_SECRET = 4;

/** Keys whose values are secret whatever they hold. */
export const SECRET_KEY = /password|secret|passphrase|private/i;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(secrets: readonly string[]): { re?: RegExp; exact: Set<string> } {
  const uniq = [...new Set(secrets.filter((s) => typeof s === 'string' && s !== ''))];
  const long = uniq.filter((s) => s.length >= MIN_SUBSTRING_SECRET).sort((a, b) => b.length - a.length);
  return { re: long.length ? new RegExp(long.map(escapeRe).join('|'), 'g') : undefined, exact: new Set(uniq) };
}

/** Redact one string. */
export function redactString(text: string, secrets: readonly string[]): string {
  return redactWith(text, compile(secrets));
}

function redactWith(text: string, c: { re?: RegExp; exact: Set<string> }): string {
  if (c.exact.has(text)) return REDACTED;
  let out = text.includes('PRIVATE KEY-----') ? text.replace(PRIVATE_KEY, REDACTED) : text;
  if (c.re) out = out.replace(c.re, REDACTED);
  return out;
}

/**
 * A deep copy of `value` with secret strings and PEM private keys replaced by `[REDACTED]`. Plain objects and
 * arrays are copied; other objects (Dates, Buffers) are returned as they are. Cycles are preserved.
 * With `redactKeys`, values under keys matching /password|secret|passphrase|private/i are redacted too.
 */
export function redact<T>(value: T, secrets: readonly string[] = [], options: { redactKeys?: boolean } = {}): T {
  const c = compile(secrets);
  const seen = new WeakMap<object, unknown>();
  const walk = (v: unknown, key?: string): unknown => {
    if (options.redactKeys && key !== undefined && SECRET_KEY.test(key) && v !== null && v !== undefined && typeof v !== 'boolean') {
      return REDACTED;
    }
    if (typeof v === 'string') return redactWith(v, c);
    if (v === null || typeof v !== 'object') return v;
    const hit = seen.get(v);
    if (hit !== undefined) return hit;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const item of v) out.push(walk(item));
      return out;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      if (v instanceof Error) {
        const e = new Error(redactWith(v.message, c));
        e.name = v.name;
        return e;
      }
      return v;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, item] of Object.entries(v)) out[k] = walk(item, k);
    return out;
  };
  return walk(value) as T;
}
