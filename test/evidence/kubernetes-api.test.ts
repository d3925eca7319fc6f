/**
 * Live Kubernetes evidence read through the API: a local HTTPS server on 127.0.0.1 answers with recorded API
 * responses of the reference deployment's region r1 (test/recorded/kubernetes/), reached through a kubeconfig
 * with client-certificate authentication, as a KIND kubeconfig has.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectKubernetesApiEvidence, IN_CLUSTER_CONTEXT } from '../../support/evidence/kubernetes/api.ts';
import { BrokenError, InputError } from '../../support/errors.ts';
import { podsNamed, zoneOfNode, zonesOf } from '../../support/checks/kube.ts';
import { recordedRoutes, startFakeKubeApi, type FakeKubeApi } from '../fakes/kube-api-server.ts';

const RECORDED = resolve(fileURLToPath(new URL('../recorded/kubernetes', import.meta.url)));
const NS = 'test-network';

let api: FakeKubeApi;
let dir: string;
let kubeconfig: string;

before(async () => {
  api = await startFakeKubeApi();
  api.record('r1', recordedRoutes(RECORDED, { kubeProxy: 'ipvs', endpointSlices: true, namespace: NS }));
  api.record('legacy', recordedRoutes(RECORDED, { kubeProxy: 'default', endpointSlices: false, namespace: NS }));
  dir = await mkdtemp(join(tmpdir(), 'hac-test-kubeapi-'));
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    api.kubeconfig([
      { name: 'kind-hac-5f3a9c21-r1', prefix: 'r1' },
      { name: 'legacy', prefix: 'legacy' },
      { name: 'gone', prefix: 'nothing-here' },
    ]),
  );
});

after(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

test('pods, nodes and zones are read from the API with placement, readiness and affinity', async () => {
  const k = await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-hac-5f3a9c21-r1', namespace: NS });
  assert.equal(k.region, 'r1');
  assert.equal(k.origin, 'api');

  // both pages of the pod list were read
  assert.deepEqual(
    k.pods.map((p) => p.name).sort(),
    ['org0-orderer1-0', 'org0-orderer2-0', 'org1-peer1-58c7d9f6b4-k9vxr', 'org1-peer1-6d5f7c9b8d-x2kqp', 'org1-peer2-7b9c6d8f5c-m4ztw'],
  );
  const o1 = k.pods.find((p) => p.name === 'org0-orderer1-0')!;
  assert.equal(o1.nodeName, 'hac-5f3a9c21-r1-worker');
  assert.equal(o1.owner, 'StatefulSet/org0-orderer1');
  assert.equal(o1.ready, true);
  assert.equal(o1.namespace, NS);
  assert.deepEqual(o1.containerPorts, [6050, 8443, 9443]);
  assert.equal(o1.labels.org, 'org0');
  assert.deepEqual(
    o1.affinity.requiredAntiAffinity.map((t) => t.topologyKey),
    ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
  );
  assert.deepEqual(o1.affinity.requiredAntiAffinity[0].matchLabels, { 'app.kubernetes.io/component': 'orderer', org: 'org0' });
  assert.deepEqual(o1.affinity.requiredNodeAffinity, [{ key: 'topology.kubernetes.io/region', operator: 'In', values: ['r1'] }]);
  assert.match(o1.source, /kube-api:kind-hac-5f3a9c21-r1\/api\/v1\/namespaces\/test-network\/pods#Pod\/org0-orderer1-0$/);

  // a Deployment's pod is owned by the Deployment (through its ReplicaSet); a terminating pod is not ready
  const peer1 = k.pods.find((p) => p.name === 'org1-peer1-6d5f7c9b8d-x2kqp')!;
  assert.equal(peer1.owner, 'Deployment/org1-peer1');
  assert.equal(peer1.ready, true);
  assert.equal(k.pods.find((p) => p.name === 'org1-peer1-58c7d9f6b4-k9vxr')!.ready, false);
  // the checks' own lookups work on API evidence
  assert.deepEqual(podsNamed(k, 'org1-peer1').map((p) => p.name).sort(), ['org1-peer1-58c7d9f6b4-k9vxr', 'org1-peer1-6d5f7c9b8d-x2kqp']);

  assert.deepEqual(
    k.nodes.map((n) => n.name),
    ['hac-5f3a9c21-r1-control-plane', 'hac-5f3a9c21-r1-worker', 'hac-5f3a9c21-r1-worker2', 'hac-5f3a9c21-r1-worker3'],
  );
  assert.equal(k.nodes[1].labels['topology.kubernetes.io/region'], 'r1');
  assert.deepEqual(zonesOf(k).sort(), ['r1-a', 'r1-b', 'r1-c']);
  assert.equal(zoneOfNode(k, o1.nodeName), 'r1-a');
  assert.equal(zoneOfNode(k, k.pods.find((p) => p.name === 'org0-orderer2-0')!.nodeName), 'r1-b');
});

test('Service endpoints list the ready pods only, from EndpointSlices', async () => {
  const k = await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-hac-5f3a9c21-r1', namespace: NS });
  const gw = k.services.find((s) => s.name === 'org1-peer-gateway-svc')!;
  assert.deepEqual(gw.selector, { org: 'org1' });
  assert.deepEqual(gw.ports, [{ name: 'gossip', port: 7051, targetPort: 7051 }]);
  assert.equal(gw.type, 'ClusterIP');
  assert.deepEqual(gw.endpoints, ['org1-peer1-6d5f7c9b8d-x2kqp', 'org1-peer2-7b9c6d8f5c-m4ztw']);
  assert.deepEqual(k.services.find((s) => s.name === 'org0-orderer1')!.endpoints, ['org0-orderer1-0']);
  assert.ok(k.sources.some((s) => s.endsWith('/apis/discovery.k8s.io/v1/namespaces/test-network/endpointslices')), k.sources.join('\n'));
});

test('kube-proxy mode comes from the kube-proxy ConfigMap', async () => {
  const k = await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-hac-5f3a9c21-r1', namespace: NS });
  assert.equal(k.kubeProxyMode?.mode, 'ipvs');
  assert.match(k.kubeProxyMode!.source, /configmaps\/kube-proxy#config\.conf mode$/);
});

test('an empty kube-proxy mode is iptables, and core/v1 Endpoints stand in where EndpointSlices are not served', async () => {
  const k = await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'legacy', namespace: NS });
  assert.equal(k.kubeProxyMode?.mode, 'iptables');
  assert.match(k.kubeProxyMode!.source, /empty: kube-proxy's default on Linux/);
  const gw = k.services.find((s) => s.name === 'org1-peer-gateway-svc')!;
  assert.deepEqual(gw.endpoints, ['org1-peer1-6d5f7c9b8d-x2kqp', 'org1-peer2-7b9c6d8f5c-m4ztw']);
  assert.ok(k.sources.some((s) => s.endsWith('/api/v1/namespaces/test-network/endpoints')));
});

test('only GET requests reach the API, and each LIST asks for pages', async () => {
  const before = api.requests.length;
  await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-hac-5f3a9c21-r1', namespace: NS });
  const made = api.requests.slice(before);
  assert.ok(made.length >= 6, `requests: ${made.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  assert.deepEqual([...new Set(api.requests.map((r) => r.method))], ['GET']);
  const podLists = made.filter((r) => r.path === `/r1/api/v1/namespaces/${NS}/pods`);
  assert.equal(podLists.length, 2, 'two pages of pods');
  assert.ok(podLists.every((r) => r.query.limit === '500'));
  assert.ok(podLists[1].query.continue);
});

test('a missing context is an input error naming the file and the contexts it has', async () => {
  await assert.rejects(
    collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-nope', namespace: NS }),
    (err: unknown) => err instanceof InputError && /no context named "kind-nope"/.test(err.message) && err.message.includes(kubeconfig) && /"legacy"/.test(err.message),
  );
});

test('an API that does not answer what was asked is broken, naming the context and what could not be read', async () => {
  await assert.rejects(
    collectKubernetesApiEvidence('r1', { kubeconfig, context: 'gone', namespace: NS }),
    (err: unknown) => err instanceof BrokenError && /context gone/.test(err.message) && /could not read/.test(err.message) && /HTTP 404/.test(err.message),
  );
});

describe('in-cluster: the service account of the pod, opted into with inCluster', () => {
  const account = { namespace: 'ha-conformance', name: 'ha-validate' };
  let saDir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // served at the root, as a client whose server URL has no path asks (https://$KUBERNETES_SERVICE_HOST:$PORT)
    api.record('', recordedRoutes(RECORDED, { kubeProxy: 'ipvs', endpointSlices: true, namespace: NS }));
    api.serviceAccount('in-cluster-token', account, [
      { kind: 'ClusterRole', metadata: { name: 'reader' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list'] }] },
      { kind: 'ClusterRoleBinding', metadata: { name: 'reader' }, roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', ...account }] },
    ]);
    saDir = join(dir, 'serviceaccount');
    await mkdir(saDir);
    await writeFile(join(saDir, 'token'), 'in-cluster-token\n');
    await writeFile(join(saDir, 'ca.crt'), api.ca.certPem);
    await writeFile(join(saDir, 'namespace'), account.namespace);
    env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
  });

  test('reads the same evidence through the mounted token and CA, as the service account', async () => {
    const before = api.requests.length;
    const k = await collectKubernetesApiEvidence('r1', { inCluster: true, serviceAccountDir: saDir, env, namespace: NS });
    const viaKubeconfig = await collectKubernetesApiEvidence('r1', { kubeconfig, context: 'kind-hac-5f3a9c21-r1', namespace: NS });
    assert.deepEqual(k.pods.map((p) => [p.name, p.nodeName, p.ready]), viaKubeconfig.pods.map((p) => [p.name, p.nodeName, p.ready]));
    assert.deepEqual(k.services.map((s) => [s.name, s.endpoints]), viaKubeconfig.services.map((s) => [s.name, s.endpoints]));
    assert.equal(k.kubeProxyMode?.mode, 'ipvs');
    assert.ok(k.sources.every((s) => s.startsWith(`kube-api:${IN_CLUSTER_CONTEXT}/`)), k.sources.join('\n'));
    const made = api.requests.slice(before).filter((r) => r.user === `system:serviceaccount:${account.namespace}:${account.name}`);
    assert.ok(made.length >= 6, 'the in-cluster reads did not come as the service account');
    assert.ok(made.every((r) => r.method === 'GET' && r.status === 200 && !r.path.startsWith('/r1/')), made.map((r) => `${r.method} ${r.path} ${r.status}`).join('\n'));
  });

  test('outside a pod it is an input error naming what is missing, not a read of some other cluster', async () => {
    await assert.rejects(
      collectKubernetesApiEvidence('r1', { inCluster: true, serviceAccountDir: saDir, env: {}, namespace: NS }),
      (err: unknown) => err instanceof InputError && /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/.test(err.message) && err.message.startsWith(saDir),
    );
    const empty = join(dir, 'no-serviceaccount');
    await assert.rejects(
      collectKubernetesApiEvidence('r1', { inCluster: true, serviceAccountDir: empty, env, namespace: NS }),
      (err: unknown) => err instanceof InputError && err.message.startsWith(join(empty, 'token')) && /token cannot be read \(file not found\)/.test(err.message),
    );
  });

  test('a token the API server does not know is broken (401), naming the in-cluster context', async () => {
    const stale = join(dir, 'stale-serviceaccount');
    await mkdir(stale);
    await writeFile(join(stale, 'token'), 'expired-token');
    await writeFile(join(stale, 'ca.crt'), api.ca.certPem);
    await assert.rejects(
      collectKubernetesApiEvidence('r1', { inCluster: true, serviceAccountDir: stale, env, namespace: NS }),
      (err: unknown) => err instanceof BrokenError && /context in-cluster \(https:\/\/127\.0\.0\.1:\d+\)/.test(err.message) && /HTTP 401/.test(err.message),
    );
  });
});
