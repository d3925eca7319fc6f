/**
 * The guarantees judged from the nodes' own configuration: FAB-ORD-11 (Raft timing and message sizes), FAB-ORD-12
 * (ordering state on persistent volumes, the restart drill) and FAB-PEER-06 (gossip for HA, heights behind a
 * gateway). Each is passed on the reference, failed by one change, skipped without evidence and broken when the
 * harness could not look.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo, Evidence, PodInfo, TimelineEvent } from '../../support/evidence/model.ts';
import { withNodeConfigs } from '../../support/evidence/fabric/node-config.ts';
import { withSettings } from '../../support/evidence/settings.ts';
import { buildEvidence, buildStaticEvidence } from '../helpers/evidence-builder.ts';
import { emptyTimeline, expectStatus } from '../helpers/verdicts.ts';

function pods(e: Evidence, node: string): PodInfo[] {
  return e.fabric!.kubernetes.flatMap((k) => k.pods).filter((p) => p.labels.app === node);
}

/** change the main container of a node's pods, then read the configuration again, as the collector does */
function reconfigure(e: Evidence, node: string, change: (c: ContainerInfo, pod: PodInfo) => void): Evidence {
  for (const pod of pods(e, node)) change(pod.containers![0], pod);
  e.fabric = withNodeConfigs(e.fabric!);
  return e;
}

function setEnv(e: Evidence, node: string, name: string, value: string): Evidence {
  return reconfigure(e, node, (c) => {
    c.env = [...c.env.filter((x) => x.name !== name), { name, value }];
  });
}

function channel(e: Evidence, name = 'mychannel') {
  return e.fabric!.channels.find((c) => c.name === name)!;
}

