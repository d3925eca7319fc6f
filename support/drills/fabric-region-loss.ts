/**
 * FAB-ORD-03 drill: for each region in turn, stop every ordering node in it, watch the remaining ones elect a
 * leader (sampled every ≤ 50 ms), try to commit a write within its horizon, bring the region back and watch its
 * nodes catch up to the same height. Written against `OrderingProbe` and `OrderingFaults`, so the same drill
 * runs against etcd members locally and Fabric orderers anywhere a fault injector exists.
 *
 * Timeline (contract in model.ts): fault {action:'stop-region', region, members (all), remaining, stopped}
 * → sample {region, leader} … (from the fault on) → note {region, stopped: true} once the stop took effect →
 * write {region, ok, ms, error?} → note {region, message} → restore {region} → catch-up {region, heights, caughtUp}.
 * params: { horizonMs, regions, members, … }: what the drill did. `horizonMs` is how long it waits for a leader and a
 * write after each fault; it is not the bound (the check takes that from its settings), so it should be at least
 * the bound. A leader counts from a sample after `stopped` that the next sample (or a committed write) confirms.
 */
import type {
  CatchUpEvent,
  LeaderSampleEvent,
  RegionFaultEvent,
  RestoreEvent,
  Timeline,
  WriteEvent,
} from '../evidence/model.ts';
import { leaderOf, leadershipOf, statesOf, type MemberState, type OrderingProbe } from './ordering-probe.ts';
import { TimelineRecorder, pollUntil, sleep, startSampler } from './timeline-recorder.ts';

export interface OrderingFaults {
  /** how members are stopped, for the record (`SIGTERM`, `SIGSTOP`, `scale to 0`, …) */
  readonly method: string;
  stop(members: string[]): Promise<void>;
  start(members: string[]): Promise<void>;
}

export interface RegionLossOptions {
  probe: OrderingProbe;
  faults: OrderingFaults;
  /** region → its ordering members, in the order the regions are drilled */
  regions: Record<string, string[]>;
  /** how long to wait for a leader and a committed write after each fault, ms (at least the bound it is judged by) */
  horizonMs: number;
  /** ≤ 50 */
  sampleIntervalMs: number;
  /** how long restored members may take to catch up, and the cluster to be healthy before each fault */
  catchUpBoundMs: number;
}

const ID = 'FAB-ORD-03';

function heightsOf(states: Record<string, MemberState>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [m, s] of Object.entries(states)) if (s.height !== undefined && Number.isFinite(s.height)) out[m] = s.height;
  return out;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

