import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readKubernetesManifests } from '../../support/evidence/kubernetes/manifests.ts';
import { readKindConfig } from '../../support/evidence/kubernetes/kind-config.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

const peers = `apiVersion: apps/v1
kind: Deployment
metadata: { name: org1-peer1, namespace: test-network }
spec:
  replicas: 1
  template:
    metadata: { labels: { app: org1-peer1, org: org1 } }
    spec:
      containers:
        - name: main
          ports: [{ containerPort: 7051 }, { containerPort: 9443 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: org0-orderer }
spec:
  replicas: 3
  template:
    metadata: { labels: { app: org0-orderer, org: org0 } }
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: { org: org0 }
                matchExpressions: [{ key: app, operator: In, values: [org0-orderer] }]
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 50
              podAffinityTerm: { topologyKey: topology.kubernetes.io/zone, labelSelector: { matchLabels: { org: org0 } } }
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{ key: topology.kubernetes.io/region, operator: In, values: [r1] }]
      topologySpreadConstraints:
        - { maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: { matchLabels: { org: org0 } } }
        - { maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway }
      containers: [{ name: main, ports: [{ containerPort: 6050 }] }]
---
# a comment-only document is skipped
---
apiVersion: v1
kind: Service
metadata: { name: org1-peer-gateway-svc, namespace: test-network }
spec:
  selector: { org: org1 }
  ports: [{ name: grpc, port: 7051, protocol: TCP }]
`;

const placed = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: { name: org0-orderer1-0, labels: { app: org0-orderer1 } }
    spec: { nodeName: worker-a, containers: [{ name: main }] }
  - apiVersion: v1
    kind: Node
    metadata: { name: worker-a, labels: { topology.kubernetes.io/zone: r1-a } }
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: ignored }
`;

describe('kubernetes manifests', () => {
  let t: TmpDir;
  before(async () => {
    t = await tmp();
  });
  after(() => t.remove());

  it('expands workloads to one pod per replica and reads services, nodes, lists and affinity', async () => {
    await t.write('r1/peers.yaml', peers);
    await t.write('r1/nested/placed.yml', placed);
    await t.write('r1/README.md', 'not a manifest');
    await t.write('r1/kind-config.yaml', 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n');
    const c = await readKubernetesManifests([t.path('r1')], 'r1');
    assert.equal(c.region, 'r1');
    assert.equal(c.origin, 'manifests');
    assert.deepEqual(c.pods.map((p) => p.name).sort(), ['org0-orderer-0', 'org0-orderer-1', 'org0-orderer-2', 'org0-orderer1-0', 'org1-peer1-0']);
    const peer = c.pods.find((p) => p.name === 'org1-peer1-0')!;
    assert.equal(peer.namespace, 'test-network');
    assert.equal(peer.owner, 'Deployment/org1-peer1');
    assert.deepEqual(peer.labels, { app: 'org1-peer1', org: 'org1' });
    assert.deepEqual(peer.containerPorts, [7051, 9443]);
    assert.equal(peer.nodeName, undefined);

    const ord = c.pods.find((p) => p.name === 'org0-orderer-1')!;
    assert.equal(ord.owner, 'StatefulSet/org0-orderer');
    assert.deepEqual(ord.affinity.requiredAntiAffinity, [{ topologyKey: 'kubernetes.io/hostname', matchLabels: { org: 'org0', app: 'org0-orderer' } }]);
    assert.deepEqual(ord.affinity.preferredAntiAffinity, [{ topologyKey: 'topology.kubernetes.io/zone', matchLabels: { org: 'org0' }, weight: 50 }]);
    assert.deepEqual(ord.affinity.requiredNodeAffinity, [{ key: 'topology.kubernetes.io/region', operator: 'In', values: ['r1'] }]);
    assert.deepEqual(ord.affinity.topologySpread, [
      { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, hard: true, matchLabels: { org: 'org0' } },
      { topologyKey: 'kubernetes.io/hostname', maxSkew: 2, hard: false, matchLabels: {} },
    ]);

    const pod = c.pods.find((p) => p.name === 'org0-orderer1-0')!;
    assert.equal(pod.nodeName, 'worker-a');
    assert.equal(pod.owner, 'Pod/org0-orderer1-0');
    assert.deepEqual(c.nodes, [{ name: 'worker-a', labels: { 'topology.kubernetes.io/zone': 'r1-a' }, source: `${t.path('r1/nested/placed.yml')}#Node/worker-a` }]);
    assert.deepEqual(c.services.map((s) => [s.name, s.selector, s.ports, s.type]), [
      ['org1-peer-gateway-svc', { org: 'org1' }, [{ name: 'grpc', port: 7051, targetPort: 7051 }], 'ClusterIP'],
    ]);
    assert.ok(!c.sources.some((s) => s.endsWith('README.md')));
  });

  it('reads a KIND config: kube-proxy mode (defaulted when absent) and node labels', async () => {
    const ipvs = await t.write(
      'kind/ipvs.yaml',
      `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: r1
networking: { kubeProxyMode: ipvs }
nodes:
  - role: control-plane
  - role: worker
    labels: { topology.kubernetes.io/zone: r1-a }
  - role: worker
    labels: { topology.kubernetes.io/zone: r1-b }
`,
    );
    const k = await readKindConfig(ipvs);
    assert.deepEqual(k.kubeProxyMode, { mode: 'ipvs', source: `${ipvs}#networking.kubeProxyMode`, defaulted: false });
    assert.deepEqual(k.nodes.map((n) => [n.name, n.labels['topology.kubernetes.io/zone']]), [
      ['r1-control-plane', undefined],
      ['r1-worker', 'r1-a'],
      ['r1-worker2', 'r1-b'],
    ]);

    const plain = await t.write('kind/plain.yaml', 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n');
    const d = await readKindConfig(plain);
    assert.equal(d.kubeProxyMode.mode, 'iptables');
    assert.equal(d.kubeProxyMode.defaulted, true);
    assert.match(d.kubeProxyMode.source, /KIND default/);
    assert.deepEqual(d.nodes.map((n) => n.name), ['kind-control-plane']);
  });

  it('reports malformed YAML with line and column, and wrong types with the field', async () => {
    const bad = await t.write('bad/a.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: x\nspec: {}\n');
    let errors = await expectInputErrors(() => readKubernetesManifests([bad], 'r1'));
    assertError(errors, { file: bad, includes: [/YAML syntax error at line \d+, column \d+/] });

    const wrong = await t.write('bad/b.yaml', 'kind: Service\nmetadata: { name: ok }\nspec: {}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec: { replicas: many, template: {} }\n');
    errors = await expectInputErrors(() => readKubernetesManifests([wrong], 'r1'));
    assertError(errors, { file: wrong, field: 'documents[1].spec.replicas', includes: ['"many"'] });

    const kind = await t.write('bad/kind.yaml', 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking: { kubeProxyMode: [ipvs] }\n');
    errors = await expectInputErrors(() => readKindConfig(kind));
    assertError(errors, { file: kind, field: 'networking.kubeProxyMode' });

    const missing = t.path('bad/none');
    errors = await expectInputErrors(() => readKubernetesManifests([missing], 'r1'));
    assertError(errors, { file: missing, includes: ['file not found'] });
  });
});
