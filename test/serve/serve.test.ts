/**
 * `ha-validate serve`, in process and as the CLI: what Prometheus scrapes (a series per guarantee and status and
 * per certificate, valid text format), /healthz and /report.json; a run that cannot look marks the checks broken
 * and the server goes on (and recovers); runs never overlap; a stuck run turns /healthz to 503; SIGTERM stops the
 * CLI gracefully; memory stays flat over many runs.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';
import { readExposition, type ExpositionSample } from '../helpers/exposition.ts';
import { catalogue } from '../../support/checks/catalogue.ts';
import { loadTarget } from '../../support/descriptor/load.ts';
import { startServe, type RunningServe } from '../../support/serve/index.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const expiring = join(repoRoot, 'fixtures', 'violations', 'FAB-ORD-08-expiring', 'target.yaml');
const STATUSES = ['passed', 'failed', 'broken', 'skipped', 'waived'];
const figures: string[] = [];
const running: RunningServe[] = [];

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hac-test-serve-'));
});
after(async () => {
  await Promise.all(running.map((s) => s.stop()));
  if (figures.length) process.stdout.write(`# ${figures.join('; ')}\n`);
  await rm(tmp, { recursive: true, force: true });
});

async function serveOn(targets: string[], extra: Partial<Parameters<typeof startServe>[0]> = {}): Promise<RunningServe> {
  const s = await startServe({ targets, intervalMs: 60_000, listen: { host: '127.0.0.1', port: 0 }, ...extra });
  running.push(s);
  return s;
}

async function scrape(url: string): Promise<ExpositionSample[]> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const { samples, problems } = readExposition(await res.text());
  assert.deepEqual(problems, [], 'not valid Prometheus text format');
  return samples;
}

const of = (samples: ExpositionSample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** Every certificate file the descriptor names for its nodes, with role and node, as an operator would list them. */
async function namedCertificates(file: string): Promise<Array<{ role: string; node: string; file: string; notAfter: number }>> {
  const d = await loadTarget(file, {});
  const out: Array<{ role: string; node: string; file: string; notAfter: number }> = [];
  const add = async (role: string, node: string, f: string | undefined) => {
    if (f) out.push({ role, node, file: f, notAfter: Date.parse(new X509Certificate(await readFile(f)).validTo) / 1000 });
  };
  for (const o of d.fabric!.ordering) for (const n of o.nodes) await Promise.all([add('orderer-tls', n.name, n.tlsCert), add('orderer-enrollment', n.name, n.enrollmentCert)]);
  for (const o of d.fabric!.organizations) for (const p of o.peers) await Promise.all([add('peer-tls', p.name, p.tlsCert), add('peer-enrollment', p.name, p.enrollmentCert)]);
  return out;
}

