/**
 * FAB-ORD-12 drill: one ordering node of each region in turn is stopped and started again with its data (whatever
 * the deployment keeps for it: its volume on Kubernetes, its data directory locally), while the others commit a
 * block; then the drill watches it rejoin and catch up to the others' height. Written against `OrderingProbe` and
 * `RestartFaults`, so one drill runs against the local etcd members and Fabric orderers on kind alike.
 *
 * Timeline (contract in model.ts): steady {region, leader, heights} → fault {action:'restart', region, member,
 * method} → note {stopped: true} → write {region, member, ok, ms} → restore {region, member} → sample {region,
 * member, reachable, height?, target} … → catch-up {region, member, heights, caughtUp, ms?, target, lastState?}, or
 * exit {region, member, message} when the node stopped by itself (a Raft log it lost: "tocommit(N) is out of range").
 * params say what the drill did, `horizonMs` how long it waited for the catch-up; the bound is the check's setting.
 */
import type { RestartCatchUpEvent, RestartFaultEvent, Timeline } from '../evidence/model.ts';
import { leaderOf, statesOf, type MemberState, type OrderingProbe } from './ordering-probe.ts';
import { TimelineRecorder, pollUntil, sleep } from './timeline-recorder.ts';

export interface RestartFaults {
  /** how a node is restarted, for the record (`SIGKILL, then started again with its data directory`, `pod deleted`) */
  readonly method: string;
  stop(member: string): Promise<void>;
  /** start it again with its data; a no-op where stopping restarts it (a StatefulSet recreates a deleted pod) */
  start(member: string): Promise<void>;
  /** why the node is no longer running by itself (it exited: its last words), or undefined while it runs or is unknown */
  exited?(member: string): string | undefined;
}

export interface RestartDrillOptions {
  probe: OrderingProbe;
  faults: RestartFaults;
  /** region → its ordering members, in the order the regions are drilled; the first of each is restarted */
  regions: Record<string, string[]>;
  /** how long to wait for the restarted node to catch up, ms (at least the bound it is judged by) */
  horizonMs: number;
  /** ≤ 50 */
  sampleIntervalMs: number;
  /** before each restart: a leader and every member at one height within this, ms */
  steadyBoundMs: number;
  /** the write through the others while the node is down, ms (default 5000) */
  writeTimeoutMs?: number;
}

const ID = 'FAB-ORD-12';

function heightsOf(states: Record<string, MemberState>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [m, s] of Object.entries(states)) if (s.height !== undefined && Number.isFinite(s.height)) out[m] = s.height;
  return out;
}

function described(s: MemberState | undefined, target: number): string {
  if (!s) return 'not looked at';
  if (!s.reachable) return `unreachable${s.error ? ` (${s.error})` : ''}`;
  return `reachable, height ${s.height ?? 'unknown'} of ${target}${s.hasLeader === false ? ', no leader known' : ''}`;
}

