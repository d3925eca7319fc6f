/**
 * The one redaction layer for anything a person or a machine will see: stdout, stderr, every report format, Allure
 * results and attachments, the harness log, and the excerpts error messages quote. It replaces with `[REDACTED]`:
 * - private keys: PEM blocks (`-----BEGIN … PRIVATE KEY-----`, also cut short by an excerpt) and base64 of such a
 *   block (a kubeconfig's `client-key-data`);
 * - credentials in URLs and connection strings: `scheme://user:pass@host`, `?password=`/`;password=` parameters
 *   (PostgreSQL, MySQL, SQL Server, H2 JDBC URLs), Oracle's `user/password@//host:port/service`;
 * - values written after a secret-looking key in text: `password = "…"`, `"password": "…"`, `DB_PASSWORD=…`;
 * - every known secret string: the values the descriptor loader expanded from `${ENV}` or read from an envFile,
 *   the values of secret fields (descriptor, node.conf), registered as soon as they are read (`registerSecrets`),
 *   plus the secrets a caller passes.
 *
 * Applied at display time, not to the evidence checks read: an expanded `${LB_ADDRESS}` is recorded as a secret
 * too, and replacing it inside `p2pAddress` before a check compares addresses would turn a pass into a failure.
 */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are only replaced where they are the whole string (a secret "1" must not blank every digit). */
const MIN_SUBSTRING_SECRET = 4;

/**
 * Keys whose values are secret whatever they hold: anything with password, passphrase or secret in it, and keys
 * ending in pass, pwd, token, credential(s), private key or api key (`tokenFile` or `privateIPAddress` are not).
 */
export const SECRET_KEY = /password|passwd|passphrase|secret|(?:^|[^a-z])pass$|pwd$|token$|credentials?$|private[-_.]?key$|api[-_.]?key$/i;

/** True when the last segment of a dotted field path or key is secret-looking. */
export function isSecretField(field: string | undefined): boolean {
  if (!field) return false;
  const last = field.replace(/\[\d+\]$/, '').split(/[.[\]]/).filter(Boolean).pop() ?? field;
  return SECRET_KEY.test(last.replace(/^"|"$/g, '')) || SECRET_KEY.test(field.replace(/"/g, ''));
}

// ---------------------------------------------------------------------------------------------------------------
// Known secrets (registered by whatever reads them)

const registered = new Set<string>();
let registeredVersion = 0;

/** Record secret values as soon as they are read, so every later output redacts them. Empty strings are ignored. */
export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const v of values) {
    if (typeof v !== 'string' || v === '' || registered.has(v)) continue;
    registered.add(v);
    registeredVersion++;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns

/** A PEM private key block; an excerpt may have cut its END line off, so a block also ends where the text ends. */
const PRIVATE_KEY_BLOCK = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g;
/** base64 of "-----BEGIN" starts with these characters; such a run is decoded and checked for a private key */
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=\s]*/g;
/** `scheme://user:password@` (the user is kept), wherever the scheme starts: `10002postgresql://u:p@h` too */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s@]*)@/gi;
/**
 * `user:password@host/…` without its scheme, as a cut or pasted connection URL leaves it (`da:<password>@db/corda`);
 * not an image digest (`peer:2.5@sha256:…`)
 */
