/**
 * The FAB-ORD-12 restart drill against an in-memory Raft ordering service: what it records for a node that rejoins,
 * one that lost its log and stops by itself, one that never catches up, and that the check judges the recording.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runRestartDrill, type RestartFaults } from '../../support/drills/fabric-restart.ts';
import type { MemberState, OrderingProbe } from '../../support/drills/ordering-probe.ts';
import type { Timeline } from '../../support/evidence/model.ts';
import { buildStaticEvidence } from '../helpers/evidence-builder.ts';
import { expectStatus } from '../helpers/verdicts.ts';

const PLACEMENT: Record<string, string> = {
  'org0-orderer1': 'r1',
  'org0-orderer2': 'r1',
  'org0-orderer3': 'r2',
  'org0-orderer4': 'r3',
  'org0-orderer5': 'r3',
};
const REGIONS = { r1: ['org0-orderer1', 'org0-orderer2'], r2: ['org0-orderer3'], r3: ['org0-orderer4', 'org0-orderer5'] };

/**
 * Five members; a stopped one answers nothing; a started one comes back at its old height and catches up after
 * `catchUpLooks` looks, unless it lost its log (`wiped`): then it stops by itself as Raft does.
 */
function raft(o: { wiped?: string[]; catchUpLooks?: number; leader?: string } = {}) {
  const members = Object.keys(PLACEMENT);
  const heights: Record<string, number> = Object.fromEntries(members.map((m) => [m, 5]));
  const down = new Set<string>();
  const dead = new Map<string, string>();
  const looks = new Map<string, number>();
  let top = 5;
  const up = () => members.filter((m) => !down.has(m) && !dead.has(m));
  const leader = () => (up().length >= 3 ? (up().includes(o.leader ?? '') ? o.leader! : up().sort()[0]) : undefined);
  const probe: OrderingProbe = {
    kind: 'fabric',
    channel: 'mychannel',
    members,
    heightMeaning: 'block height of channel mychannel',
    async state(member): Promise<MemberState> {
      if (down.has(member) || dead.has(member)) return { member, reachable: false, error: 'ECONNREFUSED' };
      const seen = (looks.get(member) ?? 0) + 1;
      looks.set(member, seen);
      if (seen >= (o.catchUpLooks ?? 1)) heights[member] = top;
      return { member, reachable: true, isLeader: leader() === member, height: heights[member], clusterSize: 5, activeNodes: up().length };
    },
    async write(through) {
      if (!leader()) return { ok: false, ms: 100, error: 'no leader' };
      top += 1;
      for (const m of through) if (up().includes(m)) heights[m] = top;
      return { ok: true, ms: 3, via: leader(), height: top };
    },
  };
  const faults: RestartFaults = {
    method: 'killed, then started again with its data',
    async stop(member) {
      down.add(member);
    },
    async start(member) {
      down.delete(member);
      looks.set(member, 0);
      if (o.wiped?.includes(member)) dead.set(member, 'panic: tocommit(6) is out of range [lastIndex(0)]. Was the raft log corrupted, truncated, or lost?');
    },
    exited: (member) => dead.get(member),
  };
  return { probe, faults, heights };
}

function kinds(tl: Timeline): string[] {
  return tl.events.filter((e) => ['fault', 'write', 'restore', 'exit', 'catch-up', 'error'].includes(e.kind)).map((e) => `${e.kind} ${String(e.member ?? e.region)}`);
}

function judged(tl: Timeline) {
  const e = buildStaticEvidence();
  e.live.timelines['FAB-ORD-12'] = tl;
  return e;
}

