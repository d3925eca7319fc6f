import { describe, it } from 'node:test';
import type { Evidence } from '../../support/evidence/model.ts';
import { buildEvidence, buildStaticEvidence, fakeCert, NOW } from '../helpers/evidence-builder.ts';
import { emptyTimeline, expectStatus } from '../helpers/verdicts.ts';

function org(e: Evidence, name: string) {
  return e.fabric!.orgs.find((o) => o.name === name)!;
}

function peer(e: Evidence, name: string) {
  return e.fabric!.orgs.flatMap((o) => o.peers).find((p) => p.name === name)!;
}

describe('FAB-PEER-01 peers in different regions', () => {
  it('passes when each organization has peers in two regions, running per the Kubernetes API', () => {
    expectStatus('FAB-PEER-01', buildEvidence(), 'passed', /org1 r1,r2; org2 r2,r3/, /running peers confirmed/);
  });
  it('fails when all peers of an organization are in one region', () => {
    const e = buildEvidence();
    for (const p of org(e, 'org2').peers) p.region = 'r2';
    expectStatus('FAB-PEER-01', e, 'failed', /org2: all 4 peers \(org2-peer1, org2-peer2, org2-peer3, org2-peer4\) are in region r2/);
  });
  it('fails when the peers of one region are not running (live)', () => {
    const e = buildEvidence();
    const r2 = e.fabric!.kubernetes.find((c) => c.region === 'r2')!;
    for (const p of r2.pods) if (p.labels.org === 'org1') p.ready = false;
    expectStatus('FAB-PEER-01', e, 'failed', /org1: running peers only in region r1/);
  });
  it('is skipped without peer organizations', () => {
    const e = buildEvidence();
    e.fabric!.orgs = [];
    expectStatus('FAB-PEER-01', e, 'skipped', /no peer organizations/);
  });
});

describe('FAB-PEER-02 one organization: MSP ID and CA', () => {
  it('passes on one MSP ID and certificates of the organization CA', () => {
    expectStatus('FAB-PEER-02', buildEvidence(), 'passed', /8 peers of org1, org2/, /8 presented live/);
  });
  it('fails on a peer whose certificate comes from a second CA', () => {
    const e = buildEvidence();
    peer(e, 'org1-peer3').enrollmentCert = fakeCert({
      cn: 'org1-peer3',
      source: 'crypto/org1/org1-peer3/cert.pem',
      issuer: 'CN=org1-ca-region2',
      verifiedBy: null,
    });
    expectStatus('FAB-PEER-02', e, 'failed', /org1-peer3: enrolment certificate \(crypto\/org1\/org1-peer3\/cert\.pem\) is not signed by any CA of org1 \(issuer CN=org1-ca-region2\)/);
  });
  it('fails on a peer signed by a CA that is not its organization\'s', () => {
    const e = buildEvidence();
    peer(e, 'org2-peer4').tlsCert!.verifiedBy = 'crypto/org1/tlsca.pem';
    expectStatus('FAB-PEER-02', e, 'failed', /org2-peer4: TLS certificate .* is signed by crypto\/org1\/tlsca\.pem, which is not a CA of org2/);
  });
  it('fails on a peer with another MSP ID', () => {
    const e = buildEvidence();
    peer(e, 'org1-peer2').mspId = 'Org1bMSP';
    expectStatus('FAB-PEER-02', e, 'failed', /org1-peer2: MSP ID Org1bMSP, but organization org1 is Org1MSP/);
  });
  it('is skipped without peer certificates', () => {
    const e = buildStaticEvidence();
    for (const p of e.fabric!.orgs.flatMap((o) => o.peers)) {
      delete p.tlsCert;
      delete p.enrollmentCert;
    }
    expectStatus('FAB-PEER-02', e, 'skipped', /MSP IDs agree for 8 peers, but no peer certificates/);
  });
});

