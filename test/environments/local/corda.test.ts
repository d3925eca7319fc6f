/**
 * The Corda part of the embedded local environment, end to end: it starts the reference and the broken variants,
 * runs the drills, and judges the timelines with the catalogue's checks, as `validate` would. Then it verifies
 * that nothing is left behind: after a normal stop, after the environment is stopped under a running drill, and
 * after Ctrl-C (SIGINT) of a separate process in the middle of a drill.
 *
 * Lanes run concurrently (each part has its own addresses, ports, database and temp dirs). Bounds come from the
 * drills' parameters with a stated tolerance; nothing here depends on how fast this machine is.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Resources, processesOfRun, TEMP_PREFIX } from '../../../support/environments/common/resources.ts';
import { startCorda, cordaPart, CORDA_VARIANTS, type StartedCordaPart } from '../../../support/environments/local/corda/index.ts';
import type { CordaPorts } from '../../../support/environments/common/corda/settings.ts';
import { loadTarget } from '../../../support/descriptor/load.ts';
import { collectStaticEvidence } from '../../../support/evidence/collect.ts';
import { defaultSettings } from '../../../support/evidence/model.ts';
import { withEnvironmentSettings } from '../../../support/run.ts';
import { byId, evaluateCheck } from '../../../support/checks/catalogue.ts';
import type { Verdict } from '../../../support/checks/types.ts';
import { canBind } from '../../../support/environments/common/ports.ts';
import { sampleCorda } from '../../../support/drills/corda-sampler.ts';
import type { CordaFaultEvent, CordaSampleEvent, Evidence, Timeline } from '../../../support/evidence/model.ts';

interface Started {
  resources: Resources;
  part: StartedCordaPart;
  lines: string[];
}

async function start(variant?: string, settings: Record<string, unknown> = {}): Promise<Started> {
  const resources = new Resources();
  const lines: string[] = [];
  try {
    const part = await startCorda({ resources, variant, settings, log: (l) => lines.push(l) });
    return { resources, part, lines };
  } catch (err) {
    await resources.releaseAll().catch(() => undefined);
    throw new Error(`starting the Corda part${variant ? ` (${variant})` : ''} failed: ${(err as Error).message}\n${lines.join('\n')}`, { cause: err });
  }
}

async function release(s: Started): Promise<void> {
  await s.part.stop();
  await s.resources.releaseAll();
}

/** Static evidence from the descriptor the part returned (written and loaded as the local environment does), plus live. */
async function evidenceOf(s: Started, timelines: Record<string, Timeline> = {}): Promise<Evidence> {
  const dir = await s.resources.tempDir('target');
  const file = join(dir, 'target.yaml');
  await writeFile(file, stringify({ apiVersion: 'ha-conformance/v1', name: 'corda-test', disposable: true, ...s.part.descriptor }));
  const descriptor = await loadTarget(file, process.env);
  // the part's own settings (its failover tolerance), as the run applies them
  const evidence = withEnvironmentSettings(await collectStaticEvidence(descriptor), s.part.checkSettings, 'local');
  evidence.live = { ...(await s.part.collectLive()), timelines };
  return evidence;
}

/** How a run asks for an observation: with the settings it will be judged by (so it looks long enough). */
async function observe(s: Started, id: string): Promise<Timeline> {
  const settings = withEnvironmentSettings({ target: { name: 'corda-test', file: '', disposable: true }, settings: { ...defaultSettings }, live: { timelines: {} } }, s.part.checkSettings, 'local').settings;
  return s.part.observations[id].run({ settings });
}

function judge(id: string, evidence: Evidence): Verdict {
  const check = byId(id);
  assert.ok(check, `no check ${id} in the catalogue`);
  return evaluateCheck(check, evidence);
}

function assertStatus(v: Verdict, status: Verdict['status']): void {
  assert.equal(v.status, status, `${v.id}: expected ${status}, got ${v.status}: ${v.message}`);
}

function samplesOf(tl: Timeline): CordaSampleEvent[] {
  return tl.events.filter((e) => e.kind === 'sample' && !('error' in e)) as CordaSampleEvent[];
}

function medianGap(tl: Timeline): number {
  const ts = samplesOf(tl).map((e) => e.t);
  const gaps = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? Infinity;
}

