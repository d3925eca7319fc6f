import { describe, it } from 'node:test';
import type { CordaSampleEvent, Evidence } from '../../support/evidence/model.ts';
import { buildEvidence, buildStaticEvidence } from '../helpers/evidence-builder.ts';
import { emptyTimeline, expectStatus } from '../helpers/verdicts.ts';

function node(e: Evidence, name: string) {
  return e.corda!.nodes.find((n) => n.name === name)!;
}

function samples(e: Evidence, id: string): CordaSampleEvent[] {
  return e.live.timelines[id].events.filter((x) => x.kind === 'sample') as CordaSampleEvent[];
}

const OPEN = { p2p: true, rpc: true, web: true };
const CLOSED = { p2p: false, rpc: false, web: false };

describe('CORDA-ID-01 one legal identity', () => {
  it('passes on the same name and identical files', () => {
    expectStatus('CORDA-ID-01', buildEvidence(), 'passed', /share myLegalName "O=Corda HA, L=London, C=GB"/, /6 files, SHA-256/);
  });
  it('fails on a backup with a different network-parameters file', () => {
    const e = buildEvidence();
    node(e, 'backup').fileHashes['network-parameters'] = 'DEADBEEF'.repeat(8);
    expectStatus('CORDA-ID-01', e, 'failed', /^network-parameters differs between primary \(sha256 [0-9A-F]{12}…\) and backup \(sha256 DEADBEEFDEAD…\)$/);
  });
  it('fails on a missing file and on another legal name', () => {
    const e = buildEvidence();
    delete node(e, 'backup').fileHashes['additional-node-infos/nodeInfo-5B1F'];
    node(e, 'backup').myLegalName = 'O=Corda HA Backup, L=London, C=GB';
    expectStatus('CORDA-ID-01', e, 'failed', /backup has myLegalName "O=Corda HA Backup, L=London, C=GB", primary has "O=Corda HA, L=London, C=GB"/, /backup lacks additional-node-infos\/nodeInfo-5B1F/);
  });
  it('is skipped with a single node', () => {
    const e = buildEvidence();
    e.corda!.nodes.pop();
    expectStatus('CORDA-ID-01', e, 'skipped', /1 Corda node: nothing to compare/);
    const n = buildEvidence();
    delete n.corda;
    expectStatus('CORDA-ID-01', n, 'skipped', /no Corda deployment/);
  });
});

describe('CORDA-CFG-01 mutual exclusion configuration', () => {
  it('passes on the reference configuration', () => {
    expectStatus('CORDA-CFG-01', buildEvidence(), 'passed', /updateInterval 500 ms < waitInterval 1400 ms/, /primary-vm, backup-vm/);
  });
  it('fails on waitInterval ≤ updateInterval', () => {
    const e = buildEvidence();
    node(e, 'backup').mutualExclusion.waitInterval = 500;
    expectStatus('CORDA-CFG-01', e, 'failed', /backup: waitInterval 500 ≤ updateInterval 500/);
  });
  it('fails on on = false and on an unset on', () => {
    const e = buildEvidence();
    node(e, 'primary').mutualExclusion.on = false;
    delete node(e, 'backup').mutualExclusion.on;
    expectStatus('CORDA-CFG-01', e, 'failed', /primary: enterpriseConfiguration\.mutualExclusionConfiguration\.on = false/, /backup: .*\.on = not set \(default false\)/);
  });
  it('fails when both nodes count as one machine', () => {
    const e = buildEvidence();
    for (const n of e.corda!.nodes) {
      delete n.mutualExclusion.machineName;
      n.machine = 'corda-host';
    }
    expectStatus('CORDA-CFG-01', e, 'failed', /primary and backup set no machineName, so both default to machine "corda-host" with the same base directory \/opt\/corda/);
    const same = buildEvidence();
    node(same, 'backup').mutualExclusion.machineName = 'primary-vm';
    expectStatus('CORDA-CFG-01', same, 'failed', /both set machineName "primary-vm"/);
  });
  it('is skipped without Corda nodes', () => {
    const e = buildEvidence();
    e.corda!.nodes = [];
    expectStatus('CORDA-CFG-01', e, 'skipped', /no Corda nodes/);
  });
});

