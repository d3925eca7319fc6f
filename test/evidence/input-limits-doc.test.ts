/** docs/input-limits.md states every limit the code enforces, with the value the code uses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { INPUT_LIMITS, STRUCTURE_LIMITS, formatBytes } from '../../support/evidence/input.ts';
import { HOCON_LIMITS } from '../../support/evidence/corda/node-conf.ts';
import { MANIFEST_LIMITS } from '../../support/evidence/kubernetes/manifests.ts';

const doc = await readFile(new URL('../../docs/input-limits.md', import.meta.url), 'utf8');

test('every size cap is in the table, by kind, with its value', () => {
  for (const [kind, l] of Object.entries(INPUT_LIMITS)) {
    const row = doc.split('\n').find((line) => line.startsWith('| ') && line.toLowerCase().includes(l.what.split(' (')[0].toLowerCase()));
    assert.ok(row, `no row for ${kind} (${l.what})`);
    assert.ok(row.includes(formatBytes(l.maxBytes)), `${kind}: the row does not say ${formatBytes(l.maxBytes)}: ${row}`);
    if (l.maxTotalBytes !== undefined) assert.ok(row.includes(formatBytes(l.maxTotalBytes)), `${kind}: the row does not say ${formatBytes(l.maxTotalBytes)}: ${row}`);
  }
});

test('every structural bound is stated with its value', () => {
  const values = { ...STRUCTURE_LIMITS, ...HOCON_LIMITS, ...MANIFEST_LIMITS };
  for (const [name, value] of Object.entries(values)) assert.ok(doc.includes(String(value)), `${name} = ${value} is not in docs/input-limits.md`);
});
