/** Reading Corda drill timelines (see the timeline contracts in evidence/model.ts). Pure. */
import type { CordaFaultEvent, CordaSampleEvent, Evidence, Timeline } from '../evidence/model.ts';
import { noCorda, noTimeline, num, timelineOf } from './common.ts';
import { verdict, type Verdict } from './types.ts';

export type Traffic = 'p2p' | 'rpc' | 'web';
export const TRAFFIC: Traffic[] = ['p2p', 'rpc', 'web'];

/** samples that carry the per-node port observations; a sample that recorded an `error` instead is left out */
export function cordaSamples(tl: Timeline): CordaSampleEvent[] {
  return tl.events
    .filter((e) => e.kind === 'sample' && e.nodes && typeof e.nodes === 'object' && e.error === undefined)
    .sort((a, b) => a.t - b.t) as CordaSampleEvent[];
}

/** samples whose observation failed (`error` set): the harness could not look at that moment */
export function failedSamples(tl: Timeline): Array<{ t: number; error: string }> {
  return tl.events
    .filter((e) => e.kind === 'sample' && e.error !== undefined)
    .map((e) => ({ t: e.t, error: String(e.error) }));
}

export function cordaFaults(tl: Timeline): CordaFaultEvent[] {
  return tl.events.filter((e) => e.kind === 'fault').sort((a, b) => a.t - b.t) as CordaFaultEvent[];
}

export function portsOpen(p: { p2p: boolean; rpc: boolean; web: boolean } | undefined): Traffic[] {
  if (!p) return [];
  return TRAFFIC.filter((t) => p[t] === true);
}

/** a node serves when any of its own ports accepts a connection */
export function servingNodes(s: CordaSampleEvent): string[] {
  return Object.entries(s.nodes)
    .filter(([, p]) => portsOpen(p).length > 0)
    .map(([name]) => name)
    .sort();
}

export function describeServing(s: CordaSampleEvent): string {
  return Object.entries(s.nodes)
    .filter(([, p]) => portsOpen(p).length > 0)
    .map(([name, p]) => `${name} (${portsOpen(p).join('/')})`)
    .join(' and ');
}

/** HAProxy reports `UP`, `UP 1/2` (failing, still in rotation), `DOWN`, `DOWN 1/2`, `MAINT`, `NOLB` */
export function isUp(state: string | undefined): boolean {
  return typeof state === 'string' && /^up\b/i.test(state.trim());
}

/** the traffic types the load balancer's routing was observed for in at least one sample */
export function observedTraffic(samples: CordaSampleEvent[]): Traffic[] {
  return TRAFFIC.filter((t) => samples.some((s) => s.routed && t in s.routed));
}

export interface CordaParams {
  waitIntervalMs?: number;
  updateIntervalMs?: number;
  probeIntervalMs?: number;
  unhealthyThreshold?: number;
  toleranceMs: number;
  hotNode?: string;
  coldNode?: string;
  /** where each value came from when it was not in the drill's params */
  fallbacks: string[];
}

/**
 * The drill's parameters, falling back on the static evidence (node.conf intervals, the load balancer's probes)
 * and the settings, and saying so.
 */
export function cordaParams(tl: Timeline, evidence: Evidence): CordaParams {
  const p = tl.params ?? {};
  const fallbacks: string[] = [];
  const nodes = evidence.corda?.nodes ?? [];
  const fromConf = (key: 'waitInterval' | 'updateInterval'): number | undefined => {
    const values = nodes.map((n) => n.mutualExclusion?.[key]).filter((v): v is number => typeof v === 'number');
    return values.length ? Math.max(...values) : undefined;
  };
  let waitIntervalMs = num(p.waitIntervalMs);
  if (waitIntervalMs === undefined && (waitIntervalMs = fromConf('waitInterval')) !== undefined) fallbacks.push('waitInterval from node.conf');
  let updateIntervalMs = num(p.updateIntervalMs);
  if (updateIntervalMs === undefined && (updateIntervalMs = fromConf('updateInterval')) !== undefined)
    fallbacks.push('updateInterval from node.conf');
  const probes = evidence.corda?.loadBalancer?.probes ?? [];
  let probeIntervalMs = num(p.probeIntervalMs);
  if (probeIntervalMs === undefined && probes.length) {
    probeIntervalMs = Math.max(...probes.map((x) => x.intervalSeconds * 1000));
    fallbacks.push('probe interval from the load balancer configuration');
  }
  let unhealthyThreshold = num(p.unhealthyThreshold);
  if (unhealthyThreshold === undefined && probes.length) {
    unhealthyThreshold = Math.max(...probes.map((x) => x.unhealthyThreshold));
    fallbacks.push('unhealthy threshold from the load balancer configuration');
  }
  let toleranceMs = num(p.toleranceMs);
  if (toleranceMs === undefined) {
    toleranceMs = evidence.settings.failoverToleranceMs;
    fallbacks.push('tolerance from settings.failoverToleranceMs');
  }
  return {
    waitIntervalMs,
    updateIntervalMs,
    probeIntervalMs,
    unhealthyThreshold,
    toleranceMs,
    hotNode: typeof p.hotNode === 'string' ? p.hotNode : undefined,
    coldNode: typeof p.coldNode === 'string' ? p.coldNode : undefined,
    fallbacks,
  };
}

/**
 * The recorded Corda timeline of check `id` and its usable samples, or the verdict to return when there is none:
 * skipped (no timeline, or no Corda deployment) or broken (a timeline without one usable sample).
 */
export function cordaTimeline(
  evidence: Evidence,
  id: string,
  what: 'drill' | 'sampling',
): { tl: Timeline; samples: CordaSampleEvent[] } | { verdict: Verdict } {
  const tl = timelineOf(evidence, id);
  if (!tl) return { verdict: evidence.corda ? noTimeline(id, what) : noCorda(id) };
  const samples = cordaSamples(tl);
  if (!samples.length) {
    const failed = failedSamples(tl);
    return {
      verdict: verdict.broken(id, `the ${id} timeline has no usable samples${failed.length ? `: ${failed.length} samples recorded errors, e.g. ${failed[0].error}` : ''}`, {
        events: tl.events?.length ?? 0,
      }),
    };
  }
  return { tl, samples };
}
