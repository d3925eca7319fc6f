import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokenError, GuaranteeViolation } from '../../support/errors.ts';
import { outcomeOf, summarizeEvidence } from '../../support/steps-helpers.ts';
import { scopeTimeline } from '../../support/timeline-scope.ts';
import { verdict } from '../../support/checks/types.ts';

describe('verdict → step outcome', () => {
  it('passed: the step passes', async () => {
    assert.equal(await outcomeOf(verdict.passed('FAB-ORD-01', '5 consenters', {})), undefined);
  });

  it('failed: a GuaranteeViolation (Allure "failed") with the message and the evidence', async () => {
    await assert.rejects(outcomeOf(verdict.failed('FAB-ORD-02', 'losing r1 leaves 2 of 5', { layout: '3-1-1' })), (err: unknown) => {
      assert.ok(err instanceof GuaranteeViolation);
      assert.match(err.name, /Assertion/);
      assert.match(err.message, /^FAB-ORD-02: losing r1 leaves 2 of 5\nEvidence: \{"layout":"3-1-1"\}/);
      return true;
    });
  });

  it('broken: an environment problem (Allure "broken"), never a violation', async () => {
    await assert.rejects(outcomeOf(verdict.broken('FAB-ORD-07', 'no round trips measured', null)), (err: unknown) => {
      assert.ok(err instanceof BrokenError);
      assert.doesNotMatch(err.name, /Assertion/);
      assert.equal(err.message, 'FAB-ORD-07: no round trips measured');
      return true;
    });
  });

  it("skipped: the step returns 'skipped'", async () => {
    assert.equal(await outcomeOf(verdict.skipped('CORDA-LB-01', 'no load balancer described')), 'skipped');
  });

  it('summarizes long evidence and says the rest is attached', () => {
    const s = summarizeEvidence({ big: 'x'.repeat(2000) });
    assert.ok(s.length < 700);
    assert.match(s, /the full evidence is attached/);
    assert.equal(summarizeEvidence(undefined), 'no evidence recorded');
  });
});

describe('a region drill judged one region at a time', () => {
  it('keeps the events of that region and those of no region, and narrows params.regions', () => {
    const at = '2026-01-01T00:00:00Z';
    const tl = {
      drill: 'FAB-ORD-03',
      startedAt: at,
      params: { regions: ['r1', 'r2'], boundMs: 5000 },
      events: [
        { t: 1, at, kind: 'fault', region: 'r1' },
        { t: 2, at, kind: 'error', message: 'probe failed' },
        { t: 3, at, kind: 'fault', region: 'r2' },
      ],
    };
    const r2 = scopeTimeline(tl, { region: 'r2' });
    assert.deepEqual(r2.events.map((e) => e.t), [2, 3]);
    assert.deepEqual(r2.params, { regions: ['r2'], boundMs: 5000 });
    assert.equal(scopeTimeline(tl, undefined), tl);
  });
});
