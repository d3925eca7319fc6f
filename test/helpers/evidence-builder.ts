/**
 * A conformant Evidence bag for the reference topology (guarantees.md "The reference topology"), built in memory
 * with fake certificate facts, so each check can be tested against one mutation at a time.
 *
 * Three regions r1..r3 (one Kubernetes cluster each, two zoned worker nodes per cluster); five ordering nodes of
 * org0 placed 2-1-2; org1 with two peers in r1 and two in r2, org2 two in r2 and two in r3; a gateway Service per
 * organization and cluster; a system channel and `mychannel` with every orderer as consenter and every peer as
 * anchor; a Corda primary/backup pair behind an Azure load balancer; passing timelines for every drill.
 *
 * Every call returns a fresh object: mutate it freely.
 */
import { createHash } from 'node:crypto';
import type {
  CertificateInfo,
  ChannelConfigInfo,
  ContainerInfo,
  CordaNodeInfo,
  CordaSampleEvent,
  Evidence,
  FabricOrgInfo,
  KubernetesClusterInfo,
  OrderingNodeInfo,
  PeerInfo,
  PodInfo,
  Timeline,
  TimelineEvent,
} from '../../support/evidence/model.ts';
import { defaultSettings } from '../../support/evidence/model.ts';
import { placeFabric } from '../../support/evidence/placement.ts';
import { withNodeConfigs } from '../../support/evidence/fabric/node-config.ts';

export const NOW = '2026-01-01T00:00:00.000Z';
export const REGIONS = ['r1', 'r2', 'r3'];
export const ORDERER_REGIONS: Record<string, string> = {
  'org0-orderer1': 'r1',
  'org0-orderer2': 'r1',
  'org0-orderer3': 'r2',
  'org0-orderer4': 'r3',
  'org0-orderer5': 'r3',
};
export const PEERS: Record<string, Record<string, string>> = {
  org1: { 'org1-peer1': 'r1', 'org1-peer2': 'r1', 'org1-peer3': 'r2', 'org1-peer4': 'r2' },
  org2: { 'org2-peer1': 'r2', 'org2-peer2': 'r2', 'org2-peer3': 'r3', 'org2-peer4': 'r3' },
};
export const NAMESPACE = 'test-network';
const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const DAY = 24 * 60 * 60 * 1000;

function hex(input: string, bytes = 32): string {
  return createHash('sha256').update(input).digest('hex').slice(0, bytes * 2).toUpperCase();
}

export interface FakeCertOptions {
  cn: string;
  source: string;
  /** the CA's subject; also its `source` name unless `verifiedBy` says otherwise */
  issuer: string;
  verifiedBy?: string | null;
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: string;
  notAfter?: string;
  isCA?: boolean;
  /** a distinct seed gives a distinct certificate and key; the same seed gives the same certificate */
  seed?: string;
}

/** certificate facts as the collector would produce them, without a real certificate behind them */
export function fakeCert(o: FakeCertOptions): CertificateInfo {
  const seed = o.seed ?? `${o.cn}|${o.issuer}|${o.source}`;
  const fp = hex(`cert:${seed}`);
  return {
    source: o.source,
    subject: `CN=${o.cn}`,
    issuer: o.issuer,
    serialNumber: hex(`serial:${seed}`, 16),
    fingerprint256: fp.match(/../g)!.join(':'),
    publicKeyFingerprint: hex(`key:${seed}`).toLowerCase(),
    keyType: 'ec',
    curve: 'prime256v1',
    dnsNames: o.dnsNames ?? [],
    ipAddresses: o.ipAddresses ?? [],
    notBefore: o.notBefore ?? '2025-01-01T00:00:00.000Z',
    notAfter: o.notAfter ?? '2030-01-01T00:00:00.000Z',
    isCA: o.isCA ?? false,
    ...(o.verifiedBy !== undefined ? { verifiedBy: o.verifiedBy } : {}),
  };
}

