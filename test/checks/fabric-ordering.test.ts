import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CertificateInfo, Evidence, TimelineEvent } from '../../support/evidence/model.ts';
import { buildEvidence, buildStaticEvidence, fakeCert, NOW } from '../helpers/evidence-builder.ts';
import { emptyTimeline, expectStatus } from '../helpers/verdicts.ts';

const DAY = 24 * 60 * 60 * 1000;

function orderer(e: Evidence, name: string) {
  return e.fabric!.orderers.find((o) => o.name === name)!;
}

function channel(e: Evidence, name: string) {
  return e.fabric!.channels.find((c) => c.name === name)!;
}

/** move an ordering node (descriptor and its pod) to another region */
function moveOrderer(e: Evidence, name: string, region: string) {
  orderer(e, name).region = region;
}

describe('FAB-ORD-01 at least five consenters', () => {
  it('passes on the reference topology, judging channel configs and live cluster size', () => {
    expectStatus('FAB-ORD-01', buildEvidence(), 'passed', /5 on syschannel, mychannel \(channel config\)/, /consensus_etcdraft_cluster_size 5/);
  });
  it('fails on a channel with 3 consenters', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').consenters.splice(3);
    expectStatus('FAB-ORD-01', e, 'failed', /channel mychannel has 3 consenters \(channels\/mychannel\.pb\)/, /tolerate the loss of 1/);
  });
  it('fails when an orderer reports a cluster size of 3 (live)', () => {
    const e = buildEvidence();
    e.live.ordererMetrics!['org0-orderer2'].mychannel.consensus_etcdraft_cluster_size = 3;
    expectStatus('FAB-ORD-01', e, 'failed', /orderer org0-orderer2 reports consensus_etcdraft_cluster_size=3 on channel mychannel/);
  });
  it('is skipped without channel configs or metrics', () => {
    const e = buildStaticEvidence();
    e.fabric!.channels = [];
    expectStatus('FAB-ORD-01', e, 'skipped', /no channel configuration/);
    const n = buildEvidence();
    delete n.fabric;
    expectStatus('FAB-ORD-01', n, 'skipped', /no Fabric deployment/);
  });
});

describe('FAB-ORD-02 losing any region leaves a majority', () => {
  it('passes on the 2-1-2 layout', () => {
    expectStatus('FAB-ORD-02', buildEvidence(), 'passed', /2-1-2 over r1, r2, r3/);
  });
  it('fails on a 3-1-1 layout, naming the region and its nodes', () => {
    const e = buildEvidence();
    moveOrderer(e, 'org0-orderer4', 'r1');
    moveOrderer(e, 'org0-orderer3', 'r2');
    expectStatus(
      'FAB-ORD-02',
      e,
      'failed',
      /losing region r1 leaves 2 of 5 consenters; a majority is 3 \(r1 holds 3: org0-orderer1, org0-orderer2, org0-orderer4; layout 3-1-1\)/,
    );
  });
  it('fails when all five consenters are in two regions', () => {
    const e = buildEvidence();
    moveOrderer(e, 'org0-orderer3', 'r1');
    expectStatus('FAB-ORD-02', e, 'failed', /all 5 consenters are in 2 regions \(r1, r3\)/);
  });
  it('fails on a consenter that maps to no ordering node', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').consenters[4].host = 'ghost-orderer';
    expectStatus('FAB-ORD-02', e, 'failed', /channel mychannel: consenter ghost-orderer:6050 matches no ordering node of the descriptor/);
  });
  it('is skipped without ordering nodes to map consenters to', () => {
    const e = buildEvidence();
    e.fabric!.orderers = [];
    expectStatus('FAB-ORD-02', e, 'skipped', /cannot map consenters to regions/);
  });
});

