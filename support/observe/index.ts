/**
 * Observation windows: the non-disruptive guarantees judged on any target with live access, by sampling it for a
 * while and injecting nothing.
 *
 * - CORDA-HA-01 and CORDA-LB-02: the Corda pair sampled every period (see `corda.ts` for what a sample reads), one
 *   timeline that both checks judge, exactly as they judge a drill's;
 * - FAB-ORD-07: the ordering nodes' own round-trip counters read at the window's start and end (the means of the
 *   window), or the operator's measurement file.
 *
 * `observeDeployment` is a plain function of a descriptor and its static evidence: it opens what it needs, samples
 * for the window (or until `signal` aborts), closes everything and returns live evidence, so a caller may call it
 * again and again (`ha-validate --live --observe`, the `existing` Cucumber environment, a continuous `serve`).
 * Its bounds (rate, window, connections) are in `limits.ts`.
 */
import type { CordaSampleEvent, Evidence, LiveEvidence, Timeline } from '../evidence/model.ts';
import type { TargetDescriptor } from '../descriptor/types.ts';
import { TimelineRecorder, startSampler, type EventBody } from '../drills/timeline-recorder.ts';
import { sampleCorda, type CordaSampleBody } from '../drills/corda-sampler.ts';
import { startRoundTrips } from '../evidence/live/round-trips.ts';
import { cordaObservationTarget } from './corda.ts';
import { OBSERVATION_LIMITS, maxConnections, samplingPeriod } from './limits.ts';

export { cordaObservationTarget } from './corda.ts';

export interface ObserveOptions {
  /** the window, ms (checked by `observationWindow`) */
  windowMs: number;
  /** the sampling period, ms (clamped to the bounds of `limits.ts`) */
  sampleIntervalMs?: number;
  /** ends the window early (Ctrl-C, an environment stopping): what was observed so far is returned */
  signal?: AbortSignal;
  /** the guarantee IDs wanted (CORDA-HA-01, CORDA-LB-02, FAB-ORD-07); all when absent */
  only?: string[];
  /** progress lines */
  log?: (line: string) => void;
}

export interface ObservationResult {
  /** timelines (CORDA-HA-01, CORDA-LB-02), round trips, and why a guarantee could not be observed */
  live: Partial<LiveEvidence>;
  /** the window as it ran */
  windowMs: number;
  /** ms from the start of sampling to the moment it stopped launching samples */
  observedMs: number;
  endedBy: 'window' | 'signal';
}

function wanted(options: ObserveOptions, id: string): boolean {
  return !options.only || options.only.includes(id);
}

/** Resolves after `ms`, or as soon as `signal` aborts; says which. */
function windowEnd(ms: number, signal?: AbortSignal): Promise<'window' | 'signal'> {
  if (signal?.aborted) return Promise.resolve('signal');
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('window'), ms);
    const onAbort = () => finish('signal');
    function finish(why: 'window' | 'signal') {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(why);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Observe a deployment for one window. Read-only: connections, TLS handshakes, GETs, `show stat` and SELECTs.
 * Throws InputError only for bad input (an unreadable measurement file); an endpoint that does not answer is an
 * observation (recorded in the samples), not an error.
 */
export async function observeDeployment(d: TargetDescriptor, evidence: Evidence, options: ObserveOptions): Promise<ObservationResult> {
  const log = options.log ?? (() => undefined);
  const intervalMs = samplingPeriod(options.sampleIntervalMs);
  const live: Partial<LiveEvidence> = { timelines: {}, unobserved: {} };
  const corda = evidence.corda && (wanted(options, 'CORDA-HA-01') || wanted(options, 'CORDA-LB-02')) ? cordaObservationTarget(d, evidence.corda) : undefined;
  const trips = evidence.fabric && wanted(options, 'FAB-ORD-07') ? await startRoundTrips(d) : undefined;
  const sampling = corda && !corda.unobserved['CORDA-HA-01'];
  const rec = new TimelineRecorder('observation');
  const nodeCount = corda?.live.nodes().length ?? 0;
  if (sampling) {
    rec.record({ kind: 'note', message: `observation window of ${options.windowMs} ms, a sample every ${intervalMs} ms; nothing is injected` });
  }
  const sampler = sampling
    ? startSampler(
        rec,
        intervalMs,
        async (t) => {
          const body: CordaSampleBody = await sampleCorda(corda.live, { connectMs: OBSERVATION_LIMITS.connectTimeoutMs, routedMs: OBSERVATION_LIMITS.routedTimeoutMs });
          rec.record<CordaSampleEvent>(body as EventBody<CordaSampleEvent>, t);
        },
        OBSERVATION_LIMITS.maxInFlight,
      )
    : undefined;
  const what = [sampling ? `the Corda pair (${nodeCount} nodes)` : '', trips?.windowed ? "the ordering nodes' round trips" : ''].filter(Boolean);
  // nothing that needs the window (only a measurement file, or nothing the descriptor lets it dial): no reason to wait
  log(what.length ? `observing ${what.join(' and ')} for ${options.windowMs} ms` : 'nothing to sample over a window here: not waiting');
  const endedBy = what.length ? await windowEnd(options.windowMs, options.signal) : 'window';
  const observedMs = Math.round(rec.now());
  await sampler?.stop();
  await corda?.close();
  if (sampling) {
    rec.record({ kind: 'note', message: endedBy === 'window' ? `window over after ${observedMs} ms` : `ended early after ${observedMs} ms (interrupted)` });
    const timeline: Timeline = rec.timeline({
      mode: 'observation',
      windowMs: options.windowMs,
      observedMs,
      endedBy,
      sampleIntervalMs: intervalMs,
      maxInFlight: OBSERVATION_LIMITS.maxInFlight,
      maxConnections: maxConnections(nodeCount),
      timeouts: { connectMs: OBSERVATION_LIMITS.connectTimeoutMs, routedMs: OBSERVATION_LIMITS.routedTimeoutMs },
      reads: corda.reads,
    });
    if (wanted(options, 'CORDA-HA-01')) live.timelines!['CORDA-HA-01'] = timeline;
    if (wanted(options, 'CORDA-LB-02') && !corda.unobserved['CORDA-LB-02']) live.timelines!['CORDA-LB-02'] = timeline;
  }
  for (const [id, why] of Object.entries(corda?.unobserved ?? {})) if (wanted(options, id)) live.unobserved![id] = why;
  if (trips) {
    const t = await trips.finish();
    Object.assign(live, { ...t, unobserved: { ...live.unobserved, ...(t.unobserved ?? {}) } });
  }
  return { live, windowMs: options.windowMs, observedMs, endedBy };
}
