/**
 * The kind environment driven end to end with a fake `kind` and a fake `docker` (test/fakes/) and a stand-in
 * Kubernetes API server on 127.0.0.1: cluster creation arguments, the deployment applied by server-side apply,
 * region loss and restore, teardown in every case, and preflight reasons when a piece is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { kindEnvironment, type StartedKindEnvironment } from '../../../support/environments/kind/index.ts';
import { DEFAULT_NODE_IMAGE, type KindOptions } from '../../../support/environments/kind/options.ts';
import { CommandError } from '../../../support/environments/kind/kind-cli.ts';
import { BrokenError } from '../../../support/errors.ts';
import { TEMP_PREFIX } from '../../../support/environments/common/resources.ts';
import { generateDeployment } from '../../../support/reference/generate.ts';
import { FABRIC_IMAGES } from '../../../support/reference/kubernetes.ts';
import type { MemberState, OrderingProbe } from '../../../support/drills/ordering-probe.ts';
import type { Timeline } from '../../../support/evidence/model.ts';
import { startFakeKubeApi, type FakeKubeApi } from '../../fakes/kube-api-server.ts';
import { buildStaticEvidence } from '../../helpers/evidence-builder.ts';
import { expectStatus } from '../../helpers/verdicts.ts';

const FAKES = resolve(fileURLToPath(new URL('../../fakes', import.meta.url)));
const KIND = join(FAKES, 'kind');
const DOCKER = join(FAKES, 'docker');

let api: FakeKubeApi;
let work: string;
let referenceDir: string;
let manifestsDir: string;

interface Call {
  tool: 'kind' | 'docker';
  argv: string[];
  config?: string;
}

/** A fresh fake-tool world per test: its own state dir and call log. */
async function world(extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; calls: () => Promise<Call[]>; state: string; lines: string[] }> {
  const dir = await mkdtemp(join(work, 'world-'));
  const logFile = join(dir, 'calls.jsonl');
  const state = join(dir, 'state');
  await mkdir(state);
  api.autoClusters(join(state, 'clusters.json'));
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    KIND_BIN: KIND,
    DOCKER_BIN: DOCKER,
    FAKE_KIND_LOG: logFile,
    FAKE_DOCKER_LOG: logFile,
    FAKE_KIND_STATE: state,
    FAKE_KIND_API_SERVER: api.url,
    FAKE_KIND_CA_DATA: b64(api.ca.certPem),
    FAKE_KIND_CLIENT_CERT_DATA: b64(api.client.certPem),
    FAKE_KIND_CLIENT_KEY_DATA: b64(api.client.keyPem),
    FAKE_DOCKER_IMAGES: [DEFAULT_NODE_IMAGE, ...Object.values(FABRIC_IMAGES)].join(','),
    ...extra,
  };
  const calls = async () =>
    existsSync(logFile)
      ? (await readFile(logFile, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Call)
      : [];
  return { env, calls, state, lines: [] };
}

function options(w: { env: NodeJS.ProcessEnv; lines: string[] }, o: Partial<KindOptions> = {}): KindOptions {
  return {
    env: w.env,
    log: (l) => w.lines.push(l),
    referenceDir,
    timeouts: { createMs: 30_000, nodesMs: 10_000, readyMs: 10_000 },
    ...o,
  };
}

const argOf = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

async function clustersInState(state: string): Promise<string[]> {
  const f = join(state, 'clusters.json');
  if (!existsSync(f)) return [];
  return Object.keys((JSON.parse(await readFile(f, 'utf8')) as { clusters: Record<string, unknown> }).clusters);
}

async function runDirsLeft(runId: string): Promise<string[]> {
  return (await readdir(tmpdir())).filter((e) => e.startsWith(`${TEMP_PREFIX}${runId}-`));
}

before(async () => {
  api = await startFakeKubeApi();
  work = await mkdtemp(join(tmpdir(), 'hac-test-kind-'));
  referenceDir = join(work, 'reference');
  await generateDeployment(referenceDir);
  // a small user deployment: one directory per region
  manifestsDir = join(work, 'user-manifests');
  for (const r of ['r1', 'r2']) {
    await mkdir(join(manifestsDir, r), { recursive: true });
    await writeFile(
      join(manifestsDir, r, 'app.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: StatefulSet',
        'metadata: { name: org0-orderer1, namespace: test-network }',
        'spec:',
        '  replicas: 1',
        '  serviceName: org0-orderer1',
        '  selector: { matchLabels: { app: org0-orderer1 } }',
        '  template:',
        '    metadata: { labels: { app: org0-orderer1 } }',
        '    spec: { containers: [{ name: main, image: hyperledger/fabric-orderer:2.5.12 }] }',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata: { name: org0-orderer1, namespace: test-network }',
        'spec: { selector: { app: org0-orderer1 }, ports: [{ port: 6050 }] }',
        '',
      ].join('\n'),
    );
  }
});

