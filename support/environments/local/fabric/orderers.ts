/**
 * # The ordering service
 *
 * `startOrderingService` starts one ordering node per entry of the plan and returns the started handle the rest of
 * the part works with: each node's endpoints, the probe the drills look through, the faults they inject, the height
 * the ordering service has committed (what the peers follow), the descriptor's `live.fabricOrdering`, the service's
 * own live evidence, and `stop`. Its release is registered with the run's resources before anything starts.
 *
 * ## Here: etcd members
 *
 * Fabric's orderer cannot be built on this machine, so each ordering node is an etcd member (etcd.ts; etcd runs the
 * Raft library Fabric's etcdraft orderer uses) on the node's own address, named as the node, talking Raft over TLS
 * on the cluster port with the node's TLS certificate. Its data directory holds its Raft WAL and snapshots as an
 * orderer's volume does. The drills look at it through `etcdOrderingProbe` (a key written is "a block"); its live
 * evidence reports the members' own Raft view under the Fabric metric names whose meaning matches
 * (`consensus_etcdraft_cluster_size` = voting members in the member list, `_active_nodes` = members with an active
 * peer connection plus itself, `_is_leader`) per channel, alongside etcd's own names, and participation maps a
 * voting member to `consenter` and a member without errors to `active`.
 *
 * ## What a real orderer module would do differently, behind the same handle
 *
 * - start Fabric's `orderer` per node with FABRIC_CFG_PATH at the orderer.yaml node-configs.ts writes for it (its
 *   ledger, WAL and snapshot directories from `ordererDataDirs`, its TickIntervalOverride), its TLS files and an MSP
 *   folder, then join it to each channel with the genesis block through the channel participation API (osnadmin);
 * - look through `fabricOrderingProbe` (operations `/metrics` and the participation API) and make blocks by a
 *   broadcast (drills/fabric-broadcast.ts), as the kind environment does; its committed height is the channel's
 *   block height, which the peers pull themselves;
 * - report its metrics under their own names (nothing to map) and answer GET /version with its release, so
 *   FAB-CAP-01's live evidence is observed rather than recorded as unobserved;
 * - repair a node whose ledger was lost by removing it from the channel and joining it again from the latest config
 *   block, where etcd removes the member and adds it again.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { handshake } from '../../../evidence/live/tls.ts';
import { etcdRoundTrips } from '../../../evidence/live/round-trips.ts';
import { etcdOrderingProbe, statesOf, type MemberState, type OrderingProbe } from '../../../drills/ordering-probe.ts';
import type { OrderingFaults } from '../../../drills/fabric-region-loss.ts';
import type { RestartFaults } from '../../../drills/fabric-restart.ts';
import type { Resources } from '../../common/resources.ts';
import { EtcdCluster } from './etcd.ts';
import type { NameResolver } from './names.ts';
import type { FabricSettings } from './settings.ts';

export interface OrderingNodeSpec {
  name: string;
  region: string;
  address: string;
  /** its host name and cluster port, as the channels' consenter sets list them */
  host: string;
  port: number;
  /** its TLS certificate and key, and its organization's TLS CA (PEM) */
  tls: { certPem: string; keyPem: string; caPem: string };
}

export interface OrderingServiceSpec {
  /** the part's directory: the nodes keep their data and TLS files below it */
  dir: string;
  nodes: OrderingNodeSpec[];
  /** the ordering organization's CA certificates (PEM), that verify what a node presents */
  ca: string[];
  channels: string[];
  resolver: NameResolver;
  /** nodes whose data directory is emptied when the FAB-ORD-12 drill starts them again (a variant's fault) */
  emptiedOnRestart: readonly string[];
  settings: Pick<FabricSettings, 'etcdHeartbeatMs' | 'etcdElectionTimeoutMs' | 'ordererStopSignal'>;
}

export interface OrderingNode {
  name: string;
  region: string;
  /** client API (where writes go), operations metrics, and the cluster (Raft) URL */
  endpoints: { client: string; metrics: string; peer: string };
}

export interface StartedOrderingService {
  readonly nodes: readonly OrderingNode[];
  /** how the drills look at it */
  readonly probe: OrderingProbe;
  /** the height it has committed (what the peers follow), or undefined when no node answers */
  committedHeight(): Promise<number | undefined>;
  /** FAB-ORD-03: nodes stopped and started again */
  regionFaults(): OrderingFaults;
  /** FAB-ORD-12: one node killed and started again on its data */
  restartFaults(): RestartFaults;
  /** after FAB-ORD-12: make whole a node that could not rejoin */
  repair(): Promise<void>;
  /** the descriptor's `live.fabricOrdering` */
  readonly live: Record<string, unknown>;
  /** its non-disruptive live evidence: what each node presents on its cluster port, round trips, its Raft view */
  evidence(): Promise<Partial<LiveEvidence>>;
  stop(): Promise<void>;
}

/** Where an ordering node keeps its ledger, its Raft WAL and its snapshots (what its orderer.yaml names). */
export function ordererDataDirs(dir: string, name: string): { ledger: string; walDir: string; snapDir: string } {
  const ledger = join(dir, 'etcd', name);
  return { ledger, walDir: join(ledger, 'member', 'wal'), snapDir: join(ledger, 'member', 'snap') };
}

