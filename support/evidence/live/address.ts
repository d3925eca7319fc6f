/**
 * Where the live collectors may send traffic: only where the descriptor's `live` section says.
 *
 * - A host name is dialled at its `live.hosts` address, or through the machine's resolver when the operator allows
 *   it (`live.resolveNames: true`); otherwise not at all.
 * - An IP address written in the static part of the descriptor (a Corda machine, a load balancer, an operations
 *   URL) is dialled only when the live section names it too (a `live.hosts` key or value): a descriptor that
 *   describes 10.0.0.4 does not by itself let the harness connect there.
 * - An endpoint written in the live section itself (`live.database.host`, `live.loadBalancerAdmin`, the local
 *   environment's `live.fabricOrdering` URLs) is dialled as written when it is an IP address.
 */
import { isIP } from 'node:net';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { resolveHost } from './tls.ts';

const bare = (host: string) => host.trim().replace(/^\[|\]$/g, '').toLowerCase();

/** The address to dial for a host name, or undefined when the descriptor does not let the harness dial it. */
export function addressOf(d: TargetDescriptor, name: string): string | undefined {
  if (d.live.hosts?.[name]) return d.live.hosts[name];
  return d.live.resolveNames === true ? resolveHost(undefined, name) : undefined;
}

/** The address to dial for a host of the descriptor's static part: an IP the live section names, or a name (`addressOf`). */
export function dialAddress(d: TargetDescriptor, host: string): string | undefined {
  const h = bare(host);
  if (!isIP(h)) return addressOf(d, host.trim());
  const named = Object.entries(d.live.hosts ?? {}).flatMap(([k, v]) => [bare(k), bare(v)]);
  if (!named.includes(h)) return undefined;
  return d.live.hosts?.[h] ?? h;
}

/** The address to dial for an endpoint written in the live section itself: an IP as written, a name (`addressOf`). */
export function liveEndpoint(d: TargetDescriptor, host: string): string | undefined {
  const h = bare(host);
  return isIP(h) ? h : addressOf(d, host.trim());
}

/** Why `host` (the value of `field`) is not dialled, for a skip reason. */
export function notDialled(field: string, host: string): string {
  return `${field} ${host} is not an address the descriptor's live section lets the harness dial (live.hosts, or live.resolveNames: true for names): observations connect only where it says`;
}