after(async () => {
  await api.close();
  await rm(work, { recursive: true, force: true });
});

test('start: one cluster per region (ipvs, region and zone labels, run id), the reference applied, a descriptor written; stop deletes them all', async () => {
  const w = await world();
  // a cluster left by an earlier run whose harness is gone (no temp dir of a live process names its run id)
  const { runCommand } = await import('../../../support/environments/kind/kind-cli.ts');
  const orphanConfig = join(work, 'orphan.yaml');
  await writeFile(orphanConfig, 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: [{ role: control-plane }]\n');
  await runCommand(KIND, ['create', 'cluster', '--name', 'hac-deadbeef-r1', '--config', orphanConfig, '--kubeconfig', join(work, 'orphan-kubeconfig')], {
    timeoutMs: 30_000,
    env: w.env,
  });

  const envr = kindEnvironment(options(w, { runId: 'c0ffee01', drill: { boundMs: 500, catchUpBoundMs: 600, peerQueryBoundMs: 300, peerRestoreBoundMs: 300, gatewayConnections: 2, gatewayViewBoundMs: 200, gatewayBreakWindowMs: 100 } }));
  assert.equal(envr.name, 'kind');
  assert.deepEqual(await envr.preflight(), []);
  const started: StartedKindEnvironment = await envr.start();
  try {
    const calls = await w.calls();
    assert.ok(
      calls.some((c) => c.tool === 'kind' && c.argv.join(' ') === 'delete cluster --name hac-deadbeef-r1'),
      'the orphaned cluster is deleted',
    );
    const creates = calls.filter((c) => c.tool === 'kind' && c.argv[0] === 'create' && argOf(c.argv, '--name').startsWith('hac-c0ffee01'));
    assert.deepEqual(
      creates.map((c) => argOf(c.argv, '--name')),
      ['hac-c0ffee01-r1', 'hac-c0ffee01-r2', 'hac-c0ffee01-r3'],
    );
    for (const [i, c] of creates.entries()) {
      const region = `r${i + 1}`;
      assert.equal(argOf(c.argv, '--image'), DEFAULT_NODE_IMAGE, 'the node image found locally, never pulled');
      assert.equal(argOf(c.argv, '--kubeconfig'), started.kubeconfig, "the run's own kubeconfig, not ~/.kube/config");
      assert.ok(c.argv.includes('--wait'));
      assert.ok(c.config, 'the config file was there when kind read it');
      assert.match(c.config!, /kubeProxyMode: ipvs/);
      const cfg = YAML.parse(c.config!) as { kind: string; apiVersion: string; name: string; networking: { kubeProxyMode: string }; nodes: Array<{ role: string; labels: Record<string, string> }> };
      assert.equal(cfg.kind, 'Cluster');
      assert.equal(cfg.apiVersion, 'kind.x-k8s.io/v1alpha4');
      assert.equal(cfg.name, `hac-c0ffee01-${region}`);
      assert.equal(cfg.networking.kubeProxyMode, 'ipvs');
      assert.equal((cfg.networking as Record<string, string>).podSubnet, `10.${240 + i}.0.0/16`, 'distinct pod subnets across regions');
      assert.deepEqual(cfg.nodes.map((n) => n.role), ['control-plane', 'worker', 'worker', 'worker']);
      // each gateway Service's NodePort twin published on loopback through the control plane (FAB-GW-04)
      const mappings = (cfg.nodes[0] as { extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress: string }> }).extraPortMappings ?? [];
      assert.equal(mappings.length, { r1: 1, r2: 2, r3: 1 }[region], `${region}: one per organization with peers here`);
      assert.ok(mappings.every((m) => m.listenAddress === '127.0.0.1' && m.containerPort >= 30800 && m.hostPort > 0), JSON.stringify(mappings));
      const workers = cfg.nodes.filter((n) => n.role === 'worker');
      assert.deepEqual(workers.map((n) => n.labels['topology.kubernetes.io/zone']), [`${region}-a`, `${region}-b`, `${region}-c`]);
      for (const n of cfg.nodes) {
        assert.equal(n.labels['topology.kubernetes.io/region'], region);
        assert.equal(n.labels['ha-conformance/run-id'], 'c0ffee01');
      }
    }

    // the reference applied by server-side apply; observed Nodes and controller-owned Pods are not applied
    const patches = api.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/clusters/hac-c0ffee01-r1/'));
    assert.ok(patches.length > 0);
    assert.ok(patches.every((r) => r.contentType === 'application/apply-patch+yaml' && r.query.fieldManager === 'ha-conformance' && r.query.force === 'true'));
    const paths = patches.map((r) => r.path.replace('/clusters/hac-c0ffee01-r1', ''));
    assert.ok(paths.includes('/api/v1/namespaces/test-network'), paths.join('\n'));
    assert.ok(paths.includes('/apis/apps/v1/namespaces/test-network/statefulsets/org0-orderer1'), paths.join('\n'));
    assert.ok(paths.includes('/api/v1/namespaces/test-network/services/org1-peer-gateway-svc'), paths.join('\n'));
    assert.ok(paths.indexOf('/api/v1/namespaces/test-network') < paths.indexOf('/apis/apps/v1/namespaces/test-network/statefulsets/org0-orderer1'), 'namespace first');
    assert.ok(!paths.some((p) => p.includes('/nodes/') || p.includes('/pods/')), 'no Node or observed Pod applied');
    assert.ok(w.lines.some((l) => /not applying Node .*Node objects are created by KIND/.test(l)));
    assert.ok(w.lines.some((l) => /r1: \d+ workloads? ready/.test(l)));

    // the bundled reference runs: Fabric images loaded into each cluster (never pulled), and the run's own
    // identities, genesis block, cross-region names and join Job applied with the reference
    for (const r of ['r1', 'r2', 'r3']) {
      const load = calls.find((c) => c.tool === 'kind' && c.argv[0] === 'load' && argOf(c.argv, '--name') === `hac-c0ffee01-${r}`);
      assert.deepEqual(load?.argv.slice(2, -2), Object.values(FABRIC_IMAGES), `${r}: images loaded`);
    }
    for (const p of [
      '/api/v1/namespaces/test-network/secrets/org0-orderer1-msp',
      '/api/v1/namespaces/test-network/secrets/org0-orderer1-tls',
      '/api/v1/namespaces/test-network/secrets/org0-admin',
      '/api/v1/namespaces/test-network/configmaps/channel-genesis',
      '/api/v1/namespaces/test-network/services/org0-orderer1-x',
      '/api/v1/namespaces/test-network/services/org0-orderer3',
      '/apis/discovery.k8s.io/v1/namespaces/test-network/endpointslices/org0-orderer3-remote',
      '/apis/batch/v1/namespaces/test-network/jobs/channel-join-r1',
      '/api/v1/namespaces/test-network/services/org1-peer-gateway-svc-np',
    ]) {
      assert.ok(paths.includes(p), `${p} applied in r1`);
    }
    assert.ok(!paths.includes('/api/v1/namespaces/test-network/secrets/org0-orderer3-msp'), "another region's keys are not in r1");
    assert.ok(paths.indexOf('/api/v1/namespaces/test-network/secrets/org0-orderer1-msp') < paths.indexOf('/apis/apps/v1/namespaces/test-network/statefulsets/org0-orderer1'), 'Secrets before workloads');
    const slice = api.requests.find((r) => r.method === 'PATCH' && r.path === '/clusters/hac-c0ffee01-r1/apis/discovery.k8s.io/v1/namespaces/test-network/endpointslices/org0-orderer3-remote');
    assert.ok(slice);
    assert.ok(!w.lines.some((l) => l.includes('PRIVATE KEY')), 'no key in the log');

    // the descriptor names each region's context and kubeconfig, and extends the reference
    const d = started.descriptor;
    assert.equal(d.disposable, true);
    assert.deepEqual(
      d.regions.map((r) => [r.name, r.kubernetes?.context]),
      [
        ['r1', 'kind-hac-c0ffee01-r1'],
        ['r2', 'kind-hac-c0ffee01-r2'],
        ['r3', 'kind-hac-c0ffee01-r3'],
      ],
    );
    assert.ok(d.regions.every((r) => r.kubernetes?.kubeconfig === started.kubeconfig && r.kubernetes?.manifests?.length === 0));
    assert.ok(d.fabric && d.fabric.ordering[0].nodes.length === 5, 'the reference Fabric deployment is described');
    assert.ok(
      d.fabric.ordering[0].nodes.every((n) => n.tlsCert?.startsWith(tmpdir()) && !n.tlsCert.startsWith(referenceDir) && n.tlsCert.includes(`${TEMP_PREFIX}c0ffee01-`)),
      "the certificates described are the run's own (generated for it), not the fixtures'",
    );
    assert.ok(existsSync(started.descriptorFile));
    assert.ok('FAB-ORD-03' in started.observations && started.observations['FAB-ORD-03'].disruptive);
    assert.equal(started.unavailable['FAB-GW-04'], undefined, 'FAB-GW-04 runs on kind with the bundled reference');
    assert.match(started.unavailable['FAB-ORD-07'], /share one Docker host/);

    // live Kubernetes evidence through the API of each region
    const k8s = await started.collectKubernetes();
    assert.deepEqual(k8s.map((k) => [k.region, k.origin]), [['r1', 'api'], ['r2', 'api'], ['r3', 'api']]);
    assert.ok(k8s[0].services.some((s) => s.name === 'org1-peer-gateway-svc'));
    assert.equal(k8s[0].nodes.length, 4);

    // region loss and restore: docker stop / start of that region's node containers only
    const before = (await w.calls()).length;
    await started.stopRegion('r2');
    await started.restoreRegion('r2', { waitMs: 5000 });
    const faults = (await w.calls()).slice(before);
    const r2Nodes = ['hac-c0ffee01-r2-control-plane', 'hac-c0ffee01-r2-worker', 'hac-c0ffee01-r2-worker2', 'hac-c0ffee01-r2-worker3'];
    assert.deepEqual(started.clusters.r2.nodes, r2Nodes);
    const docker = faults.filter((c) => c.tool === 'docker').map((c) => c.argv);
    assert.deepEqual(docker, [
      ['stop', '--time', '0', ...r2Nodes],
      ['start', ...r2Nodes],
    ]);
    assert.ok(faults.some((c) => c.tool === 'kind' && c.argv.join(' ') === `export kubeconfig --name hac-c0ffee01-r2 --kubeconfig ${started.kubeconfig}`));
    await assert.rejects(started.stopRegion('r9'), /no KIND cluster for region r9/);

    // FAB-ORD-03 on kind: the probe reaches orderers by port-forward; here no orderer pod runs (the stand-in API
    // has no pods), so no region reaches a steady state and none is stopped: the timeline says so, nothing hangs
    const beforeDrill = (await w.calls()).length;
    const timeline = await started.observations['FAB-ORD-03'].run();
    assert.equal(timeline.drill, 'FAB-ORD-03');
    assert.deepEqual(timeline.params.regions, ['r1', 'r2', 'r3']);
    assert.deepEqual(timeline.params.placement, {
      r1: ['org0-orderer1', 'org0-orderer2'],
      r2: ['org0-orderer3'],
      r3: ['org0-orderer4', 'org0-orderer5'],
    });
    assert.match(String(timeline.params.stopMethod), /^docker stop --time 0 of the region's KIND node containers$/);
    const errors = timeline.events.filter((e) => e.kind === 'error');
    assert.equal(errors.length, 3, JSON.stringify(timeline.events));
    assert.ok(errors.every((e) => /no leader with all 5 members at one height within 600 ms; region not drilled/.test(String(e.message))));
    assert.ok(!(await w.calls()).slice(beforeDrill).some((c) => c.tool === 'docker'), 'no region stopped without a steady state');
    assert.ok(w.lines.some((l) => /port-forward to test-network\/org0-orderer\d:8443: no running pod behind Service/.test(l)));

    // FAB-PEER-05 on kind: each region with peers lost in turn (docker stop / start of its nodes), and every
    // organization asked through its gateway Services and peers by port-forward; the stand-in API runs no pod,
    // so nobody answers and the timeline says so, with what each attempt met
    assert.equal(started.unavailable['FAB-PEER-05'], undefined);
    const beforePeers = (await w.calls()).length;
    const peerTimeline = await started.observations['FAB-PEER-05'].run();
    assert.equal(peerTimeline.drill, 'FAB-PEER-05');
    assert.deepEqual(peerTimeline.params.orgs, ['org1', 'org2']);
    const stops = peerTimeline.events.filter((e) => e.kind === 'fault');
    assert.deepEqual(stops.map((e) => e.region), ['r1', 'r2', 'r3'], 'every region holds peers in the reference');
    assert.deepEqual(stops[0].stopped, r2Nodes.map((n) => n.replace('-r2-', '-r1-')));
    const queries = peerTimeline.events.filter((e) => e.kind === 'query');
    assert.equal(queries.length, 6, 'one query per organization per lost region');
    assert.ok(queries.every((q) => q.ok === false && /no peer of org\d answered a query on mychannel within 300 ms: gateway org\d-peer-gateway-svc@r\d: /.test(String(q.error))), JSON.stringify(queries));
    const peerDocker = (await w.calls()).slice(beforePeers).filter((c) => c.tool === 'docker').map((c) => `${c.argv[0]} ${c.argv.at(-1)}`);
    assert.deepEqual(peerDocker, ['r1', 'r2', 'r3'].flatMap((r) => [`stop hac-c0ffee01-${r}-worker3`, `start hac-c0ffee01-${r}-worker3`]));

    // FAB-GW-04 on kind: connections through each gateway's published NodePort; no peer runs here, so every
    // connection is refused, no long-lived connection exists and no peer is stopped (nothing scaled)
    const beforeGw = api.requests.length;
    const gwTimeline = await started.observations['FAB-GW-04'].run();
    assert.equal(gwTimeline.drill, 'FAB-GW-04');
    assert.deepEqual(Object.keys(gwTimeline.params.gateways as object).sort(), [
      'org1-peer-gateway-svc@r1',
      'org1-peer-gateway-svc@r2',
      'org2-peer-gateway-svc@r2',
      'org2-peer-gateway-svc@r3',
    ]);
    const connects = gwTimeline.events.filter((e) => e.kind === 'connect');
    assert.equal(connects.length, 8, 'two new connections per gateway');
    assert.ok(connects.every((e) => e.answeredBy === null && /ECONNREFUSED/.test(String(e.error))), JSON.stringify(connects[0]));
    assert.equal(gwTimeline.events.filter((e) => e.kind === 'error' && /no long-lived connection through/.test(String(e.message))).length, 4);
    assert.ok(!api.requests.slice(beforeGw).some((r) => r.method === 'PUT'), 'no peer scaled');
  } finally {
    await started.stop();
  }
  const deletes = (await w.calls()).filter((c) => c.tool === 'kind' && c.argv[0] === 'delete').map((c) => argOf(c.argv, '--name'));
  assert.deepEqual(deletes.filter((n) => n.startsWith('hac-c0ffee01')).sort(), ['hac-c0ffee01-r1', 'hac-c0ffee01-r2', 'hac-c0ffee01-r3']);
  assert.deepEqual(await clustersInState(w.state), []);
  assert.deepEqual(await runDirsLeft('c0ffee01'), [], 'temp dirs of the run removed');
  await started.stop(); // twice is harmless
});

test("when the second cluster's creation fails, start fails with the command and kind's error, and every cluster is deleted", async () => {
  const w = await world({ FAKE_KIND_FAIL: '^create cluster --name hac-[0-9a-f]+-r2 ' });
  const envr = kindEnvironment(options(w, { runId: 'bad0c0de' }));
  await assert.rejects(envr.start(), (err: unknown) => {
    assert.ok(err instanceof CommandError, String(err));
    assert.match(err.message, /`.*kind create cluster --name hac-bad0c0de-r2 --config \S+kind-config-r2\.yaml --image \S+ --wait 120s --kubeconfig \S+` exited with code 1/);
    assert.match(err.message, /ERROR: failed to create cluster/);
    assert.match(err.stderr, /ERROR: failed to create cluster/);
    return true;
  });
  const calls = await w.calls();
  const created = calls.filter((c) => c.tool === 'kind' && c.argv[0] === 'create').map((c) => argOf(c.argv, '--name'));
  assert.deepEqual(created, ['hac-bad0c0de-r1', 'hac-bad0c0de-r2'], 'r3 is not attempted');
  const deleted = calls.filter((c) => c.tool === 'kind' && c.argv[0] === 'delete').map((c) => argOf(c.argv, '--name'));
  assert.deepEqual(deleted, ['hac-bad0c0de-r2', 'hac-bad0c0de-r1']);
  assert.deepEqual(await clustersInState(w.state), []);
  assert.deepEqual(await runDirsLeft('bad0c0de'), []);
  assert.ok(w.lines.some((l) => /failed to start.*deleting what it created/.test(l)));
});

test('a workload that never becomes ready: start fails naming the object, the region and the bound, and the clusters are deleted', async () => {
  const w = await world();
  api.unready.add('StatefulSet/test-network/org0-orderer1');
  try {
    const envr = kindEnvironment(
      options(w, {
        runId: 'feed0001',
        regions: ['r1', 'r2'],
        deployment: { manifests: manifestsDir },
        timeouts: { readyMs: 2000 },
      }),
    );
    await assert.rejects(envr.start(), (err: unknown) => {
      assert.ok(err instanceof BrokenError, String(err));
      assert.match(err.message, /^r1 \(context kind-hac-feed0001-r1\): 1 of 1 workloads not ready within 2 s/);
      assert.match(err.message, /StatefulSet test-network\/org0-orderer1: 0\/1 ready/);
      return true;
    });
  } finally {
    api.unready.clear();
  }
  const deleted = (await w.calls()).filter((c) => c.tool === 'kind' && c.argv[0] === 'delete').map((c) => argOf(c.argv, '--name'));
  assert.deepEqual(deleted.sort(), ['hac-feed0001-r1', 'hac-feed0001-r2']);
  assert.deepEqual(await clustersInState(w.state), []);
  assert.deepEqual(await runDirsLeft('feed0001'), []);
});

test('a deploy command runs once per region with the context in its environment', async () => {
  const w = await world();
  const out = join(work, 'deploy-calls.txt');
  const envr = kindEnvironment(
    options(w, {
      runId: 'feed0002',
      regions: ['r1', 'r2'],
      deployment: { command: `echo "$HA_REGION $HA_KUBE_CONTEXT $HA_KIND_CLUSTER $(basename "$KUBECONFIG")" >> ${out}; echo deployed $HA_REGION` },
    }),
  );
  const started = await envr.start();
  try {
    assert.equal(await readFile(out, 'utf8'), 'r1 kind-hac-feed0002-r1 hac-feed0002-r1 kubeconfig\nr2 kind-hac-feed0002-r2 hac-feed0002-r2 kubeconfig\n');
    assert.ok(w.lines.includes('r2: deploy: deployed r2'));
    assert.equal(started.descriptor.fabric, undefined, 'no descriptor named: regions only');
    assert.match(started.unavailable['FAB-ORD-03'], /names no ordering nodes/);
  } finally {
    await started.stop();
  }
  assert.deepEqual(await clustersInState(w.state), []);
});

/**
 * A Raft ordering service of five, placed 2-1-2 over r1-r3 as the reference is, whose members are up exactly when
 * the fake docker says their region's node containers run: a leader and commits while a majority is up, and a
 * member that comes back catches up.
 */
function raftOverKind(stateDir: string, runId: string): OrderingProbe {
  const placement: Record<string, string> = {
    'org0-orderer1': 'r1',
    'org0-orderer2': 'r1',
    'org0-orderer3': 'r2',
    'org0-orderer4': 'r3',
    'org0-orderer5': 'r3',
  };
  const members = Object.keys(placement);
  const heights: Record<string, number> = Object.fromEntries(members.map((m) => [m, 1]));
  let top = 1;
  const up = (m: string) => {
    const st = JSON.parse(readFileSync(join(stateDir, 'clusters.json'), 'utf8')) as { clusters: Record<string, { running?: Record<string, boolean> }> };
    return st.clusters[`hac-${runId}-${placement[m]}`]?.running?.[`hac-${runId}-${placement[m]}-control-plane`] === true;
  };
  const quorum = () => members.filter(up).length >= 3;
  const leader = () => (quorum() ? members.filter(up).sort()[0] : undefined);
  return {
    kind: 'fabric',
    channel: 'mychannel',
    members,
    heightMeaning: 'block height of channel mychannel',
    async state(member): Promise<MemberState> {
      if (!up(member)) return { member, reachable: false, error: 'ECONNREFUSED' };
      if (quorum()) heights[member] = top;
      return { member, reachable: true, isLeader: leader() === member, height: heights[member], clusterSize: 5 };
    },
    async write(through) {
      if (!quorum()) return { ok: false, ms: 100, error: 'no leader' };
      top += 1;
      for (const m of through) if (up(m)) heights[m] = top;
      return { ok: true, ms: 5, via: leader(), height: top };
    },
  };
}

test('FAB-ORD-03 on kind: each region in turn is stopped (docker stop of its nodes), the rest commit, it comes back and catches up', async () => {
  const w = await world();
  const runId = 'd1d1d1d1';
  const envr = kindEnvironment(
    options(w, { runId, drill: { probe: raftOverKind(w.state, runId), boundMs: 3000, catchUpBoundMs: 5000, sampleIntervalMs: 50 } }),
  );
  const started = await envr.start();
  let timeline: Timeline;
  const before = (await w.calls()).length;
  try {
    timeline = await started.observations['FAB-ORD-03'].run();
  } finally {
    await started.stop();
  }
  const kinds = timeline.events.filter((e) => ['fault', 'write', 'restore', 'catch-up', 'error'].includes(e.kind)).map((e) => `${e.kind} ${String(e.region)}`);
  assert.deepEqual(kinds, ['fault r1', 'write r1', 'restore r1', 'catch-up r1', 'fault r2', 'write r2', 'restore r2', 'catch-up r2', 'fault r3', 'write r3', 'restore r3', 'catch-up r3']);
  for (const e of timeline.events.filter((x) => x.kind === 'write')) assert.equal(e.ok, true, JSON.stringify(e));
  for (const e of timeline.events.filter((x) => x.kind === 'catch-up')) assert.equal(e.caughtUp, true, JSON.stringify(e));
  const r1Fault = timeline.events.find((e) => e.kind === 'fault' && e.region === 'r1')!;
  assert.deepEqual(r1Fault.stopped, ['org0-orderer1', 'org0-orderer2']);
  assert.ok(timeline.events.some((e) => e.kind === 'sample' && e.region === 'r1' && e.leader === 'org0-orderer3'));

  const docker = (await w.calls()).slice(before).filter((c) => c.tool === 'docker').map((c) => `${c.argv[0]} ${c.argv.filter((a) => a.startsWith('hac-')).map((a) => a.replace(`hac-${runId}-`, '')).join(' ')}`);
  const nodes = (r: string) => `${r}-control-plane ${r}-worker ${r}-worker2 ${r}-worker3`;
  assert.deepEqual(docker, ['r1', 'r2', 'r3'].flatMap((r) => [`stop ${nodes(r)}`, `start ${nodes(r)}`]));
});

/**
 * The reference's five orderers as pods in the stand-in API (what their StatefulSets would run, put there at the
 * first look), and a probe that sees a member down while its pod is gone: the drill deletes the pod through the API;
 * the test's "controller" starts it again on the probe's next look, at its old height, and it catches up on the look
 * after that.
 */
function restartsOverKind(runId: string): OrderingProbe {
  const placement: Record<string, string> = {
    'org0-orderer1': 'r1',
    'org0-orderer2': 'r1',
    'org0-orderer3': 'r2',
    'org0-orderer4': 'r3',
    'org0-orderer5': 'r3',
  };
  const members = Object.keys(placement);
  const storeOf = (m: string) => api.store(`hac-${runId}-${placement[m]}`)!;
  const podKey = (m: string) => `Pod/test-network/${m}-0`;
  const pod = (m: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${m}-0`, namespace: 'test-network', labels: { app: m, org: 'org0' } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  let placed = false;
  const place = () => {
    if (placed) return;
    placed = true;
    for (const m of members) storeOf(m).objects.set(podKey(m), pod(m));
  };
  const heights: Record<string, number> = Object.fromEntries(members.map((m) => [m, 1]));
  const returning = new Set<string>();
  let top = 1;
  const up = (m: string) => storeOf(m).objects.has(podKey(m));
  const leader = () => members.filter(up).sort()[0];
  return {
    kind: 'fabric',
    channel: 'mychannel',
    members,
    heightMeaning: 'block height of channel mychannel',
    async state(member): Promise<MemberState> {
      place();
      if (!up(member)) {
        // the StatefulSet controller starts the deleted pod again
        storeOf(member).objects.set(podKey(member), pod(member));
        returning.add(member);
        return { member, reachable: false, error: 'ECONNREFUSED' };
      }
      if (returning.has(member)) returning.delete(member);
      else heights[member] = top;
      return { member, reachable: true, isLeader: leader() === member, height: heights[member], clusterSize: 5, activeNodes: members.filter(up).length };
    },
    async write(through) {
      top += 1;
      for (const m of through) if (up(m)) heights[m] = top;
      return { ok: true, ms: 5, via: leader(), height: top };
    },
  };
}

test('FAB-ORD-12 on kind: one ordering node per region restarted by deleting its pod; it comes back and catches up', async () => {
  const w = await world();
  const runId = 'd2d2d2d2';
  const envr = kindEnvironment(options(w, { runId, drill: { probe: restartsOverKind(runId), sampleIntervalMs: 20, catchUpBoundMs: 5000, restartBoundMs: 5000 } }));
  const started = await envr.start();
  let timeline: Timeline;
  const before = api.requests.length;
  try {
    assert.ok(started.observations['FAB-ORD-12'].disruptive);
    timeline = await started.observations['FAB-ORD-12'].run();
  } finally {
    await started.stop();
  }
  const kinds = timeline.events.filter((e) => ['fault', 'write', 'restore', 'catch-up', 'exit', 'error'].includes(e.kind)).map((e) => `${e.kind} ${String(e.member)}`);
  assert.deepEqual(kinds, ['org0-orderer1', 'org0-orderer3', 'org0-orderer4'].flatMap((m) => [`fault ${m}`, `write ${m}`, `restore ${m}`, `catch-up ${m}`]));
  for (const e of timeline.events.filter((x) => x.kind === 'catch-up')) assert.equal(e.caughtUp, true, JSON.stringify(e));
  assert.equal(timeline.params.method, 'pod deleted: its StatefulSet starts it again with the same claim');
  // each restart is one DELETE of the pod behind the node's Service, in its own region's cluster
  const deletes = api.requests.slice(before).filter((r) => r.method === 'DELETE').map((r) => r.path.replace(`hac-${runId}-`, ''));
  assert.deepEqual(deletes, [
    '/clusters/r1/api/v1/namespaces/test-network/pods/org0-orderer1-0',
    '/clusters/r2/api/v1/namespaces/test-network/pods/org0-orderer3-0',
    '/clusters/r3/api/v1/namespaces/test-network/pods/org0-orderer4-0',
  ]);
  assert.ok(w.lines.includes('r2: restarting ordering node org0-orderer3 (pod org0-orderer3-0 deleted)'), w.lines.join('\n'));
  // judged by the catalogue's check: caught up, with the bound from the settings
  const e = buildStaticEvidence();
  e.live.timelines['FAB-ORD-12'] = timeline;
  expectStatus('FAB-ORD-12', e, 'passed', /org0-orderer1 in r1, org0-orderer3 in r2, org0-orderer4 in r3; pod deleted: its StatefulSet starts it again with the same claim\): each rejoined and caught up/);
});

function assertPlainLines(problems: string[]): void {
  for (const p of problems) {
    assert.ok(!p.includes('\n'), `one line: ${p}`);
    assert.ok(!/\n\s+at /.test(p) && !/Error:/.test(p.replace(/ERROR:/g, '')), `no stack trace: ${p}`);
  }
}

test('preflight: kind missing and the Docker engine down, one clear line each, quickly; start is refused', async () => {
  const w = await world({ KIND_BIN: join(work, 'no-such-kind'), FAKE_DOCKER_ENGINE: 'down' });
  const t0 = Date.now();
  const envr = kindEnvironment(options(w));
  const problems = await envr.preflight();
  assert.ok(Date.now() - t0 < 15_000, 'no hang');
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /^kind is not installed .*: see https:\/\/kind\.sigs\.k8s\.io\/docs\/user\/quick-start\/#installation/);
  assert.match(problems[1], /^the Docker engine is not reachable \(`.*docker info` failed: .*Cannot connect to the Docker daemon.*\): start it/);
  assertPlainLines(problems);
  await assert.rejects(envr.start(), (err: unknown) => err instanceof BrokenError && /cannot start here:\n- kind is not installed/.test(err.message));
  assert.deepEqual((await w.calls()).filter((c) => c.tool === 'kind'), [], 'nothing was created');
});

test('preflight: the node image is missing locally (never pulled) and docker itself is missing', async () => {
  const w = await world({ FAKE_DOCKER_IMAGES: ['kindest/node:v1.30.0', FABRIC_IMAGES.orderer].join(',') });
  const problems = await kindEnvironment(options(w)).preflight();
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.equal(
    problems[0],
    `the KIND node image ${DEFAULT_NODE_IMAGE} is not present locally, and the harness never pulls: \`docker pull ${DEFAULT_NODE_IMAGE}\` (or set KIND_NODE_IMAGE to an image you have)`,
  );
  // the bundled reference runs real Fabric: one line per image it lacks
  assert.deepEqual(
    problems.slice(1),
    [FABRIC_IMAGES.peer, FABRIC_IMAGES.tools].map(
      (i) => `the Fabric image ${i} (bundled reference deployment) is not present locally, and the harness never pulls: \`docker pull ${i}\` (or deploy your own network: HA_KIND_TARGET, HA_KIND_MANIFESTS or HA_KIND_DEPLOY)`,
    ),
  );
  // a deployment of the user's own needs no Fabric image from us
  const own = await world({ FAKE_DOCKER_IMAGES: DEFAULT_NODE_IMAGE });
  assert.deepEqual(await kindEnvironment(options(own, { deployment: { manifests: manifestsDir }, regions: ['r1', 'r2'] })).preflight(), []);
  // the bundled reference has its own regions
  const fewer = await kindEnvironment(options(await world(), { regions: ['r1', 'r2'] })).preflight();
  assert.deepEqual(fewer, ['the bundled reference deployment has regions r1, r2, r3, not r1, r2 (HA_KIND_REGIONS): leave HA_KIND_REGIONS unset, or deploy your own network']);
  assert.ok(!(await w.calls()).some((c) => c.tool === 'docker' && c.argv[0] === 'pull'));

  // an image loaded without its digest is found by its tag
  const tagOnly = await world({ FAKE_DOCKER_IMAGES: [DEFAULT_NODE_IMAGE.split('@')[0], ...Object.values(FABRIC_IMAGES)].join(',') });
  assert.deepEqual(await kindEnvironment(options(tagOnly)).preflight(), []);

  const noDocker = await world({ DOCKER_BIN: join(work, 'no-such-docker') });
  const p2 = await kindEnvironment(options(noDocker)).preflight();
  assert.equal(p2.length, 1, p2.join('\n'));
  assert.match(p2[0], /^docker is not installed .*: see https:\/\/docs\.docker\.com\/engine\/install\//);
  assertPlainLines([...problems, ...p2]);
});

test('preflight: the bundled reference is missing', async () => {
  const w = await world();
  const problems = await kindEnvironment(options(w, { referenceDir: join(work, 'nowhere') })).preflight();
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^the bundled reference deployment is missing .*: generate it with `npm run fixtures`/);
});
