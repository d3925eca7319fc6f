/**
 * The Corda drills: sampling windows and fault sequences whose timelines the checks CORDA-HA-01, CORDA-HA-02,
 * CORDA-LB-02 and CORDA-LB-03 judge (timeline contract: `CordaSampleEvent` / `CordaFaultEvent` in
 * evidence/model.ts; params { hotNode, coldNode, sampleIntervalMs, horizonMs }: what the drill did, never a bound).
 * The drills record, they never judge: the checks take the deployment's intervals from its configuration evidence
 * (node.conf, the load balancer's configuration) and the tolerance from the settings. The intervals below only tell
 * a drill how long to wait, and the settings it is given (`ObservationContext`) how long it must look at least.
 *
 * Every drill ends by undoing its faults and waiting until the environment has settled (one hot node, the load
 * balancer routing to it), in a `finally`, whatever happened; that phase is sampled too and stays in the timeline.
 *
 * CORDA-HA-01 is marked disruptive: starting a duplicate of the cold node is harmless on a correct deployment,
 * but on a broken one (mutual exclusion off, two nodes sharing a machine name) it makes a second active node,
 * which is the very harm the guarantee is about. So it runs only where drills may.
 */
import type { CordaSampleEvent, Timeline } from '../evidence/model.ts';
import { plannedSetting, type Observation } from './observation.ts';
import { TimelineRecorder } from './timeline-recorder.ts';
import { BrokenError } from '../errors.ts';
import { CordaSampling, soleHotNode, steadyHot, type CordaLiveTarget, type SampleTimeouts } from './corda-sampler.ts';
import * as faults from './corda-faults.ts';
import type { CordaFaultInjector } from './corda-faults.ts';

/** The pair's timings as the environment configured them: how long a drill waits for things to happen. */
export interface CordaDrillParams {
  waitIntervalMs: number;
  updateIntervalMs: number;
  probeIntervalMs: number;
  unhealthyThreshold: number;
}

/** The drill parameters of a Corda pair's timings (the stand-in's lease intervals and the load balancer's probe). */
export function drillParams(s: { waitIntervalMs: number; updateIntervalMs: number; probeIntervalMs: number; probeFall: number }): CordaDrillParams {
  return { waitIntervalMs: s.waitIntervalMs, updateIntervalMs: s.updateIntervalMs, probeIntervalMs: s.probeIntervalMs, unhealthyThreshold: s.probeFall };
}

export interface CordaDrillTarget {
  live: CordaLiveTarget;
  faults: CordaFaultInjector;
  params: CordaDrillParams;
  /** the pair, primary first: the node the environment prefers hot when it has to choose */
  pair: [string, string];
  sampleIntervalMs: number;
  /** length of a steady sampling window */
  windowMs: number;
  /** how long to wait for the environment to settle after a drill */
  settleBoundMs: number;
  /** how long a node process takes to start and make its claim (bounds the waits on a restarted node) */
  startAllowanceMs: number;
  /**
   * The environment's steady state, as good as this deployment gets: by default one hot node alone with every
   * traffic type routed to it; a broken variant may relax it (both nodes serving, say) so drills do not wait in
   * vain. `consecutive` samples in a row must show it.
   */
  settled?: { test(s: CordaSampleEvent): boolean; consecutive: number };
  timeouts?: SampleTimeouts;
  /** aborted when the environment stops: a drill in progress ends at once (and rejects) */
  signal?: AbortSignal;
}

/**
 * The drill target of an environment running the pair: drill parameters from its settings, and the steady state
 * its deployment settles into (the reference's by default), judged through the load balancer when it has one
 * (`live.lbAddress`).
 */
