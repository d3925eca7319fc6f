/**
 * The hot-cold guide's load balancer as HAProxy: one frontend per traffic type on the load balancer's address,
 * each forwarding to the same port of a backend pool that holds both machines; a TCP probe for P2P and RPC and an
 * HTTP `GET /` probe for web, with the interval and thresholds of the settings; round robin (no session
 * persistence), so only the probes decide where traffic goes.
 */
import type { HaproxyConfig, Backend } from '../haproxy.ts';
import type { CordaPairSettings } from './settings.ts';

export type Traffic = 'p2p' | 'rpc' | 'web';
export const TRAFFIC: Traffic[] = ['p2p', 'rpc', 'web'];

/** HAProxy backend name per traffic type (what `show stat` reports as `pxname`) */
export const BACKEND: Record<Traffic, string> = { p2p: 'corda_p2p', rpc: 'corda_rpc', web: 'corda_web' };

export interface LbOptions {
  address: string;
  members: Array<{ name: string; machine: string }>;
  /** web probe on this port instead of the web port (the `web-probe-always-open` variant) */
  webCheckPort?: number;
}

export function cordaHaproxyConfig(s: CordaPairSettings, o: LbOptions): HaproxyConfig {
  const backends: Backend[] = TRAFFIC.map((t) => ({
    name: BACKEND[t],
    balance: 'roundrobin',
    check: {
      type: t === 'web' ? 'http' : 'tcp',
      ...(t === 'web' ? { path: '/' } : {}),
      interMs: s.probeIntervalMs,
      fall: s.probeFall,
      rise: s.probeRise,
    },
    servers: o.members.map((m) => ({
      name: m.name,
      address: m.machine,
      port: s.ports[t],
      ...(t === 'web' && o.webCheckPort ? { checkPort: o.webCheckPort } : {}),
    })),
  }));
  return {
    frontends: TRAFFIC.map((t) => ({ name: `corda_${t}_in`, address: o.address, port: s.ports[t], backend: BACKEND[t] })),
    backends,
  };
}
