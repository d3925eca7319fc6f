/**
 * The features cover the catalogue: every guarantee ID of docs/guarantees.md has a scenario tagged with it,
 * and each scenario carries the tags of its check (area, severity, kinds; drills are disruptive). Counted with
 * Cucumber's own tag filter (`loadSources`), so a tag here means what it means to `--tags`. Then one real run:
 * `cucumber-js --tags @FAB-GW-03`, bare, as a user types it, and its exit code, JUnit report and Allure results.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSources } from '@cucumber/cucumber/api';
import { byId, catalogue } from '../../support/checks/catalogue.ts';
import { repoRoot } from '../helpers/cli.ts';
import { runCucumber } from '../helpers/cucumber-run.ts';
import { assertNoInternalNames, isPublicSourceUrl } from '../helpers/public-sources.ts';

const KINDS = ['static', 'live', 'drill'] as const;
const GUARANTEES = join(repoRoot, 'docs', 'guarantees.md');

async function scenarios(tagExpression: string): Promise<string[]> {
  const { plan, errors } = await loadSources(
    { defaultDialect: 'en', paths: ['features/**/*.feature'], names: [], tagExpression, order: 'defined' },
    { cwd: repoRoot },
  );
  assert.deepEqual(errors, [], `the features do not parse: ${JSON.stringify(errors)}`);
  return plan.map((p) => `${p.uri}:${p.location.line} ${p.name}`);
}