export async function runRegionLossDrill(o: RegionLossOptions): Promise<Timeline> {
  const rec = new TimelineRecorder(ID);
  const all = Object.values(o.regions).flat();
  const interval = Math.min(50, o.sampleIntervalMs);
  const params = {
    horizonMs: o.horizonMs,
    regions: Object.keys(o.regions),
    members: all,
    placement: o.regions,
    sampleIntervalMs: interval,
    catchUpBoundMs: o.catchUpBoundMs,
    probe: o.probe.kind,
    channel: o.probe.channel,
    height: o.probe.heightMeaning,
    stopMethod: o.faults.method,
  };
  let stopped: { region: string; members: string[] } | undefined;
  try {
    for (const [region, members] of Object.entries(o.regions)) {
      const remaining = all.filter((m) => !members.includes(m));

      // Steady state first (Chaos Toolkit): a leader and every member at one height. Otherwise a failure
      // below would say nothing about this region.
      const steady = await pollUntil(o.catchUpBoundMs, interval, async () => {
        const states = await statesOf(o.probe, all, 'full');
        const leader = leaderOf(states);
        const heights = heightsOf(states);
        const values = Object.values(heights);
        const level = values.length === all.length && values.every((h) => h === values[0]);
        return leader && level ? { leader, heights } : undefined;
      });
      if (!steady) {
        rec.error(`before stopping region ${region}: no leader with all ${all.length} members at one height within ${o.catchUpBoundMs} ms; region not drilled`, { region });
        continue;
      }
      rec.record({ kind: 'steady', region, leader: steady.leader, heights: steady.heights });

      const fault = rec.record<RegionFaultEvent>({ kind: 'fault', action: 'stop-region', region, members: all, remaining, stopped: members, method: o.faults.method });
      stopped = { region, members };
      // Sampling starts with the fault, not after it: a graceful stop can take a while, and what the remaining
      // members do meanwhile is part of the history.
      // A leader counts once the stop has taken effect (before that the old leader still has its majority) and a
      // second sample confirms it: a claimant whose peers just died may report them active for a moment.
      let firstLeader: { leader: string; t: number } | undefined;
      let candidate: { leader: string; t: number } | undefined;
      let stopDone: number | undefined;
      const staleUntil = new Map<string, number>();
      const sampler = startSampler(rec, interval, async (t) => {
        const states = await statesOf(o.probe, remaining, 'leader');
        const { leader, stale } = leadershipOf(states);
        const unreachable = Object.values(states).filter((s) => !s.reachable).map((s) => s.member);
        // A claimant without a majority is recorded as such, not as the leader: it cannot commit.
        const staleClaims = stale.map((m) => ({ member: m, activeNodes: states[m].activeNodes, clusterSize: states[m].clusterSize }));
        rec.record<LeaderSampleEvent>(
          { kind: 'sample', region, leader, ...(staleClaims.length ? { staleClaims } : {}), ...(unreachable.length ? { unreachable } : {}) },
          t,
        );
        for (const m of stale) staleUntil.set(m, Math.max(t, staleUntil.get(m) ?? 0));
        if (stopDone === undefined || t < stopDone || firstLeader) return;
        if (leader && candidate?.leader === leader) firstLeader = candidate;
        else candidate = leader ? { leader, t } : undefined;
      });
      let w: Awaited<ReturnType<OrderingProbe['write']>>;
      try {
        await o.faults.stop(members);
        stopDone = rec.now();
        rec.record({ kind: 'note', region, stopped: true, message: `${members.join(', ')} stopped (${o.faults.method}) in ${Math.round(stopDone - fault.t)} ms` });

        // Wait for a leader up to the horizon; with none, keep sampling to it, so the history shows it.
        const deadline = fault.t + o.horizonMs;
        while (!firstLeader && rec.now() < deadline) await sleep(interval);
        const budget = Math.max(deadline - rec.now(), firstLeader ? 0 : Math.min(1000, o.horizonMs));
        const writeStart = rec.now();
        w = await o.probe.write(remaining, Math.max(budget, 250));
        rec.record<WriteEvent>(
          { kind: 'write', region, ok: w.ok, ms: w.ms, ...(w.error ? { error: w.error } : {}), ...(w.via ? { via: w.via } : {}), ...(w.height !== undefined ? { height: w.height } : {}) },
          writeStart,
        );
        // A little more history after the write, then stop sampling before the region returns.
        await sleep(interval * 2);
      } finally {
        await sampler.stop();
      }

      const what = firstLeader
        ? `after region ${region} stopped, ${firstLeader.leader} led the remaining ${remaining.length} of ${all.length} members after ${Math.round(firstLeader.t - fault.t)} ms`
        : `after region ${region} stopped, no leader among ${remaining.length} of ${all.length} members within ${seconds(o.horizonMs)}` +
          [...staleUntil].map(([m, t]) => ` (${m} still claimed leadership without a majority until ${Math.round(t - fault.t)} ms after the fault)`).join('');
      const writeWhat = w.ok ? `a write committed in ${w.ms} ms (height ${w.height})` : `a write did not commit: ${w.error}`;
      rec.record({ kind: 'note', region, message: `${what}; ${writeWhat}` });

      rec.record<RestoreEvent>({ kind: 'restore', region, members });
      await o.faults.start(members);
      stopped = undefined;

      // Catch-up: every member at the highest height seen (the write's, when it committed).
      const target = w.ok && w.height !== undefined ? w.height : undefined;
      let last: Record<string, number> = {};
      const caught = await pollUntil(o.catchUpBoundMs, interval, async () => {
        const states = await statesOf(o.probe, all, 'full');
        last = heightsOf(states);
        const values = Object.values(last);
        if (values.length !== all.length) return undefined;
        const top = Math.max(...values, target ?? 0);
        return values.every((h) => h === top) ? true : undefined;
      });
      rec.record<CatchUpEvent>({ kind: 'catch-up', region, heights: last, caughtUp: caught === true, members });
    }
  } catch (err) {
    rec.error(`the drill stopped: ${(err as Error).message}`);
  } finally {
    // Rollback always runs: whatever is still stopped comes back.
    if (stopped) {
      const { region, members } = stopped;
      rec.record<RestoreEvent>({ kind: 'restore', region, members, rollback: true });
      await o.faults.start(members).catch((err: unknown) => rec.error(`restoring ${members.join(', ')} failed: ${(err as Error).message}`, { region }));
    }
  }
  return rec.timeline(params);
}
