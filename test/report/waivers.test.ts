/**
 * Waivers on a run's results: which failures a scope covers, when a waiver stops holding, what is reported for
 * each waiver. (The CLI's view of the same, in every format, is in test/scripts/gates.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyWaivers, namesScope, problemsOf, waiverExpiry } from '../../support/waivers.ts';
import type { WaiverSpec } from '../../support/descriptor/types.ts';
import type { Status } from '../../support/checks/types.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const w = (id: string, expires: string, scope?: string): WaiverSpec => ({
  id,
  expires,
  justification: 'accepted',
  declaredIn: { file: '/d/target.yaml', field: 'waivers[0]' },
  ...(scope ? { scope } : {}),
});
const result = (id: string, status: Status, message: string) => ({ id, status, message, evidence: null });

test('a scope is a whole name: not part of a longer name, a domain or a path', () => {
  assert.ok(namesScope('org1: anchor peer missing', 'org1'));
  assert.ok(namesScope('channel mychannel: consenter org0-orderer3:6050 expires', 'org0-orderer3'));
  assert.ok(namesScope('peers of org1.', 'org1'));
  for (const text of ['org10: anchor peer missing', 'org1-peer2 is down', 'org1.example.com has no SAN', '/fixtures/k8s/r1/pods.yaml']) {
    assert.ok(!namesScope(text, text.includes('r1/') ? 'r1' : 'org1'), text);
  }
});

test('the problems of a failure message, and whether it shows them all', () => {
  assert.deepEqual(problemsOf('a; b; c'), { problems: ['a', 'b', 'c'], complete: true });
  assert.deepEqual(problemsOf('a; b; and 3 more'), { problems: ['a', 'b'], complete: false });
});

test('a date holds through its last day (UTC); a time without an offset is UTC; impossible dates are refused', () => {
  assert.equal(waiverExpiry('2025-12-31'), NOW);
  assert.equal(waiverExpiry('2026-01-01T12:00:00'), Date.parse('2026-01-01T12:00:00Z'));
  assert.equal(waiverExpiry('2026-01-01T12:00:00+02:00'), Date.parse('2026-01-01T10:00:00Z'));
  assert.equal(waiverExpiry('2026-02-30'), undefined);
  assert.equal(waiverExpiry('2026-13-01'), undefined);
});

test('scoped waivers together cover a failure when every problem names one of them; otherwise it stays failed', () => {
  const failure = result('FAB-PEER-04', 'failed', 'org1: one anchor peer on mychannel; org2: one anchor peer on mychannel');
  const both = applyWaivers([failure], [w('FAB-PEER-04', '2026-02-01', 'org1'), w('FAB-PEER-04', '2026-02-01', 'org2')], NOW);
  assert.equal(both.results[0].status, 'waived');
  assert.equal(both.results[0].verdict, 'failed');
  assert.deepEqual(both.outcomes.map((o) => o.state), ['applied', 'applied']);

  const one = applyWaivers([failure], [w('FAB-PEER-04', '2026-02-01', 'org1')], NOW);
  assert.equal(one.results[0].status, 'failed');
  assert.equal(one.outcomes[0].state, 'not-covering');
  assert.match(one.outcomes[0].note, /1 of its 2 problems name no waived scope \(org2: one anchor peer on mychannel\)/);

  // problems the message does not show could be anything: a scoped waiver cannot cover them
  const truncated = applyWaivers([result('FAB-PEER-04', 'failed', 'org1: a; org1: b; and 2 more')], [w('FAB-PEER-04', '2026-02-01', 'org1')], NOW);
  assert.equal(truncated.results[0].status, 'failed');
  assert.match(truncated.outcomes[0].note, /lists more problems than it shows/);
  // one without a scope covers them all
  const all = applyWaivers([result('FAB-PEER-04', 'failed', 'org1: a; org1: b; and 2 more')], [w('fab-peer-04', '2026-02-01')], NOW);
  assert.equal(all.results[0].status, 'waived');
});

test('every waiver is accounted for: expired, not needed, not applying to a broken check, not run', () => {
  const { results, outcomes } = applyWaivers(
    [result('FAB-ORD-05', 'failed', 'org0 in r1: same zone'), result('FAB-ORD-01', 'passed', 'ok'), result('FAB-ORD-07', 'broken', 'could not measure')],
    [w('FAB-ORD-05', '2025-12-31'), w('FAB-ORD-01', '2026-02-01'), w('FAB-ORD-07', '2026-02-01'), w('CORDA-LB-01', '2026-02-01')],
    NOW,
  );
  assert.deepEqual(results.map((r) => r.status), ['failed', 'passed', 'broken']);
  assert.deepEqual(outcomes.map((o) => o.state), ['expired', 'not-needed', 'not-needed', 'not-run']);
  assert.match(outcomes[0].note, /expired on 2025-12-31: it no longer covers the failed FAB-ORD-05, which fails again/);
  assert.match(outcomes[2].note, /FAB-ORD-07 is broken \(the harness could not look\); waivers cover violations only/);
  assert.equal(outcomes[0].expiresAt, '2026-01-01T00:00:00.000Z');
  assert.deepEqual(results[0].waivers?.map((x) => x.state), ['expired']);
});