describe('FAB-ORD-12 restart drill', () => {
  it('restarts the first node of each region in turn; each rejoins and catches up, and the check passes it', async () => {
    const { probe, faults } = raft({ catchUpLooks: 3, leader: 'org0-orderer3' });
    const tl = await runRestartDrill({ probe, faults, regions: REGIONS, horizonMs: 2000, sampleIntervalMs: 5, steadyBoundMs: 2000 });
    assert.deepEqual(kinds(tl), [
      'fault org0-orderer1', 'write org0-orderer1', 'restore org0-orderer1', 'catch-up org0-orderer1',
      'fault org0-orderer3', 'write org0-orderer3', 'restore org0-orderer3', 'catch-up org0-orderer3',
      'fault org0-orderer4', 'write org0-orderer4', 'restore org0-orderer4', 'catch-up org0-orderer4',
    ]);
    assert.deepEqual(tl.params.restarted, { r1: 'org0-orderer1', r2: 'org0-orderer3', r3: 'org0-orderer4' });
    for (const c of tl.events.filter((e) => e.kind === 'catch-up')) {
      assert.equal(c.caughtUp, true);
      assert.ok(typeof c.ms === 'number' && c.ms >= 0);
      assert.equal((c.heights as Record<string, number>)[c.member as string], c.target);
    }
    // the write is made once the others have a leader again (the restarted one may have led)
    const w = tl.events.find((e) => e.kind === 'write' && e.member === 'org0-orderer3')!;
    assert.equal(w.ok, true);
    // samples before the catch-up show the node behind the others' height
    assert.ok(tl.events.some((e) => e.kind === 'sample' && e.member === 'org0-orderer1' && e.reachable === true && (e.height as number) < (e.target as number)));
    expectStatus('FAB-ORD-12', judged(tl), 'passed', /restarted one ordering node per region with its data \(org0-orderer1 in r1, org0-orderer3 in r2, org0-orderer4 in r3; killed, then started again with its data\): each rejoined and caught up within \d+ ms; bound 60000 ms \(default\)/);
  });

  it('records a node that lost its Raft log stopping by itself, goes on without it, and the check fails it', async () => {
    const { probe, faults } = raft({ wiped: ['org0-orderer3'] });
    const tl = await runRestartDrill({ probe, faults, regions: REGIONS, horizonMs: 5000, sampleIntervalMs: 5, steadyBoundMs: 2000 });
    assert.deepEqual(kinds(tl).slice(4), [
      'fault org0-orderer3', 'write org0-orderer3', 'restore org0-orderer3', 'exit org0-orderer3',
      'fault org0-orderer4', 'write org0-orderer4', 'restore org0-orderer4', 'catch-up org0-orderer4',
    ]);
    // the drill did not wait out its horizon for a node that stopped by itself
    const exit = tl.events.find((e) => e.kind === 'exit')!;
    assert.ok(exit.t - tl.events.find((e) => e.kind === 'restore' && e.member === 'org0-orderer3')!.t < 1000);
    expectStatus('FAB-ORD-12', judged(tl), 'failed', /org0-orderer3 \(r2\) exited \d+ ms after it was started again, instead of rejoining: panic: tocommit\(6\) is out of range/);
  });

  it('records a node that does not catch up within its horizon; too short a horizon is the drill\'s problem, not a verdict', async () => {
    const { probe, faults } = raft({ catchUpLooks: 1_000_000 });
    const tl = await runRestartDrill({ probe, faults, regions: REGIONS, horizonMs: 150, sampleIntervalMs: 5, steadyBoundMs: 2000 });
    const c = tl.events.find((e) => e.kind === 'catch-up' && e.member === 'org0-orderer1')!;
    assert.equal(c.caughtUp, false);
    assert.match(String(c.lastState), /^reachable, height 5 of 6$/);
    // with org0-orderer1 behind, the service is never steady again: the other regions are not restarted
    assert.deepEqual(kinds(tl).slice(4), ['error org0-orderer3', 'error org0-orderer4']);
    expectStatus('FAB-ORD-12', judged(tl), 'broken', /org0-orderer1 \(r1\) had not caught up when the drill stopped looking \d+ ms after it was started again \(reachable, height 5 of 6\), before the bound of 60000 ms \(default\): the drill waited 150 ms/);
  });

  it('does not restart a node of a service that is not steady, and says so', async () => {
    const { probe, faults } = raft();
    await faults.stop('org0-orderer2');
    await faults.stop('org0-orderer5');
    await faults.stop('org0-orderer4');
    const tl = await runRestartDrill({ probe, faults, regions: REGIONS, horizonMs: 100, sampleIntervalMs: 5, steadyBoundMs: 60 });
    assert.deepEqual(kinds(tl), ['error org0-orderer1', 'error org0-orderer3', 'error org0-orderer4']);
    assert.match(String(tl.events[0].message), /before restarting org0-orderer1 \(r1\): no leader with all 5 running members at one height within 60 ms; not restarted/);
    expectStatus('FAB-ORD-12', judged(tl), 'broken', /no restart/);
  });
});