/** The timeline contract of evidence/model.ts (CordaSampleEvent / CordaFaultEvent, params). */
function assertTimelineShape(tl: Timeline, id: string): void {
  assert.equal(tl.drill, id);
  assert.ok(!Number.isNaN(Date.parse(tl.startedAt)));
  assert.equal(typeof tl.params.sampleIntervalMs, 'number', `${id}: params.sampleIntervalMs`);
  // what the drill did, never a bound: the checks take the intervals from node.conf and the load balancer's
  // configuration, and the tolerance from the settings
  for (const k of ['waitIntervalMs', 'updateIntervalMs', 'probeIntervalMs', 'unhealthyThreshold', 'toleranceMs', 'boundMs']) {
    assert.equal(tl.params[k], undefined, `${id}: params.${k} is not recorded`);
  }
  assert.ok(['primary', 'backup'].includes(tl.params.hotNode as string), `${id}: params.hotNode`);
  assert.ok(['primary', 'backup'].includes(tl.params.coldNode as string) && tl.params.coldNode !== tl.params.hotNode, `${id}: params.coldNode`);
  const ts = tl.events.map((e) => e.t);
  assert.deepEqual(ts, [...ts].sort((a, b) => a - b), `${id}: events ordered by t`);
  for (const e of tl.events) assert.ok(typeof e.t === 'number' && !Number.isNaN(Date.parse(e.at)) && typeof e.kind === 'string');
  const samples = samplesOf(tl);
  assert.ok(samples.length >= 2, `${id}: ${samples.length} samples`);
  for (const s of samples) {
    for (const n of ['primary', 'backup']) {
      const p = s.nodes[n];
      assert.ok(p && typeof p.p2p === 'boolean' && typeof p.rpc === 'boolean' && typeof p.web === 'boolean', `${id}: sample t=${s.t} nodes.${n}`);
    }
    assert.ok(s.leaseHolder === undefined || s.leaseHolder === null || typeof s.leaseHolder === 'string');
    assert.ok(s.routed && ['p2p', 'rpc', 'web'].every((t) => t in s.routed!), `${id}: sample t=${s.t} routed`);
    assert.ok(s.lbView && s.lbView.p2p && s.lbView.rpc && s.lbView.web, `${id}: sample t=${s.t} lbView`);
  }
  // The spacing of samples is measured from their timestamps and reported (diagnostic), not asserted: it depends
  // on how loaded the machine is, and the checks judge what was observed whatever the spacing.
}

function faultsOf(tl: Timeline): CordaFaultEvent[] {
  return tl.events.filter((e) => e.kind === 'fault') as CordaFaultEvent[];
}

function portsOf(s: Started): Array<{ host: string; port: number }> {
  return portPairs(s.part.addresses, s.part.settings.ports, (s.part.descriptor.live as { database: { port: number } }).database.port);
}

function portPairs(addresses: Record<string, string>, ports: CordaPorts, dbPort: number): Array<{ host: string; port: number }> {
  const machines = Object.entries(addresses).filter(([k]) => k !== 'lb').map(([, a]) => a);
  return [
    ...machines.flatMap((host) => [ports.p2p, ports.rpc, ports.web, ports.monitoring, ports.agent].map((port) => ({ host, port }))),
    ...[ports.p2p, ports.rpc, ports.web].map((port) => ({ host: addresses.lb, port })),
    { host: '127.0.0.1', port: dbPort },
  ];
}

async function assertNothingLeft(runId: string, ports: Array<{ host: string; port: number }>): Promise<void> {
  assert.deepEqual(await processesOfRun(runId), [], `processes of run ${runId} left`);
  const dirs = (await readdir(tmpdir())).filter((d) => d.startsWith(`${TEMP_PREFIX}${runId}-`));
  assert.deepEqual(dirs, [], `temp dirs of run ${runId} left`);
  assert.ok(await canBind(ports), `ports of run ${runId} still taken`);
  assert.ok(!Object.keys(process.env).some((k) => k.endsWith(runId)), 'password variable left in process.env');
}