async function documentedIds(): Promise<string[]> {
  const text = await readFile(GUARANTEES, 'utf8');
  return [...text.matchAll(/^### ((?:FAB|CORDA)-[A-Z]+-\d+)$/gm)].map((m) => m[1]);
}

describe('the features cover the guarantees', () => {
  it('the catalogue has exactly the IDs of docs/guarantees.md', async () => {
    const ids = await documentedIds();
    assert.ok(ids.length >= 28, `docs/guarantees.md lists only ${ids.length} IDs`);
    assert.deepEqual(catalogue.map((c) => c.id).sort(), [...ids].sort());
  });

  it('every guarantee ID has a scenario tagged with it', async () => {
    const ids = await documentedIds();
    const missing: string[] = [];
    for (const id of ids) if (!(await scenarios(`@${id}`)).length) missing.push(id);
    assert.deepEqual(missing, [], `no scenario tagged with ${missing.join(', ')}`);
  });

  it('every scenario names exactly one guarantee', async () => {
    const all = await scenarios('');
    let tagged = 0;
    for (const c of catalogue) tagged += (await scenarios(`@${c.id}`)).length;
    assert.equal(tagged, all.length, 'a scenario without an ID tag, or with two');
  });

  it("each scenario carries its check's area, severity and kinds, and drills are disruptive", async () => {
    const problems: string[] = [];
    for (const c of catalogue) {
      const wrongTags = await scenarios(`@${c.id} and not (@${c.area} and @${c.severity} and @${c.kinds[0]})`);
      for (const s of wrongTags) problems.push(`${s}: needs @${c.area} @${c.severity} @${c.kinds[0]}`);
      for (const kind of KINDS.filter((k) => !c.kinds.includes(k))) {
        for (const s of await scenarios(`@${c.id} and @${kind}`)) problems.push(`${s}: @${kind}, but ${c.id} is ${c.kinds.join('/')}`);
      }
      for (const severity of ['blocker', 'critical', 'normal', 'minor', 'trivial'].filter((s) => s !== c.severity)) {
        for (const s of await scenarios(`@${c.id} and @${severity}`)) problems.push(`${s}: @${severity}, but ${c.id} is ${c.severity}`);
      }
    }
    for (const s of await scenarios('not (@fabric or @corda)')) problems.push(`${s}: no area tag`);
    for (const s of await scenarios('@drill and not @disruptive')) problems.push(`${s}: a drill not tagged @disruptive`);
    for (const s of await scenarios('@disruptive and not (@drill or @partition)')) problems.push(`${s}: @disruptive but neither a drill nor a partition`);
    assert.deepEqual(problems, []);
  });

  it('the region drills judge every region of the reference layout', async () => {
    for (const id of ['FAB-ORD-03', 'FAB-PEER-05']) {
      const names = await scenarios(`@${id}`);
      for (const region of ['r1', 'r2', 'r3']) assert.ok(names.some((n) => n.includes(` ${region} `)), `${id} has no example for ${region}: ${names.join('; ')}`);
    }
  });
});

describe('cucumber-js --tags @FAB-GW-03 (bare, against the embedded local environment)', () => {
  it('passes, and writes a JUnit report with the one scenario and Allure results linking the public sources', { timeout: 300_000 }, async () => {
    const reports = await mkdtemp(join(tmpdir(), 'ha-cucumber-'));
    try {
      const run = await runCucumber(['--tags', '@FAB-GW-03'], reports);
      assert.equal(run.code, 0, `exit code ${run.code}\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /1 scenario \(1 passed\)/);
      const junit = await readFile(join(reports, 'junit.xml'), 'utf8');
      assert.match(junit, /<testsuite[^>]* tests="1"/);
      assert.match(junit, /failures="0"/);
      assert.match(junit, /Every peer&apos;s TLS certificate names its own host|Every peer's TLS certificate names its own host/);
      assert.ok(existsSync(join(reports, 'allure-results', 'categories.json')), 'categories.json written');
      // the verdicts rest on stand-ins, and the run says so: on stderr before any scenario, in its log, in Allure
      const fabric = 'etcd Raft members and TLS peers, not Fabric orderers and peers';
      const line = run.stderr.split('\n').filter((l) => l.startsWith('ha-conformance: the local environment runs stand-ins: '));
      assert.equal(line.length, 1, `one stand-in line on stderr:\n${run.stderr}`);
      assert.ok(line[0].includes(`Fabric: ${fabric}`), line[0]);
      assert.ok((await readFile(join(reports, 'harness.log'), 'utf8')).includes(`Fabric: ${fabric}`), 'harness.log says it');
      const properties = await readFile(join(reports, 'allure-results', 'environment.properties'), 'utf8');
      assert.match(properties, new RegExp(`^fabric=stand-in \\(${fabric}\\)$`, 'm'));
      assert.match(properties, /^corda=stand-in \(.*not Corda Enterprise nodes\)$/m);
      const results = join(reports, 'allure-results');
      const files = (await readdir(results)).filter((f) => /\.(json|properties|txt)$/.test(f));
      const texts = await Promise.all(files.map(async (f) => [f, await readFile(join(results, f), 'utf8')] as const));
      for (const [f, text] of texts) assertNoInternalNames(text, `allure-results/${f}`);
      const scenarios = texts.filter(([f]) => f.endsWith('-result.json')).map(([, t]) => JSON.parse(t) as { links?: Array<{ url: string }>; description?: string });
      assert.equal(scenarios.length, 1, 'one Allure result: the scenario');
      const [scenario] = scenarios;
      const expected = byId('FAB-GW-03')!.sources.map((s) => s.url);
      assert.deepEqual(scenario.links?.map((l) => l.url), expected, 'the links are the public sources of FAB-GW-03');
      assert.ok(expected.every(isPublicSourceUrl));
      for (const url of expected) assert.ok(scenario.description?.includes(url), `the description names ${url}`);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  });
});

describe('cucumber-js when the environment does not start', () => {
  it('reports the environment problem as one clear message, without a stack trace', { timeout: 120_000 }, async () => {
    const reports = await mkdtemp(join(tmpdir(), 'ha-cucumber-'));
    try {
      const target = join(reports, 'target.yaml');
      await writeFile(target, 'apiVersion: ha-conformance/v1\nname: [unclosed\n');
      const run = await runCucumber(['--profile', 'existing', '--tags', '@FAB-GW-03'], reports, { HA_TARGET: target });
      assert.equal(run.code, 1, `exit code ${run.code}\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /1 scenario \(1 failed\)/);
      assert.match(run.stdout, new RegExp(`could not start the existing environment: ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      assert.doesNotMatch(run.stdout, /^\s+at \S.*:\d+/m, `a stack trace was printed:\n${run.stdout}`);
      assert.doesNotMatch(run.stdout, /EnvironmentProblem|BrokenError/, 'the error class is no help to the reader');
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  });
});
