/**
 * The bounds of an observation window as an operator meets them: `--observe` takes an optional duration within
 * 1 s and 15 min and needs `--live`; bad values are usage errors (exit 2, the flag and the bound named, no stack
 * trace). And the sampling facts every report carries.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OBSERVATION_LIMITS, maxConnections, observationWindow, parseDuration, samplingPeriod } from '../../support/observe/limits.ts';
import { haValidate, repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');

describe('observation window bounds', () => {
  test('durations as operators write them', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('2min'), 120_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10'), 10_000, 'a bare number is seconds');
    for (const bad of ['', 'ten', '-5s', '5h', '1e3', '5 s s']) assert.equal(parseDuration(bad), undefined, bad);
  });

  test('the window: a documented default, and bounds', () => {
    assert.equal(observationWindow(undefined, '--observe'), 30_000);
    assert.equal(observationWindow('10s', '--observe'), 10_000);
    assert.throws(() => observationWindow('500ms', '--observe'), /--observe: an observation window is 1 s to 15 min, got 500ms \(500 ms\)/);
    assert.throws(() => observationWindow('16m', 'HA_OBSERVE_WINDOW'), /HA_OBSERVE_WINDOW: an observation window is 1 s to 15 min, got 16m/);
    assert.throws(() => observationWindow('soon', '--observe'), /--observe: expected a duration such as 30s, 2m or 500ms, got "soon"/);
  });

  test('the rate and the connections are bounded', () => {
    assert.equal(samplingPeriod(undefined), OBSERVATION_LIMITS.sampleIntervalMs);
    assert.equal(samplingPeriod(5), OBSERVATION_LIMITS.minSampleIntervalMs, 'never more than 20 samples a second');
    assert.equal(samplingPeriod(60_000), OBSERVATION_LIMITS.maxSampleIntervalMs);
    assert.equal(maxConnections(2), 25, 'a hot-cold pair: 3 samples × (6 ports + the view) + 3 routed + 1 database session');
  });
});

describe('ha-validate --observe usage', () => {
  test('bad windows and --observe without --live are usage errors: exit 2, no stack trace', () => {
    for (const [args, message] of [
      [['--target', reference, '--observe', '10s'], /--observe needs --live/],
      [['--target', reference, '--live', '--observe', '2h'], /--observe: expected a duration/],
      [['--target', reference, '--live', '--observe=20m'], /--observe: an observation window is 1 s to 15 min, got 20m/],
      [['--target', reference, '--live', '--observe', '0.2s'], /an observation window is 1 s to 15 min/],
    ] as const) {
      const r = haValidate([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /Usage:/);
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
    }
  });

  test('--help documents --observe, its default and its bounds', () => {
    const r = haValidate(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--observe \[<window>\]\s+with --live: also sample the deployment for a window \(default 30s; 1s to 15m/);
  });

  test('--observe without a value is the default window; with nothing it may dial it returns at once, saying why', () => {
    // The reference describes its Corda machines by IP (10.0.0.4, …) and has no live section: the observation may not
    // connect there, so it has nothing to sample and no counters to read. A 15 min window would time this out.
    for (const window of [[], ['15m']]) {
      const r = haValidate(['--target', reference, '--live', '--only', 'FAB-ORD-07,CORDA-HA-01,CORDA-LB-02', '--format', 'json', '--observe', ...window], { CORDA_DB_PASSWORD: 'x' });
      assert.equal(r.code, 0, r.stderr);
      const results = (JSON.parse(r.stdout) as { results: Array<{ id: string; status: string; message: string }> }).results;
      for (const id of ['CORDA-HA-01', 'CORDA-LB-02']) {
        const v = results.find((x) => x.id === id)!;
        assert.equal(v.status, 'skipped');
        assert.match(v.message, new RegExp(`${id} could not be observed: corda\\.nodes\\[0\\]\\.machine 10\\.0\\.0\\.4 is not an address the descriptor's live section lets the harness dial`));
      }
      assert.match(results.find((x) => x.id === 'FAB-ORD-07')!.message, /no ordering node has an operations endpoint/);
    }
  });
});
