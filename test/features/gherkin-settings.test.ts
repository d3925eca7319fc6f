/**
 * The numbers in the Gherkin are parameters: a QA engineer copies a feature, edits "at least 5 consenters" to
 * "at least 7 consenters", and the scenario judges seven. Run as a user would (`cucumber-js` from the repository
 * root, the local environment, its Fabric part only), the copy and the original side by side in one run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/cli.ts';
import { runCucumber } from '../helpers/cucumber-run.ts';

const tmp = await mkdtemp(join(tmpdir(), 'ha-gherkin-settings-'));
after(() => rm(tmp, { recursive: true, force: true }));

interface CucumberJsonStep {
  name: string;
  result: { status: string; error_message?: string };
}

test('editing "at least 5 consenters" to 7 in a copy of the feature makes FAB-ORD-01 fail on the local environment; the original passes', { timeout: 300_000 }, async () => {
  const original = await readFile(join(repoRoot, 'features', 'fabric', 'ordering-service.feature'), 'utf8');
  assert.match(original, /Then every channel has at least 5 consenters/);
  const five = join(tmp, 'five.feature');
  const seven = join(tmp, 'seven.feature');
  await writeFile(five, original.replace('Feature: Raft ordering service', 'Feature: Raft ordering service (five)'));
  await writeFile(
    seven,
    original
      .replace('Feature: Raft ordering service', 'Feature: Raft ordering service (seven)')
      .replace('Then every channel has at least 5 consenters', 'Then every channel has at least 7 consenters'),
  );
  const reports = join(tmp, 'reports');
  const run = await runCucumber([five, seven, '--tags', '@FAB-ORD-01'], reports, { HA_LOCAL_PARTS: 'fabric' });
  assert.equal(run.code, 1, `exit code ${run.code}\n${run.stdout}\n${run.stderr}`);

  const features = JSON.parse(await readFile(join(reports, 'cucumber.json'), 'utf8')) as Array<{ name: string; elements: Array<{ steps: CucumberJsonStep[] }> }>;
  const judged = (name: string) => {
    const f = features.find((x) => x.name === name);
    assert.ok(f, `no results for ${name}: ${features.map((x) => x.name).join(', ')}`);
    assert.equal(f.elements.length, 1);
    const step = f.elements[0].steps.find((s) => /consenters$/.test(s.name) && s.name.startsWith('every channel'));
    assert.ok(step, `no consenter step in ${name}`);
    return step;
  };
  const passed = judged('Raft ordering service (five)');
  assert.equal(passed.result.status, 'passed', passed.result.error_message);
  const failed = judged('Raft ordering service (seven)');
  assert.equal(failed.result.status, 'failed');
  assert.match(failed.result.error_message ?? '', /channel mychannel has 5 consenters .*; at least 7 are needed \(minimum 7: Gherkin\)/);
});