// Three lanes at a time (each part runs a database, HAProxy and stand-ins that restart every few seconds, and the
// machine may have two cores): the reference | the first variants | the other variants, then Ctrl-C.
describe('local environment, Corda part', { concurrency: 3 }, () => {
  test('preflight is empty here, and the variants are listed', async () => {
    assert.deepEqual(await cordaPart.preflight(), []);
    assert.deepEqual(Object.keys(cordaPart.variants).sort(), Object.keys(CORDA_VARIANTS).sort());
  });

  test('variants: mutual-exclusion-off, web-probe-always-open, wait-not-above-update fail their guarantees', async (t) => {
    {
      const s = await start('mutual-exclusion-off');
      try {
        const window = await observe(s, 'CORDA-LB-02');
        // a sampling window is CORDA-HA-01's evidence too: which nodes accept connections, and the lease
        const evidence = await evidenceOf(s, { 'CORDA-LB-02': window, 'CORDA-HA-01': window });
        for (const id of ['CORDA-CFG-01', 'CORDA-HA-01']) {
          const v = judge(id, evidence);
          t.diagnostic(`mutual-exclusion-off ${id} ${v.status}: ${v.message}`);
          assertStatus(v, 'failed');
        }
        // with both nodes active there is no "hot node" to route to: the check cannot pass (it says why)
        const lb02 = judge('CORDA-LB-02', evidence);
        t.diagnostic(`mutual-exclusion-off CORDA-LB-02 ${lb02.status}: ${lb02.message}`);
        assert.notEqual(lb02.status, 'passed', lb02.message);
      } finally {
        await release(s);
      }
    }
    {
      const s = await start('web-probe-always-open');
      try {
        const evidence = await evidenceOf(s, { 'CORDA-LB-02': await observe(s, 'CORDA-LB-02') });
        const v = judge('CORDA-LB-02', evidence);
        t.diagnostic(`web-probe-always-open CORDA-LB-02 ${v.status}: ${v.message}`);
        assertStatus(v, 'failed');
        assert.match(v.message, /web/);
        t.diagnostic(`web-probe-always-open CORDA-LB-01 (static): ${judge('CORDA-LB-01', evidence).status}`);
      } finally {
        await release(s);
      }
    }
    {
      const s = await start('wait-not-above-update');
      try {
        const evidence = await evidenceOf(s);
        const v = judge('CORDA-CFG-01', evidence);
        t.diagnostic(`wait-not-above-update CORDA-CFG-01 ${v.status}: ${v.message}`);
        assertStatus(v, 'failed');
        // the consequence, live: the nodes refuse that configuration, so nobody ever takes the lease or serves
        assert.equal(evidence.live.leaseRow, null);
        const sample = await sampleCorda(s.part.live);
        assert.deepEqual(Object.values(sample.nodes).filter((p) => p.p2p || p.rpc || p.web), []);
      } finally {
        await release(s);
      }
    }
  });

  test('reference: every static check passes, the drills record the timeline contract, their checks pass, nothing is left', async (t) => {
    const s = await start();
    const ports = portsOf(s);
    t.diagnostic(`start-up: ${JSON.stringify(s.part.timings)}`);
    try {
      assert.equal(s.part.observations['CORDA-LB-02'].disruptive, false);
      for (const id of ['CORDA-HA-01', 'CORDA-HA-02', 'CORDA-LB-03']) assert.equal(s.part.observations[id].disruptive, true);
      assert.deepEqual(s.part.unavailable, {});

      const timelines: Record<string, Timeline> = {};
      for (const id of ['CORDA-LB-02', 'CORDA-HA-01', 'CORDA-HA-02', 'CORDA-LB-03']) {
        const t0 = Date.now();
        timelines[id] = await observe(s, id);
        t.diagnostic(`${id}: ${Date.now() - t0} ms, ${samplesOf(timelines[id]).length} samples, median gap ${medianGap(timelines[id])} ms`);
        assertTimelineShape(timelines[id], id);
      }
      const ha01 = faultsOf(timelines['CORDA-HA-01']);
      assert.equal(ha01[0]?.action, 'start-duplicate');
      assert.equal(ha01[0]?.node, `${timelines['CORDA-HA-01'].params.coldNode}-duplicate`);
      assert.ok(samplesOf(timelines['CORDA-HA-01']).some((x) => ha01[0].node in x.nodes), 'the duplicate is sampled');
      assert.equal(faultsOf(timelines['CORDA-HA-02'])[0]?.action, 'cut-database');
      assert.ok(timelines['CORDA-HA-02'].events.some((e) => e.kind === 'restore' && e.action === 'restore-database'));
      const lb03 = faultsOf(timelines['CORDA-LB-03'])[0];
      assert.equal(lb03?.action, 'stop');
      assert.equal(lb03?.node, timelines['CORDA-LB-03'].params.hotNode);

      const evidence = await evidenceOf(s, timelines);
      assert.equal(evidence.live.database?.reachable, true);
      assert.equal(evidence.live.sharedDrive?.seen, true);
      assert.ok(evidence.live.leaseRow?.machineName, 'a node holds the lease');
      for (const id of ['CORDA-ID-01', 'CORDA-CFG-01', 'CORDA-CFG-02', 'CORDA-DB-01', 'CORDA-FS-01', 'CORDA-LB-01', 'CORDA-HA-01', 'CORDA-HA-02', 'CORDA-LB-02', 'CORDA-LB-03']) {
        const v = judge(id, evidence);
        t.diagnostic(`${id} ${v.status}: ${v.message}`);
        assertStatus(v, 'passed');
      }
      const failover = (judge('CORDA-LB-03', evidence).evidence as { failoverMs: number }).failoverMs;
      t.diagnostic(`measured failover: ${failover} ms`);
      // freeze / thaw: the process really stops (state T) and goes on; briefly, so that it keeps its lease
      const hot = evidence.live.leaseRow!.machineName.endsWith('corda-primary') ? 'primary' : 'backup';
      const pid = s.part.live.nodes().find((n) => n.name === hot)?.pid;
      assert.ok(pid, `${hot} has a process`);
      const state = async () => (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '')[0];
      await s.part.faults.freeze(hot);
      assert.equal(await state(), 'T');
      await s.part.faults.thaw(hot);
      assert.notEqual(await state(), 'T');
      // no secret in what a report would show
      const shown = JSON.stringify({ timelines, descriptor: s.part.descriptor, lines: s.lines });
      assert.ok(!shown.includes(process.env[`HA_LOCAL_CORDA_DB_PASSWORD_${s.part.runId}`] ?? '\u0000'), 'the database password leaked');
    } finally {
      await release(s);
    }
    await assertNothingLeft(s.part.runId, ports);
  });

  test('variants: same-machine-name fails CORDA-HA-01; pool-missing-backup fails CORDA-LB-01; stopping under a drill leaves nothing', async (t) => {
    {
      // a longer updateInterval makes each overlap (claim → the other's next refresh) long enough to be sampled surely
      const s = await start('same-machine-name', { cordaUpdateIntervalMs: 1000, cordaWaitIntervalMs: 2000 });
      try {
        const evidence = await evidenceOf(s, { 'CORDA-HA-01': await observe(s, 'CORDA-HA-01') });
        for (const id of ['CORDA-CFG-01', 'CORDA-HA-01']) {
          const v = judge(id, evidence);
          t.diagnostic(`same-machine-name ${id} ${v.status}: ${v.message}`);
          assertStatus(v, 'failed');
        }
      } finally {
        await release(s);
      }
    }
    const s = await start('pool-missing-backup');
    const ports = portsOf(s);
    let drill: Promise<unknown> | undefined;
    try {
      const v = judge('CORDA-LB-01', await evidenceOf(s));
      t.diagnostic(`pool-missing-backup CORDA-LB-01 ${v.status}: ${v.message}`);
      assertStatus(v, 'failed');
      drill = observe(s, 'CORDA-LB-03');
      drill.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      const t0 = Date.now();
      await release(s);
      // the drill under way ends at once, with the environment's failure
      if (drill) await assert.rejects(drill, /stopped during the drill|environment is stopped/);
      t.diagnostic(`stopped under a drill: released in ${Date.now() - t0} ms`);
    }
    await assertNothingLeft(s.part.runId, ports);
  });

  test('Ctrl-C (SIGINT) of a process in the middle of a drill leaves nothing behind', async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./corda-sigint-child.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const seen: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) seen.push(JSON.parse(l) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const waitFor = async (pred: (o: Record<string, unknown>) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!seen.some(pred)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the child did not get there within ${ms} ms:\n${JSON.stringify(seen)}\n${err}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 200))]);
      }
      return seen.find(pred)!;
    };
    let runId = '';
    try {
      runId = String((await waitFor((o) => 'runId' in o, 60000)).runId);
      const started = (await waitFor((o) => o.started === true, 120000)) as { addresses: Record<string, string>; ports: CordaPorts; dbPort: number };
      await waitFor((o) => o.drill === 'CORDA-LB-03', 5000);
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const { code } = await Promise.race([exited, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error('no exit 20 s after SIGINT')), 20000)))]);
      clearTimeout(timer);
      t.diagnostic(`exit ${code} ${Date.now() - t0} ms after SIGINT`);
      assert.equal(code, 130, err);
      await assertNothingLeft(runId, portPairs(started.addresses, started.ports, started.dbPort));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

