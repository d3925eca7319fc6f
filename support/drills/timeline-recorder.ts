/**
 * Records a drill's history (Jepsen style): every observation with its time since the drill's start (`t`, ms)
 * and its wall-clock time (`at`). The check judges the history, so the recorder never summarises or drops events.
 */
import { performance } from 'node:perf_hooks';
import type { Timeline, TimelineEvent } from '../evidence/model.ts';

/** An event as a drill hands it over: everything but the two timestamps, which the recorder adds. */
export type EventBody<E extends TimelineEvent = TimelineEvent> = Omit<E, 't' | 'at'>;

export class TimelineRecorder {
  readonly startedAt: string;
  private readonly t0: number;
  private readonly epoch0: number;
  private readonly events: TimelineEvent[] = [];

  constructor(readonly drill: string) {
    this.t0 = performance.now();
    this.epoch0 = Date.now();
    this.startedAt = new Date(this.epoch0).toISOString();
  }

  /** ms since the drill's start (monotonic clock) */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Record an event observed at `t` (default: now), and return it as recorded. */
  record<E extends TimelineEvent>(body: EventBody<E>, t: number = this.now()): E {
    const ms = Math.round(t);
    const event = { t: ms, at: new Date(this.epoch0 + ms).toISOString(), ...body } as E;
    this.events.push(event);
    return event;
  }

  /** A drill's own failure to look (not a verdict on the system): checks turn these into `broken`. */
  error(message: string, extra: Record<string, unknown> = {}): void {
    this.record({ kind: 'error', message, ...extra });
  }

  timeline(params: Record<string, unknown>): Timeline {
    // Samples run concurrently and are recorded when they finish; order the history by observation time.
    const events = [...this.events].sort((a, b) => a.t - b.t);
    return { drill: this.drill, startedAt: this.startedAt, events, params };
  }
}

export interface Sampler {
  /** stop launching samples and wait for those in flight */
  stop(): Promise<void>;
}

/**
 * Runs `sample(t)` every `intervalMs` (t = the launch time, ms since the drill's start) until stopped. A slow
 * sample does not delay the next one: up to `maxInFlight` run at once, so the spacing of observations stays at
 * the interval while an endpoint is slow to answer. Errors thrown by `sample` are recorded, never raised.
 */
export function startSampler(
  recorder: TimelineRecorder,
  intervalMs: number,
  sample: (t: number) => Promise<void>,
  maxInFlight = 4,
): Sampler {
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const tick = () => {
    if (stopped || inFlight.size >= maxInFlight) return;
    const t = recorder.now();
    const p: Promise<void> = sample(t)
      .catch((err: unknown) => recorder.error(`sampling failed: ${(err as Error).message ?? String(err)}`, {}))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Poll `probe` every `intervalMs` until it returns a value that is not undefined, or `boundMs` passes.
 * Returns the value, or undefined at the bound.
 */
export async function pollUntil<T>(boundMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = performance.now() + boundMs;
  for (;;) {
    const started = performance.now();
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() >= deadline) return undefined;
    await sleep(Math.max(0, Math.min(intervalMs - (performance.now() - started), deadline - performance.now())));
  }
}
