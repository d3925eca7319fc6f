import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { targetSchema } from '../../support/descriptor/schema.ts';

it('docs/target-schema.json is the schema the loader validates with (regenerate: node --import tsx scripts/write-target-schema.ts)', async () => {
  const doc = JSON.parse(await readFile(new URL('../../docs/target-schema.json', import.meta.url), 'utf8'));
  assert.deepEqual(doc, JSON.parse(JSON.stringify(targetSchema)));
});
