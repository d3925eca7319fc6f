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

/**
 * How a timeline was sampled, for every report: how many samples, over how long, the largest gap between two
 * samples, and for an observation window its length as asked and as run.
 */
export interface SamplingFacts {
  samples: number;
  spanMs: number;
  maxGapMs: number;
  /** samples per second over the span */
  perSecond: number;
  /** 'observation' for a window that injected nothing, 'drill' otherwise */
  mode: 'observation' | 'drill';
  windowMs?: number;
  observedMs?: number;
  endedBy?: string;
  sampleIntervalMs?: number;
}

export function samplingFacts(tl: Timeline, samples: CordaSampleEvent[] = cordaSamples(tl)): SamplingFacts {
  const spanMs = samples.length ? samples[samples.length - 1].t - samples[0].t : 0;
  let maxGapMs = 0;
  for (let i = 1; i < samples.length; i++) maxGapMs = Math.max(maxGapMs, samples[i].t - samples[i - 1].t);
  const p = tl.params ?? {};
  const facts: SamplingFacts = {
    samples: samples.length,
    spanMs,
    maxGapMs,
    perSecond: spanMs > 0 ? Math.round(((samples.length - 1) / spanMs) * 10_000) / 10 : 0,
    mode: p.mode === 'observation' ? 'observation' : 'drill',
  };
  if (num(p.windowMs) !== undefined) facts.windowMs = num(p.windowMs);
  if (num(p.observedMs) !== undefined) facts.observedMs = num(p.observedMs);
  if (typeof p.endedBy === 'string') facts.endedBy = p.endedBy;
  if (num(p.sampleIntervalMs) !== undefined) facts.sampleIntervalMs = num(p.sampleIntervalMs);
  return facts;
}

/** "observation window 10 s (ended early after 4.2 s): 97 samples over 9.9 s, 9.8/s, largest gap 140 ms" */
export function describeSampling(f: SamplingFacts): string {
  const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const window =
    f.mode === 'observation' && f.windowMs !== undefined
      ? `observation window ${s(f.windowMs)}${f.endedBy === 'signal' && f.observedMs !== undefined ? ` (ended early after ${s(f.observedMs)})` : ''}, nothing injected: `
      : '';
  return `${window}${f.samples} samples over ${f.spanMs} ms (${f.perSecond}/s), largest gap ${f.maxGapMs} ms`;
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
  if (!tl) return { verdict: evidence.corda ? noTimeline(id, what, evidence) : noCorda(id) };
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