export function cordaDrillTarget(
  s: Parameters<typeof drillParams>[0] & { sampleIntervalMs: number; windowMs: number; settleBoundMs: number },
  settles: CordaSteadyState | undefined,
  o: Pick<CordaDrillTarget, 'live' | 'faults' | 'startAllowanceMs' | 'timeouts' | 'signal'> & { bothMayServe?: boolean },
): CordaDrillTarget & { settled: NonNullable<CordaDrillTarget['settled']> } {
  const params = drillParams(s);
  return {
    live: o.live,
    faults: o.faults,
    params,
    pair: ['primary', 'backup'],
    sampleIntervalMs: s.sampleIntervalMs,
    windowMs: s.windowMs,
    settleBoundMs: s.settleBoundMs,
    startAllowanceMs: o.startAllowanceMs,
    settled: settledState(settles ?? 'one-hot-routed', params, s.sampleIntervalMs, Boolean(o.live.lbAddress), { bothMayServe: o.bothMayServe }),
    ...(o.timeouts ? { timeouts: o.timeouts } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

/** CORDA-LB-03's bound for these timings: waitInterval + probe interval × unhealthy threshold + tolerance. */
export function failoverBoundMs(p: CordaDrillParams, toleranceMs: number): number {
  return p.waitIntervalMs + p.probeIntervalMs * p.unhealthyThreshold + toleranceMs;
}

/** How long past the bound a drill keeps sampling, so that a late takeover is measured rather than cut off. */
export function horizonPast(boundMs: number): number {
  return boundMs + Math.max(2000, Math.round(boundMs / 2));
}

interface Running {
  rec: TimelineRecorder;
  sampling: CordaSampling;
  hot: string;
  cold: string;
  params: Record<string, unknown>;
}

/** Samples in a row that cover the load balancer's time to mark a backend down (probe interval × threshold). */
export function steadyRun(p: CordaDrillParams, sampleIntervalMs: number): number {
  return Math.ceil((p.probeIntervalMs * p.unhealthyThreshold) / sampleIntervalMs) + 1;
}

/** The default steady state: one hot node alone, every traffic type routed to it, for `steadyRun` samples. */
export function steadyState(p: CordaDrillParams, sampleIntervalMs: number, withLb: boolean): NonNullable<CordaDrillTarget['settled']> {
  return { test: (s: CordaSampleEvent) => steadyHot(s, withLb) !== null, consecutive: steadyRun(p, sampleIntervalMs) };
}

/**
 * The steady states a pair can settle into, which the drills wait for before and after a fault. The reference
 * settles with one hot node alone and every traffic type routed to it; a broken deployment may never get there, so
 * its variant (environments/variants.ts) says what it settles into instead, and the drills do not wait in vain:
 *
 * - `one-hot-routed`: one node serving alone, every traffic type routed to it (`steadyRun` samples in a row);
 * - `both-serving`: both nodes serve P2P, RPC and web;
 * - `none-serving`: no node serves anything;
 * - `one-hot`: one node serving alone, wherever traffic goes (`bothMayServe`: or both nodes serving P2P, where
 *   both can hold one lease identity at once, as two containers can);
 * - `one-hot-p2p-rpc-routed`: one node serving alone with P2P and RPC routed to it (a web backend that never goes
 *   DOWN cannot tell the steady state).
 */
export type CordaSteadyState = 'one-hot-routed' | 'both-serving' | 'none-serving' | 'one-hot' | 'one-hot-p2p-rpc-routed';

type Settled = NonNullable<CordaDrillTarget['settled']>;

/** The test and run length of a steady state for these timings. */
export function settledState(
  state: CordaSteadyState,
  p: CordaDrillParams,
  sampleIntervalMs: number,
  withLb: boolean,
  options: { bothMayServe?: boolean } = {},
): Settled {
  const serving = (x: CordaSampleEvent, n: string) => Boolean(x.nodes[n]?.p2p && x.nodes[n]?.rpc && x.nodes[n]?.web);
  const both = (x: CordaSampleEvent) => ['primary', 'backup'].every((n) => x.nodes[n]?.p2p);
  const states: Record<CordaSteadyState, () => Settled> = {
    'one-hot-routed': () => steadyState(p, sampleIntervalMs, withLb),
    'both-serving': () => ({ test: (x) => ['primary', 'backup'].every((n) => serving(x, n)), consecutive: 1 }),
    'none-serving': () => ({ test: (x) => Object.values(x.nodes).every((n) => !n.p2p && !n.rpc && !n.web), consecutive: 1 }),
    'one-hot': () => ({ test: (x) => soleHotNode(x) !== null || (Boolean(options.bothMayServe) && both(x)), consecutive: 1 }),
    'one-hot-p2p-rpc-routed': () => ({
      test: (x) => {
        const hot = soleHotNode(x);
        return hot !== null && (!withLb || (x.routed?.p2p === hot && x.routed?.rpc === hot));
      },
      consecutive: steadyRun(p, sampleIntervalMs),
    }),
  };
  return states[state]();
}

export function cordaObservations(target: CordaDrillTarget): Record<string, Observation> {
  const withLb = Boolean(target.live.lbAddress);
  const p = target.params;
  const settled = target.settled ?? steadyState(p, target.sampleIntervalMs, withLb);
  const note = (rec: TimelineRecorder, message: string, extra: Record<string, unknown> = {}) => rec.record({ kind: 'note', message, ...extra });

  // One drill at a time: they share the environment.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const signal = target.signal;
  const aborted = () => {
    if (signal?.aborted) throw new BrokenError('the environment was stopped during the drill');
  };
  /** sleep, cut short when the environment stops */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }).then(aborted);

  /**
   * Wait for the steady state (sampled apart, not recorded: the timeline starts steady), then start recording.
   * The hot node is the one the lease names, or the one serving alone.
   */
  async function begin(id: string): Promise<Running> {
    aborted();
    const scratch = new CordaSampling(new TimelineRecorder(`${id} steady-state check`), target.live, target.sampleIntervalMs, target.timeouts);
    const onAbort = () => void scratch.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    scratch.start();
    const steady = await scratch.waitFor(settled.test, target.settleBoundMs, settled.consecutive);
    const last = scratch.latest;
    await scratch.stop();
    signal?.removeEventListener('abort', onAbort);
    aborted();
    const rec = new TimelineRecorder(id);
    const sampling = new CordaSampling(rec, target.live, target.sampleIntervalMs, target.timeouts);
    sampling.start();
    if (!steady) note(rec, `not steady within ${target.settleBoundMs} ms before the drill; recording anyway`, { steady: false });
    const [a, b] = target.pair;
    const holder = last?.leaseHolder;
    const hot = holder === a || holder === b ? holder : last && soleHotNode(last) === b ? b : a;
    const cold = hot === a ? b : a;
    return { rec, sampling, hot, cold, params: { hotNode: hot, coldNode: cold, sampleIntervalMs: target.sampleIntervalMs } };
  }

  /**
   * Inject a fault from a steady state: wait until the samples show it, then let the samples in flight finish, so
   * that the last sample before the fault is a complete observation of that state.
   */
  async function fromSteady<T>(r: Running, inject: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + target.settleBoundMs;
    for (;;) {
      const ok = await r.sampling.waitFor(settled.test, Math.max(0, deadline - Date.now()), settled.consecutive);
      aborted();
      if (!ok) {
        note(r.rec, 'not steady before the fault; injecting it anyway', { steady: false });
        await r.sampling.pause();
        break;
      }
      await r.sampling.pause();
      if (r.sampling.latest && settled.test(r.sampling.latest)) break;
      r.sampling.resume();
    }
    // the fault is recorded synchronously when `inject` starts; sampling goes on while it completes
    const injected = inject();
    r.sampling.resume();
    return injected;
  }

  /** Undo every fault, then wait for the steady state; if the load balancer cannot reach the hot node, hand the lease back to the primary. */
  async function settle(r: Running): Promise<void> {
    note(r.rec, 'settling: undoing faults and waiting for the steady state');
    await target.faults.resetAll();
    const [primary] = target.pair;
    // A backup that holds the lease alone but is not routed (a pool without it, say) will not become steady by
    // waiting: give the load balancer time to mark it up, then move the lease back to the primary.
    const stuck = (s: CordaSampleEvent) => s.leaseHolder !== primary && soleHotNode(s) === s.leaseHolder && target.pair.includes(s.leaseHolder ?? '');
    const lbTime = p.probeIntervalMs * (p.unhealthyThreshold + 1) * 4 + 2000;
    let s = await r.sampling.waitFor((x) => settled.test(x) || stuck(x), target.settleBoundMs, settled.consecutive);
    if (s && !settled.test(s)) s = await r.sampling.waitFor(settled.test, lbTime, settled.consecutive);
    const holder = r.sampling.latest?.leaseHolder;
    if (!s && holder && holder !== primary && target.pair.includes(holder)) {
      note(r.rec, `not steady with ${holder} hot: restarting ${holder} so that ${primary} takes the lease back`);
      await target.faults.stop(holder, 'SIGTERM');
      await target.faults.start(holder);
      s = await r.sampling.waitFor(settled.test, target.settleBoundMs, settled.consecutive);
    }
    note(r.rec, s ? 'steady' : `not steady within ${target.settleBoundMs} ms`, { steady: Boolean(s) });
  }

  async function drill(id: string, body: (r: Running) => Promise<void>, settleAfter = true): Promise<Timeline> {
    return exclusive(async () => {
      const r = await begin(id);
      const onAbort = () => void r.sampling.stop();
      signal?.addEventListener('abort', onAbort, { once: true });
      // The drill's own failure wins over a failure to settle afterwards; settling always runs.
      let failure: unknown;
      try {
        await body(r);
        aborted();
      } catch (err) {
        failure = err ?? new Error('drill failed');
      }
      try {
        if (settleAfter) await settle(r);
      } catch (err) {
        failure ??= err;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await r.sampling.stop();
      }
      if (failure !== undefined) throw failure;
      return r.rec.timeline(r.params);
    });
  }

  /** wait until `cond()` holds (polled every sample interval) or `boundMs` passes */
  async function until(cond: () => boolean, boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    while (Date.now() < deadline) {
      if (cond()) return true;
      await pause(target.sampleIntervalMs);
    }
    return cond();
  }

  const lbSettleMs = p.probeIntervalMs * p.unhealthyThreshold;
  const observations: Record<string, Observation> = {
    'CORDA-HA-01': {
      id: 'CORDA-HA-01',
      disruptive: true,
      run: () =>
        drill('CORDA-HA-01', async (r) => {
          await pause(target.windowMs);
          const dup = await fromSteady(r, () => faults.startDuplicate(r.rec, target.faults, r.cold));
          const name = dup.node;
          const bound = target.startAllowanceMs + 2 * p.waitIntervalMs + 1000;
          // until the duplicate has tried and given up (exited), or is seen serving: either way the answer is in
          // (the timeline has every sample; this only decides when to stop waiting)
          const serving = () => {
            const p = r.sampling.latest?.nodes[name];
            return Boolean(p && (p.p2p || p.rpc || p.web));
          };
          let served = false;
          await until(() => (served ||= serving()) || target.faults.exits(name) > 0, bound);
          if (served) note(r.rec, `${name} is serving`);
          else if (target.faults.exits(name) > 0) note(r.rec, `${name} failed to claim the lease and exited`, { exits: target.faults.exits(name) });
          else note(r.rec, `${name} neither served nor finished a claim attempt within ${bound} ms`);
          await pause(Math.max(500, lbSettleMs));
          r.params.horizonMs = bound;
          await faults.stopDuplicate(r.rec, target.faults, name);
        }),
    },
    'CORDA-HA-02': {
      id: 'CORDA-HA-02',
      disruptive: true,
      run: (context) =>
        drill('CORDA-HA-02', async (r) => {
          await pause(Math.max(500, lbSettleMs));
          // CORDA-HA-02's bound for these timings (2 × updateInterval + tolerance): how long to wait for the stop
          const bound = 2 * p.updateIntervalMs + plannedSetting('failoverToleranceMs', context);
          r.params.horizonMs = bound;
          await fromSteady(r, () => faults.cutDatabase(r.rec, target.faults, r.hot));
          const hot = r.hot;
          const stopped = await r.sampling.waitFor((s) => s.nodes[hot] !== undefined && !s.nodes[hot].p2p && !s.nodes[hot].rpc && !s.nodes[hot].web, bound, 2);
          if (!stopped) note(r.rec, `${hot} still serves ${bound} ms after its database was cut`);
          await faults.restoreDatabase(r.rec, target.faults, hot);
          // a node is hot again: the other one took the lease, or the same one came back
          await r.sampling.waitFor(settled.test, target.settleBoundMs, settled.consecutive);
        }),
    },
    'CORDA-LB-02': {
      id: 'CORDA-LB-02',
      disruptive: false,
      run: () =>
        drill(
          'CORDA-LB-02',
          async () => {
            await pause(target.windowMs);
          },
          false,
        ),
    },
    'CORDA-LB-03': {
      id: 'CORDA-LB-03',
      disruptive: true,
      run: (context) =>
        drill('CORDA-LB-03', async (r) => {
          await pause(Math.max(500, lbSettleMs));
          const bound = horizonPast(failoverBoundMs(p, plannedSetting('failoverToleranceMs', context)));
          r.params.horizonMs = bound;
          const fault = await fromSteady(r, () => faults.stopNode(r.rec, target.faults, r.hot, 'SIGTERM'));
          const cold = r.cold;
          const routed = await r.sampling.waitFor((s) => steadyHot(s, withLb) === cold, bound, 2);
          if (routed) note(r.rec, `${cold} hot and routed ${routed.t - fault.t} ms after ${r.hot} was stopped`, { failoverMs: routed.t - fault.t });
          else note(r.rec, `${cold} not hot and routed within ${bound} ms`);
          // the stopped node comes back: it must stay cold
          const before = target.faults.exits(r.hot);
          await faults.startNode(r.rec, target.faults, r.hot);
          await until(() => target.faults.exits(r.hot) > before, target.startAllowanceMs + 2 * p.waitIntervalMs);
        }),
    },
  };
  if (!withLb) {
    delete observations['CORDA-LB-02'];
    delete observations['CORDA-LB-03'];
  }
  return observations;
}
