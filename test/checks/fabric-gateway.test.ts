import { describe, it } from 'node:test';
import type { Evidence } from '../../support/evidence/model.ts';
import { buildEvidence, buildStaticEvidence } from '../helpers/evidence-builder.ts';
import { emptyTimeline, expectStatus } from '../helpers/verdicts.ts';

function cluster(e: Evidence, region: string) {
  return e.fabric!.kubernetes.find((c) => c.region === region)!;
}

function service(e: Evidence, region: string, name: string) {
  return cluster(e, region).services.find((s) => s.name === name)!;
}

describe('FAB-GW-01 gateway Service selects the local peers of its organization', () => {
  it('passes on the reference Services and live endpoints', () => {
    expectStatus('FAB-GW-01', buildEvidence(), 'passed', /4 gateway Services/, /r1\/org1-peer-gateway-svc → 2 org1 peers/, /endpoints list every ready peer/);
  });
  it('fails on a selector that picks one peer', () => {
    const e = buildStaticEvidence();
    service(e, 'r1', 'org1-peer-gateway-svc').selector = { app: 'org1-peer1' };
    expectStatus(
      'FAB-GW-01',
      e,
      'failed',
      /cluster r1: Service org1-peer-gateway-svc selector \{app: org1-peer1\} does not match peer pod org1-peer2-5c7d9b8f4-x2kzq/,
      /selects only 1 peer pod \(org1-peer1-5c7d9b8f4-x2kzq\)/,
    );
  });
  it('fails on a selector that picks peers of two organizations', () => {
    const e = buildStaticEvidence();
    for (const p of cluster(e, 'r2').pods) if (p.labels.app?.includes('-peer')) p.labels.tier = 'peer';
    service(e, 'r2', 'org1-peer-gateway-svc').selector = { tier: 'peer' };
    expectStatus('FAB-GW-01', e, 'failed', /cluster r2: Service org1-peer-gateway-svc selector \{tier: peer\} also matches pods org2-peer1-5c7d9b8f4-x2kzq \(Deployment\/org2-peer1, .*\), org2-peer2-5c7d9b8f4-x2kzq .* which are not org1's peers in r2/);
  });
  it('fails on a missing Service and on the wrong port', () => {
    const e = buildStaticEvidence();
    const r3 = cluster(e, 'r3');
    r3.services = r3.services.filter((s) => s.name !== 'org2-peer-gateway-svc');
    service(e, 'r1', 'org1-peer-gateway-svc').ports = [{ port: 7052, targetPort: 7052 }];
    expectStatus('FAB-GW-01', e, 'failed', /cluster r1: Service org1-peer-gateway-svc exposes 7052→7052, not the peer port 7051/, /cluster r3: org2's gateway Service org2-peer-gateway-svc not found/);
  });
  it('fails when the live endpoints miss a ready peer', () => {
    const e = buildEvidence();
    service(e, 'r2', 'org2-peer-gateway-svc').endpoints = ['org2-peer1-5c7d9b8f4-x2kzq'];
    expectStatus('FAB-GW-01', e, 'failed', /cluster r2: Service org2-peer-gateway-svc endpoints \[org2-peer1-5c7d9b8f4-x2kzq\] miss ready peer pod org2-peer2-5c7d9b8f4-x2kzq \(live\)/);
  });
  it('is skipped without Kubernetes evidence', () => {
    const e = buildEvidence();
    e.fabric!.kubernetes = [];
    expectStatus('FAB-GW-01', e, 'skipped', /no Kubernetes manifests or API context for region r1: cannot see org1's gateway Service/);
  });
});

describe('FAB-GW-02 kube-proxy in ipvs mode', () => {
  it('passes on ipvs everywhere', () => {
    expectStatus('FAB-GW-02', buildEvidence(), 'passed', /ipvs mode in 3 clusters/);
  });
  it('fails on iptables mode', () => {
    const e = buildEvidence();
    cluster(e, 'r2').kubeProxyMode = { mode: 'iptables', source: 'k8s/r2/kind-config.yaml' };
    expectStatus('FAB-GW-02', e, 'failed', /cluster r2: kube-proxy mode iptables \(k8s\/r2\/kind-config\.yaml\)/);
  });
  it('fails on the KIND default when no mode is set', () => {
    const e = buildEvidence();
    cluster(e, 'r1').kubeProxyMode = { mode: '', source: 'k8s/r1/kind-config.yaml' };
    expectStatus('FAB-GW-02', e, 'failed', /cluster r1: kube-proxy mode iptables \(the default when none is set\)/);
  });
  it('is skipped when the mode is unknown', () => {
    const e = buildEvidence();
    for (const c of e.fabric!.kubernetes) delete c.kubeProxyMode;
    expectStatus('FAB-GW-02', e, 'skipped', /kube-proxy mode unknown for clusters r1, r2, r3/);
  });
});

describe('FAB-GW-03 peer certificates name the gateway Service', () => {
  it('passes when every peer certificate carries its host and the Service name', () => {
    expectStatus('FAB-GW-03', buildEvidence(), 'passed', /8 peer TLS certificates/, /verified by Service name/);
  });
  it('fails on a peer certificate without the Service name', () => {
    const e = buildStaticEvidence();
    const p = e.fabric!.orgs[0].peers[1];
    p.tlsCert!.dnsNames = ['org1-peer2', 'org1-peer2.test-network.svc.cluster.local'];
    expectStatus(
      'FAB-GW-03',
      e,
      'failed',
      /org1-peer2: TLS certificate SANs \[org1-peer2, org1-peer2\.test-network\.svc\.cluster\.local\] do not include org1-peer-gateway-svc \(crypto\/org1\/org1-peer2\/tls\.pem\)/,
    );
  });
  it('requires the gateway aliases too, accepting a covering wildcard', () => {
    const e = buildStaticEvidence();
    const org1 = e.fabric!.orgs[0];
    org1.gatewayAliases = ['org1-peer-gateway-svc.localho.st'];
    expectStatus('FAB-GW-03', e, 'failed', /org1-peer1: .* do not include org1-peer-gateway-svc\.localho\.st/);
    for (const p of org1.peers) p.tlsCert!.dnsNames.push('*.localho.st');
    expectStatus('FAB-GW-03', e, 'passed');
  });
  it('fails when a handshake to the Service name does not verify (live)', () => {
    const e = buildEvidence();
    const h = e.live.handshakes!.find((x) => x.name === 'org2-peer-gateway-svc')!;
    Object.assign(h, { verified: false, answeredBy: 'org2-peer2', error: "Hostname/IP does not match certificate's altnames" });
    expectStatus('FAB-GW-03', e, 'failed', /TLS handshake to org2-peer-gateway-svc \(127\.2\.0\.1:7051\), answered by org2-peer2, failed host-name verification/);
  });
  it('is skipped without peer certificates or handshakes', () => {
    const e = buildStaticEvidence();
    for (const p of e.fabric!.orgs.flatMap((o) => o.peers)) delete p.tlsCert;
    expectStatus('FAB-GW-03', e, 'skipped', /no TLS certificate named for org1-peer1/);
  });
});

describe('FAB-GW-04 gateway spread drill', () => {
  it('passes and says that an existing connection is not re-balanced', () => {
    expectStatus(
      'FAB-GW-04',
      buildEvidence(),
      'passed',
      /org1-peer-gateway-svc@r1: 10 connections reached 2 of its 2 peers/,
      /after org1-peer1 stopped 10\/10 reached org1-peer2/,
      /existing long-lived connections .* not re-balanced/,
    );
  });
  it('fails on a Service whose only endpoint was the stopped peer', () => {
    const e = buildEvidence();
    for (const x of e.live.timelines['FAB-GW-04'].events) {
      if (x.kind !== 'connect' || x.gateway !== 'org1-peer-gateway-svc@r1') continue;
      if (x.phase === 'before') x.answeredBy = 'org1-peer1';
      else Object.assign(x, { answeredBy: null, error: 'connect ECONNREFUSED 10.96.0.12:7051' });
    }
    expectStatus(
      'FAB-GW-04',
      e,
      'failed',
      /gateway org1-peer-gateway-svc@r1 \(org1, r1\): all 10 successful new connections before the stop reached org1-peer1: not spread/,
      /after org1-peer1 stopped, 10 of 10 new connections failed: connect ECONNREFUSED/,
    );
  });
  it('fails when new connections still reach the stopped peer', () => {
    const e = buildEvidence();
    const after = e.live.timelines['FAB-GW-04'].events.find((x) => x.kind === 'connect' && x.phase === 'after' && x.gateway === 'org2-peer-gateway-svc@r3')!;
    after.answeredBy = 'org2-peer3';
    expectStatus('FAB-GW-04', e, 'failed', /after org2-peer3 stopped, 1 of 10 new connections were answered by it/);
  });
  it('is broken on an empty timeline', () => {
    const e = buildEvidence();
    e.live.timelines['FAB-GW-04'] = emptyTimeline('FAB-GW-04');
    expectStatus('FAB-GW-04', e, 'broken', /recorded no events/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('FAB-GW-04', buildStaticEvidence(), 'skipped', /no live timeline for the FAB-GW-04 drill/);
  });
});
