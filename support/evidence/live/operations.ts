/**
 * A GET on a Fabric node's operations endpoint (`/metrics`, `/version`), dialled only where the descriptor's live
 * section lets the harness connect (`address.ts`). Read-only: a GET and nothing else.
 */
import { isIP } from 'node:net';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { httpCall } from '../../drills/http-client.ts';
import { dialAddress, liveEndpoint } from './address.ts';

/**
 * The body of `GET url`, or an error saying why there is none (not an address the harness may dial, no answer,
 * an HTTP status other than 200). `inLive`: the URL is written in the live section (an IP is dialled as written).
 * The TLS name verified is the URL's host, whatever address is dialled.
 */
export async function operationsGet(d: TargetDescriptor, url: string, o: { timeoutMs: number; inLive?: boolean; ca?: string[] }): Promise<string> {
  const u = new URL(url);
  const to = o.inLive ? liveEndpoint(d, u.hostname) : dialAddress(d, u.hostname);
  if (!to) throw new Error(`${u.hostname} is not an address the descriptor's live section lets the harness dial (live.hosts, or live.resolveNames: true for names)`);
  const target = new URL(u);
  target.hostname = to.includes(':') ? `[${to}]` : to;
  const a = await httpCall(target.toString(), { method: 'GET', timeoutMs: o.timeoutMs, tls: { ca: o.ca, servername: isIP(u.hostname) ? undefined : u.hostname } });
  if (a.status !== 200) throw new Error(`${url} answered HTTP ${a.status}`);
  return a.body;
}