test('/metrics: a series per guarantee and status and per certificate for each target, up, last run; /healthz; /report.json', async () => {
  const t = Date.now();
  const s = await serveOn([reference, expiring]);
  await s.runs(1);
  figures.push(`first run of 2 targets ${Date.now() - t} ms`);
  const samples = await scrape(s.url);

  for (const target of ['reference', 'FAB-ORD-08-expiring']) {
    for (const c of catalogue) {
      const series = of(samples, 'ha_conformance_check_status', { id: c.id, target });
      assert.deepEqual(series.map((x) => x.labels.status).sort(), [...STATUSES].sort(), `${target} ${c.id}`);
      assert.equal(series.filter((x) => x.value === 1).length, 1, `${target} ${c.id}: one current status`);
      for (const x of series) assert.deepEqual([x.labels.area, x.labels.severity], [c.area, c.severity]);
    }
    assert.equal(of(samples, 'ha_conformance_up', { target })[0]?.value, 1);
    const ended = of(samples, 'ha_conformance_last_run_timestamp_seconds', { target })[0]?.value;
    assert.ok(ended >= t / 1000 && ended <= Date.now() / 1000, `last run at ${ended}`);
    assert.ok(of(samples, 'ha_conformance_last_run_duration_seconds', { target })[0]?.value > 0);
    assert.equal(of(samples, 'ha_conformance_runs_total', { target, result: 'completed' })[0]?.value, 1);
  }
  const current = (target: string, id: string) => of(samples, 'ha_conformance_check_status', { id, target }).find((x) => x.value === 1)?.labels.status;
  assert.equal(current('reference', 'FAB-ORD-08'), 'passed');
  assert.equal(current('FAB-ORD-08-expiring', 'FAB-ORD-08'), 'failed');
  assert.equal(current('reference', 'FAB-ORD-03'), 'skipped');

  // every certificate file the descriptor names, with its role, node and notAfter
  for (const [target, file] of [['reference', reference], ['FAB-ORD-08-expiring', expiring]]) {
    const certs = of(samples, 'ha_conformance_certificate_expiry_timestamp_seconds', { target });
    for (const c of await namedCertificates(file)) {
      const series = certs.filter((x) => x.labels.source === c.file && x.labels.role === c.role && x.labels.node === c.node);
      assert.equal(series.length, 1, `${target}: no series for ${c.role} of ${c.node} (${c.file})`);
      assert.equal(series[0].value, c.notAfter);
      assert.match(series[0].labels.subject, new RegExp(`CN=${c.node}\\b`));
    }
    // the CAs, the consenters and the MSP roots of the channel configuration too
    const roles = new Set(certs.map((x) => x.labels.role));
    for (const role of ['ca', 'consenter-server-tls', 'consenter-client-tls', 'msp-root-ca']) assert.ok(roles.has(role), `${target}: no ${role} certificate`);
    assert.ok(certs.some((x) => x.labels.role === 'consenter-server-tls' && x.labels.node === 'org0-orderer3' && x.labels.source === 'channel:mychannel#consenter[2].server_tls_cert'));
  }
  // the renewed-late certificate of the violation is the one whose expiry is near
  const soon = of(samples, 'ha_conformance_certificate_expiry_timestamp_seconds', { target: 'FAB-ORD-08-expiring', role: 'orderer-tls', node: 'org0-orderer3' })[0];
  const ref = of(samples, 'ha_conformance_certificate_expiry_timestamp_seconds', { target: 'reference', role: 'orderer-tls', node: 'org0-orderer3' })[0];
  assert.ok(soon.value < ref.value);

  const health = await fetch(`${s.url}/healthz`);
  assert.equal(health.status, 200);
  const h = (await health.json()) as { status: string; runs: number; targets: Array<{ target: string; up: boolean }> };
  assert.deepEqual([h.status, h.runs, h.targets.map((x) => x.up)], ['ok', 1, [true, true]]);

  const all = (await (await fetch(`${s.url}/report.json`)).json()) as { targets: Array<{ target: { name: string }; summary: { failed: number } }> };
  assert.deepEqual(all.targets.map((x) => [x.target.name, x.summary.failed]), [['reference', 0], ['FAB-ORD-08-expiring', 1]]);
  const one = (await (await fetch(`${s.url}/report.json?target=FAB-ORD-08-expiring`)).json()) as { results: Array<{ id: string; status: string; message: string }> };
  assert.match(one.results.find((r) => r.id === 'FAB-ORD-08')!.message, /org0-orderer3/);
  assert.equal((await fetch(`${s.url}/report.json?target=nope`)).status, 404);
  assert.equal((await fetch(`${s.url}/metrics`, { method: 'POST' })).status, 405);
  assert.equal((await fetch(`${s.url}/nope`)).status, 404);

  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await (await fetch(`${s.url}/metrics`)).text();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  figures.push(`scrape of 2 targets (${samples.length} series): median ${times[15].toFixed(1)} ms, max ${times[29].toFixed(1)} ms`);
  await s.stop();
});

test('a run that cannot look marks the checks broken and up 0, the server goes on, and recovers when the target is readable again', async () => {
  const file = join(tmp, 'flaky.yaml');
  const good = `extends: ${reference}\nname: flaky\n`;
  await writeFile(file, good);
  const s = await serveOn([file], { intervalMs: 200 });
  await s.runs(1);
  assert.equal(of(await scrape(s.url), 'ha_conformance_up', { target: 'flaky' })[0]?.value, 1);

  await writeFile(file, 'name: flaky\nregions: [unclosed\n');
  const from = (await (await fetch(`${s.url}/healthz`)).json()) as { runs: number };
  await s.runs(from.runs + 2);
  const broken = await scrape(s.url);
  assert.equal(of(broken, 'ha_conformance_up', { target: 'flaky' })[0]?.value, 0, 'the target label is kept from the last readable run');
  for (const c of catalogue) assert.equal(of(broken, 'ha_conformance_check_status', { id: c.id, target: 'flaky', status: 'broken' })[0]?.value, 1, c.id);
  assert.equal(of(broken, 'ha_conformance_certificate_expiry_timestamp_seconds', { target: 'flaky' }).length, 0, 'no certificate could be read');
  assert.ok(of(broken, 'ha_conformance_runs_total', { target: 'flaky', result: 'error' })[0]?.value >= 1);
  const report = (await (await fetch(`${s.url}/report.json`)).json()) as { up: boolean; results: Array<{ status: string; message: string }> };
  assert.equal(report.up, false);
  assert.match(report.results[0].message, /the target cannot be read: .*flaky\.yaml/);
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200, 'the server itself is healthy');

  await writeFile(file, good);
  const again = (await (await fetch(`${s.url}/healthz`)).json()) as { runs: number };
  await s.runs(again.runs + 2);
  assert.equal(of(await scrape(s.url), 'ha_conformance_up', { target: 'flaky' })[0]?.value, 1);
  await s.stop();
});

