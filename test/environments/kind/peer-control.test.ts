/**
 * Stopping a peer on the run's own cluster (its Deployment's scale subresource) and reading a gateway Service's
 * view of it from EndpointSlices, against the stand-in Kubernetes API.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { startFakeKubeApi, type ClusterStore, type FakeKubeApi } from '../../fakes/kube-api-server.ts';
import { endpointView, podOfDeployment, scaleDeployment } from '../../../support/environments/kind/peer-control.ts';

let api: FakeKubeApi;
let store: ClusterStore;
let kc: KubeConfig;

const slice = (name: string, service: string, endpoints: Array<{ pod: string; ready: boolean }>) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'test-network', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e, i) => ({ addresses: [`10.240.1.${i + 2}`], conditions: { ready: e.ready }, targetRef: { kind: 'Pod', name: e.pod, namespace: 'test-network' } })),
  ports: [{ name: 'gossip', port: 7051, protocol: 'TCP' }],
});

before(async () => {
  api = await startFakeKubeApi();
  store = api.cluster('c1', () => ['c1-control-plane']);
  kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig([{ name: 'c1', prefix: 'clusters/c1' }]));
  store.objects.set('Deployment/test-network/org1-peer1', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'org1-peer1', namespace: 'test-network' },
    spec: { replicas: 1 },
  });
});

after(async () => {
  await api.close();
});

test('a peer is stopped and started through its Deployment scale subresource', async () => {
  await scaleDeployment(kc, 'test-network', 'org1-peer1', 0);
  assert.equal((store.objects.get('Deployment/test-network/org1-peer1')!.spec as { replicas: number }).replicas, 0);
  const put = api.requests.filter((r) => r.method === 'PUT');
  assert.equal(put.at(-1)?.path, '/clusters/c1/apis/apps/v1/namespaces/test-network/deployments/org1-peer1/scale');
  assert.deepEqual(JSON.parse(put.at(-1)!.body!).spec, { replicas: 0 });
  await scaleDeployment(kc, 'test-network', 'org1-peer1', 1);
  assert.equal((store.objects.get('Deployment/test-network/org1-peer1')!.spec as { replicas: number }).replicas, 1);
  await assert.rejects(scaleDeployment(kc, 'test-network', 'org9-peer9', 0), /404|not found/i);
});

test("the gateway's view: UP when a ready endpoint is the peer's pod, DOWN when not ready, not an endpoint when gone", async () => {
  const set = (s: ReturnType<typeof slice>) => store.objects.set(`EndpointSlice/test-network/${s.metadata.name}`, s);
  set(slice('org1-peer-gateway-svc-abcde', 'org1-peer-gateway-svc', [
    { pod: 'org1-peer1-7d9f8c6b5-x2x7q', ready: true },
    { pod: 'org1-peer2-6c8b7d5f4-9kq2m', ready: false },
  ]));
  // another Service's slice naming the same pod does not count
  set(slice('org1-peer1-x-fghij', 'org1-peer1-x', [{ pod: 'org1-peer10-5b4c3d2e1-aaaaa', ready: true }]));
  assert.equal(await endpointView(kc, 'test-network', 'org1-peer-gateway-svc', 'org1-peer1'), 'UP');
  assert.equal(await endpointView(kc, 'test-network', 'org1-peer-gateway-svc', 'org1-peer2'), 'DOWN');
  assert.equal(await endpointView(kc, 'test-network', 'org1-peer-gateway-svc', 'org1-peer10'), 'DOWN (not an endpoint)');
  assert.equal(podOfDeployment('org1-peer10-5b4c3d2e1-aaaaa', 'org1-peer1'), false, 'org1-peer10 is not org1-peer1');
  assert.equal(podOfDeployment('org1-peer1-7d9f8c6b5-x2x7q', 'org1-peer1'), true);
});
