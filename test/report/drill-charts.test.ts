/**
 * The Corda drills in the report, as a QA engineer opens them: each scenario of CORDA-HA-01, CORDA-HA-02 and
 * CORDA-LB-03 carries its timeline chart, and the drill verdicts state bound, measured value and their ratio, with
 * the environment's tolerance named where it applies (and in the report's environment panel). Run as a user
 * would (`cucumber-js`, the local environment's Corda part).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCucumber } from '../helpers/cucumber-run.ts';

const tmp = await mkdtemp(join(tmpdir(), 'ha-drill-charts-'));
after(() => rm(tmp, { recursive: true, force: true }));

interface AllureStep {
  name: string;
  attachments?: Array<{ name: string; type: string; source: string }>;
  steps?: AllureStep[];
}

function attachmentsOf(x: AllureStep): Array<{ name: string; type: string; source: string }> {
  return [...(x.attachments ?? []), ...(x.steps ?? []).flatMap(attachmentsOf)];
}

test('every Corda drill scenario carries its timeline chart, and its verdict states bound, measurement and ratio', { timeout: 300_000 }, async () => {
  const reports = join(tmp, 'reports');
  const run = await runCucumber(['--tags', '(@CORDA-HA-01 or @CORDA-HA-02 or @CORDA-LB-03) and not @partition'], reports, { HA_LOCAL_PARTS: 'corda' });
  assert.equal(run.code, 0, `exit code ${run.code}\n${run.stdout}\n${run.stderr}`);
  const dir = join(reports, 'allure-results');
  const files = await readdir(dir);
  const results = await Promise.all(files.filter((f) => f.endsWith('-result.json')).map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as AllureStep & { labels: Array<{ name: string; value: string }>; status: string }));
  for (const id of ['CORDA-HA-01', 'CORDA-HA-02', 'CORDA-LB-03']) {
    const r = results.find((x) => x.labels.some((l) => l.name === 'story' && l.value.startsWith(`${id} `)));
    assert.ok(r, `no result for ${id}`);
    assert.equal(r.status, 'passed');
    const atts = attachmentsOf(r);
    const chart = atts.find((a) => a.name === `${id} timeline chart`);
    assert.ok(chart, `${id} has no timeline chart: ${atts.map((a) => a.name).join(', ')}`);
    assert.equal(chart.type, 'image/svg+xml');
    const svg = await readFile(join(dir, chart.source), 'utf8');
    assert.match(svg, /time in milliseconds \(ms\) since the drill started/);
    const verdict = atts.find((a) => a.name === `${id} verdict: passed`);
    assert.ok(verdict, `${id} has no verdict attachment`);
    const text = await readFile(join(dir, verdict.source), 'utf8');
    assert.match(text, /\d+ ms; bound \d+ ms.*; \d+\.\d\d of the bound/, `${id}: ${text}`);
    if (id !== 'CORDA-HA-01') {
      assert.match(text, /tolerance failoverToleranceMs \d+ ms \(local environment: /, `${id} names the environment's tolerance: ${text}`);
      assert.match(svg, /bound \d+ ms/, `${id}: the chart shows the bound`);
    } else {
      assert.match(text, /bound 200 ms \(Gherkin\)/);
    }
  }
  // the environment's named setting, in the report's environment panel too
  assert.match(await readFile(join(dir, 'environment.properties'), 'utf8'), /^setting\.failoverToleranceMs=\d+ ms \(local environment: .+\)$/m);
});
