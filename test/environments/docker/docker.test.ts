/**
 * The docker environment end to end: the offline images are built (or reused), the Corda hot-cold pair starts in
 * containers, every Corda drill runs — the partition drill among them — and the catalogue's checks judge the
 * reference as `validate` would. Then nothing with the run's label may remain: after a normal stop, and after
 * Ctrl-C (SIGINT) of a separate process in the middle of a drill.
 *
 * Skipped, with the reason, where no Docker engine is reachable or the images cannot be made. The preflight
 * messages are checked everywhere (they need no engine).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerEnvironment, PARTITION_KEY, PARTITION_JUDGE, type StartedDockerEnvironment } from '../../../support/environments/docker/index.ts';
import { engineProblems, leftovers } from '../../../support/environments/docker/engine.ts';
import { buildOfflineImages } from '../../../support/environments/docker/images/build.ts';
import { nodeContainerSpec } from '../../../support/environments/docker/node.ts';
import { collectStaticEvidence } from '../../../support/evidence/collect.ts';
import { mergeLive } from '../../../support/validate.ts';
import { withEnvironmentSettings } from '../../../support/run.ts';
import { byId, evaluateCheck } from '../../../support/checks/catalogue.ts';
import { TEMP_PREFIX } from '../../../support/environments/common/resources.ts';
import type { Evidence, LiveEvidence, Timeline } from '../../../support/evidence/model.ts';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

const STATIC_IDS = ['CORDA-ID-01', 'CORDA-CFG-01', 'CORDA-CFG-02', 'CORDA-DB-01', 'CORDA-FS-01', 'CORDA-LB-01'];
const DRILLS = ['CORDA-LB-02', 'CORDA-HA-01', 'CORDA-HA-02', 'CORDA-LB-03', PARTITION_KEY];

const engine = await engineProblems();
let skip: string | false = engine.length ? `no Docker engine here: ${engine.join('; ')}` : false;
let buildMs = 0;
if (!skip) {
  const t = Date.now();
  try {
    await buildOfflineImages({ prune: true });
    buildMs = Date.now() - t;
  } catch (err) {
    skip = `the offline images cannot be built here: ${(err as Error).message}`;
  }
}

async function runDirs(runId: string): Promise<string[]> {
  return (await readdir(tmpdir())).filter((d) => d.startsWith(`${TEMP_PREFIX}${runId}-`));
}

interface SigintResult {
  runId?: string;
  code: number | null;
  err: string;
  before: Awaited<ReturnType<typeof leftovers>>;
  after: Awaited<ReturnType<typeof leftovers>>;
  dirs: string[];
}

/**
 * A separate process starts the environment and runs CORDA-LB-03; 2.5 s into the drill it gets SIGINT. It starts
 * when this file loads, so its start-up overlaps the main suite's; the main suite waits for it to finish before
 * running its own drills, so the two never share the machine while timing matters.
 */
async function runSigintChild(): Promise<SigintResult> {
  const empty = { containers: [], networks: [], volumes: [] };
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'support/environments/docker/cli.ts'), '--drill', 'CORDA-LB-03'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const runId = await new Promise<string | undefined>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready run=([0-9a-f]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then(() => resolve(undefined));
    setTimeout(() => resolve(undefined), 90_000).unref();
  });
  if (!runId) {
    child.kill('SIGKILL');
    return { code: await exited, err, before: empty, after: empty, dirs: [] };
  }
  const before = await leftovers(runId);
  await new Promise((r) => setTimeout(r, 2500));
  child.kill('SIGINT');
  const code = await exited;
  return { runId, code, err, before, after: await leftovers(runId), dirs: await runDirs(runId) };
}

const sigint = skip ? undefined : runSigintChild();

describe('docker environment: preflight', () => {
  test('a missing docker CLI is one clear line, at once', async () => {
    const t = Date.now();
    const problems = await dockerEnvironment({ env: { ...process.env, PATH: '/nonexistent' } }).preflight();
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /docker CLI is not installed.*apt-get install -y docker\.io/);
    assert.ok(Date.now() - t < 5000);
  });

  test('an unreachable engine is one clear line with how to start it, never a hang', async () => {
    const t = Date.now();
    const problems = await dockerEnvironment({ env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }).preflight();
    const engineLines = problems.filter((p) => /engine/.test(p));
    assert.equal(engineLines.length, 1, problems.join('\n'));
    assert.match(engineLines[0], /not reachable.*dockerd/);
    assert.doesNotMatch(engineLines[0], /\n| {4}at /, 'no stack trace');
    assert.ok(Date.now() - t < 15_000);
  });

  test('an unknown variant is named with the known ones', async () => {
    const problems = await dockerEnvironment({ variant: 'no-such-variant', env: { ...process.env, PATH: '/nonexistent' } }).preflight();
    assert.match(problems[0], /unknown docker variant "no-such-variant"; known: .*mutual-exclusion-off/);
  });
});

