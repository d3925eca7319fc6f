/**
 * `npm run docs`: writes docs/guarantees.md, the spec generated from the check catalogue (support/report/spec.ts).
 * `--check` writes nothing and exits 1 when the file differs from the catalogue (what test/checks/spec.test.ts asserts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GUARANTEES_DOC, REPO_ROOT, catalogueSpec, renderSpecMarkdown } from '../support/report/spec.ts';

const file = join(REPO_ROOT, GUARANTEES_DOC);
const text = renderSpecMarkdown(await catalogueSpec());
if (process.argv.includes('--check')) {
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write(`${GUARANTEES_DOC} differs from the check catalogue: run \`npm run docs\`\n`);
    process.exitCode = 1;
  }
} else {
  await writeFile(file, text);
  process.stderr.write(`wrote ${GUARANTEES_DOC}\n`);
}
