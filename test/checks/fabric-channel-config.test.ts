/**
 * The guarantees that keep a running network up as its channel configurations age: consenter keys after renewal
 * (FAB-ORD-10), certificates the channels depend on (FAB-CERT-01), orderer endpoints per region (FAB-ORD-13) and
 * node versions against capability levels (FAB-CAP-01). Each on the reference evidence and one mutation at a time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelConfigInfo, Evidence } from '../../support/evidence/model.ts';
import { withSettings } from '../../support/evidence/settings.ts';
import { imageParts, parseVersion } from '../../support/checks/fab-cap-01.ts';
import { buildEvidence, buildStaticEvidence, fakeCert, seenAt, NOW } from '../helpers/evidence-builder.ts';
import { expectStatus } from '../helpers/verdicts.ts';

const DAY = 24 * 60 * 60 * 1000;
const inDays = (n: number) => new Date(Date.parse(NOW) + n * DAY).toISOString();

function channel(e: Evidence, name: string): ChannelConfigInfo {
  return e.fabric!.channels.find((c) => c.name === name)!;
}

function orderer(e: Evidence, name: string) {
  return e.fabric!.orderers.find((o) => o.name === name)!;
}

/** orderer3's TLS certificate renewed with a new key: the file and what it presents are the new certificate */
function rekey(e: Evidence, updated: string[]): Evidence {
  const o = orderer(e, 'org0-orderer3');
  const renewed = fakeCert({ cn: o.name, source: o.tlsCert!.source, issuer: 'CN=org0-tlsca', verifiedBy: 'crypto/org0/tlsca.pem', dnsNames: o.tlsCert!.dnsNames, seed: 'orderer3-new-key' });
  o.tlsCert = renewed;
  if (e.live.presentedCerts) e.live.presentedCerts['org0-orderer3:6050'] = seenAt(renewed, 'tls://org0-orderer3:6050');
  for (const name of updated) {
    const c = channel(e, name).consenters.find((x) => x.host === 'org0-orderer3')!;
    c.serverTlsCert = seenAt(renewed, `channel:${name}#consenter[2].server_tls_cert`);
    c.clientTlsCert = seenAt(renewed, `channel:${name}#consenter[2].client_tls_cert`);
  }
  return e;
}