function caCert(org: string, kind: 'ca' | 'tlsca'): CertificateInfo {
  return fakeCert({
    cn: `${org}-${kind}`,
    source: `crypto/${org}/${kind}.pem`,
    issuer: `CN=${org}-${kind}`,
    isCA: true,
    notAfter: '2035-01-01T00:00:00.000Z',
  });
}

/** a copy of a certificate as read from another place (same certificate, other `source`) */
export function seenAt(cert: CertificateInfo, source: string): CertificateInfo {
  return { ...cert, dnsNames: [...cert.dnsNames], ipAddresses: [...cert.ipAddresses], source };
}

function gatewayOf(org: string): string {
  return `${org}-peer-gateway-svc`;
}

// ---------------------------------------------------------------------------------------------------------------
// Fabric

function orderers(): OrderingNodeInfo[] {
  const perRegion: Record<string, number> = {};
  return Object.entries(ORDERER_REGIONS).map(([name, region], i) => {
    const k = (perRegion[region] = (perRegion[region] ?? 0) + 1);
    // consenter TLS certificates expire 60 days apart: no majority within one 30-day window
    const notAfter = new Date(Date.parse('2027-01-01T00:00:00Z') + i * 60 * DAY).toISOString();
    return {
      name,
      org: 'org0',
      mspId: 'Org0MSP',
      region,
      host: name,
      port: 6050,
      workerNode: `${region}-worker${k}`,
      zone: `${region}-${k === 1 ? 'a' : 'b'}`,
      claims: { region, source: `/tmp/reference/target.yaml#fabric.ordering[0].nodes[${i}]` },
      placement: { conflicts: [] },
      tlsCert: fakeCert({
        cn: name,
        source: `crypto/org0/${name}/tls.pem`,
        issuer: 'CN=org0-tlsca',
        verifiedBy: 'crypto/org0/tlsca.pem',
        dnsNames: [name, `${name}.${NAMESPACE}.svc.cluster.local`],
        notAfter,
      }),
      enrollmentCert: fakeCert({
        cn: name,
        source: `crypto/org0/${name}/cert.pem`,
        issuer: 'CN=org0-ca',
        verifiedBy: 'crypto/org0/ca.pem',
      }),
    };
  });
}

function peer(org: string, mspId: string, name: string, region: string): PeerInfo {
  return {
    name,
    org,
    mspId,
    region,
    claims: { region, source: `/tmp/reference/target.yaml#fabric.organizations[${org}].peers[${name}]` },
    placement: { conflicts: [] },
    host: name,
    port: 7051,
    channels: ['mychannel'],
    tlsCert: fakeCert({
      cn: name,
      source: `crypto/${org}/${name}/tls.pem`,
      issuer: `CN=${org}-tlsca`,
      verifiedBy: `crypto/${org}/tlsca.pem`,
      dnsNames: [name, `${name}.${NAMESPACE}.svc.cluster.local`, gatewayOf(org)],
    }),
    enrollmentCert: fakeCert({
      cn: name,
      source: `crypto/${org}/${name}/cert.pem`,
      issuer: `CN=${org}-ca`,
      verifiedBy: `crypto/${org}/ca.pem`,
    }),
  };
}

function orgs(): FabricOrgInfo[] {
  return Object.entries(PEERS).map(([org, peers]) => {
    const mspId = `${org[0].toUpperCase()}${org.slice(1)}MSP`;
    return {
      name: org,
      mspId,
      cas: [caCert(org, 'ca'), caCert(org, 'tlsca')],
      gatewayService: gatewayOf(org),
      peers: Object.entries(peers).map(([name, region]) => peer(org, mspId, name, region)),
    };
  });
}

