/**
 * The partition drill, which only an environment with real networks can run: the hot node is cut off from the
 * database AND from the load balancer at once (disconnected from both Docker networks). The backup must take the
 * lease, the load balancer must route to it, and at no moment may two nodes be active — in particular not when the
 * partition heals and the old hot node, which may still believe it holds the lease, is reachable again.
 *
 * Judged by CORDA-HA-01's check (key `CORDA-HA-01:partition`, `Observation.id` = `CORDA-HA-01`): that check judges
 * exactly "never more than one node accepting connections, and the serving node holds the lease", over the whole
 * timeline including the heal, which is the failure a partition can cause (a split brain). CORDA-LB-03's check
 * would be the natural judge of the takeover and its timing, but it only recognises a `stop`/`kill` fault on the
 * hot node and reports `broken` for `partition`; so the drill records the takeover itself (a `note` with
 * `failoverMs`, or `tookOver: false`), sampling past CORDA-LB-03's bound for its timings (waitInterval + probe
 * interval × unhealthy threshold + the tolerance of the settings it is given), which a test or a report can read.
 *
 * Timeline: samples (CordaSampleEvent) throughout; `fault {action: 'partition', node, networks}`; a note when the
 * backup is hot and routed; `restore {action: 'heal-partition', node}`; then the settle phase.
 */
import type { CordaFaultEvent, Timeline, TimelineEvent } from '../../evidence/model.ts';
import { plannedSetting, type Observation } from '../../drills/observation.ts';
import { CordaSampling, soleHotNode, steadyHot } from '../../drills/corda-sampler.ts';
import { failoverBoundMs, horizonPast, type CordaDrillTarget } from '../../drills/corda-drills.ts';
import type { CordaFaultInjector } from '../../drills/corda-faults.ts';
import { TimelineRecorder, sleep } from '../../drills/timeline-recorder.ts';

export interface PartitionInjector {
  /** disconnect the node from every network it serves on (database and load balancer) at once */
  partition(node: string): Promise<void>;
  /** reconnect it (same addresses) */
  heal(node: string): Promise<void>;
}

/** The judge of the partition timeline and the key it is offered under in `StartedEnvironment.observations`. */
export const PARTITION_JUDGE = 'CORDA-HA-01';
export const PARTITION_KEY = `${PARTITION_JUDGE}:partition`;

export const partitionObservation = {
  key: PARTITION_KEY,
  create(target: CordaDrillTarget, faults: CordaFaultInjector & PartitionInjector, info: { networks: string[] }): Observation {
    let queue: Promise<unknown> = Promise.resolve();
    return {
      id: PARTITION_JUDGE,
      disruptive: true,
      run: (context) => {
        const run = queue.then(() => runPartition(target, faults, info, plannedSetting('failoverToleranceMs', context)));
        queue = run.catch(() => undefined);
        return run;
      },
    };
  },
};

async function runPartition(
  target: CordaDrillTarget,
  faults: CordaFaultInjector & PartitionInjector,
  info: { networks: string[] },
  toleranceMs: number,
): Promise<Timeline> {
  const p = target.params;
  const withLb = Boolean(target.live.lbAddress);
  const steadyRun = Math.ceil((p.probeIntervalMs * p.unhealthyThreshold) / target.sampleIntervalMs) + 1;
  const settled = target.settled ?? { test: (s: Parameters<typeof steadyHot>[0]) => steadyHot(s, withLb) !== null, consecutive: steadyRun };
  const rec = new TimelineRecorder(PARTITION_KEY);
  const sampling = new CordaSampling(rec, target.live, target.sampleIntervalMs, target.timeouts);
  const note = (message: string, extra: Record<string, unknown> = {}) => rec.record({ kind: 'note', message, ...extra });
  const [a, b] = target.pair;
  sampling.start();
  const params: Record<string, unknown> = { sampleIntervalMs: target.sampleIntervalMs, partition: { networks: info.networks } };
  let hot = a;
  let partitioned = false;
  try {
    const first = await sampling.next(2000);
    if (first?.leaseHolder === a || first?.leaseHolder === b) hot = first.leaseHolder;
    else if (first && !first.nodes[a]?.p2p && first.nodes[b]?.p2p) hot = b;
    const cold = hot === a ? b : a;
    Object.assign(params, { hotNode: hot, coldNode: cold });
    await sleep(Math.max(500, p.probeIntervalMs * p.unhealthyThreshold));

    const expected = failoverBoundMs(p, toleranceMs);
    const bound = horizonPast(expected);
    params.horizonMs = bound;
    const fault = rec.record<CordaFaultEvent>({ kind: 'fault', action: 'partition', node: hot, networks: info.networks });
    partitioned = true;
    await faults.partition(hot);
    (fault as TimelineEvent).completedAt = Math.round(rec.now());

    const routed = await sampling.waitFor((s) => steadyHot(s, withLb) === cold, bound, 2);
    if (routed) note(`${cold} hot and routed ${routed.t - fault.t} ms after ${hot} was partitioned`, { tookOver: true, failoverMs: routed.t - fault.t, expectedMs: expected });
    else note(`${cold} not hot and routed within ${bound} ms of the partition`, { tookOver: false, expectedMs: expected });

    // Keep the partition until the old hot node must have noticed (a refresh failed: updateInterval plus the
    // database timeout), so the heal tests whether it really stepped down.
    await sleep(Math.max(1000, 3 * p.updateIntervalMs));
    const before = faults.exits(hot);
    const heal = rec.record({ kind: 'restore', action: 'heal-partition', node: hot });
    partitioned = false;
    await faults.heal(hot);
    heal.completedAt = Math.round(rec.now());
    // reachable again: it must come back cold (a failed claim = one more exit), never serving beside the new hot node
    const deadline = Date.now() + target.startAllowanceMs + 2 * p.waitIntervalMs;
    while (Date.now() < deadline && faults.exits(hot) <= before + 1) await sleep(target.sampleIntervalMs);
    await sleep(Math.max(500, p.probeIntervalMs * p.unhealthyThreshold));
    const last = sampling.latest;
    note(`after the heal: ${last ? (soleHotNode(last) ?? 'no single hot node') : 'no sample'} serving; ${hot} exited ${faults.exits(hot) - before} time(s) since`);
  } finally {
    try {
      if (partitioned) await faults.heal(hot).catch(() => undefined);
      note('settling: undoing faults and waiting for the steady state');
      await faults.resetAll();
      const s = await sampling.waitFor(settled.test, target.settleBoundMs, settled.consecutive);
      note(s ? 'steady' : `not steady within ${target.settleBoundMs} ms`, { steady: Boolean(s) });
    } finally {
      await sampling.stop();
    }
  }
  return rec.timeline(params);
}