describe('FAB-ORD-03 region-loss drill', () => {
  const regionEvents = (e: Evidence, region: string) => e.live.timelines['FAB-ORD-03'].events.filter((x) => x.region === region);
  /** r1 holds three of the five members: with it stopped, no sample sees a leader and the write fails */
  const quorumLostInR1 = () => {
    const e = buildEvidence();
    const tl = e.live.timelines['FAB-ORD-03'];
    const fault = tl.events.find((x) => x.kind === 'fault' && x.region === 'r1')!;
    fault.remaining = ['org0-orderer4', 'org0-orderer5'];
    fault.stopped = ['org0-orderer1', 'org0-orderer2', 'org0-orderer3'];
    for (const x of regionEvents(e, 'r1')) {
      if (x.kind === 'sample') x.leader = null;
      if (x.kind === 'write') Object.assign(x, { ok: false, ms: 5000, error: 'context deadline exceeded' });
    }
    return { e, tl, fault };
  };

  it('passes when every region loss elects a leader and commits, and members catch up', () => {
    expectStatus('FAB-ORD-03', buildEvidence(), 'passed', /3 regions stopped in turn \(r1, r2, r3\)/, /; bound 5000 ms \(default\); 0\.\d\d of the bound/);
  });
  it('reports quorum lost when the stopped region held a majority', () => {
    const { e, tl } = quorumLostInR1();
    // sampled until past the bound, never a leader
    for (let t = 1500; t <= 6500; t += 500) tl.events.push({ t, at: NOW, kind: 'sample', region: 'r1', leader: null });
    expectStatus(
      'FAB-ORD-03',
      e,
      'failed',
      /after region r1 stopped, no leader among 2 of 5 members within the bound of 5000 ms \(default\) \(quorum lost: 2 remaining < majority 3\)/,
      /a write did not commit: context deadline exceeded/,
    );
  });
  it("does not count the old leader before the stop took effect, nor a claim that lapses unconfirmed", () => {
    const { e, tl, fault } = quorumLostInR1();
    const at = (t: number, extra: Record<string, unknown>) => tl.events.push({ t: fault.t + t, at: NOW, region: 'r1', ...extra } as unknown as TimelineEvent);
    // the old leader, still with its majority while the region's processes were being stopped
    at(10, { kind: 'sample', leader: 'org0-orderer4' });
    at(60, { kind: 'note', stopped: true, message: 'stopped' });
    // one claim just after the stop (its peers not yet seen gone), then nothing, to past the bound
    at(80, { kind: 'sample', leader: 'org0-orderer4' });
    for (let t = 120; t <= 5000; t += 440) at(t, { kind: 'sample', leader: null });
    at(5000, { kind: 'sample', leader: null });
    tl.events.sort((a, b) => a.t - b.t);
    expectStatus(
      'FAB-ORD-03',
      e,
      'failed',
      /after region r1 stopped, no leader among 2 of 5 members within the bound of 5000 ms \(default\) \(unconfirmed claims that lapsed: org0-orderer4 at 80 ms\)/,
    );
    // the same claim confirmed by the next sample is a leader (and the failed write still fails the drill)
    at(90, { kind: 'sample', leader: 'org0-orderer4' });
    tl.events.sort((a, b) => a.t - b.t);
    const v = expectStatus('FAB-ORD-03', e, 'failed', /a write did not commit/);
    assert.doesNotMatch(v.message, /no leader among 2 of 5/);
  });
  it('fails when a restored member does not catch up', () => {
    const e = buildEvidence();
    const catchUp = regionEvents(e, 'r3').find((x) => x.kind === 'catch-up')!;
    (catchUp.heights as Record<string, number>)['org0-orderer5'] = 9;
    expectStatus('FAB-ORD-03', e, 'failed', /after region r3 returned, org0-orderer5 \(height 9\) did not catch up to height 14/);
  });
  it('is broken when the timeline recorded nothing, or the drill left regions out', () => {
    const e = buildEvidence();
    e.live.timelines['FAB-ORD-03'] = emptyTimeline('FAB-ORD-03');
    expectStatus('FAB-ORD-03', e, 'broken', /recorded no events/);
    const partial = buildEvidence();
    const tl = partial.live.timelines['FAB-ORD-03'];
    tl.events = tl.events.filter((x) => x.region !== 'r3');
    tl.events.push({ t: 40000, at: NOW, kind: 'error', message: 'before stopping region r3: no leader; region not drilled' } as TimelineEvent);
    expectStatus('FAB-ORD-03', partial, 'broken', /did not stop region r3/, /region not drilled/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('FAB-ORD-03', buildStaticEvidence(), 'skipped', /no live timeline for the FAB-ORD-03 drill: drills run where the harness provisions the target/);
  });
});

describe('FAB-ORD-04 complete consenter set, no ghosts', () => {
  it('passes when deployed nodes and consenters agree, statically and live', () => {
    expectStatus('FAB-ORD-04', buildEvidence(), 'passed', /5 deployed ordering nodes = the consenters of syschannel, mychannel/, /participation API/);
  });
  it('fails on a node deployed but never added to the channels ("Requires attention")', () => {
    const e = buildEvidence();
    e.fabric!.orderers.push({ ...orderer(e, 'org0-orderer3'), name: 'org0-orderer6', host: 'org0-orderer6' });
    expectStatus(
      'FAB-ORD-04',
      e,
      'failed',
      /org0-orderer6 \(org0-orderer6:6050, region r2\) is deployed but not a consenter of system channel syschannel \("Requires attention"/,
    );
  });
  it('fails on a ghost consenter', () => {
    const e = buildEvidence();
    channel(e, 'mychannel').consenters.push({ host: 'old-orderer', port: 6050 });
    expectStatus('FAB-ORD-04', e, 'failed', /channel mychannel: consenter old-orderer:6050 has no deployed ordering node/);
  });
  it('fails when the participation API shows a node that is not an active consenter', () => {
    const e = buildEvidence();
    e.live.participation!['org0-orderer2'].mychannel = { consensusRelation: 'follower', status: 'onboarding' };
    expectStatus('FAB-ORD-04', e, 'failed', /org0-orderer2 on channel mychannel is follower\/onboarding \(channel participation API\)/);
  });
  it('is skipped without channel configs', () => {
    const e = buildEvidence();
    e.fabric!.channels = [];
    expectStatus('FAB-ORD-04', e, 'skipped', /no channel configuration/);
  });
});

describe('FAB-ORD-05 ordering pods on distinct worker nodes and zones', () => {
  function forgetPlacement(e: Evidence) {
    for (const o of e.fabric!.orderers) {
      delete o.workerNode;
      delete o.zone;
    }
    for (const c of e.fabric!.kubernetes) {
      c.origin = 'manifests';
      for (const p of c.pods) delete p.nodeName;
    }
  }
  it('passes when placement shows distinct worker nodes and zones', () => {
    expectStatus('FAB-ORD-05', buildEvidence(), 'passed', /org0 in r1: 2 nodes on 2 worker nodes/, /zones r1-a, r1-b/);
  });
  it('fails on two ordering pods on one worker node', () => {
    const e = buildEvidence();
    orderer(e, 'org0-orderer2').workerNode = 'r1-worker1';
    expectStatus('FAB-ORD-05', e, 'failed', /org0 in r1: org0-orderer1, org0-orderer2 run on the same worker node r1-worker1/);
  });
  it('fails when two pods share a zone although the cluster has two', () => {
    const e = buildEvidence();
    orderer(e, 'org0-orderer5').zone = 'r3-a';
    expectStatus('FAB-ORD-05', e, 'failed', /org0 in r3: org0-orderer4, org0-orderer5 are all in zone r3-a although the cluster has zones r3-a, r3-b/);
  });
  it('passes on manifests alone when required anti-affinity keeps the pods apart', () => {
    const e = buildEvidence();
    forgetPlacement(e);
    expectStatus('FAB-ORD-05', e, 'passed', /kept apart by required pod anti-affinity; zones: required pod anti-affinity/);
  });
  it('fails on manifests without anti-affinity and unknown placement', () => {
    const e = buildEvidence();
    forgetPlacement(e);
    for (const c of e.fabric!.kubernetes) for (const p of c.pods) p.affinity.requiredAntiAffinity = [];
    expectStatus('FAB-ORD-05', e, 'failed', /org0 in r1: pods of org0-orderer1\/org0-orderer2 have no required anti-affinity on kubernetes\.io\/hostname/, /nothing prevents two on one worker node/);
  });
  it('fails on soft anti-affinity only', () => {
    const e = buildEvidence();
    forgetPlacement(e);
    for (const c of e.fabric!.kubernetes) {
      for (const p of c.pods) {
        p.affinity.preferredAntiAffinity = p.affinity.requiredAntiAffinity.map((t) => ({ ...t, weight: 100 }));
        p.affinity.requiredAntiAffinity = [];
      }
    }
    expectStatus('FAB-ORD-05', e, 'failed', /only preferred \(soft\) anti-affinity on kubernetes\.io\/hostname/);
  });
  it('is skipped without Kubernetes evidence or placement', () => {
    const e = buildEvidence();
    forgetPlacement(e);
    e.fabric!.kubernetes = [];
    expectStatus('FAB-ORD-05', e, 'skipped', /no Kubernetes manifests or API context for region r1: cannot see pod placement/);
  });
});

describe('FAB-ORD-06 one CA, own certificates', () => {
  it('passes on distinct certificates from the organization CAs', () => {
    expectStatus('FAB-ORD-06', buildEvidence(), 'passed', /all distinct/, /presented live/);
  });
  it('fails on two consenters with the same certificate', () => {
    const e = buildEvidence();
    orderer(e, 'org0-orderer2').tlsCert = { ...orderer(e, 'org0-orderer1').tlsCert!, source: 'crypto/org0/org0-orderer2/tls.pem' };
    expectStatus('FAB-ORD-06', e, 'failed', /org0-orderer1, org0-orderer2 hold the same TLS certificate/);
  });
  it('fails on a certificate from another CA', () => {
    const e = buildEvidence();
    orderer(e, 'org0-orderer3').enrollmentCert = fakeCert({
      cn: 'org0-orderer3',
      source: 'crypto/org0/org0-orderer3/cert.pem',
      issuer: 'CN=region2-ca',
      verifiedBy: null,
    });
    expectStatus('FAB-ORD-06', e, 'failed', /org0-orderer3: enrolment certificate \(crypto\/org0\/org0-orderer3\/cert\.pem\) is not signed by any CA of org0 \(issuer CN=region2-ca\)/);
  });
  it('fails when the certificate presented live comes from another CA', () => {
    const e = buildEvidence();
    e.live.presentedCerts!['org0-orderer4:6050'] = fakeCert({ cn: 'org0-orderer4', source: 'tls://org0-orderer4:6050', issuer: 'CN=rogue', verifiedBy: null });
    expectStatus('FAB-ORD-06', e, 'failed', /org0-orderer4: presented TLS certificate \(tls:\/\/org0-orderer4:6050\) is not signed by any CA of org0/);
  });
  it('is skipped without any orderer certificates', () => {
    const e = buildStaticEvidence();
    for (const o of e.fabric!.orderers) {
      delete o.tlsCert;
      delete o.enrollmentCert;
    }
    expectStatus('FAB-ORD-06', e, 'skipped', /no ordering node certificates/);
  });
});

describe('FAB-ORD-07 cross-region round trips', () => {
  it('passes under the bound', () => {
    expectStatus('FAB-ORD-07', buildEvidence(), 'passed', /16 cross-region round trips/, /bound 100 ms \(default\); 0\.\d\d of the bound/);
  });
  it('fails on a far region', () => {
    const e = buildEvidence();
    for (const r of e.live.roundTrips!) if (r.toRegion === 'r3' || r.fromRegion === 'r3') r.ms = 180;
    expectStatus('FAB-ORD-07', e, 'failed', /org0-orderer1 \(r1\) → org0-orderer4 \(r3\): 180 ms, 1.80 of the bound; .*bound 100 ms \(default\)/);
  });
  it('is skipped statically', () => {
    expectStatus('FAB-ORD-07', buildStaticEvidence(), 'skipped', /judged live only/);
  });
  it('is broken when no round trip could be measured', () => {
    const e = buildEvidence();
    for (const r of e.live.roundTrips!) r.ms = Number.NaN;
    expectStatus('FAB-ORD-07', e, 'broken', /could be measured/);
  });
});

describe('FAB-ORD-08 consenter certificate expiry', () => {
  function setExpiry(e: Evidence, index: number, iso: string) {
    for (const ch of e.fabric!.channels) {
      const c = ch.consenters[index];
      for (const cert of [c.serverTlsCert, c.clientTlsCert] as CertificateInfo[]) cert.notAfter = iso;
    }
  }
  it('passes with staggered expiries far away', () => {
    expectStatus('FAB-ORD-08', buildEvidence(), 'passed', /first expires 2027-01-01/, /no majority expires within 30 days \(default\) of each other/);
  });
  it('fails on a certificate expiring within the warning window', () => {
    const e = buildStaticEvidence();
    setExpiry(e, 2, new Date(Date.parse(NOW) + 9.5 * DAY).toISOString());
    expectStatus('FAB-ORD-08', e, 'failed', /channel syschannel: consenter org0-orderer3:6050 server TLS certificate expires on 2026-01-10, in 9 days, within the warning window of 30 days \(default\)/);
  });
  it('fails on an expired certificate', () => {
    const e = buildStaticEvidence();
    setExpiry(e, 0, '2025-12-01T00:00:00.000Z');
    expectStatus('FAB-ORD-08', e, 'failed', /consenter org0-orderer1:6050 server TLS certificate expired on 2025-12-01/);
  });
  it('fails when three of five consenter certificates expire the same week', () => {
    const e = buildStaticEvidence();
    setExpiry(e, 0, '2027-10-01T00:00:00.000Z');
    setExpiry(e, 2, '2027-10-03T00:00:00.000Z');
    setExpiry(e, 4, '2027-10-06T00:00:00.000Z');
    expectStatus(
      'FAB-ORD-08',
      e,
      'failed',
      /channel syschannel: 3 of 5 consenters' certificates expire within 30 days \(default\) of each other \(2027-10-01 … 2027-10-06: org0-orderer1:6050, org0-orderer3:6050, org0-orderer5:6050\)/,
    );
  });
  it('judges a presented certificate too (live)', () => {
    const e = buildEvidence();
    e.live.presentedCerts!['org0-orderer2:6050'].notAfter = new Date(Date.parse(NOW) + 3 * DAY).toISOString();
    expectStatus('FAB-ORD-08', e, 'failed', /consenter org0-orderer2:6050 presented TLS certificate expires on 2026-01-04/);
  });
  it('is skipped without any consenter certificate', () => {
    const e = buildStaticEvidence();
    for (const ch of e.fabric!.channels) for (const c of ch.consenters) {
      delete c.serverTlsCert;
      delete c.clientTlsCert;
    }
    for (const o of e.fabric!.orderers) delete o.tlsCert;
    expectStatus('FAB-ORD-08', e, 'skipped', /cannot see expiry/);
  });
});

describe('FAB-ORD-09 consenter host in the server certificate', () => {
  it('passes when every certificate names its consenter host', () => {
    expectStatus('FAB-ORD-09', buildEvidence(), 'passed', /10 consenter entries/, /5 live handshakes by host name verified/);
  });
  it('fails on a consenter whose certificate names only another host', () => {
    const e = buildStaticEvidence();
    channel(e, 'mychannel').consenters[2].serverTlsCert!.dnsNames = ['orderer3.example.com'];
    expectStatus(
      'FAB-ORD-09',
      e,
      'failed',
      /^channel mychannel: consenter org0-orderer3:6050 server certificate SANs \[orderer3\.example\.com\] do not include org0-orderer3 \(channel:mychannel#consenter\[2\]\.server_tls_cert\)$/,
    );
  });
  it('accepts a wildcard that covers the host and an IP SAN for an IP host', () => {
    const e = buildStaticEvidence();
    const ch = channel(e, 'mychannel');
    ch.consenters[0].host = 'orderer1.example.com';
    ch.consenters[0].serverTlsCert!.dnsNames = ['*.example.com'];
    ch.consenters[1].host = '10.1.0.2';
    ch.consenters[1].serverTlsCert!.dnsNames = [];
    ch.consenters[1].serverTlsCert!.ipAddresses = ['10.1.0.2'];
    expectStatus('FAB-ORD-09', e, 'passed');
    ch.consenters[0].host = 'a.orderer1.example.com';
    expectStatus('FAB-ORD-09', e, 'failed', /SANs \[\*\.example\.com\] do not include a\.orderer1\.example\.com/);
  });
  it('fails when a live handshake by host name does not verify', () => {
    const e = buildEvidence();
    Object.assign(e.live.handshakes![2], { verified: false, error: 'x509: certificate is valid for orderer3.example.com, not org0-orderer3' });
    expectStatus('FAB-ORD-09', e, 'failed', /TLS handshake to consenter org0-orderer3 .* failed host-name verification/);
  });
  it('is broken when no certificate is known and no consenter could be reached', () => {
    const e = buildEvidence();
    for (const ch of e.fabric!.channels) for (const c of ch.consenters) delete c.serverTlsCert;
    for (const h of e.live.handshakes!) Object.assign(h, { verified: false, error: 'connect ECONNREFUSED 127.1.0.1:6050' });
    expectStatus('FAB-ORD-09', e, 'broken', /could not reach the consenters/);
  });
  it('is skipped without server certificates or handshakes', () => {
    const e = buildStaticEvidence();
    for (const ch of e.fabric!.channels) for (const c of ch.consenters) delete c.serverTlsCert;
    expectStatus('FAB-ORD-09', e, 'skipped', /no consenter carries a server_tls_cert/);
  });
});