// Alone, after the lanes above: it changes process.env, which the parts read.
describe('local environment, Corda part, without HAProxy installed', () => {
  test('the load-balancer guarantees are unavailable with the install command; the pair and its lease still run and are judged', async () => {
    const saved = process.env.HAPROXY_BIN;
    process.env.HAPROXY_BIN = join(tmpdir(), 'no-such-haproxy');
    let s: Started | undefined;
    try {
      assert.ok((await cordaPart.preflight()).some((p) => /apt-get install -y haproxy/.test(p)), 'preflight says what is missing');
      s = await start();
      for (const id of ['CORDA-LB-01', 'CORDA-LB-02', 'CORDA-LB-03']) {
        assert.match(s.part.unavailable[id], /haproxy is not installed: install it with `apt-get install -y haproxy`/, id);
      }
      assert.ok(s.lines.some((l) => /haproxy is not installed/.test(l)), 'the log says so');
      const evidence = await evidenceOf(s, { 'CORDA-HA-01': await observe(s, 'CORDA-HA-01') });
      for (const id of ['CORDA-CFG-01', 'CORDA-HA-01']) assertStatus(judge(id, evidence), 'passed');
    } finally {
      if (saved === undefined) delete process.env.HAPROXY_BIN;
      else process.env.HAPROXY_BIN = saved;
      if (s) await release(s);
    }
  });
});
