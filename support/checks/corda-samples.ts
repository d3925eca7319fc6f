/** Reading Corda drill timelines (see the timeline contracts in evidence/model.ts). Pure. */
import type { CordaFaultEvent, CordaSampleEvent, Evidence, Timeline } from '../evidence/model.ts';
import { noCorda, noTimeline, num, timelineOf } from './common.ts';
import { settingOf, type AppliedSetting } from '../evidence/settings.ts';
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
  /** the median gap between samples (infinite with fewer than two): one stall of a loaded machine does not make
   *  the whole sampling coarse, so the sampling period is judged on this */
  medianGapMs: number;
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
  const gaps = samples.slice(1).map((s, i) => s.t - samples[i].t).sort((a, b) => a - b);
  const maxGapMs = gaps.length ? gaps[gaps.length - 1] : 0;
  const medianGapMs = gaps.length ? gaps[Math.floor(gaps.length / 2)] : Number.POSITIVE_INFINITY;
  const p = tl.params ?? {};
  const facts: SamplingFacts = {
    samples: samples.length,
    spanMs,
    maxGapMs,
    medianGapMs,
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

/** A value of the deployment's configuration and the evidence it was read from. */
export interface Configured {
  ms: number;
  /** `updateInterval 300 ms (node.conf of primary, backup)` */
  text: string;
}

/**
 * What the Corda drill checks judge against. The intervals are facts about the deployment, read from its
 * configuration evidence (node.conf, the load balancer's configuration), and the tolerance is a setting; none of them
 * comes from the drill being judged, whose `params` only say what it did (which node it found hot, which it stopped).
 */
export interface CordaBounds {
  waitInterval?: Configured;
  updateInterval?: Configured;
  /** probe interval × unhealthy threshold: how long the load balancer takes to mark a stopped node down */
  probeBudget?: Configured;
  tolerance: AppliedSetting;
  hotNode?: string;
  coldNode?: string;
  /** what is missing to compute a bound, one phrase each */
  missing: string[];
}

function nodeConfs(evidence: Evidence): string {
  const nodes = evidence.corda?.nodes ?? [];
  return nodes.length ? `node.conf of ${nodes.map((n) => n.name).join(', ')}` : 'node.conf';
}

export function cordaBounds(tl: Timeline, evidence: Evidence): CordaBounds {
  const p = tl.params ?? {};
  const nodes = evidence.corda?.nodes ?? [];
  const missing: string[] = [];
  const fromConf = (key: 'waitInterval' | 'updateInterval'): Configured | undefined => {
    const values = nodes.map((n) => n.mutualExclusion?.[key]).filter((v): v is number => typeof v === 'number');
    if (!values.length) {
      missing.push(`${key} (no enterpriseConfiguration.mutualExclusionConfiguration.${key} in the ${nodeConfs(evidence)})`);
      return undefined;
    }
    // the slower node decides how long a takeover may take
    const ms = Math.max(...values);
    return { ms, text: `${key} ${ms} ms (${nodeConfs(evidence)})` };
  };
  const out: CordaBounds = {
    waitInterval: fromConf('waitInterval'),
    updateInterval: fromConf('updateInterval'),
    tolerance: settingOf(evidence, 'failoverToleranceMs'),
    hotNode: typeof p.hotNode === 'string' ? p.hotNode : undefined,
    coldNode: typeof p.coldNode === 'string' ? p.coldNode : undefined,
    missing,
  };
  const lb = evidence.corda?.loadBalancer;
  const probes = lb?.probes ?? [];
  if (probes.length) {
    const interval = Math.max(...probes.map((x) => x.intervalSeconds * 1000));
    const threshold = Math.max(...probes.map((x) => x.unhealthyThreshold));
    out.probeBudget = { ms: interval * threshold, text: `probe interval ${interval} ms × unhealthy threshold ${threshold} (${lb!.source})` };
  } else {
    missing.push(lb ? `the probe interval and unhealthy threshold (no health probe in ${lb.source})` : 'the probe interval and unhealthy threshold (the descriptor names no load-balancer configuration)');
  }
  return out;
}

/** A bound made of parts: `2600 ms = 2 × updateInterval 300 ms (…) + tolerance 2000 ms (default)` */
export function composedBound(parts: Array<{ ms: number; text: string }>): { ms: number; text: string } {
  const ms = parts.reduce((a, b) => a + b.ms, 0);
  return { ms, text: `${ms} ms = ${parts.map((x) => x.text).join(' + ')}` };
}

export function toleranceTerm(t: AppliedSetting): { ms: number; text: string } {
  return { ms: t.value, text: `tolerance failoverToleranceMs ${t.text}` };
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