describe('docker environment: how a node container runs', () => {
  const input = { confFile: '/tmp/r/primary/node.conf', sharedDrive: '/tmp/r/shared', stateDir: '/tmp/r/state/primary', password: 'p', restartBackoffMs: 500 };
  test('a real Corda Enterprise image: node.conf, artemis and drivers where the image reads them, the licence accepted, minutes to start', () => {
    const spec = nodeContainerSpec({ ...input, realCorda: true, drivers: '/opt/jdbc' });
    assert.deepEqual(spec.binds, [
      { source: '/tmp/r/primary/node.conf', target: '/etc/corda/node.conf', mode: 'ro' },
      { source: '/tmp/r/shared', target: '/opt/corda/artemis', mode: 'rw' },
      { source: '/opt/jdbc', target: '/opt/corda/drivers', mode: 'ro' },
    ]);
    assert.equal(spec.env.ACCEPT_LICENSE, 'Y');
    assert.ok(spec.startupTimeoutMs >= 120_000);
    assert.equal(spec.user, undefined, "the image's own user");
    assert.throws(() => nodeContainerSpec({ ...input, realCorda: true }), /HA_DOCKER_CORDA_DRIVERS/);
  });
  test('the stand-in: the same node.conf and artemis paths, its state directory, the supervisor ready line', () => {
    const spec = nodeContainerSpec({ ...input, realCorda: false, user: '1000:1000' });
    assert.deepEqual(spec.binds.map((b) => b.target), ['/etc/corda/node.conf', '/opt/corda/artemis', '/var/run/ha-conformance']);
    assert.equal(spec.env.RESTART_BACKOFF, '0.5');
    assert.equal(spec.readyLog, 'supervise: starting');
    assert.equal(spec.user, '1000:1000');
    assert.equal(spec.env.ACCEPT_LICENSE, undefined);
  });
});