const BARE_USERINFO = /(^|[\s"'(,=])([A-Za-z0-9_.-]*):([^\s:@/"']+)@(?!sha(?:256|384|512):)(?=[A-Za-z0-9.-]+(?:[:/]|$|\s))/gm;
/** `?password=…`, `&pwd=…`, `;password={…}` in URLs and connection strings */
const URL_PARAM = /([?&;]\s*(?:password|passwd|pwd|pass|secret|token|access_token|api[-_]?key)\s*=\s*)(\{[^}]*\}|[^&;\s'"]*)/gi;
/** Oracle `jdbc:oracle:thin:user/password@…`, whatever follows the @ (host, //host, a TNS alias or descriptor) */
const ORACLE_JDBC = /(jdbc:oracle:[a-z0-9]+:)([^/\s@:]*)\/("[^"]*"|[^\s@]*)@/gi;
/** Oracle easy connect without the jdbc prefix (or after a cut one, `…thin:user/password@…`): `user/password@//host`, `user/password@host:port…`, `user/password@(DESCRIPTION=…`; not an image reference with a digest (`org/image:tag@sha256:…`) */
const ORACLE_EZCONNECT = /(^|[\s"'=(,:])([A-Za-z0-9_$#.-]+)\/("[^"]*"|[^\s@"/]+)@(?!sha(?:256|384|512):)(?=\/\/|\(|[A-Za-z0-9.-]+:\d)/g;
/** `password = "…"`, `"db.password": "…"` (also as a JSON string quotes it: `\"password\": \"…\"`), `CORDA_DB_PASSWORD=…`, `secret: …` in free text (not a path: `/etc/passwd: …`) */
const KEY_VALUE =
  /((?<![\w./\\-])[\w.-]*(?:password|passwd|passphrase|secret|pwd|token)[\w-]*\\?["']?[ \t]*[=:][ \t]*)(?!\[REDACTED\])("(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s,;&}\])]+)/gi;

let compiled: { key: string; re?: RegExp; exact: Set<string> } | undefined;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(extra: readonly string[]): { re?: RegExp; exact: Set<string> } {
  const key = `${registeredVersion}|${extra.length}|${extra.join('\u0000')}`;
  if (compiled && compiled.key === key) return compiled;
  const uniq = [...new Set([...registered, ...extra.filter((s) => typeof s === 'string' && s !== '')])];
  const long = uniq.filter((s) => s.length >= MIN_SUBSTRING_SECRET).sort((a, b) => b.length - a.length);
  compiled = { key, re: long.length ? new RegExp(long.map(escapeRe).join('|'), 'g') : undefined, exact: new Set(uniq) };
  return compiled;
}

function redactBase64Pem(run: string): string {
  const decoded = Buffer.from(run.replace(/\s+/g, ''), 'base64').toString('latin1');
  return /PRIVATE KEY/.test(decoded) ? REDACTED : run;
}

/** The patterns alone (no secret list): what any text gets, even before a descriptor was read. */
function redactPatterns(text: string): string {
  let out = text;
  if (out.includes('PRIVATE KEY')) out = out.replace(PRIVATE_KEY_BLOCK, REDACTED);
  if (out.includes('LS0tLS1CRUdJTi')) out = out.replace(BASE64_PEM, redactBase64Pem);
  if (out.includes('://')) out = out.replace(URL_USERINFO, `$1$2:${REDACTED}@`);
  if (out.includes('@')) out = out.replace(BARE_USERINFO, `$1$2:${REDACTED}@`);
  if (out.includes('=')) out = out.replace(URL_PARAM, `$1${REDACTED}`);
  if (out.includes('@')) {
    out = out.replace(ORACLE_JDBC, `$1$2/${REDACTED}@`);
    out = out.replace(ORACLE_EZCONNECT, `$1$2/${REDACTED}@`);
  }
  if (/password|passwd|passphrase|secret|pwd|token/i.test(out)) out = out.replace(KEY_VALUE, `$1${REDACTED}`);
  return out;
}

function redactWith(text: string, c: { re?: RegExp; exact: Set<string> }): string {
  if (c.exact.has(text)) return REDACTED;
  let out = redactPatterns(text);
  if (c.re) out = out.replace(c.re, REDACTED);
  return out;
}

/**
 * Credentials and keys by pattern only (URLs with a password, connection-string passwords, PEM private keys,
 * `password = …`): pure, for checks that render a URL into a verdict.
 */
export function redactCredentials(text: string): string {
  return redactPatterns(text);
}

/** Redact one string: the patterns, every registered secret and `secrets`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return redactWith(text, compile(secrets));
}

/** Kept for callers that name the secrets explicitly; the same as `redactText`. */
export function redactString(text: string, secrets: readonly string[]): string {
  return redactText(text, secrets);
}

/**
 * For messages that quote input (`InputError` applies it to every problem): a problem quotes the input it could not read; an operator who pasted a private key into the wrong file would see
 * its lines again. A run of 20 or more base64 characters with upper case, lower case and digits in it (what a line of
 * a key, a token or a certificate body looks like, and what no field name, number or address does) is hidden.
 */
const KEY_LIKE = /(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{20,}={0,2}(?![A-Za-z0-9+/=])/g;
export function hideKeyLike(text: string): string {
  return text.replace(KEY_LIKE, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) ? '[key-like text hidden]' : run));
}

/** Whether a text holds private key material (a PEM private key block, or base64 of one). */
export function holdsPrivateKey(text: string): boolean {
  if (/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/.test(text)) return true;
  if (/PuTTY-User-Key-File-\d/.test(text)) return true;
  if (!text.includes('LS0tLS1CRUdJTi')) return false;
  for (const m of text.matchAll(BASE64_PEM)) if (redactBase64Pem(m[0]) === REDACTED) return true;
  return false;
}

/**
 * A deep copy of `value` with secrets and the patterns above replaced by `[REDACTED]`. Plain objects and arrays
 * are copied; other objects (Dates, Buffers) are returned as they are. Cycles are preserved.
 * With `redactKeys`, values under secret-looking keys (`SECRET_KEY`) are redacted too.
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
