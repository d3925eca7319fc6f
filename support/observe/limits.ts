/**
 * How gentle an observation is, by construction. An observation window samples a running deployment that may be
 * production, so its rate, its length and the connections it holds are bounded here, not left to the caller:
 *
 * | bound | value | why |
 * |---|---|---|
 * | window | default 30 s; 1 s to 15 min | long enough to see a lease refresh or two; never an open-ended load |
 * | sampling period | 100 ms (at most 10 samples a second); never below 50 ms | a Corda lease is refreshed every few seconds: an overlap lasts longer than that |
 * | samples in flight | 3: a tick that finds 3 still running is skipped | a slow endpoint thins the samples (the report shows the largest gap) instead of piling up connections |
 * | probes through the load balancer | one per traffic type at a time | a backend that holds a connection open costs one connection, not one per sample |
 * | database | one session for the window, queries one after the other (SELECT only) | |
 * | connect timeout (a node's port) | 300 ms; through the load balancer 1 s | |
 *
 * So at most `3 × (3 × nodes + 1) + 3 + 1` connections are open at once: 3 samples in flight, each with a TCP
 * connect to every node's P2P, RPC and web port and one read of the load balancer's view; one probe per traffic
 * type through the load balancer; one database session. For a pair: 25.
 */
import { InputError } from '../errors.ts';

export const OBSERVATION_LIMITS = {
  defaultWindowMs: 30_000,
  minWindowMs: 1_000,
  maxWindowMs: 15 * 60_000,
  sampleIntervalMs: 100,
  minSampleIntervalMs: 50,
  maxSampleIntervalMs: 5_000,
  maxInFlight: 3,
  connectTimeoutMs: 300,
  routedTimeoutMs: 1_000,
} as const;

/** connections open at once, at most, while observing `nodes` Corda nodes (see the table above) */
export function maxConnections(nodes: number): number {
  return OBSERVATION_LIMITS.maxInFlight * (3 * nodes + 1) + 3 + 1;
}

/**
 * A duration as an operator writes it: `30s`, `1.5m`, `500ms`, or a bare number of seconds. Undefined when the
 * text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
}

/** A window length checked against the bounds; `where` names the flag or variable it came from. */
export function observationWindow(text: string | undefined, where: string): number {
  if (text === undefined || text === '') return OBSERVATION_LIMITS.defaultWindowMs;
  const ms = parseDuration(text);
  const { minWindowMs, maxWindowMs } = OBSERVATION_LIMITS;
  if (ms === undefined) throw new InputError(where, '', `expected a duration such as 30s, 2m or 500ms, got ${JSON.stringify(text)}`);
  if (ms < minWindowMs || ms > maxWindowMs) {
    throw new InputError(where, '', `an observation window is ${minWindowMs / 1000} s to ${maxWindowMs / 60_000} min, got ${text} (${ms} ms)`);
  }
  return ms;
}

/** The sampling period, clamped to the bounds (a setting outside them is raised or lowered, and the report says which it used). */
export function samplingPeriod(ms: number | undefined): number {
  const { sampleIntervalMs, minSampleIntervalMs, maxSampleIntervalMs } = OBSERVATION_LIMITS;
  if (ms === undefined || !Number.isFinite(ms)) return sampleIntervalMs;
  return Math.min(maxSampleIntervalMs, Math.max(minSampleIntervalMs, Math.round(ms)));
}
