/** The values of `serve`'s own flags: `--interval <duration>` and `--listen <host:port>`. */

export const DEFAULT_INTERVAL_MS = 5 * 60_000;
/** Loopback by default: serving to other machines is a decision (the Deployment passes 0.0.0.0:9464). */
export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 9464 };
export const MIN_INTERVAL_MS = 1000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1.5h`, `500ms` → milliseconds; a problem sentence otherwise. */
export function parseDuration(text: string, flag = '--interval'): number | string {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return `${flag} must be a duration such as 30s, 5m or 1h, not "${text}"`;
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  if (ms < MIN_INTERVAL_MS) return `${flag} must be at least 1s, not "${text}"`;
  return ms;
}

/** `host:port`, `[v6]:port` or a bare port (on loopback) → the address; a problem sentence otherwise. */
export function parseListen(text: string): { host: string; port: number } | string {
  const t = text.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))?:(\d+)$/.exec(t) ?? (/^\d+$/.test(t) ? [t, undefined, undefined, t] : null);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) return `--listen must be host:port (e.g. 127.0.0.1:9464 or 0.0.0.0:9464), not "${text}"`;
  return { host: m[1] ?? m[2] ?? DEFAULT_LISTEN.host, port };
}
