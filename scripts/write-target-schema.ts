/** Writes docs/target-schema.json from support/descriptor/schema.ts (test/descriptor/schema-doc.test.ts keeps them equal). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { targetSchema } from '../support/descriptor/schema.ts';

const out = fileURLToPath(new URL('../docs/target-schema.json', import.meta.url));
writeFileSync(out, JSON.stringify(targetSchema, null, 2) + '\n');
process.stdout.write(`wrote ${out}\n`);
