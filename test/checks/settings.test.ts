/**
 * The settings checks judge against: the features' numbers are their defaults, every number of a Then step sets
 * its setting, the verdict states the bound it applied and where it came from, and no check takes its bound from
 * the timeline it judges.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { byId, evaluateCheck } from '../../support/checks/catalogue.ts';
import type { Evidence, SettingKey, Timeline } from '../../support/evidence/model.ts';
import { SETTINGS, SETTING_KEYS, defaultSettings, withSettings } from '../../support/evidence/settings.ts';
import { targetSchema } from '../../support/descriptor/schema.ts';
import { scenarioSettings } from '../../support/scenario-settings.ts';
import { buildEvidence } from '../helpers/evidence-builder.ts';
import { repoRoot } from '../helpers/cli.ts';

async function featureSteps(): Promise<string[]> {
  const dirs = ['fabric', 'corda'].map((d) => join(repoRoot, 'features', d));
  const lines: string[] = [];
  for (const dir of dirs) {
    for (const f of (await readdir(dir)).filter((x) => x.endsWith('.feature'))) {
      for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
        const m = /^\s*(?:Given|When|Then|And|But)\s+(.*)$/.exec(line);
        if (m) lines.push(m[1].trim());
      }
    }
  }
  return lines;
}

function verdictOf(id: string, evidence: Evidence) {
  return evaluateCheck(byId(id)!, evidence);
}

describe('settings', () => {
  it('every setting has a default that is valid for it, a schema entry and the checks it serves', () => {
    const schema = (targetSchema.properties.settings as { properties: Record<string, { description: string }> }).properties;
    for (const key of SETTING_KEYS) {
      assert.equal(defaultSettings[key], SETTINGS[key].default, key);
      assert.ok(schema[key], `the descriptor schema does not declare settings.${key}`);
      assert.match(schema[key].description, new RegExp(`default ${SETTINGS[key].default}`), key);
      for (const id of SETTINGS[key].checks) assert.ok(byId(id), `${key} names an unknown check ${id}`);
    }
  });

  it("the features' numbers are the documented defaults, and every setting with a step is stated in a feature", async () => {
    const steps = await featureSteps();
    const { values, problems } = scenarioSettings(steps);
    assert.deepEqual(problems, []);
    for (const key of SETTING_KEYS) {
      if (!SETTINGS[key].step) continue;
      assert.equal(values[key], SETTINGS[key].default, `${key}: the features state ${values[key]}, the default is ${SETTINGS[key].default}`);
    }
  });

  it('docs/scenarios.md lists every setting with its default', async () => {
    const doc = await readFile(join(repoRoot, 'docs', 'scenarios.md'), 'utf8');
    for (const key of SETTING_KEYS) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      assert.ok(row, `docs/scenarios.md has no row for ${key}`);
      const unit = SETTINGS[key].unit;
      assert.ok(row.includes(`| ${SETTINGS[key].default}${unit ? ` ${unit}` : ''}`), `${key}: the row does not state the default ${SETTINGS[key].default}: ${row}`);
      for (const id of SETTINGS[key].checks) assert.ok(row.includes(id), `${key}: the row does not name ${id}`);
    }
  });

  it('reads the numbers of edited steps, in the unit the step states, and refuses invalid ones with the step', () => {
    const { values, problems } = scenarioSettings([
      'every channel has at least 7 consenters',
      'a leader is elected among the remaining nodes within 1.5 seconds',
      'every round trip stays under 250 ms',
      'it forwards the peer port 8051 to at least 3 peers',
      'their ledger heights are within 0 blocks of each other',
      'the consenters are mapped to the regions their ordering nodes run in',
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(values, { minConsenters: 7, leaderElectionBoundMs: 1500, maxRoundTripMs: 250, gatewayPeerPort: 8051, minGatewayPeers: 3, maxLedgerLag: 0 });
    const bad = scenarioSettings(['every channel has at least 0 consenters', 'it forwards the peer port 70510 to at least 2 peers']);
    assert.deepEqual(bad.values, { minGatewayPeers: 2 });
    assert.match(bad.problems[0], /"every channel has at least 0 consenters": minConsenters must be at least 1, got 0/);
    assert.match(bad.problems[1], /gatewayPeerPort must be at most 65535, got 70510/);
  });

  it('a verdict applies the setting and says where it came from', () => {
    const e = buildEvidence();
    assert.match(verdictOf('FAB-ORD-01', e).message, /at least 5 consenters everywhere \(minimum 5: default\)/);
    const seven = withSettings(e, { minConsenters: 7 }, 'Gherkin');
    const v = verdictOf('FAB-ORD-01', seven);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /has 5 consenters .*; at least 7 are needed \(minimum 7: Gherkin\)/);
    const described = withSettings(e, { maxRoundTripMs: 150 }, 'descriptor settings.maxRoundTripMs');
    assert.match(verdictOf('FAB-ORD-07', described).message, /bound 150 ms \(descriptor settings\.maxRoundTripMs\); 0\.\d\d of the bound/);
  });

  it("an environment's default applies only where nothing else set the value", () => {
    const e = withSettings(buildEvidence(), { maxRoundTripMs: 150 }, 'descriptor settings.maxRoundTripMs');
    const env = withSettings(e, { maxRoundTripMs: 300, failoverToleranceMs: 7000 }, (k: SettingKey) => `docker environment: ${k}`, 'unset');
    assert.equal(env.settings.maxRoundTripMs, 150);
    assert.equal(env.settingOrigins?.maxRoundTripMs, 'descriptor settings.maxRoundTripMs');
    assert.equal(env.settings.failoverToleranceMs, 7000);
    assert.equal(env.settingOrigins?.failoverToleranceMs, 'docker environment: failoverToleranceMs');
  });
});

describe('no check reads its bound from the timeline it judges', () => {
  /** everything a drill could claim about how it should be judged, far more lenient (or strict) than the truth */
  const planted = (factor: number): Record<string, unknown> => ({
    boundMs: 5000 * factor,
    horizonMs: 5000 * factor,
    toleranceMs: 2000 * factor,
    failoverToleranceMs: 2000 * factor,
    waitIntervalMs: 1400 * factor,
    updateIntervalMs: 500 * factor,
    probeIntervalMs: 200 * factor,
    unhealthyThreshold: 2 * factor,
    leaderElectionBoundMs: 5000 * factor,
    samplePeriodMs: 50 * factor,
    maxRoundTripMs: 100 * factor,
    restartCatchUpBoundMs: 60000 * factor,
  });
  const plant = (e: Evidence, id: string, factor: number): Evidence => {
    const tl: Timeline = e.live.timelines[id];
    return { ...e, live: { ...e.live, timelines: { ...e.live.timelines, [id]: { ...tl, params: { ...tl.params, ...planted(factor) } } } } };
  };

  /** a failing variant of each drill's timeline, so that a lenient bound could only make it pass */
  const failing: Record<string, (e: Evidence) => Evidence> = {
    'FAB-ORD-03': (e) => withSettings(e, { leaderElectionBoundMs: 10 }, 'Gherkin'),
    'FAB-ORD-12': (e) => withSettings(e, { restartCatchUpBoundMs: 10 }, 'Gherkin'),
    'CORDA-HA-01': (e) => withSettings(e, { samplePeriodMs: 5 }, 'Gherkin'),
    'CORDA-HA-02': (e) => withSettings(e, { failoverToleranceMs: 0 }, 'descriptor settings.failoverToleranceMs'),
    'CORDA-LB-03': (e) => withSettings(e, { failoverToleranceMs: 0 }, 'descriptor settings.failoverToleranceMs'),
  };

  for (const [id, breakIt] of Object.entries(failing)) {
    it(`${id}: a lenient bound planted in the recorded params changes nothing, nor does a strict one`, () => {
      const broken = breakIt(buildEvidence());
      const before = verdictOf(id, broken);
      assert.notEqual(before.status, 'passed', `${id} should not pass under the strict setting: ${before.message}`);
      const after = verdictOf(id, plant(broken, id, 1000));
      assert.deepEqual({ status: after.status, message: after.message }, { status: before.status, message: before.message });

      const good = verdictOf(id, buildEvidence());
      assert.equal(good.status, 'passed', good.message);
      const strict = verdictOf(id, plant(buildEvidence(), id, 0.001));
      assert.deepEqual({ status: strict.status, message: strict.message }, { status: good.status, message: good.message });
    });
  }

  it('the drill verdicts state bound, measured value and their ratio', () => {
    const e = withSettings(buildEvidence(), { leaderElectionBoundMs: 5000 }, 'Gherkin');
    assert.match(verdictOf('FAB-ORD-03', e).message, /within \d+ ms; bound 5000 ms \(Gherkin\); 0\.\d\d of the bound/);
    assert.match(verdictOf('CORDA-HA-01', e).message, /one every \d+ ms; bound 200 ms \(default\); 0\.\d\d of the bound/);
    assert.match(verdictOf('CORDA-HA-02', e).message, /after 1500 ms; bound 3000 ms = 2 × updateInterval 500 ms \(node\.conf of primary, backup\) \+ tolerance failoverToleranceMs 2000 ms \(default\); 0\.50 of the bound/);
    assert.match(verdictOf('CORDA-LB-03', e).message, /failover in 1830 ms; bound 3800 ms = waitInterval 1400 ms \(node\.conf of primary, backup\) \+ probe interval 200 ms × unhealthy threshold 2 \(lb\/azure-lb\.json\) \+ tolerance failoverToleranceMs 2000 ms \(default\); 0\.48 of the bound/);
  });
});
