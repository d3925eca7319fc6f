import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { byId, catalogue, evaluateAll, unknownIds } from '../../support/checks/catalogue.ts';
import type { Check } from '../../support/checks/types.ts';
import { defaultSettings, type Evidence } from '../../support/evidence/model.ts';
import { buildEvidence } from '../helpers/evidence-builder.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const guaranteesFile = resolve(repoRoot, '..', 'shared', 'guarantees.md');
const seedsDir = resolve(repoRoot, '..', 'shared', 'seeds');

function guaranteeIds(): string[] {
  const text = readFileSync(guaranteesFile, 'utf8');
  return [...text.matchAll(/^\|\s*([A-Z]+(?:-[A-Z]+)*-\d{2})\s*\|/gm)].map((m) => m[1]);
}

describe('the check catalogue', () => {
  it('has exactly the IDs of guarantees.md, in order', () => {
    const ids = guaranteeIds();
    assert.equal(ids.length, 28, `guarantees.md lists ${ids.length} IDs`);
    assert.deepEqual(
      catalogue.map((c) => c.id),
      ids,
    );
  });

  it('gives every check a title, a source, a remediation and one file named after its ID', () => {
    for (const c of catalogue) {
      assert.ok(c.title.trim(), `${c.id}: empty title`);
      assert.ok(c.remediation.trim().length > 40, `${c.id}: remediation too short`);
      assert.ok(c.source.seed && c.source.document && c.source.section, `${c.id}: incomplete source`);
      assert.ok(c.kinds.length > 0 && c.needs.length > 0, `${c.id}: no kinds or needs`);
      assert.ok(['fabric', 'corda'].includes(c.area), `${c.id}: area`);
      assert.ok(existsSync(join(repoRoot, 'support', 'checks', `${c.id.toLowerCase()}.ts`)), `${c.id}: no file support/checks/${c.id.toLowerCase()}.ts`);
    }
  });

  it('cites sections that the seed documents really have', () => {
    for (const c of catalogue) {
      if (!c.source.seed.endsWith('.txt')) continue; // the field reports are not a seed file
      const seed = readFileSync(join(seedsDir, c.source.seed), 'utf8');
      assert.ok(seed.includes(c.source.section), `${c.id}: section "${c.source.section}" not found in ${c.source.seed}`);
    }
  });

  it('finds checks by ID, case-insensitively, and names unknown IDs', () => {
    assert.equal(byId('FAB-ORD-02')?.id, 'FAB-ORD-02');
    assert.equal(byId('corda-lb-03')?.id, 'CORDA-LB-03');
    assert.equal(byId('NOPE-01'), undefined);
    assert.deepEqual(unknownIds(['FAB-ORD-01', 'NOPE-01']), ['NOPE-01']);
  });

  it('passes every check on the conformant reference evidence', () => {
    for (const v of evaluateAll(buildEvidence())) {
      assert.equal(v.status, 'passed', `${v.id}: ${v.status}: ${v.message}`);
      assert.doesNotThrow(() => JSON.stringify(v.evidence));
    }
  });

  it('skips every check, without crashing, on an empty evidence bag', () => {
    const empty: Evidence = {
      target: { name: 'empty', file: '/tmp/empty.yaml', disposable: false },
      settings: { ...defaultSettings },
      live: { timelines: {} },
    };
    for (const v of evaluateAll(empty)) assert.equal(v.status, 'skipped', `${v.id}: ${v.status}: ${v.message}`);
  });

  it('evaluates only the IDs asked for, in that order, and marks an unknown one broken', () => {
    const vs = evaluateAll(buildEvidence(), ['CORDA-DB-01', 'FAB-ORD-01', 'NOPE-01']);
    assert.deepEqual(
      vs.map((v) => [v.id, v.status]),
      [
        ['CORDA-DB-01', 'passed'],
        ['FAB-ORD-01', 'passed'],
        ['NOPE-01', 'broken'],
      ],
    );
  });

  it('turns an exception inside evaluate into a broken verdict carrying the message', () => {
    const throwing: Check = {
      ...catalogue[0],
      evaluate() {
        throw new TypeError("Cannot read properties of undefined (reading 'consenters')");
      },
    };
    const [v] = evaluateAll(buildEvidence(), undefined, [throwing]);
    assert.equal(v.status, 'broken');
    assert.equal(v.id, 'FAB-ORD-01');
    assert.match(v.message, /Cannot read properties of undefined \(reading 'consenters'\)/);
  });

  it('turns a malformed settings.now into a broken verdict, not a crash', () => {
    const e = buildEvidence();
    e.settings.now = 'next tuesday';
    const [v] = evaluateAll(e, ['FAB-ORD-08']);
    assert.equal(v.status, 'broken');
    assert.match(v.message, /settings\.now is not an ISO-8601 time: "next tuesday"/);
  });
});