/** Each node's TLS certificate, key and its organization's TLS CA as files (etcd reads files; the key owner-only). */
async function writeClusterTls(nodes: OrderingNodeSpec[], dir: string): Promise<Record<string, { certFile: string; keyFile: string; caFile: string }>> {
  const out: Record<string, { certFile: string; keyFile: string; caFile: string }> = {};
  for (const n of nodes) {
    const d = join(dir, n.name);
    await mkdir(d, { recursive: true, mode: 0o700 });
    const files = { certFile: join(d, 'tls.pem'), keyFile: join(d, 'tls-key.pem'), caFile: join(d, 'tlsca.pem') };
    await writeFile(files.certFile, n.tls.certPem);
    await writeFile(files.keyFile, n.tls.keyPem, { mode: 0o600 });
    await writeFile(files.caFile, n.tls.caPem);
    out[n.name] = files;
  }
  return out;
}

export async function startOrderingService(resources: Resources, log: (line: string) => void, spec: OrderingServiceSpec): Promise<StartedOrderingService> {
  // the members' TLS keys are the only private keys written, owner-only, in the run's temp dir
  const tls = await writeClusterTls(spec.nodes, join(spec.dir, 'cluster-tls'));
  const s = spec.settings;
  const etcd = new EtcdCluster(
    resources,
    join(spec.dir, 'etcd'),
    spec.nodes.map((n) => ({ name: n.name, region: n.region, address: n.address, tls: tls[n.name] })),
    { heartbeatMs: s.etcdHeartbeatMs, electionTimeoutMs: s.etcdElectionTimeoutMs, stopSignal: s.ordererStopSignal, log },
  );
  resources.onRelease('fabric ordering service', () => etcd.stop());
  await etcd.start();
  const nodes = etcd.members.map((m) => ({ name: m.name, region: m.region, endpoints: etcd.endpoints(m.name) }));
  // One etcd Raft group stands in for the ordering service of every channel; the probe labels it with the first.
  const probe = etcdOrderingProbe({ channel: spec.channels[0], members: Object.fromEntries(nodes.map((n) => [n.name, n.endpoints])) });
  return {
    nodes,
    probe,
    committedHeight: () => etcd.api.committedRevision(),
    regionFaults: () => etcd.faults(),
    restartFaults: () => etcd.restartFaults(spec.emptiedOnRestart),
    repair: () => etcd.repairWiped(),
    live: { standIn: 'etcd', members: Object.fromEntries(nodes.map((n) => [n.name, { region: n.region, ...n.endpoints }])) },
    evidence: () => orderingEvidence(spec, nodes, probe),
    stop: () => etcd.stop(),
  };
}

async function orderingEvidence(spec: OrderingServiceSpec, nodes: OrderingNode[], probe: OrderingProbe): Promise<Partial<LiveEvidence>> {
  const presentedCerts: NonNullable<LiveEvidence['presentedCerts']> = {};
  const handshakes: NonNullable<LiveEvidence['handshakes']> = [];
  // Every ordering node on its cluster port by its host name: the certificate it serves to the other consenters.
  const consenterJobs = spec.nodes.map(async (c) => {
    const h = await handshake({ name: c.host, address: spec.resolver.resolve(c.host), port: c.port, ca: spec.ca, timeoutMs: 2000 });
    if (h.cert) presentedCerts[`${c.host}:${c.port}`] = h.cert;
    handshakes.push({ name: c.host, address: h.address, verified: h.verified, ...(h.error ? { error: h.error } : {}), answeredBy: c.name });
  });
  const statesJob = statesOf(probe, nodes.map((n) => n.name), 'full');
  // Round trips between ordering members of different regions, as the etcd members measure them themselves
  // (etcd reports a peer's first one 5 s after it connects).
  const tripsJob = etcdRoundTrips(nodes.map((n) => ({ name: n.name, region: n.region, metrics: n.endpoints.metrics })), { waitMs: 10_000 });
  const [states, trips] = await Promise.all([statesJob, tripsJob, Promise.all(consenterJobs)]);
  return { presentedCerts, handshakes, ...trips, ...raftView(Object.values(states), spec.channels) };
}

/** The members' own Raft view under the Fabric metric names whose meaning matches, and as channel participation. */
function raftView(states: MemberState[], channels: string[]): Pick<LiveEvidence, 'ordererMetrics' | 'participation'> {
  const ordererMetrics: NonNullable<LiveEvidence['ordererMetrics']> = {};
  const participation: NonNullable<LiveEvidence['participation']> = {};
  for (const s of states) {
    if (!s.reachable) continue;
    const metrics: Record<string, number> = {};
    if (s.clusterSize !== undefined) metrics.consensus_etcdraft_cluster_size = s.clusterSize;
    if (s.activeNodes !== undefined) metrics.consensus_etcdraft_active_nodes = s.activeNodes;
    if (s.isLeader !== undefined) metrics.consensus_etcdraft_is_leader = s.isLeader ? 1 : 0;
    if (s.hasLeader !== undefined) metrics.etcd_server_has_leader = s.hasLeader ? 1 : 0;
    if (s.height !== undefined) metrics.etcd_mvcc_revision = s.height;
    ordererMetrics[s.member] = Object.fromEntries(channels.map((c) => [c, { ...metrics }]));
    if (s.consensusRelation && s.status) {
      participation[s.member] = Object.fromEntries(
        channels.map((c) => [c, { consensusRelation: s.consensusRelation!, status: s.status!, ...(s.height !== undefined ? { height: s.height } : {}) }]),
      );
    }
  }
  return { ordererMetrics, participation };
}