describe('docker environment: the Corda hot-cold pair in containers', { skip }, () => {
  let env: StartedDockerEnvironment;
  let evidence: Evidence;
  let live: Partial<LiveEvidence>;
  const timelines: Record<string, Timeline> = {};
  const log: string[] = [];

  before(async () => {
    assert.ok(buildMs < 120_000, `building the offline images took ${buildMs} ms`);
    const environment = dockerEnvironment({ log: (l) => log.push(l) });
    assert.deepEqual(await environment.preflight(), []);
    env = await environment.start();
    live = await env.collectLive();
    // the environment's own settings (its wider failover tolerance, with why), as a run applies them
    evidence = withEnvironmentSettings(await collectStaticEvidence(env.descriptor), env.settings, 'docker');
    await sigint;
  });

  after(async () => {
    await env?.stop();
  });

  test('starts from local images only and says why each public image was not used', () => {
    for (const c of Object.values(env.images)) {
      assert.match(c.image, /^ha-conformance\//, `${c.role}: ${c.image}`);
      assert.equal(c.pull, false);
    }
    assert.ok(env.images.node.skipped.some((s) => /corda-enterprise/.test(s.strategy) && /not in the local image store/.test(s.why)));
    assert.ok(log.some((l) => /database runs ha-conformance\/postgres/.test(l)));
    assert.ok(env.timings.startMs < 60_000, `start took ${env.timings.startMs} ms`);
  });

  test('the descriptor names what was started: node.conf files, the load balancer config, mapped ports', () => {
    const d = env.descriptor;
    assert.equal(d.corda?.nodes.length, 2);
    assert.equal(d.corda?.loadBalancer?.format, 'haproxy');
    assert.match(String(d.corda?.loadBalancer?.export), /haproxy\.cfg$/);
    assert.equal(d.live.database?.host, '127.0.0.1');
    assert.match(String(d.live.loadBalancerAdmin), /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const docker = d.live.docker as { runId: string; networks: Record<string, { name: string }>; published: Record<string, unknown> };
    assert.equal(docker.runId, env.runId);
    assert.deepEqual(Object.keys(docker.networks).sort(), ['database', 'loadBalancer']);
    assert.ok(docker.published.observer);
  });

  test('no secret in the files it wrote: the password is a ${VAR} reference', async () => {
    const password = process.env[`HA_DOCKER_CORDA_DB_PASSWORD_${env.runId}`];
    assert.ok(password, 'the password variable is set while the environment runs');
    const files = [env.descriptorFile, ...env.descriptor.corda!.nodes.map((n) => n.config), String(env.descriptor.corda!.loadBalancer!.export)];
    for (const f of files) assert.ok(!(await readFile(f, 'utf8')).includes(password), `${f} holds the database password`);
    assert.match(await readFile(env.descriptorFile, 'utf8'), /\$\{HA_DOCKER_CORDA_DB_PASSWORD_[0-9a-f]+\}/);
  });

  test('static and live checks pass on the reference', () => {
    const ev = mergeLive(evidence, live);
    for (const id of STATIC_IDS) {
      const v = evaluateCheck(byId(id)!, ev);
      assert.equal(v.status, 'passed', `${id}: ${v.message}`);
    }
    assert.equal(live.database?.reachable, true);
    assert.equal(live.sharedDrive?.seen, true, JSON.stringify(live.sharedDrive));
  });

  for (const key of DRILLS) {
    test(`drill ${key} passes its check`, { timeout: 60_000 }, async () => {
      const obs = env.observations[key];
      assert.ok(obs, `no observation ${key}; unavailable: ${env.unavailable[key]}`);
      const tl = await obs.run({ settings: evidence.settings });
      timelines[key] = tl;
      const v = evaluateCheck(byId(obs.id)!, mergeLive(evidence, { ...live, timelines: { [obs.id]: tl } }));
      assert.equal(v.status, 'passed', `${key} → ${obs.id}: ${v.message}`);
      // the containers' wider tolerance is a named setting of the environment, stated in the verdict, not an
      // edit inside the drill (whose params hold no bound)
      if (key === 'CORDA-LB-03' || key === 'CORDA-HA-02') assert.match(v.message, /tolerance failoverToleranceMs \d+ ms \(docker environment: containers: /);
      assert.equal(tl.params.toleranceMs, undefined);
    });
  }

  test('the partition drill is recorded: the hot node cut from both networks, the backup took over and was routed', () => {
    const tl = timelines[PARTITION_KEY];
    assert.ok(tl, 'the partition drill did not run');
    assert.equal(env.observations[PARTITION_KEY].id, PARTITION_JUDGE);
    const fault = tl.events.find((e) => e.kind === 'fault' && e.action === 'partition');
    assert.ok(fault, 'no partition fault in the timeline');
    assert.equal((fault.networks as string[]).length, 2);
    assert.equal(fault.node, tl.params.hotNode);
    const took = tl.events.find((e) => e.kind === 'note' && 'tookOver' in e);
    assert.equal(took?.tookOver, true, JSON.stringify(took));
    assert.ok(Number(took?.failoverMs) <= Number(took?.expectedMs), `failover ${took?.failoverMs} ms over the bound ${took?.expectedMs} ms`);
    assert.ok(tl.events.some((e) => e.kind === 'restore' && e.action === 'heal-partition'));
    // sampled on both sides of the heal: the old hot node came back cold
    const heal = tl.events.find((e) => e.kind === 'restore')!;
    assert.ok(tl.events.filter((e) => e.kind === 'sample' && e.t > heal.t).length > 10);
  });

  test('after stop, nothing with the run label remains', async () => {
    await env.stop();
    assert.deepEqual(await leftovers(env.runId), { containers: [], networks: [], volumes: [] });
    assert.deepEqual(await runDirs(env.runId), []);
  });
});

describe('docker environment: Ctrl-C in the middle of a drill', { skip }, () => {
  test('SIGINT to a process running a drill removes every container, network and temp dir of its run', { timeout: 120_000 }, async () => {
    const r = await sigint!;
    assert.ok(r.runId, `the child never got ready:\n${r.err.slice(-3000)}`);
    assert.ok(r.before.containers.length >= 5, `expected the run's containers while it ran, got ${JSON.stringify(r.before)}`);
    assert.equal(r.code, 130, `exit code ${r.code}\n${r.err.slice(-2000)}`);
    assert.deepEqual(r.after, { containers: [], networks: [], volumes: [] });
    assert.deepEqual(r.dirs, []);
  });
});