export async function runRestartDrill(o: RestartDrillOptions): Promise<Timeline> {
  const rec = new TimelineRecorder(ID);
  const all = Object.values(o.regions).flat();
  const interval = Math.min(50, o.sampleIntervalMs);
  const restarted = Object.fromEntries(Object.entries(o.regions).filter(([, m]) => m.length).map(([r, m]) => [r, m[0]]));
  const params = {
    horizonMs: o.horizonMs,
    regions: Object.keys(restarted),
    members: all,
    restarted,
    sampleIntervalMs: interval,
    steadyBoundMs: o.steadyBoundMs,
    probe: o.probe.kind,
    channel: o.probe.channel,
    height: o.probe.heightMeaning,
    method: o.faults.method,
  };
  let down: string | undefined;
  // members that stopped by themselves after their restart: the rest of the drill goes on without them
  const gone = new Set<string>();
  try {
    for (const [region, member] of Object.entries(restarted)) {
      const live = all.filter((m) => !gone.has(m));
      const others = live.filter((m) => m !== member);
      const steady = await pollUntil(o.steadyBoundMs, interval, async () => {
        const states = await statesOf(o.probe, live, 'full');
        const leader = leaderOf(states);
        const heights = heightsOf(states);
        const values = Object.values(heights);
        return leader && values.length === live.length && values.every((h) => h === values[0]) ? { leader, heights } : undefined;
      });
      if (!steady) {
        rec.error(`before restarting ${member} (${region}): no leader with all ${live.length} running members at one height within ${o.steadyBoundMs} ms; not restarted`, { region, member });
        continue;
      }
      rec.record({ kind: 'steady', region, leader: steady.leader, heights: steady.heights });

      const fault = rec.record<RestartFaultEvent>({ kind: 'fault', action: 'restart', region, member, method: o.faults.method });
      down = member;
      await o.faults.stop(member);
      rec.record({ kind: 'note', region, member, stopped: true, message: `${member} stopped (${o.faults.method}) in ${Math.round(rec.now() - fault.t)} ms` });
      // something to catch up on: a block the others commit while it is down, once they have a leader (the one
      // stopped may have been it; a proposal made meanwhile waits for a leader that is gone)
      const leader = await pollUntil(o.steadyBoundMs, interval, async () => leaderOf(await statesOf(o.probe, others, 'leader')) ?? undefined);
      if (!leader) rec.record({ kind: 'note', region, member, message: `no leader among the others within ${o.steadyBoundMs} ms` });
      const writeStart = rec.now();
      const w = await o.probe.write(others, o.writeTimeoutMs ?? 5000);
      rec.record(
        { kind: 'write', region, member, ok: w.ok, ms: w.ms, ...(w.error ? { error: w.error } : {}), ...(w.via ? { via: w.via } : {}), ...(w.height !== undefined ? { height: w.height } : {}) },
        writeStart,
      );

      const restore = rec.record({ kind: 'restore', region, member });
      try {
        await o.faults.start(member);
        down = undefined;
      } catch (err) {
        const why = o.faults.exited?.(member);
        if (why) {
          // it stopped by itself as it started: starting it again would only repeat that
          rec.record({ kind: 'exit', region, member, message: why });
          gone.add(member);
          down = undefined;
        } else {
          rec.error(`starting ${member} again failed: ${(err as Error).message}`, { region, member });
        }
        continue;
      }
      // until it serves the channel at the others' height, stops by itself, or the horizon passes
      let last: { states: Record<string, MemberState>; target: number } | undefined;
      let exitedWith: string | undefined;
      const caught = await pollUntil(o.horizonMs, interval, async () => {
        exitedWith = o.faults.exited?.(member);
        if (exitedWith) return false;
        const t = rec.now();
        const states = await statesOf(o.probe, live, 'full');
        const heights = heightsOf(states);
        const target = Math.max(w.height ?? 0, ...others.map((m) => heights[m] ?? 0));
        const s = states[member];
        last = { states, target };
        rec.record({ kind: 'sample', region, member, reachable: s.reachable, ...(s.height !== undefined ? { height: s.height } : {}), target }, t);
        return s.reachable && s.height !== undefined && s.height >= target && s.hasLeader !== false ? true : undefined;
      });
      if (exitedWith) {
        // it stopped by itself: starting it again would only repeat that (the environment repairs it, if it can)
        rec.record({ kind: 'exit', region, member, message: exitedWith });
        gone.add(member);
        continue;
      }
      const heights = last ? heightsOf(last.states) : {};
      const target = last?.target ?? w.height;
      if (caught === true) {
        const t = rec.now();
        rec.record<RestartCatchUpEvent>({ kind: 'catch-up', region, member, heights, caughtUp: true, ms: Math.round(t - restore.t), ...(target !== undefined ? { target } : {}) }, t);
      } else {
        rec.record<RestartCatchUpEvent>({
          kind: 'catch-up',
          region,
          member,
          heights,
          caughtUp: false,
          ...(target !== undefined ? { target } : {}),
          lastState: described(last?.states[member], target ?? 0),
        });
      }
      // a moment for the others to see it back before the next region
      await sleep(interval);
    }
  } catch (err) {
    rec.error(`the drill stopped: ${(err as Error).message}`);
  } finally {
    // rollback: a node left stopped is started again (one that cannot rejoin is the environment's to repair)
    if (down) {
      const member = down;
      rec.record({ kind: 'restore', member, rollback: true });
      await o.faults.start(member).catch((err: unknown) => rec.error(`starting ${member} again failed: ${(err as Error).message}`, { member }));
    }
  }
  return rec.timeline(params);
}
