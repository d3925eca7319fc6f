import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byId, catalogue, evaluateAll, unknownIds } from '../../support/checks/catalogue.ts';
import { DOCS } from '../../support/checks/sources.ts';
import type { Check } from '../../support/checks/types.ts';
import { defaultSettings, type Evidence } from '../../support/evidence/model.ts';
import { buildEvidence } from '../helpers/evidence-builder.ts';
import { repoRoot } from '../helpers/cli.ts';
import { assertNoInternalNames } from '../helpers/public-sources.ts';

/** the IDs of docs/guarantees.md, in order: one `### <ID>` heading per guarantee */
function documentedIds(): string[] {
  const text = readFileSync(join(repoRoot, 'docs', 'guarantees.md'), 'utf8');
  return [...text.matchAll(/^### ((?:FAB|CORDA)-[A-Z]+-\d{2})$/gm)].map((m) => m[1]);
}

describe('the check catalogue', () => {
  it('has exactly the IDs of docs/guarantees.md, in order', () => {
    const ids = documentedIds();
    assert.ok(ids.length >= 28, `docs/guarantees.md lists only ${ids.length} IDs`);
    assert.deepEqual(
      catalogue.map((c) => c.id),
      ids,
    );
  });

  it('gives every check its spec (title, guarantee, evidence, violation, sources, remediation) and one file named after its ID', () => {
    for (const c of catalogue) {
      assert.ok(c.title.trim(), `${c.id}: empty title`);
      assert.ok(c.guarantee.trim().length > 40, `${c.id}: guarantee too short`);
      assert.ok(c.violation.trim(), `${c.id}: no violation`);
      assert.ok(c.remediation.trim().length > 40, `${c.id}: remediation too short`);
      assert.ok(c.evidence.static || c.evidence.live, `${c.id}: neither static nor live evidence`);
      assert.ok(c.sources.length > 0, `${c.id}: no source`);
      assert.ok(c.kinds.length > 0 && c.needs.length > 0, `${c.id}: no kinds or needs`);
      assert.ok(['fabric', 'corda'].includes(c.area), `${c.id}: area`);
      assert.ok(existsSync(join(repoRoot, 'support', 'checks', `${c.id.toLowerCase()}.ts`)), `${c.id}: no file support/checks/${c.id.toLowerCase()}.ts`);
      if (c.kinds.includes('static')) assert.ok(c.evidence.static, `${c.id} is static but names no static evidence`);
      if (c.kinds.includes('live') || c.kinds.includes('drill')) assert.ok(c.evidence.live, `${c.id} is ${c.kinds.join('/')} but names no live evidence`);
      assertNoInternalNames(JSON.stringify(c), c.id);
    }
  });

  it('declares the module that records the timeline of every drill, and that module is about it', () => {
    for (const c of catalogue) {
      if (c.kinds.includes('drill')) assert.ok(c.drill, `${c.id} is a drill without a drill module`);
      if (!c.drill) continue;
      const file = join(repoRoot, c.drill);
      assert.ok(existsSync(file), `${c.id}: drill module ${c.drill} does not exist`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(c.id), `${c.id}: ${c.drill} never names ${c.id}`);
    }
  });

  it('cites sections its public documents have, by their public URL', () => {
    const documents = Object.values(DOCS) as Array<{ publisher: string; title: string; url: string; sections: Record<string, string> }>;
    for (const c of catalogue) {
      for (const s of c.sources) {
        const doc = documents.find((d) => d.title === s.title);
        assert.ok(doc, `${c.id}: cites "${s.title}", which is not a document of support/checks/sources.ts`);
        assert.ok(s.section in doc.sections, `${c.id}: "${s.title}" has no section "${s.section}"`);
        assert.equal(s.publisher, doc.publisher);
        const anchor = doc.sections[s.section];
        assert.equal(s.url, anchor ? `${doc.url}#${anchor}` : doc.url, `${c.id}: the URL of "${s.section}"`);
        assert.match(s.url, /^https:\/\//);
      }
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
