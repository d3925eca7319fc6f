/**
 * Where the live collectors may send traffic: only where the descriptor says. A host name is dialled at its
 * `live.hosts` address, or through the machine's resolver when the operator allows it (`live.resolveNames: true`);
 * otherwise not at all. An IP address written in the descriptor is dialled as it is.
 */
import { isIP } from 'node:net';
import type { TargetDescriptor } from '../../target/types.ts';
import { resolveHost } from './tls.ts';

/** The address to dial for a host name, or undefined when the descriptor does not let the harness dial it. */
export function addressOf(d: TargetDescriptor, name: string): string | undefined {
  if (d.live.hosts?.[name]) return d.live.hosts[name];
  return d.live.resolveNames === true ? resolveHost(undefined, name) : undefined;
}

/** The address to dial for a host that may be an IP address (dialled as written) or a name (`addressOf`). */
export function dialAddress(d: TargetDescriptor, host: string): string | undefined {
  const h = host.replace(/^\[|\]$/g, '');
  return isIP(h) ? h : addressOf(d, h);
}
