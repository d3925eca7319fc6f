/**
 * The validator image. The offline one (scripts/build-offline-images, no registry) is run as an operator would:
 * `docker run --read-only --user <non-root>` with the deployment's files mounted read-only, no network. The
 * Dockerfile for users with a registry cannot be built here (its base image would be pulled), so its final stage
 * is checked against the offline image's contract instead: the same user, entry point, command, environment and
 * labels.
 *
 * The docker part is skipped, with the reason, where no Docker engine is reachable or the image cannot be made.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';
import { readExposition } from '../helpers/exposition.ts';
import { httpGet } from '../helpers/http.ts';
import { catalogue } from '../../support/checks/catalogue.ts';
import { engineProblems } from '../../support/environments/docker/engine.ts';
import { buildOfflineImages } from '../../support/environments/docker/images/build.ts';
import { imagePlan } from '../../support/environments/docker/images/plan.ts';
import { VALIDATOR_IMAGE } from '../../support/environments/docker/images/contract.ts';
import { validatorLabels } from '../../support/environments/docker/images/validator.ts';

const RUN_LABEL = 'ha-conformance.test=validator-image';
const figures: string[] = [];

/** The instructions of the Dockerfile's last stage, continuation lines joined. */
async function finalStage(): Promise<{ from: string; stages: number; instructions: Array<{ op: string; args: string }>; args: Record<string, string> }> {
  const text = (await readFile(join(repoRoot, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const globalArgs: Record<string, string> = {};
  let stages = 0;
  let from = '';
  let instructions: Array<{ op: string; args: string }> = [];
  for (const line of lines) {
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      stages++;
      from = args;
      instructions = [];
    } else if (op.toUpperCase() === 'ARG' && stages === 0) {
      const [k, v] = args.split('=');
      globalArgs[k] = v ?? '';
    } else {
      instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return { from, stages, instructions, args: globalArgs };
}

/** `KEY="value" KEY2=value2` of a LABEL instruction */
function labelPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1]] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
  return out;
}

test('the Dockerfile is multi-stage on node:20-slim and its last stage matches the offline image: user, entry point, command, labels', async () => {
  const stage = await finalStage();
  assert.ok(stage.stages >= 2, 'the Dockerfile has one stage: the compiler would stay in the image');
  assert.equal(stage.from.replace('${NODE_IMAGE}', stage.args.NODE_IMAGE), 'node:20-slim');
  const one = (op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
  assert.deepEqual(one('USER'), [`${VALIDATOR_IMAGE.uid}:${VALIDATOR_IMAGE.uid}`]);
  assert.deepEqual(one('ENTRYPOINT').map((a) => JSON.parse(a) as unknown), [VALIDATOR_IMAGE.entrypoint]);
  assert.deepEqual(one('CMD').map((a) => JSON.parse(a) as unknown), [VALIDATOR_IMAGE.cmd]);
  assert.deepEqual(one('ENV'), ['NODE_ENV=production']);
  assert.ok(one('RUN').some((r) => r.includes(`--uid ${VALIDATOR_IMAGE.uid}`) && r.includes(VALIDATOR_IMAGE.user)), 'the runtime user is not created with the image contract uid');
  // the compiler and the sources stay in the build stages: only the installed package is copied into the last one
  assert.deepEqual(one('COPY'), [`--from=install ${VALIDATOR_IMAGE.packageDir} ${VALIDATOR_IMAGE.packageDir}`]);
  const argDefaults = Object.fromEntries(one('ARG').map((a) => a.split('=')));
  const labels = Object.fromEntries(Object.entries(one('LABEL').reduce((acc, a) => ({ ...acc, ...labelPairs(a) }), {} as Record<string, string>)).map(([k, v]) => [k, v.replace('${VERSION}', argDefaults.VERSION)]));
  assert.deepEqual(labels, await validatorLabels());
  const plan = await imagePlan('validator');
  for (const [k, v] of Object.entries(labels)) assert.ok(plan.changes.includes(`LABEL ${k}=${JSON.stringify(v)}`), `the offline image lacks the label ${k}`);
});

const engine = await engineProblems();
let skip: string | false = engine.length ? `no Docker engine here: ${engine.join('; ')}` : false;
let ref = '';
if (!skip) {
  try {
    const [built] = await buildOfflineImages({ only: ['validator'] });
    ref = built.ref;
    figures.push(`image ${built.built ? 'built' : 'up to date'} in ${built.ms} ms, ${Math.round((built.sizeBytes ?? 0) / 1e6)} MB`);
  } catch (err) {
    skip = `the offline validator image cannot be built here: ${(err as Error).message}`;
  }
}

after(async () => {
  if (figures.length) process.stdout.write(`# ${figures.join('; ')}\n`);
  if (skip) return;
  const left = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}`], { encoding: 'utf8' }).stdout.trim();
  if (left) spawnSync('docker', ['rm', '-f', ...left.split('\n')]);
});

/** `docker run` of the offline image, as an operator would: read-only root, non-root user, no network. */
function dockerRun(args: string[], mounts: string[] = [], extra: string[] = []) {
  const fixtures = join(repoRoot, 'fixtures');
  const r = spawnSync(
    'docker',
    ['run', '--rm', '--label', RUN_LABEL, '--read-only', '--user', `${VALIDATOR_IMAGE.uid}:${VALIDATOR_IMAGE.uid}`, '--network', 'none', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '-v', `${fixtures}:/fixtures:ro`, ...mounts.flatMap((m) => ['-v', m]), ...extra, ref, ...args],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('docker run of the offline image validates the reference (exit 0) and finds a violation (exit 1)', { skip }, () => {
  const t = Date.now();
  const ok = dockerRun(['--target', '/fixtures/reference/target.yaml']);
  figures.push(`docker run on the reference ${Date.now() - t} ms`);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /\d+ checks: \d+ passed, 0 failed, 0 broken/);

  const bad = dockerRun(['--target', '/fixtures/violations/FAB-ORD-05-same-zone/target.yaml']);
  assert.equal(bad.code, 1, bad.stderr + bad.stdout);
  assert.match(bad.stdout, /FAIL\s+FAB-ORD-05/);
});

test('reports go to a mounted volume; the rest of the file system stays read-only', { skip }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'hac-test-image-reports-'));
  try {
    await chown(out, VALIDATOR_IMAGE.uid, VALIDATOR_IMAGE.uid).catch(() => undefined);
    const r = dockerRun(['--target', '/fixtures/reference/target.yaml', '--format', 'junit', '--output', '/reports/junit.xml', '--allure-results', '/reports/allure-results'], [`${out}:/reports`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await readFile(join(out, 'junit.xml'), 'utf8'), /^<\?xml[\s\S]*<testsuite/);
    const denied = dockerRun(['--target', '/fixtures/reference/target.yaml', '--output', '/opt/ha-conformance/report.txt']);
    // 3 (could not complete) today; 2 if output paths come to be checked as arguments
    assert.ok(denied.code === 3 || denied.code === 2, `a write outside the mounted volume: exit ${denied.code}`);
    assert.match(denied.stderr, /EROFS|read-only file system/i);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('the image runs as the non-root user by default and has no shell', { skip }, () => {
  const inspect = spawnSync('docker', ['image', 'inspect', '--format', '{{.Config.User}}', ref], { encoding: 'utf8' });
  assert.equal(inspect.stdout.trim(), `${VALIDATOR_IMAGE.uid}:${VALIDATOR_IMAGE.uid}`);
  const shell = dockerRun([], [], ['--entrypoint', '/bin/sh']);
  assert.notEqual(shell.code, 0, 'the image has a shell');
});

test('serve in the image: /metrics through a published loopback port has a series per guarantee and per certificate; docker stop ends it cleanly', { skip }, async () => {
  // as the Deployment runs it: read-only root, non-root, no capabilities, an in-memory /tmp, listening on all of
  // the container's own interfaces; published on the host's loopback only
  const run = spawnSync(
    'docker',
    ['run', '-d', '--label', RUN_LABEL, '--read-only', '--user', `${VALIDATOR_IMAGE.uid}:${VALIDATOR_IMAGE.uid}`, '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--tmpfs', '/tmp', '-p', '127.0.0.1::9464', '-v', `${join(repoRoot, 'fixtures')}:/fixtures:ro`, ref,
      'serve', '--target', '/fixtures/reference/target.yaml', '--target', '/fixtures/violations/FAB-ORD-08-expiring/target.yaml', '--interval', '1m', '--listen', '0.0.0.0:9464'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const port = spawnSync('docker', ['port', id, '9464/tcp'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    assert.match(port, /^127\.0\.0\.1:\d+$/, 'not published on loopback');
    const url = `http://${port}`;
    const t = Date.now();
    let text = '';
    // the first run of both targets: bounded by attempts, not by time
    for (let i = 0; i < 600 && !/ha_conformance_up\{target="FAB-ORD-08-expiring"\}/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = (await httpGet(`${url}/metrics`)).body;
    }
    figures.push(`serve in the image: first metrics after ${Date.now() - t} ms`);
    const { samples, problems } = readExposition(text);
    assert.deepEqual(problems, []);
    const series = (name: string, labels: Record<string, string>) => samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    for (const target of ['reference', 'FAB-ORD-08-expiring']) {
      assert.equal(series('ha_conformance_up', { target })[0]?.value, 1, `${target} is not up:\n${spawnSync('docker', ['logs', id], { encoding: 'utf8' }).stderr}`);
      for (const c of catalogue) assert.equal(series('ha_conformance_check_status', { target, id: c.id }).filter((x) => x.value === 1).length, 1, `${target} ${c.id}`);
    }
    assert.equal(series('ha_conformance_check_status', { target: 'FAB-ORD-08-expiring', id: 'FAB-ORD-08', status: 'failed' })[0]?.value, 1);
    // a series per certificate: the TLS certificate of each ordering node, at the path it has in the container
    for (let i = 1; i <= 5; i++) {
      const file = `reference/crypto/org0/orderers/org0-orderer${i}/tls.pem`;
      const cert = series('ha_conformance_certificate_expiry_timestamp_seconds', { target: 'reference', role: 'orderer-tls', node: `org0-orderer${i}` });
      assert.deepEqual(cert.map((x) => x.labels.source), [`/fixtures/${file}`]);
      assert.equal(cert[0].value, Date.parse(new X509Certificate(await readFile(join(repoRoot, 'fixtures', file))).validTo) / 1000);
    }
    const rss = series('process_resident_memory_bytes', {})[0]?.value;
    figures.push(`serve in the image: ${samples.length} series, RSS ${Math.round(rss / 2 ** 20)} MB`);
    assert.equal((await httpGet(`${url}/healthz`)).status, 200);
    const report = JSON.parse((await httpGet(`${url}/report.json?target=reference`)).body) as { summary: { failed: number; passed: number } };
    assert.equal(report.summary.failed, 0);

    const t2 = Date.now();
    const stop = spawnSync('docker', ['stop', '-t', '30', id], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(stop.status, 0, stop.stderr);
    figures.push(`docker stop ${Date.now() - t2} ms`);
    const state = spawnSync('docker', ['inspect', '-f', '{{.State.ExitCode}}', id], { encoding: 'utf8' }).stdout.trim();
    const logs = spawnSync('docker', ['logs', id], { encoding: 'utf8' });
    assert.equal(state, '0', `serve did not stop cleanly on SIGTERM:\n${logs.stderr}`);
    assert.match(logs.stderr, /SIGTERM: stopping[\s\S]*stopped/);
  } finally {
    spawnSync('docker', ['rm', '-f', id]);
  }
});