function channel(name: string, system: boolean, ords: OrderingNodeInfo[], peerOrgs: FabricOrgInfo[]): ChannelConfigInfo {
  const source = `channels/${name}.pb`;
  return {
    name,
    source,
    format: 'protobuf',
    sequence: '3',
    consensusType: 'etcdraft',
    isSystemChannel: system,
    consenters: ords.map((o, i) => ({
      host: o.host,
      port: o.port,
      serverTlsCert: seenAt(o.tlsCert!, `channel:${name}#consenter[${i}].server_tls_cert`),
      clientTlsCert: seenAt(o.tlsCert!, `channel:${name}#consenter[${i}].client_tls_cert`),
    })),
    applicationOrgs: system
      ? []
      : peerOrgs.map((org) => ({
          name: org.mspId,
          mspId: org.mspId,
          anchorPeers: org.peers.map((p) => ({ host: p.host, port: p.port })),
          rootCerts: [seenAt(org.cas[0], `channel:${name}#${org.mspId}.root_certs[0]`)],
          tlsRootCerts: [seenAt(org.cas[1], `channel:${name}#${org.mspId}.tls_root_certs[0]`)],
        })),
    ordererOrgs: [
      {
        name: 'Org0MSP',
        mspId: 'Org0MSP',
        anchorPeers: [],
        rootCerts: [seenAt(caCert('org0', 'ca'), `channel:${name}#Org0MSP.root_certs[0]`)],
        tlsRootCerts: [seenAt(caCert('org0', 'tlsca'), `channel:${name}#Org0MSP.tls_root_certs[0]`)],
        endpoints: ords.map((o) => `${o.host}:${o.port}`),
      },
    ],
    // the Fabric 2.5 test network's levels; a system channel has no Application group
    capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: system ? [] : ['V2_5'] },
    raftOptions: { tickInterval: '500ms', electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSize: 16777216, source: `${source}#options` },
    batchSize: { maxMessageCount: 10, absoluteMaxBytes: 10485760, preferredMaxBytes: 524288, source: `${source}#BatchSize` },
  };
}

/** the data directory an orderer or peer keeps its ledgers in, on a claim */
export const DATA_DIR = '/var/hyperledger/production';

/** an orderer's container as the reference runs it: its data on the StatefulSet's claim template */
export function ordererContainer(): ContainerInfo {
  return {
    name: 'main',
    image: 'hyperledger/fabric-orderer:2.5.12',
    env: [
      { name: 'ORDERER_GENERAL_LISTENPORT', value: '6050' },
      { name: 'ORDERER_FILELEDGER_LOCATION', value: `${DATA_DIR}/orderer` },
      { name: 'ORDERER_CONSENSUS_WALDIR', value: `${DATA_DIR}/orderer/etcdraft/wal` },
      { name: 'ORDERER_CONSENSUS_SNAPDIR', value: `${DATA_DIR}/orderer/etcdraft/snapshot` },
      { name: 'ORDERER_GENERAL_LOCALMSPID', value: 'Org0MSP' },
      { name: 'ORDERER_GENERAL_LISTENADDRESS', value: '0.0.0.0' },
    ],
    envFrom: [],
    volumeMounts: [{ name: 'data', mountPath: DATA_DIR }],
  };
}

/** a peer's container as the reference runs it: its external endpoint published */
export function peerContainer(name: string): ContainerInfo {
  return {
    name: 'main',
    image: 'hyperledger/fabric-peer:2.5.12',
    env: [
      { name: 'CORE_PEER_ID', value: name },
      { name: 'CORE_PEER_GOSSIP_EXTERNALENDPOINT', value: `${name}:7051` },
      { name: 'CORE_PEER_FILESYSTEMPATH', value: DATA_DIR },
    ],
    envFrom: [],
    volumeMounts: [{ name: 'data', mountPath: DATA_DIR }],
  };
}

/** the images the reference's nodes run */
export const FABRIC_IMAGES = { orderer: 'hyperledger/fabric-orderer:2.5.12', peer: 'hyperledger/fabric-peer:2.5.12' };

