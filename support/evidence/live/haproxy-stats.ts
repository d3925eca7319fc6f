/**
 * The load balancer's own view of its backends, from HAProxy: the runtime API (`show stat` on a unix socket or a
 * TCP address) or the stats page's CSV export (`GET <stats uri>;csv`). Both are reads: `show stat` is the only
 * command the observation sends, and the stats page is fetched with GET.
 */
import { createConnection } from 'node:net';
import { BrokenError } from '../../errors.ts';
import { httpCall } from '../../drills/http-client.ts';

/** Send one command to the runtime API (a unix socket path, or host and port) and return its answer. */
export function runtimeApi(api: string | { host: string; port: number }, command: string, timeoutMs = 2000): Promise<string> {
  const where = typeof api === 'string' ? api : `${api.host}:${api.port}`;
  return new Promise((resolve, reject) => {
    const sock = typeof api === 'string' ? createConnection(api) : createConnection({ host: api.host, port: api.port });
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new BrokenError(`HAProxy runtime API at ${where} did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(out);
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(new BrokenError(`HAProxy runtime API at ${where}: ${err.message}`, { cause: err }));
    });
  });
}

/** One server row of `show stat`: its backend (`pxname`), name (`svname`), health (`status`) and address (`addr`). */
export interface StatRow {
  backend: string;
  server: string;
  status: string;
  /** `ip:port` of the server (HAProxy 1.9+), absent in older versions */
  addr?: string;
}

export function parseStatRows(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  const px = header.indexOf('pxname');
  const sv = header.indexOf('svname');
  const st = header.indexOf('status');
  const ad = header.indexOf('addr');
  if (px < 0 || sv < 0 || st < 0) throw new BrokenError(`not a HAProxy "show stat" CSV (header: ${header.slice(0, 6).join(',')})`);
  const rows: StatRow[] = [];
  for (const l of lines) {
    const cols = l.split(',');
    const server = cols[sv];
    if (server === 'FRONTEND' || server === 'BACKEND' || server === undefined) continue;
    rows.push({ backend: cols[px], server, status: cols[st], ...(ad >= 0 && cols[ad] ? { addr: cols[ad] } : {}) });
  }
  return rows;
}

/** backend → server → status */
export function parseShowStat(csv: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  for (const r of parseStatRows(csv)) (result[r.backend] ??= {})[r.server] = r.status;
  return result;
}

/**
 * A reader of the load balancer's view from `live.loadBalancerAdmin`: `tcp://host:port` (runtime API over TCP),
 * `http(s)://…` (the stats page; `;csv` is appended), or a unix socket path. `address` maps a host name to the
 * address to dial (the descriptor's `live.hosts`); it returns undefined when the name may not be dialled.
 */
export function statReader(admin: string, address: (host: string) => string | undefined, timeoutMs = 1000): () => Promise<StatRow[]> {
  const tcp = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(admin);
  if (tcp) {
    const host = tcp[1].replace(/^\[|\]$/g, '');
    const port = Number(tcp[2]);
    return async () => {
      const to = address(host);
      if (!to) throw new BrokenError(`live.loadBalancerAdmin names ${host}, which live.hosts does not map (and live.resolveNames is not true)`);
      return parseStatRows(await runtimeApi({ host: to, port }, 'show stat', timeoutMs));
    };
  }
  if (/^https?:\/\//.test(admin)) {
    const url = new URL(admin);
    return async () => {
      const to = address(url.hostname.replace(/^\[|\]$/g, ''));
      if (!to) throw new BrokenError(`live.loadBalancerAdmin names ${url.hostname}, which live.hosts does not map (and live.resolveNames is not true)`);
      const target = new URL(url);
      target.hostname = to.includes(':') ? `[${to}]` : to;
      const a = await httpCall(`${target.toString().replace(/;csv$/, '')};csv`, { method: 'GET', timeoutMs, tls: { servername: url.hostname } });
      if (a.status !== 200) throw new BrokenError(`the HAProxy stats page ${admin} answered HTTP ${a.status}`);
      return parseStatRows(a.body);
    };
  }
  return async () => parseStatRows(await runtimeApi(admin, 'show stat', timeoutMs));
}