describe('CORDA-CFG-02 advertised addresses', () => {
  it('passes when both advertise the load balancer for P2P and their machines for RPC', () => {
    expectStatus('CORDA-CFG-02', buildEvidence(), 'passed', /advertise p2pAddress 10\.0\.0\.10:10002/);
  });
  it('fails on a node advertising its own machine as P2P address', () => {
    const e = buildEvidence();
    node(e, 'backup').p2pAddress = '10.0.0.5:10002';
    expectStatus('CORDA-CFG-02', e, 'failed', /backup: p2pAddress 10\.0\.0\.5:10002 advertises its own machine, not the load balancer 10\.0\.0\.10 \(corda\/backup\/node\.conf\)/);
  });
  it('fails on a quoted ${…} placeholder, explaining why', () => {
    const e = buildEvidence();
    const n = node(e, 'primary');
    n.p2pAddress = '${LOAD_BALANCER_ADDRESS}:${P2P_PORT}';
    n.literalPlaceholders = [{ field: 'p2pAddress', value: '${LOAD_BALANCER_ADDRESS}:${P2P_PORT}' }];
    expectStatus('CORDA-CFG-02', e, 'failed', /primary: p2pAddress is the literal text "\$\{LOAD_BALANCER_ADDRESS\}:\$\{P2P_PORT\}" .*HOCON does not expand \$\{…\} inside a quoted string/);
  });
  it('fails on an RPC address that is not the node\'s machine', () => {
    const e = buildEvidence();
    node(e, 'primary').rpcAddress = '10.0.0.10:10003';
    expectStatus('CORDA-CFG-02', e, 'failed', /primary: rpcSettings\.address 10\.0\.0\.10:10003 is not the node's own machine 10\.0\.0\.4/);
  });
  it('is skipped without a load-balancer address', () => {
    const e = buildEvidence();
    delete e.corda!.loadBalancerAddress;
    delete e.corda!.loadBalancer!.address;
    expectStatus('CORDA-CFG-02', e, 'skipped', /no load balancer address/);
  });
});

describe('CORDA-DB-01 one shared database', () => {
  it('passes on one URL and user, reachable', () => {
    expectStatus('CORDA-DB-01', buildEvidence(), 'passed', /share database jdbc:postgresql:\/\/10\.0\.0\.20:5432\/corda as user corda; reachable/);
  });
  it('fails on two different database URLs', () => {
    const e = buildEvidence();
    node(e, 'backup').dataSource.url = 'jdbc:postgresql://10.0.0.21:5432/corda';
    expectStatus('CORDA-DB-01', e, 'failed', /the nodes use 2 different database URLs: primary → jdbc:postgresql:\/\/10\.0\.0\.20:5432\/corda, backup → jdbc:postgresql:\/\/10\.0\.0\.21:5432\/corda/);
  });
  it('fails when the database is not reachable, without leaking a password', () => {
    const e = buildEvidence();
    e.live.database = { reachable: false, error: 'connect ECONNREFUSED 10.0.0.20:5432', source: 'postgresql://corda:s3cret@10.0.0.20:5432/corda' };
    const v = expectStatus('CORDA-DB-01', e, 'failed', /database postgresql:\/\/corda:\[REDACTED\]@10\.0\.0\.20:5432\/corda is not reachable: connect ECONNREFUSED/);
    if (JSON.stringify(v).includes('s3cret')) throw new Error('password leaked into the verdict');
  });
  it('is broken when the harness cannot log in', () => {
    const e = buildEvidence();
    e.live.database = { reachable: false, error: 'password authentication failed for user "corda"', source: 'postgresql://10.0.0.20:5432/corda' };
    expectStatus('CORDA-DB-01', e, 'broken', /could not log in/);
  });
  it('is skipped with a single node', () => {
    const e = buildEvidence();
    e.corda!.nodes = [node(e, 'primary')];
    expectStatus('CORDA-DB-01', e, 'skipped', /nothing to compare/);
  });
});

describe('CORDA-FS-01 shared artemis directory', () => {
  it('passes on one shared directory, proven live', () => {
    expectStatus('CORDA-FS-01', buildEvidence(), 'passed', /resolves to \/mnt\/corda-share\/artemis/, /was read through backup/);
  });
  it('fails on a local, unshared artemis directory', () => {
    const e = buildStaticEvidence();
    node(e, 'backup').artemis = { path: '/opt/corda/artemis', realPath: '/opt/corda/artemis', exists: true };
    expectStatus('CORDA-FS-01', e, 'failed', /not one drive: primary \/opt\/corda\/artemis → \/mnt\/corda-share\/artemis, backup \/opt\/corda\/artemis \(not a link\)/);
  });
  it('fails when the live marker is not seen through the other node', () => {
    const e = buildEvidence();
    e.live.sharedDrive!.seen = false;
    expectStatus('CORDA-FS-01', e, 'failed', /a marker file written through primary:\/opt\/corda\/artemis was not seen through backup:\/opt\/corda\/artemis/);
  });
  it('is skipped without base directories or a live test', () => {
    const e = buildStaticEvidence();
    for (const n of e.corda!.nodes) delete n.artemis;
    expectStatus('CORDA-FS-01', e, 'skipped', /cannot see the artemis directories/);
  });
});

describe('CORDA-LB-01 load-balancer configuration', () => {
  it('passes on the reference Azure configuration', () => {
    expectStatus('CORDA-LB-01', buildEvidence(), 'passed', /web 10004 HTTP probe every 0.2 s × 2/, /session persistence None/);
  });
  it('fails on a TCP probe on the web port', () => {
    const e = buildEvidence();
    const web = e.corda!.loadBalancer!.probes.find((p) => p.name === 'web')!;
    web.protocol = 'tcp';
    delete web.path;
    expectStatus('CORDA-LB-01', e, 'failed', /web probe web is TCP on 10004; the web port needs an HTTP probe on path \//);
  });
  it('fails on a rule without a probe and a pool with one machine', () => {
    const e = buildEvidence();
    delete e.corda!.loadBalancer!.rules.find((r) => r.name === 'ha-lbr-rpc')!.probe;
    e.corda!.loadBalancer!.pools[0].members = ['10.0.0.4'];
    expectStatus('CORDA-LB-01', e, 'failed', /rule ha-lbr-rpc \(rpc, 10003\) has no health probe/, /backend pool ha-testing holds \[10\.0\.0\.4\] but not 10\.0\.0\.5/);
  });
  it('fails on session persistence and on a rule that changes the port', () => {
    const e = buildEvidence();
    const p2p = e.corda!.loadBalancer!.rules.find((r) => r.name === 'ha-lbr-p2p')!;
    p2p.sessionPersistence = 'SourceIP';
    p2p.backendPort = 10102;
    expectStatus('CORDA-LB-01', e, 'failed', /rule ha-lbr-p2p forwards 10002 to backend port 10102/, /session persistence SourceIP; it must be None/);
  });
  it('fails on AWS classic with one ELB for all traffic types', () => {
    const e = buildEvidence();
    Object.assign(e.corda!.loadBalancer!, { kind: 'aws', loadBalancers: ['ha-lb'] });
    expectStatus('CORDA-LB-01', e, 'failed', /AWS classic: 1 load balancer \(ha-lb\) for 3 traffic types/);
  });
  it('is skipped without a load-balancer export', () => {
    const e = buildEvidence();
    delete e.corda!.loadBalancer;
    expectStatus('CORDA-LB-01', e, 'skipped', /no load-balancer export/);
  });
});

describe('CORDA-HA-01 one active node', () => {
  it('passes when exactly one node serves and holds the lease, and a duplicate stays cold', () => {
    expectStatus('CORDA-HA-01', buildEvidence(), 'passed', /never more than one node accepting connections \(active: primary\)/, /backup-duplicate started alongside did not become active/);
  });
  it('fails on two nodes accepting connections at once, with times and nodes', () => {
    const e = buildEvidence();
    samples(e, 'CORDA-HA-01').find((s) => s.t === 1000)!.nodes.backup = { p2p: true, rpc: false, web: false };
    expectStatus('CORDA-HA-01', e, 'failed', /at t=1000 ms primary \(p2p\/rpc\/web\) and backup \(p2p\) accepted connections at once/);
  });
  it('fails when the serving node does not hold the lease', () => {
    const e = buildEvidence();
    samples(e, 'CORDA-HA-01').find((s) => s.t === 520)!.leaseHolder = 'backup';
    expectStatus('CORDA-HA-01', e, 'failed', /at t=520 ms primary served while the lease named backup/);
  });
  it('fails when a duplicate started alongside becomes active', () => {
    const e = buildEvidence();
    for (const s of samples(e, 'CORDA-HA-01')) if (s.t >= 3000) s.nodes['backup-duplicate'] = { ...OPEN };
    expectStatus('CORDA-HA-01', e, 'failed', /backup-duplicate .* accepted connections at once/, /backup-duplicate, started at t=2000 ms while primary was active, became active at t=3000 ms/);
  });
  it('is broken on a timeline with no samples', () => {
    const e = buildEvidence();
    e.live.timelines['CORDA-HA-01'] = emptyTimeline('CORDA-HA-01');
    expectStatus('CORDA-HA-01', e, 'broken', /no usable samples/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('CORDA-HA-01', buildStaticEvidence(), 'skipped', /no live timeline for CORDA-HA-01/);
  });
});

describe('CORDA-HA-02 the active node stops without its database', () => {
  it('passes when the node closes within 2 × updateInterval + tolerance and stays closed', () => {
    expectStatus('CORDA-HA-02', buildEvidence(), 'passed', /primary stopped accepting connections after 1500 ms; bound 3000 ms = 2 × updateInterval 500 ms \(node.conf of primary, backup\) \+ tolerance failoverToleranceMs 2000 ms \(default\); 0.50 of the bound, counted from the cut of its database/);
  });
  it('fails on a node that keeps serving without its lease', () => {
    const e = buildEvidence();
    for (const s of samples(e, 'CORDA-HA-02')) s.nodes.primary = { ...OPEN };
    expectStatus('CORDA-HA-02', e, 'failed', /primary still accepted connections \(p2p\/rpc\/web\) 6000 ms after its database was cut \(bound 3000 ms = 2 × updateInterval 500 ms .*\): it keeps serving without its lease/);
  });
  it('fails on a node that closes late, or opens again', () => {
    const late = buildEvidence();
    for (const s of samples(late, 'CORDA-HA-02')) s.nodes.primary = s.t < 6500 ? { ...OPEN } : { ...CLOSED };
    expectStatus('CORDA-HA-02', late, 'failed', /primary stopped accepting connections only after 4500 ms; bound 3000 ms = .*; 1.50 of the bound/);
    const again = buildEvidence();
    samples(again, 'CORDA-HA-02').find((s) => s.t === 6000)!.nodes.primary = { p2p: false, rpc: true, web: false };
    expectStatus('CORDA-HA-02', again, 'failed', /accepted connections \(rpc\) again at t=6000 ms while its database was still cut/);
  });
  it('is broken without the fault, or with no samples', () => {
    const e = buildEvidence();
    const tl = e.live.timelines['CORDA-HA-02'];
    tl.events = tl.events.filter((x) => x.kind !== 'fault');
    expectStatus('CORDA-HA-02', e, 'broken', /no cut-database fault/);
    const empty = buildEvidence();
    empty.live.timelines['CORDA-HA-02'] = emptyTimeline('CORDA-HA-02');
    expectStatus('CORDA-HA-02', empty, 'broken', /no usable samples/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('CORDA-HA-02', buildStaticEvidence(), 'skipped', /no live timeline for the CORDA-HA-02 drill: drills run where the harness provisions the target/);
  });
});

describe('CORDA-LB-02 traffic reaches the hot node', () => {
  it('passes when all traffic reaches the active node and the LB holds the other down', () => {
    expectStatus('CORDA-LB-02', buildEvidence(), 'passed', /p2p\/rpc\/web through the load balancer reached the active node/, /UP and the other DOWN/);
  });
  it('fails on traffic reaching the cold node', () => {
    const e = buildEvidence();
    for (const s of samples(e, 'CORDA-LB-02')) if (s.t >= 1000 && s.t <= 1500) s.routed!.web = 'backup';
    expectStatus('CORDA-LB-02', e, 'failed', /web traffic through the load balancer reached backup while primary was active \(13 samples from t=1000 ms\)/);
  });
  it('fails on a probe that marks both healthy', () => {
    const e = buildEvidence();
    for (const s of samples(e, 'CORDA-LB-02')) s.lbView!.web.backup = 'UP';
    expectStatus('CORDA-LB-02', e, 'failed', /the load balancer held backup UP for web although primary was the active node: the probe marks both healthy \(126 samples from t=0 ms\)/);
  });
  it('is broken on no samples, or samples without load-balancer observations', () => {
    const e = buildEvidence();
    e.live.timelines['CORDA-LB-02'] = emptyTimeline('CORDA-LB-02');
    expectStatus('CORDA-LB-02', e, 'broken', /no usable samples/);
    const blind = buildEvidence();
    for (const s of samples(blind, 'CORDA-LB-02')) {
      delete s.routed;
      delete s.lbView;
    }
    expectStatus('CORDA-LB-02', blind, 'broken', /neither connections through the load balancer/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('CORDA-LB-02', buildStaticEvidence(), 'skipped', /no live timeline for CORDA-LB-02/);
  });
});

describe('CORDA-LB-03 failover drill', () => {
  it('passes and reports the measured failover time against the bound', () => {
    expectStatus('CORDA-LB-03', buildEvidence(), 'passed', /^failover in 1830 ms; bound 3800 ms = waitInterval 1400 ms \(node.conf of primary, backup\) \+ probe interval 200 ms × unhealthy threshold 2 \(lb\/azure-lb.json\) \+ tolerance failoverToleranceMs 2000 ms \(default\); 0.48 of the bound/, /no moment where both were active/);
  });
  it('fails when the backup never takes over', () => {
    const e = buildEvidence();
    for (const s of samples(e, 'CORDA-LB-03')) {
      s.nodes.backup = { ...CLOSED };
      if (s.t > 1000) s.routed = { p2p: null, rpc: null, web: null };
    }
    expectStatus('CORDA-LB-03', e, 'failed', /backup never took over: 7000 ms after primary stopped \(bound 3800 ms = .*; last sample t=8000 ms: backup not serving, routed p2p→nobody/);
  });
  it('fails when the failover exceeds the bound', () => {
    const e = buildEvidence();
    e.settings.failoverToleranceMs = 0;
    e.settingOrigins = { failoverToleranceMs: 'descriptor settings.failoverToleranceMs' };
    expectStatus('CORDA-LB-03', e, 'failed', /failover took 1830 ms; bound 1800 ms = .* \+ tolerance failoverToleranceMs 0 ms \(descriptor settings.failoverToleranceMs\); 1.02 of the bound/);
  });
  it('fails on a moment where both are active', () => {
    const e = buildEvidence();
    samples(e, 'CORDA-LB-03').find((s) => s.t === 500)!.nodes.backup = { ...OPEN };
    expectStatus('CORDA-LB-03', e, 'failed', /at t=500 ms primary \(p2p\/rpc\/web\) and backup \(p2p\/rpc\/web\) accepted connections at once/, /failover in 1830 ms/);
  });
  it('is broken on an empty timeline, or one that ends before the bound', () => {
    const e = buildEvidence();
    e.live.timelines['CORDA-LB-03'] = emptyTimeline('CORDA-LB-03');
    expectStatus('CORDA-LB-03', e, 'broken', /no usable samples/);
    const short = buildEvidence();
    const tl = short.live.timelines['CORDA-LB-03'];
    tl.events = tl.events.filter((x) => x.t <= 2000);
    expectStatus('CORDA-LB-03', short, 'broken', /the samples end 1000 ms after primary stopped, before the bound/);
  });
  it('is skipped without a timeline', () => {
    expectStatus('CORDA-LB-03', buildStaticEvidence(), 'skipped', /^no live timeline for the CORDA-LB-03 drill: drills run where the harness provisions the target.*$/);
  });
});
