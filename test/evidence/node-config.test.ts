/**
 * A node's configuration read the way Fabric reads it, from Kubernetes manifests (env, envFrom, a ConfigMap mounted
 * at the configuration file, the volumes behind the data directories) and from a file the descriptor names; the
 * defaults of Fabric's sample configuration; and bad input named by file and field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readKubernetesManifests } from '../../support/evidence/kubernetes/manifests.ts';
import { bytesOf, boolOf, durationMsOf, envName, nodeConfigsOf, readNodeConfigFile, withNodeConfigs } from '../../support/evidence/fabric/node-config.ts';
import { collectStaticEvidence } from '../../support/evidence/collect.ts';
import { loadTarget } from '../../support/descriptor/load.ts';
import type { FabricEvidence, KubernetesClusterInfo } from '../../support/evidence/model.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

const ORDERER_YAML = `General:
  maxrecvmsgsize: 52428800
  MaxSendMsgSize: 52428800
Consensus:
  WALDir: /data/wal
  SnapDir: snap
  TickIntervalOverride: 1s
BCCSP:
  PKCS11: { Pin: "98765432" }
`;

const manifests = `apiVersion: v1
kind: ConfigMap
metadata: { name: orderer-config, namespace: fab }
data:
  orderer.yaml: |
${ORDERER_YAML.split('\n').map((l) => `    ${l}`).join('\n')}
  LEDGER_DIR: /data/ledger
  DB_PASSWORD: hunter2
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: org0-orderer1, namespace: fab }
spec:
  replicas: 1
  template:
    metadata: { labels: { app: org0-orderer1 } }
    spec:
      containers:
        - name: sidecar
          image: busybox
        - name: orderer
          image: hyperledger/fabric-orderer:2.5.12
          envFrom: [{ configMapRef: { name: orderer-config }, prefix: X_ }]
          env:
            - { name: FABRIC_CFG_PATH, value: /config }
            - { name: ORDERER_FILELEDGER_LOCATION, value: "$(X_LEDGER_DIR)" }
            - { name: ORDERER_GENERAL_MAXSENDMSGSIZE, valueFrom: { secretKeyRef: { name: s, key: k } } }
          volumeMounts:
            - { name: config, mountPath: /config/orderer.yaml, subPath: orderer.yaml }
            - { name: data, mountPath: /data }
            - { name: scratch, mountPath: /config/snap }
      volumes:
        - { name: config, configMap: { name: orderer-config } }
        - { name: scratch, emptyDir: { medium: Memory } }
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: org1-peer1, namespace: fab }
spec:
  template:
    metadata: { labels: { app: org1-peer1 } }
    spec:
      containers:
        - name: peer
          image: hyperledger/fabric-peer:2.5.12
          env: [{ name: CORE_PEER_GOSSIP_EXTERNALENDPOINT, value: "org1-peer1:7051" }]
          volumeMounts: [{ name: cfg, mountPath: /etc/hyperledger/fabric }]
      volumes:
        - { name: cfg, configMap: { name: peer-config, items: [{ key: peer-core, path: core.yaml }] } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: peer-config, namespace: fab }
data:
  peer-core: |
    peer:
      gossip: { useLeaderElection: false }
  core.yaml: "peer: { gossip: { orgLeader: true } }"
`;

function fabricOf(cluster: KubernetesClusterInfo, peers = ['org1-peer1']): FabricEvidence {
  const place = { claims: { source: 't#x' }, placement: { conflicts: [] } };
  return {
    regions: ['r1'],
    orderingOrgs: [],
    orderers: [{ name: 'org0-orderer1', org: 'org0', mspId: 'Org0MSP', host: 'org0-orderer1', port: 6050, ...place }],
    orgs: [{ name: 'org1', mspId: 'Org1MSP', cas: [], peers: peers.map((p) => ({ name: p, org: 'org1', mspId: 'Org1MSP', host: p, port: 7051, ...place })) }],
    channels: [],
    kubernetes: [cluster],
  };
}

describe('node configuration', () => {
  let t: TmpDir;
  before(async () => {
    t = await tmp();
  });
  after(() => t.remove());

  it('names the environment variable of a key as Fabric does, and reads values as Go does', () => {
    assert.equal(envName('orderer', 'General.MaxRecvMsgSize'), 'ORDERER_GENERAL_MAXRECVMSGSIZE');
    assert.equal(envName('peer', 'peer.gossip.orgLeader'), 'CORE_PEER_GOSSIP_ORGLEADER');
    assert.deepEqual(['500ms', '1.5s', '1m30s', '0', 'soon', '5', ''].map((v) => durationMsOf(v)), [500, 1500, 90000, 0, undefined, undefined, undefined]);
    assert.deepEqual(['true', 'T', '0', 'yes', true].map((v) => boolOf(v)), [true, true, false, undefined, true]);
    assert.deepEqual(['104857600', 5, '1e3', -1, '100MB'].map((v) => bytesOf(v)), [104857600, 5, undefined, undefined, undefined]);
  });

  it('reads env, envFrom, $(VAR), a mounted orderer.yaml and the volumes behind the data directories', async () => {
    const file = await t.write('k8s/all.yaml', manifests);
    const cluster = await readKubernetesManifests([file], 'r1');
    // the ConfigMap keeps the Fabric keys of its YAML file, its plain entries, and nothing that looks secret
    const cm = cluster.configMaps!.find((c) => c.name === 'orderer-config')!;
    assert.deepEqual(cm.files['orderer.yaml'], {
      values: { 'General.MaxRecvMsgSize': 52428800, 'General.MaxSendMsgSize': 52428800, 'Consensus.TickIntervalOverride': '1s', 'Consensus.WALDir': '/data/wal', 'Consensus.SnapDir': 'snap' },
    });
    assert.deepEqual(cm.data, { LEDGER_DIR: '/data/ledger' });
    assert.ok(!JSON.stringify(cluster).includes('98765432') && !JSON.stringify(cluster).includes('hunter2'), 'no secret kept');

    const [orderer, peer] = nodeConfigsOf(fabricOf(cluster));
    assert.equal(orderer.source, `${file}#StatefulSet/org0-orderer1 pod org0-orderer1-0 container orderer`);
    assert.deepEqual(
      Object.fromEntries(Object.entries(orderer.values).map(([k, v]) => [k, [v.value, v.origin]])),
      {
        'General.MaxRecvMsgSize': [52428800, 'file'],
        'General.MaxSendMsgSize': [null, 'env'],
        'Consensus.TickIntervalOverride': ['1s', 'file'],
        'FileLedger.Location': ['/data/ledger', 'env'],
        'Consensus.WALDir': ['/data/wal', 'file'],
        'Consensus.SnapDir': ['snap', 'file'],
      },
    );
    assert.match(orderer.values['General.MaxSendMsgSize'].source, /env ORDERER_GENERAL_MAXSENDMSGSIZE from secret s$/);
    assert.equal(orderer.values['Consensus.WALDir'].source, `${file}#ConfigMap/orderer-config data.orderer.yaml Consensus.WALDir`);
    assert.deepEqual(
      Object.fromEntries(Object.entries(orderer.storage).map(([k, s]) => [k, [s.path, s.kind]])),
      {
        'FileLedger.Location': ['/data/ledger', 'persistent'],
        'Consensus.WALDir': ['/data/wal', 'persistent'],
        // a relative path is resolved against FABRIC_CFG_PATH: /config/snap, an in-memory emptyDir
        'Consensus.SnapDir': ['/config/snap', 'ephemeral'],
      },
    );
    assert.equal(orderer.storage['Consensus.WALDir'].detail, 'claim template data (data-org0-orderer1-0) mounted at /data');
    assert.equal(orderer.storage['Consensus.SnapDir'].detail, 'emptyDir (medium Memory) mounted at /config/snap: deleted with the pod');

    // the peer's directory mount maps the item peer-core to core.yaml: unreadable text there is a problem of the view
    assert.deepEqual([peer.values['peer.gossip.externalEndpoint'].value, peer.values['peer.gossip.orgLeader'].value, peer.values['peer.gossip.orgLeader'].origin], ['org1-peer1:7051', false, 'built-in']);
    assert.match(peer.values['peer.gossip.orgLeader'].source, /data\.peer-core does not set peer\.gossip\.orgLeader: Fabric's built-in value/);
  });

  it("uses the image's sample configuration when nothing is mounted, and says what it cannot see", async () => {
    const file = await t.write('k8s/bare.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: { name: org1-peer2 }
spec:
  template:
    metadata: { labels: { app: org1-peer2 } }
    spec:
      containers:
        - name: peer
          envFrom: [{ configMapRef: { name: nowhere } }, { secretRef: { name: creds } }]
          volumeMounts: [{ name: cfg, mountPath: /etc/hyperledger/fabric/core.yaml, subPath: core.yaml }]
      volumes: [{ name: cfg, configMap: { name: missing } }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: org1-peer3 }
spec:
  template:
    metadata: { labels: { app: org1-peer3 } }
    spec: { containers: [{ name: peer, image: hyperledger/fabric-peer:2.5.12 }] }
`);
    const cluster = await readKubernetesManifests([file], 'r1');
    const views = nodeConfigsOf(fabricOf(cluster, ['org1-peer2', 'org1-peer3']));
    const p2 = views.find((v) => v.node === 'org1-peer2')!;
    assert.equal(p2.values['peer.gossip.orgLeader'].value, null);
    assert.deepEqual(p2.problems, [
      `${file}#Deployment/org1-peer2 container peer: envFrom ConfigMap nowhere is not in the evidence: the variables it sets are unknown`,
      `${file}#Deployment/org1-peer2 container peer: envFrom Secret creds: its variables are not read (a Secret)`,
      `${file}#Deployment/org1-peer2 container peer mount /etc/hyperledger/fabric/core.yaml: /etc/hyperledger/fabric/core.yaml comes from ConfigMap missing, which is not in the evidence: the values it sets are unknown`,
    ]);
    const p3 = views.find((v) => v.node === 'org1-peer3')!;
    assert.deepEqual([p3.values['peer.gossip.orgLeader'].value, p3.values['peer.gossip.orgLeader'].origin, p3.values['peer.maxRecvMsgSize'].value], [true, 'sampleconfig', 104857600]);
    assert.equal(p3.values['peer.gossip.orgLeader'].source, 'hyperledger/fabric release-2.5 sampleconfig/core.yaml');
  });

  it('reports a mounted configuration file that is not YAML as bad input naming the manifest and the entry', async () => {
    const file = await t.write('k8s/broken.yaml', manifests.replace('  orderer.yaml: |\n    General:', '  orderer.yaml: |\n    General: [\n    x:'));
    const cluster = await readKubernetesManifests([file], 'r1');
    // read leniently (live), the view says so; read strictly (static collection), it is an InputError
    const [view] = nodeConfigsOf(fabricOf(cluster));
    assert.match(view.problems.join('\n'), /data\.orderer\.yaml: YAML syntax error at line \d+, column \d+/);
    const errors = await expectInputErrors(() => withNodeConfigs(fabricOf(cluster), true));
    assertError(errors, { file, field: 'ConfigMap/orderer-config data."orderer.yaml"', includes: [/the orderer\.yaml of org0-orderer1-0: YAML syntax error at line \d+/] });
  });

  it("reads a node's configuration file named by the descriptor, and reports a malformed one", async () => {
    const cfg = await t.write('config/core.yaml', 'peer:\n  gossip:\n    useLeaderElection: true\n    orgLeader: false\n  ledger: { couchDBConfig: { password: s3cret } }\n');
    const f = await readNodeConfigFile(cfg, 'org1-peer1', 'peer', 'fabric.organizations[0].peers[0].config');
    assert.deepEqual(f.values, { 'peer.gossip.useLeaderElection': true, 'peer.gossip.orgLeader': false });
    const bad = await t.write('config/bad.yaml', 'peer: [\n');
    const errors = await expectInputErrors(() => readNodeConfigFile(bad, 'org1-peer1', 'peer', 'x'));
    assertError(errors, { file: bad, includes: ['YAML syntax error'] });
    const missing = await expectInputErrors(() => readNodeConfigFile(t.path('config/none.yaml'), 'org1-peer1', 'peer', 'fabric.organizations[0].peers[0].config'));
    assertError(missing, { file: t.path('config/none.yaml'), field: 'fabric.organizations[0].peers[0].config', includes: ['file not found'] });

    // through the descriptor: the file's values, Fabric's built-in ones for what it leaves out, volumes unknown
    await t.write('config/orderer.yaml', 'FileLedger: { Location: /srv/ledger }\n');
    await t.write(
      'target.yaml',
      `name: t
fabric:
  ordering:
    - name: org0
      mspId: Org0MSP
      nodes: [{ name: org0-orderer1, host: org0-orderer1, port: 6050, config: config/orderer.yaml }]
  organizations:
    - name: org1
      mspId: Org1MSP
      peers: [{ name: org1-peer1, host: org1-peer1, port: 7051, config: config/core.yaml }]
`,
    );
    const evidence = await collectStaticEvidence(await loadTarget(t.path('target.yaml'), {}));
    const [o, p] = evidence.fabric!.nodeConfigs!;
    assert.deepEqual([o.basis, o.values['FileLedger.Location'].value, o.values['General.MaxRecvMsgSize'].origin, o.storage['FileLedger.Location'].kind], ['file', '/srv/ledger', 'built-in', 'unknown']);
    assert.deepEqual([p.values['peer.gossip.useLeaderElection'].value, p.values['peer.gossip.externalEndpoint'].value], [true, '']);
    assert.ok(!JSON.stringify(evidence).includes('s3cret'));
  });
});