test('runs never overlap: a run longer than the interval delays the next; a stuck run turns /healthz to 503 until it ends', async () => {
  // the server's own run boundaries, as it reports them
  const spans: Array<{ start: number; end: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let release: (() => void) | undefined;
  let hold = false;
  let collections = 0;
  const s = await serveOn([reference], {
    intervalMs: 100,
    stuckAfterMs: 300,
    only: ['FAB-ORD-01'],
    onRun: ({ n, phase, at }) => {
      if (phase === 'start') {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        spans[n - 1] = { start: at, end: 0 };
      } else {
        inFlight--;
        spans[n - 1].end = at;
      }
    },
    // the live hook stands for a slow collection: the second run takes 400 ms, four intervals
    liveOf: async () => {
      if (++collections === 2) await new Promise((r) => setTimeout(r, 400));
      if (hold) await new Promise<void>((r) => (release = r));
      return {};
    },
  });
  await s.runs(5);
  assert.equal(maxInFlight, 1, 'two runs at once');
  assert.ok(spans[1].end - spans[1].start >= 400, `the second run took ${spans[1].end - spans[1].start} ms, not the 400 ms its collection was held`);
  for (let i = 1; i < 5; i++) {
    assert.ok(spans[i].start >= spans[i - 1].end, `run ${i + 1} started before run ${i} ended`);
    // timers may fire up to a millisecond early against the clock
    assert.ok(spans[i].start - spans[i - 1].start >= 100 - 2, `run ${i + 1} started ${spans[i].start - spans[i - 1].start} ms after run ${i}`);
  }

  hold = true;
  let status = 0;
  for (let i = 0; i < 600 && status !== 503; i++) {
    await new Promise((r) => setTimeout(r, 50));
    status = (await fetch(`${s.url}/healthz`)).status;
  }
  assert.equal(status, 503, 'a run held for 30 s never made /healthz 503');
  const body = (await (await fetch(`${s.url}/healthz`)).json()) as { status: string; problem: string };
  assert.equal(body.status, 'stuck');
  assert.match(body.problem, /has been going for [\d.]+ s, longer than 0\.3 s/);
  hold = false;
  const done = (await (await fetch(`${s.url}/healthz`)).json()) as { runs: number };
  release!();
  await s.runs(done.runs + 1);
  assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  await s.stop();
});

test('the CLI: serve answers, and SIGTERM stops it gracefully (exit 0, port closed); bad serve arguments are exit 2', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'validate.ts'), 'serve', '--target', reference, '--interval', '1m', '--listen', '127.0.0.1:0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        // the first run is over when it reports its checks (how many is asserted below, so a count that changed fails instead of waiting)
        if (m && /run 1: reference: \d+ checks/.test(stderr)) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}) before its first run:\n${stderr}`)));
    });
    assert.match(stderr, new RegExp(`run 1: reference: ${catalogue.length} checks`));
    const samples = await scrape(url);
    assert.equal(of(samples, 'ha_conformance_check_status', { target: 'reference' }).length, catalogue.length * STATUSES.length);
    const t = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    figures.push(`SIGTERM to exit ${Date.now() - t} ms`);
    assert.match(stderr, /SIGTERM: stopping[\s\S]*stopped/);
    const port = Number(new URL(url).port);
    await assert.rejects(new Promise((resolve, reject) => connect(port, '127.0.0.1').once('connect', resolve).once('error', reject)), /ECONNREFUSED/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  const { haValidate } = await import('../helpers/cli.ts');
  for (const [args, message] of [
    [['serve', '--target', reference, '--interval', '10x'], /--interval must be a duration such as 30s, 5m or 1h, not "10x"/],
    [['serve', '--target', reference, '--interval', '500ms'], /--interval must be at least 1s/],
    [['serve', '--target', reference, '--listen', 'somewhere'], /--listen must be host:port/],
    [['serve', '--target', reference, '--format', 'json'], /--format is not used by serve/],
    [['--target', reference, '--interval', '5m'], /--interval is for serve/],
  ] as const) {
    const r = haValidate([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('memory stays flat over many runs: the heap after 120 runs is within 8 MB of the heap after 20', async () => {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(repoRoot, 'test', 'serve', 'memory-child.ts'), '20', '120', reference], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
  const m = JSON.parse(out) as { heapWarm: number; heapEnd: number; rssEnd: number; msPerRun: number };
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  figures.push(`memory: heap ${mb(m.heapWarm)} MB after 20 runs, ${mb(m.heapEnd)} MB after 120, RSS ${mb(m.rssEnd)} MB, ${m.msPerRun.toFixed(0)} ms a run`);
  // a report kept per run would add more than 50 kB a run
  assert.ok(m.heapEnd - m.heapWarm < 8 * 2 ** 20, `the heap grew by ${mb(m.heapEnd - m.heapWarm)} MB over 100 runs`);
});
