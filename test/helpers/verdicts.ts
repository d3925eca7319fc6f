/** Assertions on verdicts that print what a user would see when they fail. */
import assert from 'node:assert/strict';
import type { Evidence, Timeline } from '../../support/evidence/model.ts';
import { evaluateAll } from '../../support/checks/catalogue.ts';
import type { Status, Verdict } from '../../support/checks/types.ts';

/** the verdict of one check, through the same path the CLI uses */
export function judge(id: string, evidence: Evidence): Verdict {
  const [v] = evaluateAll(evidence, [id]);
  return v;
}

export function expectVerdict(v: Verdict, status: Status, ...patterns: RegExp[]): Verdict {
  assert.equal(v.status, status, `${v.id}: expected ${status}, got ${v.status}: ${v.message}`);
  assert.ok(v.message.length > 0, `${v.id}: empty message`);
  for (const p of patterns) assert.match(v.message, p, `${v.id}: message does not match ${p}`);
  // evidence must survive a JSON round trip (reports serialize it)
  assert.doesNotThrow(() => JSON.stringify(v.evidence), `${v.id}: evidence is not JSON-serializable`);
  return v;
}

export function expectStatus(id: string, evidence: Evidence, status: Status, ...patterns: RegExp[]): Verdict {
  return expectVerdict(judge(id, evidence), status, ...patterns);
}

/** an empty timeline: the drill ran but recorded nothing */
export function emptyTimeline(drill: string): Timeline {
  return { drill, startedAt: '2026-01-01T00:00:00.000Z', events: [], params: {} };
}