describe('FAB-ORD-11 Raft timing and message sizes', () => {
  it('passes on the reference: election timeout against the allowed and the measured round trips, one gRPC limit, blocks at most half of it', () => {
    expectStatus(
      'FAB-ORD-11',
      buildEvidence(),
      'passed',
      /election timeout 5000 ms \(500 ms tick × ElectionTick 10\) on syschannel, mychannel ≥ 10 × 100 ms allowed round trip = 1000 ms \(electionTimeoutRoundTrips 10 \(default\); maxRoundTripMs 100 ms \(default\)\); 0\.20 of the timeout/,
      /measured: 10 × the longest round trip 26 ms \(org0-orderer1 → org0-orderer3\) = 260 ms, 0\.05 of the 5000 ms timeout/,
      /syschannel, mychannel: BatchSize AbsoluteMaxBytes 10485760 × 2 = 20971520 bytes ≤ the smallest gRPC limit, 104857600 bytes/,
      /gRPC limits alike on 13 nodes \(104857600 bytes\)/,
    );
  });
  it('fails when one orderer overrides the tick interval, naming it, the value and where it is set', () => {
    const e = setEnv(buildEvidence(), 'org0-orderer3', 'ORDERER_CONSENSUS_TICKINTERVALOVERRIDE', '250ms');
    expectStatus(
      'FAB-ORD-11',
      e,
      'failed',
      /mychannel: the consenters do not tick alike: 500 ms on org0-orderer1, org0-orderer2, org0-orderer4, org0-orderer5 \(TickInterval 500ms of the channel\) vs 250 ms on org0-orderer3 \(TickIntervalOverride 250ms \(env: api:r2\/pods\/org0-orderer3-0 container main env ORDERER_CONSENSUS_TICKINTERVALOVERRIDE\)\)/,
      /can lose the quorum/,
    );
  });
  it('passes when every orderer sets the same override, judging the timeout with it', () => {
    let e = buildEvidence();
    for (const o of e.fabric!.orderers) e = setEnv(e, o.name, 'ORDERER_CONSENSUS_TICKINTERVALOVERRIDE', '1s');
    expectStatus('FAB-ORD-11', e, 'passed', /election timeout 10000 ms \(1000 ms tick × ElectionTick 10\) on syschannel, mychannel/);
    const bad = setEnv(buildEvidence(), 'org0-orderer1', 'ORDERER_CONSENSUS_TICKINTERVALOVERRIDE', 'soon');
    expectStatus('FAB-ORD-11', bad, 'failed', /org0-orderer1 Consensus\.TickIntervalOverride soon \(env: .*\) is not a positive Go duration/);
  });
  it('fails when the election timeout is below 10 round trips, allowed or measured, with bound, value and ratio', () => {
    const e = buildEvidence();
    channel(e).raftOptions!.tickInterval = '50ms';
    expectStatus('FAB-ORD-11', e, 'failed', /mychannel: election timeout 500 ms \(50 ms tick × ElectionTick 10\) is below 10 × the 100 ms round trip FAB-ORD-07 allows = 1000 ms .*; 2\.00 of the timeout/);
    const far = buildEvidence();
    far.live.roundTrips![0].ms = 600;
    expectStatus('FAB-ORD-11', far, 'failed', /mychannel: election timeout 5000 ms .* is below 10 × the longest measured round trip 600 ms \(org0-orderer1 → org0-orderer3\) = 6000 ms; 1\.20 of the timeout/);
    // the factor is a setting: the scenario's number wins and is named
    const strict = withSettings(buildEvidence(), { electionTimeoutRoundTrips: 60 }, 'Gherkin');
    expectStatus('FAB-ORD-11', strict, 'failed', /below 60 × the 100 ms round trip .* \(electionTimeoutRoundTrips 60 \(Gherkin\)/);
  });
  it('fails when a gRPC limit differs between nodes, or a block may reach more than half of it', () => {
    const e = setEnv(buildEvidence(), 'org1-peer2', 'CORE_PEER_MAXRECVMSGSIZE', '52428800');
    expectStatus('FAB-ORD-11', e, 'failed', /the gRPC receive limits differ: 104857600 bytes on 12 nodes, but 52428800 on org1-peer2 \(env: .*CORE_PEER_MAXRECVMSGSIZE\)/);
    const big = buildEvidence();
    channel(big).batchSize!.absoluteMaxBytes = 103809024;
    expectStatus(
      'FAB-ORD-11',
      big,
      'failed',
      /mychannel: BatchSize AbsoluteMaxBytes 103809024 × 2 = 207618048 bytes is above the smallest gRPC limit, 104857600 bytes \(org0-orderer1 General\.MaxRecvMsgSize 104857600 \(sampleconfig: hyperledger\/fabric release-2\.5 sampleconfig\/orderer\.yaml\)\); grpcLimitBlockMultiple 2 \(default\); 1\.98 of the limit/,
    );
    const notBytes = setEnv(buildEvidence(), 'org0-orderer2', 'ORDERER_GENERAL_MAXSENDMSGSIZE', '100MB');
    expectStatus('FAB-ORD-11', notBytes, 'failed', /org0-orderer2 General\.MaxSendMsgSize 100MB \(env: .*\) is not a whole number of bytes/);
  });
  it('is skipped with nothing to judge, and broken when the configuration it needs cannot be read', () => {
    const none = buildStaticEvidence();
    for (const ch of none.fabric!.channels) delete ch.raftOptions;
    none.fabric!.kubernetes = [];
    none.fabric = withNodeConfigs(none.fabric!);
    expectStatus('FAB-ORD-11', none, 'skipped', /no etcdraft options in any channel configuration and no configuration of any ordering node or peer/);
    const unread = buildStaticEvidence();
    unread.fabric!.channels = [];
    for (const node of [...unread.fabric!.orderers.map((o) => o.name), ...unread.fabric!.orgs.flatMap((g) => g.peers.map((p) => p.name))]) {
      reconfigure(unread, node, (c, pod) => {
        c.volumeMounts.push({ name: 'config', mountPath: '/etc/hyperledger/fabric' });
        pod.volumes = [...(pod.volumes ?? []), { name: 'config', type: 'configMap', object: 'fabric-config' }];
      });
    }
    expectStatus('FAB-ORD-11', unread, 'broken', /could not read what FAB-ORD-11 judges: no gRPC message limit is known/, /ConfigMap fabric-config, which is not in the evidence/);
    expectStatus('FAB-ORD-11', { ...buildEvidence(), fabric: undefined }, 'skipped', /no Fabric deployment/);
  });
});

describe('FAB-ORD-12 ordering state survives a restart', () => {
  it('passes on the reference: data on claims, and each restarted node caught up within the bound', () => {
    expectStatus(
      'FAB-ORD-12',
      buildEvidence(),
      'passed',
      /5 ordering nodes keep FileLedger\.Location, Consensus\.WALDir, Consensus\.SnapDir on persistent volumes \(PersistentVolumeClaim data-org0-orderer1-0 mounted at \/var\/hyperledger\/production/,
      /restarted one ordering node per region with its data \(org0-orderer1 in r1, org0-orderer3 in r2, org0-orderer4 in r3; pod deleted\): each rejoined and caught up within 300 ms; bound 60000 ms \(default\); 0\.01 of the bound/,
    );
    expectStatus('FAB-ORD-12', buildStaticEvidence(), 'passed', /on persistent volumes/, /no restart drill \(static evidence only\)/);
  });
  it('fails when the WAL is on an emptyDir, the ledger in the container layer, or a hostPath', () => {
    const empty = reconfigure(buildStaticEvidence(), 'org0-orderer2', (_c, pod) => {
      pod.volumes = [{ name: 'data', type: 'emptyDir' }];
    });
    expectStatus(
      'FAB-ORD-12',
      empty,
      'failed',
      /org0-orderer2: FileLedger\.Location \/var\/hyperledger\/production\/orderer, Consensus\.WALDir \/var\/hyperledger\/production\/orderer\/etcdraft\/wal, Consensus\.SnapDir \/var\/hyperledger\/production\/orderer\/etcdraft\/snapshot are on emptyDir mounted at \/var\/hyperledger\/production: deleted with the pod \(api:r1\/pods\/org0-orderer2-0 container main mount \/var\/hyperledger\/production\): a restarted pod starts without its Raft log/,
    );
    const layer = setEnv(buildStaticEvidence(), 'org0-orderer5', 'ORDERER_CONSENSUS_WALDIR', '/tmp/wal');
    expectStatus('FAB-ORD-12', layer, 'failed', /org0-orderer5: Consensus\.WALDir \/tmp\/wal is on the container layer \(no volume is mounted there\), gone with the container/);
    const host = reconfigure(buildStaticEvidence(), 'org0-orderer3', (_c, pod) => {
      pod.volumes = [{ name: 'data', type: 'hostPath', path: '/srv/orderer3' }];
    });
    expectStatus('FAB-ORD-12', host, 'failed', /org0-orderer3: .* hostPath \/srv\/orderer3 mounted at .*: kept only while the pod stays on that worker node .*rescheduled elsewhere/);
  });
  it('fails when a restarted node exits or does not catch up within the bound', () => {
    const exited = buildEvidence();
    const tl = exited.live.timelines['FAB-ORD-12'];
    const r2 = tl.events.find((e) => e.kind === 'catch-up' && e.region === 'r2')!;
    tl.events = tl.events.filter((e) => e !== r2);
    tl.events.push({ t: r2.t, at: r2.at, kind: 'exit', region: 'r2', member: 'org0-orderer3', message: 'panic: tocommit(28) is out of range [lastIndex(0)]' } as TimelineEvent);
    expectStatus('FAB-ORD-12', exited, 'failed', /org0-orderer3 \(r2\) exited 300 ms after it was started again, instead of rejoining: panic: tocommit\(28\) is out of range/);
    const slow = withSettings(buildEvidence(), { restartCatchUpBoundMs: 200 }, 'Gherkin');
    expectStatus('FAB-ORD-12', slow, 'failed', /org0-orderer1 \(r1\) rejoined and caught up only after 300 ms; bound 200 ms \(Gherkin\); 1\.50 of the bound/);
    const never = buildEvidence();
    for (const e of never.live.timelines['FAB-ORD-12'].events) {
      if (e.kind === 'catch-up' && e.region === 'r3') Object.assign(e, { t: e.t + 61000, caughtUp: false, ms: undefined, lastState: 'reachable, height 20 of 23' });
    }
    expectStatus('FAB-ORD-12', never, 'failed', /org0-orderer4 \(r3\), started again with its data directory, did not rejoin and catch up within 60000 ms \(default\) \(reachable, height 20 of 23\)/);
  });
  it('is broken when the drill did not look long enough or recorded nothing, skipped with no evidence at all', () => {
    const short = buildEvidence();
    short.live.timelines['FAB-ORD-12'].params.horizonMs = 1000;
    for (const e of short.live.timelines['FAB-ORD-12'].events) if (e.kind === 'catch-up' && e.region === 'r1') Object.assign(e, { caughtUp: false, ms: undefined });
    expectStatus('FAB-ORD-12', short, 'broken', /org0-orderer1 \(r1\) had not caught up when the drill stopped looking 300 ms after it was started again .* the drill waited 1000 ms, raise its horizon/);
    const empty = buildEvidence();
    empty.live.timelines['FAB-ORD-12'] = emptyTimeline('FAB-ORD-12');
    expectStatus('FAB-ORD-12', empty, 'broken', /recorded no events/);
    const none = buildStaticEvidence();
    none.fabric!.kubernetes = [];
    none.fabric = withNodeConfigs(none.fabric!);
    none.live.unobserved = { 'FAB-ORD-12': 'the target is not disposable' };
    expectStatus('FAB-ORD-12', none, 'skipped', /no configuration evidence for org0-orderer1.*nor a restart drill \(the target is not disposable\)/);
  });
});

describe('FAB-PEER-06 gossip configured for HA', () => {
  it('passes on the reference: Fabric 2.x defaults (every peer an org leader), external endpoints, heights together', () => {
    expectStatus(
      'FAB-PEER-06',
      buildEvidence(),
      'passed',
      /a peer pulling blocks in each of 4 organization regions \(org1@r1: 2, org1@r2: 2, org2@r2: 2, org2@r3: 2\); externalEndpoint published by the 8 peers behind gateway Services/,
      /ledger heights behind 4 gateway Services within 2 blocks \(default\) \(largest spread 1 blocks/,
    );
  });
  it('fails on a peer behind the gateway without externalEndpoint, and on both election and leader set', () => {
    const noEndpoint = reconfigure(buildStaticEvidence(), 'org1-peer2', (c) => {
      c.env = c.env.filter((x) => x.name !== 'CORE_PEER_GOSSIP_EXTERNALENDPOINT');
    });
    expectStatus(
      'FAB-PEER-06',
      noEndpoint,
      'failed',
      /org1-peer2 is behind gateway Service org1-peer-gateway-svc but publishes no externalEndpoint \(org1-peer2 peer\.gossip\.externalEndpoint empty \(sampleconfig: .*core\.yaml\)\): other organizations and service discovery do not see it/,
    );
    const both = setEnv(buildStaticEvidence(), 'org2-peer1', 'CORE_PEER_GOSSIP_USELEADERELECTION', 'true');
    expectStatus('FAB-PEER-06', both, 'failed', /org2-peer1: useLeaderElection and orgLeader are both true .*: the peer refuses to start/);
  });
  it('fails when a region of an organization has no peer pulling blocks', () => {
    let e = buildStaticEvidence();
    for (const p of ['org1-peer3', 'org1-peer4']) e = setEnv(e, p, 'CORE_PEER_GOSSIP_ORGLEADER', 'false');
    expectStatus('FAB-PEER-06', e, 'failed', /org1 in r2: no peer pulls blocks from the ordering service \(org1-peer3: peer\.gossip\.useLeaderElection false \(sampleconfig: .*\), peer\.gossip\.orgLeader false \(env: .*CORE_PEER_GOSSIP_ORGLEADER\)/, /depend on one in another region/);
    // leader election on for every peer of the organization: each region takes part
    let elected = buildStaticEvidence();
    for (const p of ['org1-peer1', 'org1-peer2', 'org1-peer3', 'org1-peer4']) {
      elected = setEnv(elected, p, 'CORE_PEER_GOSSIP_ORGLEADER', 'false');
      elected = setEnv(elected, p, 'CORE_PEER_GOSSIP_USELEADERELECTION', 'true');
    }
    expectStatus('FAB-PEER-06', elected, 'passed', /org1@r1: 2/);
  });
  it('fails when the heights behind one gateway Service spread more than the bound (live)', () => {
    const e = buildEvidence();
    e.live.peerHeights!['org2-peer4'] = { mychannel: 30 };
    expectStatus('FAB-PEER-06', e, 'failed', /org2-peer-gateway-svc in r3, channel mychannel: org2-peer4 at 30, 10 behind \(top 40\); spread 10 blocks, bound 2 blocks \(default\)/);
    // peers in different regions are behind different Services: their heights are not compared
    const apart = buildEvidence();
    for (const p of ['org1-peer3', 'org1-peer4']) apart.live.peerHeights![p] = { mychannel: 20 };
    expectStatus('FAB-PEER-06', apart, 'passed');
  });
  it('is skipped without configuration or heights, broken when the configuration cannot be read', () => {
    const none = buildStaticEvidence();
    none.fabric!.kubernetes = [];
    none.fabric = withNodeConfigs(none.fabric!);
    expectStatus('FAB-PEER-06', none, 'skipped', /no peer configuration .* and no live ledger heights/);
    const unread = buildStaticEvidence();
    for (const p of unread.fabric!.orgs.flatMap((g) => g.peers)) {
      reconfigure(unread, p.name, (c, pod) => {
        c.volumeMounts.push({ name: 'core', mountPath: '/etc/hyperledger/fabric/core.yaml', subPath: 'core.yaml' });
        pod.volumes = [...(pod.volumes ?? []), { name: 'core', type: 'secret', object: 'peer-core' }];
        c.env = c.env.filter((x) => x.name !== 'CORE_PEER_GOSSIP_EXTERNALENDPOINT');
      });
    }
    expectStatus('FAB-PEER-06', unread, 'broken', /could not read what FAB-PEER-06 judges/, /secret volume core, whose content is not in the evidence/);
    assert.equal(unread.fabric!.nodeConfigs!.filter((v) => v.role === 'peer').length, 8);
  });
});