describe('FAB-PEER-03 same channels, ledgers in sync', () => {
  it('passes on the same channels and close heights', () => {
    expectStatus('FAB-PEER-03', buildEvidence(), 'passed', /8 peers each joined to every channel/, /within 5 blocks/);
  });
  it('fails on a peer missing from a channel', () => {
    const e = buildStaticEvidence();
    peer(e, 'org1-peer2').channels = [];
    expectStatus('FAB-PEER-03', e, 'failed', /org1-peer2 has not joined channel mychannel: org1 is a member of mychannel \(channel config\)/);
  });
  it('fails on a lagging peer (live)', () => {
    const e = buildEvidence();
    e.live.peerHeights!['org2-peer3'].mychannel = 20;
    expectStatus('FAB-PEER-03', e, 'failed', /channel mychannel: org2-peer3 at height 20, 21 blocks behind org1-peer2 \(41\); bound 5/);
  });
  it('fails on a peer that reports no ledger for a channel of its organization (live)', () => {
    const e = buildEvidence();
    e.live.peerHeights!['org1-peer4'] = {};
    expectStatus('FAB-PEER-03', e, 'failed', /org1-peer4 reports no ledger for channel mychannel/);
  });
  it('is skipped without channel lists or heights', () => {
    const e = buildStaticEvidence();
    for (const p of e.fabric!.orgs.flatMap((o) => o.peers)) delete p.channels;
    expectStatus('FAB-PEER-03', e, 'skipped', /cannot compare channel membership/);
  });
});

describe('FAB-PEER-04 every peer an anchor peer', () => {
  it('passes when every peer is an anchor peer on every channel', () => {
    expectStatus('FAB-PEER-04', buildEvidence(), 'passed', /8 anchor peer entries over 2 organization\/channel pairs/);
  });
  it('fails on an organization with four peers and one anchor', () => {
    const e = buildEvidence();
    const ch = e.fabric!.channels.find((c) => c.name === 'mychannel')!;
    ch.applicationOrgs.find((a) => a.mspId === 'Org1MSP')!.anchorPeers.splice(1);
    expectStatus(
      'FAB-PEER-04',
      e,
      'failed',
      /channel mychannel: org1 anchor peers \[org1-peer1:7051\] miss org1-peer2 \(org1-peer2:7051\), org1-peer3 \(org1-peer3:7051\), org1-peer4 \(org1-peer4:7051\)/,
    );
  });
  it('is skipped without an application channel', () => {
    const e = buildEvidence();
    e.fabric!.channels = e.fabric!.channels.filter((c) => c.isSystemChannel);
    expectStatus('FAB-PEER-04', e, 'skipped', /no application channel configuration/);
  });
});

describe('FAB-PEER-05 region-loss drill for peers', () => {
  it('passes when each organization answers with each region down', () => {
    expectStatus('FAB-PEER-05', buildEvidence(), 'passed', /with region r2 down: org1 answered by org1-peer1, org2 answered by org2-peer3/);
  });
  it('fails on an organization whose peers were all in the lost region', () => {
    const e = buildEvidence();
    const q = e.live.timelines['FAB-PEER-05'].events.find((x) => x.kind === 'query' && x.region === 'r2' && x.org === 'org2')!;
    Object.assign(q, { peer: null, ok: false, error: 'with region r2 down, no peer of org2 answered a query on mychannel within 5000 ms: org2-peer-gateway-svc@r2: ECONNREFUSED' });
    expectStatus('FAB-PEER-05', e, 'failed', /^with region r2 down, no peer of org2 answered a query on mychannel within 5000 ms/);
  });
  it('is broken when the answer came from the stopped region, or nothing was recorded', () => {
    const e = buildEvidence();
    const q = e.live.timelines['FAB-PEER-05'].events.find((x) => x.kind === 'query' && x.region === 'r1' && x.org === 'org1')!;
    Object.assign(q, { peer: 'org1-peer1', peerRegion: 'r1' });
    expectStatus('FAB-PEER-05', e, 'broken', /org1 was answered by org1-peer1, which is in that region: the region was not really down/);
    const empty = buildEvidence();
    empty.live.timelines['FAB-PEER-05'] = emptyTimeline('FAB-PEER-05');
    expectStatus('FAB-PEER-05', empty, 'broken', /recorded no events/);
  });
  it('is broken when the drill recorded its own error', () => {
    const e = buildEvidence();
    e.live.timelines['FAB-PEER-05'].events.push({ t: 1200, at: NOW, kind: 'error', message: 'region r1 was stopped but peer org1-peer1 still answer', region: 'r1' });
    expectStatus('FAB-PEER-05', e, 'broken', /still answer/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('FAB-PEER-05', buildStaticEvidence(), 'skipped', /HA_ALLOW_DISRUPTIVE=1/);
  });
});