const NO_AFFINITY = () => ({ requiredAntiAffinity: [], preferredAntiAffinity: [], requiredNodeAffinity: [], topologySpread: [] });

function cluster(region: string, ords: OrderingNodeInfo[], peerOrgs: FabricOrgInfo[]): KubernetesClusterInfo {
  const pods: PodInfo[] = [];
  const ordererLabels = { role: 'orderer', org: 'org0' };
  for (const o of ords.filter((x) => x.region === region)) {
    pods.push({
      name: `${o.name}-0`,
      namespace: NAMESPACE,
      owner: `StatefulSet/${o.name}`,
      labels: { app: o.name, ...ordererLabels },
      containerPorts: [6050, 8443, 9443],
      images: [{ container: 'orderer', image: FABRIC_IMAGES.orderer }],
      nodeName: o.workerNode,
      affinity: {
        ...NO_AFFINITY(),
        requiredAntiAffinity: [
          { topologyKey: HOSTNAME, matchLabels: { ...ordererLabels } },
          { topologyKey: ZONE, matchLabels: { ...ordererLabels } },
        ],
      },
      ready: true,
      containers: [ordererContainer()],
      volumes: [{ name: 'data', type: 'persistentVolumeClaim', claimName: `data-${o.name}-0` }],
      source: `api:${region}/pods/${o.name}-0`,
    });
  }
  const services: KubernetesClusterInfo['services'] = [];
  for (const org of peerOrgs) {
    const local = org.peers.filter((p) => p.region === region);
    if (!local.length) continue;
    const names: string[] = [];
    local.forEach((p, i) => {
      const podName = `${p.name}-5c7d9b8f4-x2kzq`;
      names.push(podName);
      pods.push({
        name: podName,
        namespace: NAMESPACE,
        owner: `Deployment/${p.name}`,
        labels: { app: p.name, org: org.name },
        containerPorts: [7051, 7052, 9443],
        images: [
          { container: 'peer', image: FABRIC_IMAGES.peer },
          { container: 'couchdb', image: 'couchdb:3.3.3' },
        ],
        nodeName: `${region}-worker${(i % 2) + 1}`,
        affinity: NO_AFFINITY(),
        ready: true,
        containers: [peerContainer(p.name)],
        volumes: [{ name: 'data', type: 'persistentVolumeClaim', claimName: `${p.name}-data` }],
        source: `api:${region}/pods/${podName}`,
      });
    });
    pods.push({
      name: `${org.name}-ca-7b9c5d8f6-qzv2m`,
      namespace: NAMESPACE,
      owner: `Deployment/${org.name}-ca`,
      labels: { app: `${org.name}-ca` },
      containerPorts: [443],
      images: [{ container: 'ca', image: 'hyperledger/fabric-ca:1.5.15' }],
      nodeName: `${region}-worker1`,
      affinity: NO_AFFINITY(),
      ready: true,
      source: `api:${region}/pods/${org.name}-ca`,
    });
    services.push({
      name: org.gatewayService!,
      namespace: NAMESPACE,
      selector: { org: org.name },
      ports: [{ name: 'gossip', port: 7051, targetPort: 7051 }],
      type: 'ClusterIP',
      endpoints: names,
      source: `api:${region}/services/${org.gatewayService}`,
    });
  }
  return {
    region,
    origin: 'api',
    pods,
    services,
    nodes: [1, 2].map((k) => ({
      name: `${region}-worker${k}`,
      labels: { [HOSTNAME]: `${region}-worker${k}`, [ZONE]: `${region}-${k === 1 ? 'a' : 'b'}` },
      source: `api:${region}/nodes/${region}-worker${k}`,
    })),
    kubeProxyMode: { mode: 'ipvs', source: `k8s/${region}/kind-config.yaml` },
    sources: [`kubeconfig context kind-${region}`],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Corda

export const CORDA_FILES: Record<string, string> = {
  'certificates/nodekeystore.jks': hex('nodekeystore'),
  'certificates/sslkeystore.jks': hex('sslkeystore'),
  'certificates/truststore.jks': hex('truststore'),
  'additional-node-infos/nodeInfo-5B1F': hex('nodeinfo'),
  'network-parameters': hex('network-parameters'),
  'cordapps/finance-contracts-4.12.jar': hex('finance'),
};

function cordaNode(name: 'primary' | 'backup', machine: string): CordaNodeInfo {
  return {
    name,
    role: name,
    source: `corda/${name}/node.conf`,
    machine,
    baseDirectory: '/opt/corda',
    myLegalName: 'O=Corda HA, L=London, C=GB',
    p2pAddress: '10.0.0.10:10002',
    rpcAddress: `${machine}:10003`,
    adminAddress: `${machine}:10005`,
    mutualExclusion: { on: true, machineName: `${name}-vm`, updateInterval: 500, waitInterval: 1400 },
    dataSource: {
      className: 'org.postgresql.ds.PGSimpleDataSource',
      url: 'jdbc:postgresql://10.0.0.20:5432/corda',
      user: 'corda',
    },
    literalPlaceholders: [],
    artemis: { path: '/opt/corda/artemis', realPath: '/mnt/corda-share/artemis', exists: true },
    fileHashes: { ...CORDA_FILES },
    redactedConfig: { myLegalName: 'O=Corda HA, L=London, C=GB', keyStorePassword: '***' },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Timelines

function at(t: number): string {
  return new Date(Date.parse(NOW) + t).toISOString();
}

function ev<T extends Record<string, unknown>>(t: number, kind: string, body: T): TimelineEvent & T {
  return { t, at: at(t), kind, ...body };
}

function timeline(drill: string, events: TimelineEvent[], params: Record<string, unknown>): Timeline {
  return { drill, startedAt: NOW, events: events.sort((a, b) => a.t - b.t), params };
}

function ordererRegionLoss(): Timeline {
  const members = Object.keys(ORDERER_REGIONS);
  const events: TimelineEvent[] = [];
  REGIONS.forEach((region, i) => {
    const base = 1000 + i * 20000;
    const stopped = members.filter((m) => ORDERER_REGIONS[m] === region);
    const remaining = members.filter((m) => !stopped.includes(m));
    events.push(ev(base, 'fault', { action: 'stop-region', region, members, remaining, stopped }));
    events.push(ev(base + 100, 'sample', { region, leader: null }));
    events.push(ev(base + 300, 'sample', { region, leader: null }));
    events.push(ev(base + 650, 'sample', { region, leader: remaining[0] }));
    events.push(ev(base + 700, 'write', { region, ok: true, ms: 240 }));
    events.push(ev(base + 5000, 'restore', { region, members: stopped }));
    events.push(ev(base + 9000, 'catch-up', { region, heights: Object.fromEntries(members.map((m) => [m, 12 + i])), caughtUp: true, members: stopped }));
  });
  return timeline('FAB-ORD-03', events, { boundMs: 5000, regions: [...REGIONS], members });
}

/** one ordering node per region killed and started again with its data: each caught up after 300 ms */
function ordererRestart(): Timeline {
  const members = Object.keys(ORDERER_REGIONS);
  const events: TimelineEvent[] = [];
  const restarted: Record<string, string> = {};
  REGIONS.forEach((region, i) => {
    const base = 1000 + i * 5000;
    const member = members.find((m) => ORDERER_REGIONS[m] === region)!;
    restarted[region] = member;
    const heights = Object.fromEntries(members.map((m) => [m, 20 + i]));
    events.push(ev(base - 100, 'steady', { region, leader: 'org0-orderer3', heights }));
    events.push(ev(base, 'fault', { action: 'restart', region, member, method: 'SIGKILL' }));
    events.push(ev(base + 50, 'write', { region, member, ok: true, ms: 40, height: 21 + i }));
    events.push(ev(base + 200, 'restore', { region, member }));
    events.push(ev(base + 300, 'sample', { region, member, reachable: false }));
    events.push(ev(base + 500, 'sample', { region, member, reachable: true, height: 21 + i, target: 21 + i }));
    events.push(ev(base + 500, 'catch-up', { region, member, heights: { ...heights, [member]: 21 + i }, caughtUp: true, ms: 300, target: 21 + i }));
  });
  return timeline('FAB-ORD-12', events, { regions: [...REGIONS], members, restarted, horizonMs: 60000, sampleIntervalMs: 40, probe: 'fabric', method: 'pod deleted' });
}

function peerRegionLoss(): Timeline {
  const events: TimelineEvent[] = [];
  REGIONS.forEach((region, i) => {
    const base = 1000 + i * 10000;
    events.push(ev(base, 'fault', { action: 'stop-region', region, stopped: [] }));
    for (const [org, peers] of Object.entries(PEERS)) {
      const answer = Object.entries(peers).find(([, r]) => r !== region)!;
      events.push(ev(base + 500, 'query', { region, org, peer: answer[0], ok: true, peerRegion: answer[1] }));
    }
    events.push(ev(base + 3000, 'restore', { region }));
  });
  return timeline('FAB-PEER-05', events, { orgs: Object.keys(PEERS), regions: [...REGIONS] });
}

function gatewaySpread(): Timeline {
  const events: TimelineEvent[] = [];
  const gateways: Record<string, string[]> = {};
  let t = 100;
  for (const [org, peers] of Object.entries(PEERS)) {
    for (const region of REGIONS) {
      const local = Object.entries(peers).filter(([, r]) => r === region).map(([p]) => p);
      if (!local.length) continue;
      const gateway = `${gatewayOf(org)}@${region}`;
      gateways[gateway] = local;
      for (let i = 0; i < 10; i++) events.push(ev(t++, 'connect', { phase: 'before', gateway, org, region, answeredBy: local[i % local.length] }));
      events.push(ev(t++, 'fault', { action: 'stop-peer', peer: local[0], gateway }));
      events.push(ev(t++, 'existing', { gateway, peer: local[0], broke: true, reconnectedTo: local[1] }));
      for (let i = 0; i < 10; i++) events.push(ev(t++, 'connect', { phase: 'after', gateway, org, region, answeredBy: local[1] }));
      events.push(ev(t++, 'restore', { region, peer: local[0], gateway }));
    }
  }
  return timeline('FAB-GW-04', events, { connections: 10, gateways });
}

type Ports = { p2p: boolean; rpc: boolean; web: boolean };
const OPEN: Ports = { p2p: true, rpc: true, web: true };
const CLOSED: Ports = { p2p: false, rpc: false, web: false };

function sample(t: number, nodes: Record<string, Ports>, extra: Partial<CordaSampleEvent> = {}): CordaSampleEvent {
  return { t, at: at(t), kind: 'sample', nodes: Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, { ...v }])), ...extra };
}

function routedTo(node: string | null) {
  return { p2p: node, rpc: node, web: node };
}

function lbViewFor(active: string | null, nodes = ['primary', 'backup']) {
  return Object.fromEntries(['p2p', 'rpc', 'web'].map((t) => [t, Object.fromEntries(nodes.map((n) => [n, n === active ? 'UP' : 'DOWN']))]));
}

/**
 * What the Corda drills record about themselves: which node they found hot and which cold, and how often they
 * sampled. The bounds come from the evidence (node.conf: updateInterval 500 ms, waitInterval 1400 ms; the load
 * balancer's probes: 200 ms × 2) and the settings, never from here.
 */
export const CORDA_PARAMS = {
  hotNode: 'primary',
  coldNode: 'backup',
  sampleIntervalMs: 40,
};

function cordaSteady(drill: string, withDuplicate: boolean): Timeline {
  const events: TimelineEvent[] = [];
  for (let t = 0; t <= 5000; t += 40) {
    const nodes: Record<string, Ports> = { primary: OPEN, backup: CLOSED };
    if (withDuplicate && t >= 2000) nodes['backup-duplicate'] = CLOSED;
    events.push(sample(t, nodes, { leaseHolder: 'primary', routed: routedTo('primary'), lbView: lbViewFor('primary') }));
  }
  if (withDuplicate) events.push(ev(2000, 'fault', { action: 'start-duplicate', node: 'backup-duplicate' }));
  return timeline(drill, events, { ...CORDA_PARAMS });
}

function cordaCutDatabase(): Timeline {
  const events: TimelineEvent[] = [];
  for (let t = 0; t <= 8000; t += 250) {
    const primaryUp = t < 3500;
    events.push(sample(t, { primary: primaryUp ? OPEN : CLOSED, backup: CLOSED }, { leaseHolder: primaryUp ? 'primary' : undefined }));
  }
  events.push(ev(2000, 'fault', { action: 'cut-database', node: 'primary' }));
  events.push(ev(8100, 'restore', { node: 'primary' }));
  return timeline('CORDA-HA-02', events, { ...CORDA_PARAMS });
}

function cordaFailover(): Timeline {
  const events: TimelineEvent[] = [];
  const t0 = 1000;
  for (let t = 0; t <= 8000; t += 10) {
    const hotUp = t < t0 + 20;
    const coldUp = t >= t0 + 1600;
    const routed = t < t0 + 20 ? 'primary' : t >= t0 + 1830 ? 'backup' : null;
    events.push(
      sample(
        t,
        { primary: hotUp ? OPEN : CLOSED, backup: coldUp ? OPEN : CLOSED },
        { leaseHolder: t < t0 + 1500 ? 'primary' : 'backup', routed: routedTo(routed), lbView: lbViewFor(routed) },
      ),
    );
  }
  events.push(ev(t0, 'fault', { action: 'stop', node: 'primary' }));
  return timeline('CORDA-LB-03', events, { ...CORDA_PARAMS });
}

// ---------------------------------------------------------------------------------------------------------------

export function buildEvidence(): Evidence {
  const ords = orderers();
  const peerOrgs = orgs();
  const channels = [channel('syschannel', true, ords, peerOrgs), channel('mychannel', false, ords, peerOrgs)];
  const allPeers = peerOrgs.flatMap((o) => o.peers);
  const primary = cordaNode('primary', '10.0.0.4');
  const backup = cordaNode('backup', '10.0.0.5');
  const roundTrips: NonNullable<Evidence['live']['roundTrips']> = [];
  for (const a of ords) for (const b of ords) if (a.region !== b.region) roundTrips.push({ from: a.name, to: b.name, fromRegion: a.region!, toRegion: b.region!, ms: 20 + (a.name.length % 7) });

  return {
    target: { name: 'reference', file: '/tmp/reference/target.yaml', disposable: true },
    settings: { ...defaultSettings, now: NOW },
    // placed as the collector places them: from the clusters' pods, the region claims cross-checked; configured from them
    fabric: withNodeConfigs(placeFabric({
      regions: [...REGIONS],
      orderingOrgs: [{ name: 'org0', mspId: 'Org0MSP', cas: [caCert('org0', 'ca'), caCert('org0', 'tlsca')], peers: [] }],
      orderers: ords,
      orgs: peerOrgs,
      channels,
      kubernetes: REGIONS.map((r) => cluster(r, ords, peerOrgs)),
      clusterNames: Object.fromEntries(REGIONS.map((r) => [r, r])),
    })),
    corda: {
      nodes: [primary, backup],
      loadBalancer: {
        kind: 'azure',
        source: 'lb/azure-lb.json',
        address: '10.0.0.10',
        probes: [
          { name: 'p2p', protocol: 'tcp', port: 10002, intervalSeconds: 0.2, unhealthyThreshold: 2 },
          { name: 'rpc', protocol: 'tcp', port: 10003, intervalSeconds: 0.2, unhealthyThreshold: 2 },
          { name: 'web', protocol: 'http', port: 10004, path: '/', intervalSeconds: 0.2, unhealthyThreshold: 2 },
        ],
        rules: (['p2p', 'rpc', 'web'] as const).map((t, i) => ({
          name: `ha-lbr-${t}`,
          protocol: 'Tcp',
          frontendPort: 10002 + i,
          backendPort: 10002 + i,
          probe: t,
          pool: 'ha-testing',
          sessionPersistence: 'none',
        })),
        pools: [{ name: 'ha-testing', members: ['10.0.0.4', '10.0.0.5'] }],
      },
      database: { url: 'jdbc:postgresql://10.0.0.20:5432/corda', user: 'corda', source: 'target.yaml#corda.database' },
      ports: { p2p: 10002, rpc: 10003, web: 10004 },
      loadBalancerAddress: '10.0.0.10',
    },
    live: {
      timelines: {
        'FAB-ORD-03': ordererRegionLoss(),
        'FAB-ORD-12': ordererRestart(),
        'FAB-PEER-05': peerRegionLoss(),
        'FAB-GW-04': gatewaySpread(),
        'CORDA-HA-01': cordaSteady('CORDA-HA-01', true),
        'CORDA-HA-02': cordaCutDatabase(),
        'CORDA-LB-02': cordaSteady('CORDA-LB-02', false),
        'CORDA-LB-03': cordaFailover(),
      },
      ordererMetrics: Object.fromEntries(
        ords.map((o) => [o.name, Object.fromEntries(channels.map((c) => [c.name, { consensus_etcdraft_cluster_size: 5, consensus_etcdraft_active_nodes: 5 }]))]),
      ),
      participation: Object.fromEntries(
        ords.map((o) => [o.name, Object.fromEntries(channels.map((c) => [c.name, { consensusRelation: 'consenter', status: 'active', height: 12 }]))]),
      ),
      peerHeights: Object.fromEntries(allPeers.map((p, i) => [p.name, { mychannel: 40 + (i % 2) }])),
      nodeVersions: Object.fromEntries(
        [...ords.map((o) => o.name), ...allPeers.map((p) => p.name)].map((n) => [n, { version: '2.5.12', commitSha: '0e3a8f4', source: `https://${n}:9443/version` }]),
      ),
      presentedCerts: Object.fromEntries([
        ...ords.map((o) => [`${o.host}:${o.port}`, seenAt(o.tlsCert!, `tls://${o.host}:${o.port}`)] as const),
        ...allPeers.map((p) => [`${p.host}:${p.port}`, seenAt(p.tlsCert!, `tls://${p.host}:${p.port}`)] as const),
      ]),
      handshakes: [
        ...ords.map((o) => ({ name: o.host, address: `127.1.0.${o.name.slice(-1)}:6050`, verified: true, answeredBy: o.name })),
        ...peerOrgs.map((o) => ({ name: o.gatewayService!, address: '127.2.0.1:7051', verified: true, answeredBy: o.peers[0].name })),
      ],
      roundTrips,
      database: { reachable: true, source: 'postgresql://10.0.0.20:5432/corda' },
      sharedDrive: { wroteThrough: 'primary:/opt/corda/artemis', readThrough: 'backup:/opt/corda/artemis', seen: true, source: 'marker .ha-conformance-probe' },
      leaseRow: { machineName: '/opt/corda/primary-vm', pid: '4242', timestamp: NOW, version: 17 },
    },
  };
}

/** the evidence without any live observation (a static-only run) */
export function buildStaticEvidence(): Evidence {
  const e = buildEvidence();
  e.live = { timelines: {} };
  return e;
}