describe('FAB-ORD-10 consenter keys unchanged by renewal, in every channel', () => {
  it('passes on the reference: every entry holds its node key, compared with the file and the certificate presented live', () => {
    expectStatus('FAB-ORD-10', buildEvidence(), 'passed', /10 consenter entries on syschannel, mychannel: each holds the public key/, /10 also compared with the certificate presented live/);
  });

  it('fails when a renewal with a new key updated mychannel but not the system channel, naming the channel, consenter and both certificates', () => {
    expectStatus(
      'FAB-ORD-10',
      rekey(buildEvidence(), ['mychannel']),
      'failed',
      /^channel syschannel: consenter org0-orderer3:6050 lists a server_tls_cert \(channel:syschannel#consenter\[2\]\.server_tls_cert, serial [0-9A-F]+, key [0-9a-f]+…\) whose public key is not the key of org0-orderer3's current TLS certificate \(crypto\/org0\/org0-orderer3\/tls\.pem/,
      /the other orderers refuse it on syschannel/,
      /certificate presented live \(tls:\/\/org0-orderer3:6050/,
    );
  });

  it('fails on the live certificate alone: the node presents a new key the descriptor and the channels do not know yet', () => {
    const e = buildEvidence();
    e.live.presentedCerts!['org0-orderer3:6050'] = fakeCert({ cn: 'org0-orderer3', source: 'tls://org0-orderer3:6050', issuer: 'CN=org0-tlsca', seed: 'presented-new' });
    const v = expectStatus('FAB-ORD-10', e, 'failed', /key of org0-orderer3's certificate presented live \(tls:\/\/org0-orderer3:6050/);
    assert.doesNotMatch(v.message, /current TLS certificate \(crypto/, 'the file still matches the channels');
  });

  it('passes a renewal with the same key (no config update needed) and says so', () => {
    const e = buildEvidence();
    const o = orderer(e, 'org0-orderer2');
    o.tlsCert = { ...o.tlsCert!, serialNumber: 'AB12', fingerprint256: 'AA:BB:CC', notAfter: '2036-01-01T00:00:00.000Z' };
    expectStatus('FAB-ORD-10', e, 'passed', /entries \(org0-orderer2:6050\) hold an older certificate of the same key: renewed with the same key, which needs no config update/);
  });

  it('is skipped when a channel the orderers serve has no configuration in the descriptor, naming it', () => {
    const e = buildEvidence();
    for (const m of Object.values(e.live.participation!)) m.archive = { consensusRelation: 'consenter', status: 'active', height: 3 };
    expectStatus('FAB-ORD-10', e, 'skipped', /10 consenter entries match their nodes' keys, but the ordering nodes take part in 1 channel the descriptor gives no configuration for \(archive on org0-orderer1, org0-orderer2, org0-orderer3 and 2 more\)/);
  });

  it('is skipped when nothing can be compared, broken when the consenters could not be reached either', () => {
    const e = buildStaticEvidence();
    for (const o of e.fabric!.orderers) delete o.tlsCert;
    expectStatus('FAB-ORD-10', e, 'skipped', /no consenter entry could be compared/);
    e.live.handshakes = [{ name: 'org0-orderer1', address: '127.1.0.1:6050', verified: false, error: 'connect ECONNREFUSED 127.1.0.1:6050' }];
    expectStatus('FAB-ORD-10', e, 'broken', /could not be reached live: org0-orderer1:6050 \(127\.1\.0\.1:6050\): connect ECONNREFUSED/);
    const none = buildEvidence();
    none.fabric!.channels = [];
    expectStatus('FAB-ORD-10', none, 'skipped', /no channel configuration with consenters/);
  });
});

describe('FAB-CERT-01 no certificate a channel depends on about to expire', () => {
  it('passes on the reference, naming the first to expire and the window it applied', () => {
    expectStatus('FAB-CERT-01', buildEvidence(), 'passed', /certificates \(root CA, TLS root CA\) of 3 organizations on syschannel, mychannel: the first to expire is .* on 2035-01-01 \(3287 days away; warning window 90 days \(default\)\)/);
  });

  it('fails on an intermediate CA expiring within the window, in the system channel only', () => {
    const e = buildEvidence();
    const org0 = channel(e, 'syschannel').ordererOrgs[0];
    org0.tlsIntermediateCerts = [fakeCert({ cn: 'org0-tls-ica', source: 'channel:syschannel#Orderer/Org0MSP/MSP.tls_intermediate_certs[0]', issuer: 'CN=org0-tlsca', isCA: true, notAfter: inDays(45) })];
    expectStatus(
      'FAB-CERT-01',
      e,
      'failed',
      /^channel syschannel: Org0MSP \(Orderer\) TLS intermediate CA "CN=org0-tls-ica" expires on 2026-02-15, in 45 days, within the warning window of 90 days \(default\) \(channel:syschannel#Orderer\/Org0MSP\/MSP\.tls_intermediate_certs\[0\] in channels\/syschannel\.pb\)$/,
    );
    expectStatus('FAB-CERT-01', withSettings(e, { channelCertExpiryWarningDays: 30 }, 'Gherkin'), 'passed', /warning window 30 days \(Gherkin\)/);
  });

  it('fails on an expired admin certificate and an expired root CA', () => {
    const e = buildEvidence();
    const org1 = channel(e, 'mychannel').applicationOrgs[0];
    org1.admins = [fakeCert({ cn: 'org1-admin', source: 'channel:mychannel#Application/Org1MSP/MSP.admins[0]', issuer: 'CN=org1-ca', notAfter: '2025-12-01T00:00:00.000Z' })];
    org1.rootCerts = [{ ...org1.rootCerts[0], notAfter: '2025-06-30T00:00:00.000Z' }];
    expectStatus('FAB-CERT-01', e, 'failed', /channel mychannel: Org1MSP \(Application\) root CA "CN=org1-ca" expired on 2025-06-30/, /Org1MSP \(Application\) admin certificate "CN=org1-admin" expired on 2025-12-01/);
  });

  it('is skipped without certificates or with a channel seen live only; broken on a malformed reference time', () => {
    const e = buildEvidence();
    for (const ch of e.fabric!.channels) for (const o of [...ch.applicationOrgs, ...ch.ordererOrgs]) Object.assign(o, { rootCerts: [], tlsRootCerts: [] });
    expectStatus('FAB-CERT-01', e, 'skipped', /carry no MSP certificates/);
    const seen = buildEvidence();
    seen.live.participation!['org0-orderer1'].archive = { consensusRelation: 'consenter', status: 'active' };
    expectStatus('FAB-CERT-01', seen, 'skipped', /valid beyond the warning window, but the ordering nodes take part in 1 channel .* \(archive on org0-orderer1\)/);
    const bad = buildEvidence();
    bad.settings.now = 'yesterday';
    expectStatus('FAB-CERT-01', bad, 'broken', /settings\.now is not an ISO-8601 time/);
  });
});

describe('FAB-ORD-13 org-level orderer endpoints in every region', () => {
  it('passes on the reference: endpoints name nodes in r1, r2 and r3', () => {
    expectStatus('FAB-ORD-13', buildEvidence(), 'passed', /mychannel: org0 publishes 5 orderer endpoints covering r1, r2, r3 \(every region its ordering nodes run in\)/);
  });

  it('fails when the endpoints name no node of one region', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').ordererOrgs[0].endpoints = ['org0-orderer1:6050', 'org0-orderer2:6050', 'org0-orderer3:6050'];
    expectStatus(
      'FAB-ORD-13',
      e,
      'failed',
      /^channel mychannel: org0 \(Org0MSP\) publishes orderer endpoints only in r1, r2 \(org0-orderer1:6050, org0-orderer2:6050, org0-orderer3:6050\), none in r3 where org0-orderer4, org0-orderer5 run/,
    );
  });

  it('fails on an organization without Endpoints, naming the deprecated channel-level OrdererAddresses', () => {
    const e = buildEvidence();
    const ch = channel(e, 'mychannel');
    delete ch.ordererOrgs[0].endpoints;
    ch.ordererAddresses = ['org0-orderer1:7050', 'org0-orderer4:7050'];
    expectStatus('FAB-ORD-13', e, 'failed', /channel mychannel: org0 \(Org0MSP\) hosts ordering nodes .* but publishes no orderer endpoints .*; the channel gives only the deprecated channel-level OrdererAddresses \(org0-orderer1:7050, org0-orderer4:7050\), which Fabric 3 ignores/);
  });

  it('maps an endpoint to a node by the names its TLS certificate carries', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').ordererOrgs[0].endpoints = ['org0-orderer1.test-network.svc.cluster.local:7050', 'org0-orderer3.test-network.svc.cluster.local:7050', 'org0-orderer5.test-network.svc.cluster.local:7050'];
    expectStatus('FAB-ORD-13', e, 'passed', /org0 publishes 3 orderer endpoints covering r1, r2, r3/);
  });

  it('is skipped when an unknown endpoint might be the missing region, or a node cannot be placed', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').ordererOrgs[0].endpoints = ['org0-orderer1:6050', 'org0-orderer3:6050', 'orderer-lb.example.com:7050'];
    expectStatus('FAB-ORD-13', e, 'skipped', /no endpoint names a node of r3 \(org0-orderer4, org0-orderer5\), and orderer-lb\.example\.com:7050 name no ordering node of the descriptor: cannot tell/);
    const unplaced = buildEvidence();
    for (const o of unplaced.fabric!.orderers.filter((x) => x.name === 'org0-orderer5')) delete o.region;
    expectStatus('FAB-ORD-13', unplaced, 'skipped', /cannot place org0-orderer5 in a region/);
    const none = buildEvidence();
    none.fabric!.orderers = [];
    expectStatus('FAB-ORD-13', none, 'skipped', /no organization of the descriptor hosts ordering nodes/);
  });
});

describe('FAB-CAP-01 nodes at or above their channels\' capability levels', () => {
  it('reads release numbers from tags and Version answers, and image references in their usual forms', () => {
    assert.deepEqual(parseVersion('2.5.12'), [2, 5, 12]);
    assert.deepEqual(parseVersion('v3.0'), [3, 0, 0]);
    assert.deepEqual(parseVersion('2.5.12-amd64'), [2, 5, 12]);
    assert.equal(parseVersion('latest'), undefined);
    assert.deepEqual(imageParts('ghcr.io/hyperledger/fabric-peer:2.5.12'), { repository: 'ghcr.io/hyperledger/fabric-peer', name: 'fabric-peer', tag: '2.5.12' });
    assert.deepEqual(imageParts('registry:5000/fabric-orderer@sha256:abc'), { repository: 'registry:5000/fabric-orderer', name: 'fabric-orderer' });
    assert.deepEqual(imageParts('hyperledger/fabric-orderer:2.5.12@sha256:abc').tag, '2.5.12');
  });

  it('passes on the reference, from live versions and from image tags alone', () => {
    expectStatus('FAB-CAP-01', buildEvidence(), 'passed', /13 nodes run a Fabric release at or above .* \(the highest: 2\.5\.0, channel mychannel: application capability V2_5\); versions: 13 from live GET \/version/);
    expectStatus('FAB-CAP-01', buildStaticEvidence(), 'passed', /versions: 13 from image tags/);
  });

  it('fails on a peer image below the application capability, and on an orderer below the channel capability', () => {
    const e = buildStaticEvidence();
    const pod = e.fabric!.kubernetes.find((k) => k.region === 'r3')!.pods.find((p) => p.labels.app === 'org2-peer3')!;
    pod.images = [{ container: 'peer', image: 'hyperledger/fabric-peer:2.4.9' }];
    expectStatus('FAB-CAP-01', e, 'failed', /^org2-peer3 \(peer\) runs Fabric 2\.4\.9 \(image hyperledger\/fabric-peer:2\.4\.9 \(api:r3\/pods\/org2-peer3-[a-z0-9-]+\)\) but channel mychannel: application capability V2_5 needs 2\.5\.0 or later: it crashes on that config block$/);
    const live = buildEvidence();
    live.live.nodeVersions!['org0-orderer2'] = { version: '1.4.12', source: 'https://org0-orderer2:8443/version' };
    expectStatus('FAB-CAP-01', live, 'failed', /org0-orderer2 \(orderer\) runs Fabric 1\.4\.12 \(live GET \/version: "1\.4\.12"/, /channel (syschannel|mychannel): (channel|orderer) capability V2_0 needs 2\.0\.0/);
  });

  it('an orderer need not support the application capability', () => {
    const e = buildEvidence();
    for (const ch of e.fabric!.channels) ch.capabilities = { channel: ['V2_0'], orderer: ['V2_0'], application: ch.isSystemChannel ? [] : ['V2_5'] };
    e.live.nodeVersions!['org0-orderer1'] = { version: '2.2.14', source: 'https://org0-orderer1:8443/version' };
    expectStatus('FAB-CAP-01', e, 'passed');
  });

  it('cannot tell from latest, an untagged or digest-only image, or an unknown capability: skipped, never passed', () => {
    for (const image of ['hyperledger/fabric-peer:latest', 'hyperledger/fabric-peer', 'hyperledger/fabric-peer@sha256:0123']) {
      const e = buildStaticEvidence();
      e.fabric!.kubernetes.find((k) => k.region === 'r1')!.pods.find((p) => p.labels.app === 'org1-peer1')!.images = [{ container: 'peer', image }];
      expectStatus('FAB-CAP-01', e, 'skipped', /cannot tell the Fabric version of 1 node: org1-peer1: image hyperledger\/fabric-peer.*: (the tag "latest" names no release|no tag)/, /\(12 other nodes support their channels' levels\)/);
    }
    const odd = buildEvidence();
    channel(odd, 'mychannel').capabilities!.application = ['V2_5', 'V9_9'];
    expectStatus('FAB-CAP-01', odd, 'skipped', /cannot place channel mychannel: application capability V9_9 in a release/);
  });

  it('is skipped with the reason live evidence is missing, and broken when no version could be read', () => {
    const e = buildStaticEvidence();
    e.fabric!.kubernetes = [];
    e.live.unobserved = { 'FAB-CAP-01': 'the local Fabric side is a stand-in: no Fabric node answers GET /version' };
    expectStatus('FAB-CAP-01', e, 'skipped', /cannot tell the Fabric version of 13 nodes: .*no Kubernetes manifest or API shows its pod.*; live: the local Fabric side is a stand-in/);
    const down = buildStaticEvidence();
    down.fabric!.kubernetes = [];
    down.live.nodeVersions = Object.fromEntries([...down.fabric!.orderers.map((o) => o.name), ...down.fabric!.orgs.flatMap((o) => o.peers.map((p) => p.name))].map((n) => [n, { source: `https://${n}:9443/version`, error: 'connect ECONNREFUSED' }]));
    expectStatus('FAB-CAP-01', down, 'broken', /could not read the version of any node: org0-orderer1, org0-orderer2, org0-orderer3, org0-orderer4 and 9 more: its operations endpoint did not answer: connect ECONNREFUSED/);
  });
});
