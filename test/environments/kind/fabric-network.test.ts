/**
 * What a kind run adds to the bundled reference so that Fabric really runs across clusters: identities as Secrets
 * (keys that match their certificates, MSP folders with NodeOUs), the genesis block, cross-region names
 * (mirror Services whose EndpointSlices reach the home cluster's NodePort) and the join Job. Every object is a
 * valid Kubernetes object, and every Secret a reference workload mounts exists in its region.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { common } from '@hyperledger/fabric-protos';
import { generateDeployment, type GeneratedDeployment } from '../../../support/reference/generate.ts';
import { channelSpec } from '../../../support/reference/channels.ts';
import { encodeChannelConfigBlock } from '../../../support/reference/channel-config-encode.ts';
import { decodeChannelConfig } from '../../../support/evidence/fabric/channel-config.ts';
import { readManifestObjects } from '../../../support/environments/kind/deploy.ts';
import {
  GENESIS_CONFIGMAP,
  MIRROR_LABEL,
  adminSecret,
  fabricNodes,
  joinJobName,
  nodePorts,
  regionNetworkObjects,
} from '../../../support/environments/kind/fabric-network.ts';
import { mspSecret, tlsSecret } from '../../../support/reference/kubernetes.ts';
import { problemsOf } from '../../helpers/k8s-schema.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes objects are read field by field in assertions
type Obj = Record<string, any>;

let dir: string;
let gen: GeneratedDeployment;
let genesis: Record<string, Uint8Array>;
const addresses = { r1: ['172.18.0.3', '172.18.0.4', '172.18.0.5'], r2: ['172.18.0.7', '172.18.0.8', '172.18.0.9'], r3: ['172.18.0.11', '172.18.0.12', '172.18.0.13'] };
const objectsOf = (region: string) => regionNetworkObjects({ plan: gen.plan, pki: gen.pki, genesis, region, nodeAddresses: addresses }) as Obj[];
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hac-test-fabric-network-'));
  gen = await generateDeployment(join(dir, 'reference'));
  genesis = Object.fromEntries(gen.plan.channels.map((ch) => [ch, encodeChannelConfigBlock(channelSpec(gen.plan, gen.pki, ch))]));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('every object of every region is a valid Kubernetes object', async () => {
  const problems: string[] = [];
  for (const r of gen.plan.regions) {
    for (const [i, o] of objectsOf(r.name).entries()) problems.push(...(await problemsOf(o, `${r.name}#${i}`)));
  }
  assert.deepEqual(problems, []);
});

test("each node's identity: MSP and TLS Secrets whose keys match their certificates, issued by the org's CAs, roles by OU", () => {
  for (const r of gen.plan.regions) {
    const objs = objectsOf(r.name);
    const local = fabricNodes(gen.plan).filter((n) => n.region === r.name);
    assert.ok(local.length > 0);
    for (const n of local) {
      const msp = find(objs, 'Secret', mspSecret(n.name))?.stringData as Record<string, string>;
      const tls = find(objs, 'Secret', tlsSecret(n.name))?.stringData as Record<string, string>;
      assert.ok(msp && tls, `${n.name}: both Secrets in ${r.name}`);
      const sign = new X509Certificate(msp['signcert.pem']);
      const ca = new X509Certificate(msp['cacert.pem']);
      assert.ok(sign.verify(ca.publicKey), `${n.name}: the enrolment certificate is issued by the org CA`);
      assert.equal(createPublicKey(msp['key.pem']).export({ format: 'der', type: 'spki' }).toString('hex'), sign.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), `${n.name}: key matches`);
      assert.match(sign.subject, new RegExp(`OU=${n.kind}`), `${n.name}: NodeOU ${n.kind}`);
      const config = YAML.parse(msp['config.yaml']);
      assert.equal(config.NodeOUs.Enable, true);
      assert.equal(config.NodeOUs[`${n.kind === 'peer' ? 'Peer' : 'Orderer'}OUIdentifier`].OrganizationalUnitIdentifier, n.kind);
      const tlsCert = new X509Certificate(tls['tls.crt']);
      assert.ok(tlsCert.verify(new X509Certificate(tls['ca.crt']).publicKey), `${n.name}: TLS certificate issued by the TLS CA`);
      assert.equal(createPublicKey(tls['tls.key']).export({ format: 'der', type: 'spki' }).toString('hex'), tlsCert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'));
      assert.ok(tlsCert.checkHost(n.host), `${n.name}: the TLS certificate names ${n.host}, the name other regions dial`);
    }
    // no Secret of a node of another region
    const others = fabricNodes(gen.plan).filter((n) => n.region !== r.name);
    assert.ok(!others.some((n) => find(objs, 'Secret', mspSecret(n.name))), 'keys stay in their region');
  }
});

test('cross-region names: a mirror Service per remote node, its EndpointSlice on the home workers at the NodePort the home cluster publishes', () => {
  const ports = nodePorts(gen.plan);
  assert.equal(new Set(Object.values(ports)).size, Object.keys(ports).length, 'distinct NodePorts');
  const nodes = fabricNodes(gen.plan);
  for (const r of gen.plan.regions) {
    const objs = objectsOf(r.name);
    for (const n of nodes) {
      if (n.region === r.name) {
        const x = find(objs, 'Service', `${n.name}-x`);
        assert.equal(x?.spec.type, 'NodePort');
        assert.deepEqual(x?.spec.selector, { app: n.name });
        assert.equal(x?.spec.ports[0].nodePort, ports[n.name]);
        assert.equal(x?.spec.ports[0].targetPort, n.port);
        assert.ok(!find(objs, 'EndpointSlice', `${n.host}-remote`), 'no mirror of a local node');
      } else {
        const svc = find(objs, 'Service', n.host);
        assert.ok(svc, `${r.name}: a Service named ${n.host}`);
        assert.equal(svc!.spec.selector, undefined, 'no selector: its endpoints are the remote ones');
        assert.equal(svc!.spec.ports[0].port, n.port, 'dialled on the port the channel configuration names');
        assert.equal(svc!.metadata.labels[MIRROR_LABEL], n.region);
        const slice = find(objs, 'EndpointSlice', `${n.host}-remote`);
        assert.equal(slice?.metadata.labels['kubernetes.io/service-name'], n.host);
        assert.deepEqual(slice?.endpoints.map((e: Obj) => e.addresses[0]), addresses[n.region as keyof typeof addresses]);
        assert.equal(slice?.ports[0].port, ports[n.name]);
        assert.equal(slice?.ports[0].name, svc!.spec.ports[0].name, 'the slice port is the Service port by name');
      }
    }
  }
  assert.throws(() => regionNetworkObjects({ plan: gen.plan, pki: gen.pki, genesis, region: 'r1', nodeAddresses: { r1: addresses.r1 } }), /no node addresses for region r2/);
});

test('the genesis block: a config block naming every consenter, orderer endpoint and anchor peer, in each region', () => {
  for (const r of gen.plan.regions) {
    const cm = find(objectsOf(r.name), 'ConfigMap', GENESIS_CONFIGMAP);
    for (const ch of gen.plan.channels) {
      const bytes = Buffer.from(cm!.binaryData[`${ch}.block`], 'base64');
      assert.deepEqual(new Uint8Array(bytes), genesis[ch]);
      const block = common.Block.deserializeBinary(bytes);
      assert.equal(block.getHeader()!.getNumber(), 0);
      const cfg = decodeChannelConfig(bytes, `${ch}.block`);
      assert.deepEqual(cfg.consenters.map((c) => c.host).sort(), gen.plan.ordering.nodes.map((o) => o.host).sort());
      for (const org of gen.plan.orgs) {
        const anchors = cfg.applicationOrgs.find((o) => o.mspId === org.mspId)?.anchorPeers ?? [];
        assert.deepEqual(anchors.map((a) => a.host).sort(), org.peers.map((p) => p.host).sort(), `${org.name} anchor peers set from block 0`);
      }
    }
  }
});

test("the join Job: joins exactly its region's orderers (participation API, admin mTLS) and peers (org admin), with its admin Secrets present", async () => {
  for (const r of gen.plan.regions) {
    const objs = objectsOf(r.name);
    const job = find(objs, 'Job', joinJobName(r.name));
    assert.ok(job);
    const script: string = job!.spec.template.spec.containers[0].command[2];
    const nodes = fabricNodes(gen.plan);
    for (const n of nodes) {
      const joined = n.kind === 'orderer' ? script.includes(`-o ${n.host}:9443`) : script.includes(`CORE_PEER_ADDRESS=${n.host}:${n.port}`);
      assert.equal(joined, n.region === r.name, `${r.name}: ${n.name} ${n.region === r.name ? 'joined' : 'left to its region'}`);
    }
    assert.match(script, /osnadmin channel join --channelID mychannel --config-block \/genesis\/mychannel\.block/);
    assert.match(script, /peer channel join -b \/genesis\/mychannel\.block/);
    for (const v of job!.spec.template.spec.volumes as Obj[]) {
      if (v.secret) {
        const s = find(objs, 'Secret', v.secret.secretName);
        assert.ok(s, `${r.name}: Secret ${v.secret.secretName} exists`);
        for (const item of v.secret.items ?? []) assert.ok(item.key in s!.stringData, `${v.secret.secretName} has ${item.key}`);
      }
      if (v.configMap) assert.ok(find(objs, 'ConfigMap', v.configMap.name));
    }
    const ordererOrg = gen.pki.orgs[gen.plan.ordering.name];
    if (nodes.some((n) => n.region === r.name && n.kind === 'orderer')) {
      const admin = find(objs, 'Secret', adminSecret(gen.plan.ordering.name))!.stringData;
      assert.ok(new X509Certificate(admin['tls.crt']).verify(new X509Certificate(ordererOrg.tlsCa.certPem).publicKey), 'the admin TLS client certificate is issued by the TLS CA the admin endpoint trusts');
      assert.match(new X509Certificate(admin['signcert.pem']).subject, /OU=admin/);
    }
    // the reference workloads of this region mount only Secrets the run creates there
    const manifests = await readManifestObjects([join(gen.dir, 'k8s', r.name)]);
    for (const m of manifests) {
      const spec = (m.object.spec as Obj | undefined)?.template?.spec as Obj | undefined;
      for (const v of (spec?.volumes ?? []) as Obj[]) {
        if (v.secret) assert.ok(find(objs, 'Secret', v.secret.secretName), `${r.name}: ${String((m.object.metadata as Obj).name)} mounts ${v.secret.secretName}, which exists`);
      }
    }
  }
});
