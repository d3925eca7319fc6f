/**
 * Non-disruptive live evidence of the Fabric part: what each peer and each ordering node (on its cluster port)
 * presents and how high a peer's ledger is, whether
 * each gateway Service verifies by its name from its own region (and which peer's certificate it presented), the
 * round trips between ordering members of different regions as the members measure them (etcd's own
 * `etcd_network_peer_round_trip_time_seconds`, labelled as the stand-in's), and the ordering members' own view
 * (leader, cluster size, membership).
 *
 * The ordering members are etcd: their Raft view is reported under the Fabric metric names whose meaning
 * matches (`consensus_etcdraft_cluster_size` = voting members in the member list, `_active_nodes` = members
 * with an active peer connection plus itself, `_is_leader`), per channel of the descriptor, alongside etcd's
 * own names; participation maps a voting member to `consenter` and a member without errors to `active`.
 *
 * No node here is a Fabric binary, so none can say which Fabric release it runs: FAB-CAP-01's live evidence is
 * recorded as unobserved, with that reason, never made up.
 */
import { X509Certificate } from 'node:crypto';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { handshake } from '../../../evidence/live/tls.ts';
import { gatewayHandshake, type KnownPeer } from '../../../evidence/live/collect.ts';
import { etcdRoundTrips } from '../../../evidence/live/round-trips.ts';
import { askPeer } from '../../../drills/peer-client.ts';
import { statesOf, type OrderingProbe } from '../../../drills/ordering-probe.ts';
import type { GatewayPlan } from './topology.ts';
import type { NameResolver } from './names.ts';

/** why the local environment shows no Fabric release: its nodes are stand-ins (and it writes no manifests) */
export const NO_FABRIC_RELEASE =
  'the local Fabric side is a stand-in (etcd members and TLS peers, not Fabric binaries): no node answers GET /version ' +
  'with a Fabric release, and no Kubernetes manifest names a Fabric image';

export interface LiveOrg {
  name: string;
  /** PEM CA certificates of the organization */
  ca: string[];
  /** the Service name and its aliases */
  gatewayNames: string[];
  peers: Array<{ name: string; host: string; port: number; region: string; certPem?: string }>;
}

export interface LiveContext {
  orgs: LiveOrg[];
  gateways: GatewayPlan[];
  resolver: NameResolver;
  /** the ordering members and their metrics URLs (etcd `--listen-metrics-urls`) */
  orderers: Array<{ name: string; region: string; metrics: string }>;
  /** the ordering nodes' cluster endpoints (the consenters' host:port), handshaken as another orderer dials them */
  consenters?: Array<{ name: string; host: string; port: number }>;
  /** PEM CA certificates of the ordering organization */
  ordererCa?: string[];
  probe: OrderingProbe;
  channels: string[];
  timeoutMs?: number;
  /** how long to wait for the members' first round-trip report (etcd makes it 5 s after a peer connects) */
  roundTripWaitMs?: number;
}

export async function collectFabricLive(ctx: LiveContext): Promise<Partial<LiveEvidence>> {
  const timeoutMs = ctx.timeoutMs ?? 2000;
  const presentedCerts: NonNullable<LiveEvidence['presentedCerts']> = {};
  const peerHeights: NonNullable<LiveEvidence['peerHeights']> = {};
  const handshakes: NonNullable<LiveEvidence['handshakes']> = [];

  // Every peer by its host name: the certificate it presents (a TLS handshake, as `ha-validate --live` makes it),
  // and its ledger heights (the stand-ins' own INFO line: the local environment talks to its stand-ins).
  const peerJobs = ctx.orgs.flatMap((org) =>
    org.peers.map(async (p) => {
      const target = { name: p.host, address: ctx.resolver.resolve(p.host), port: p.port, ca: org.ca };
      const [h, info] = await Promise.all([handshake({ ...target, timeoutMs }), askPeer(target, undefined, timeoutMs)]);
      if (h.cert) presentedCerts[`${p.host}:${p.port}`] = h.cert;
      if (info.info?.heights) peerHeights[p.name] = info.info.heights;
    }),
  );

  // Every gateway Service by each of its names, from its own region; as many handshakes as it has peers, so
  // round robin brings every peer's certificate before the client at least once. The peer that answered is
  // the one whose certificate was presented.
  const gatewayJobs = ctx.gateways.map(async (g) => {
    const org = ctx.orgs.find((o) => o.name === g.org);
    if (!org) return;
    const known: KnownPeer[] = org.peers.map((p) => ({ name: p.name, host: p.host, ...(p.certPem ? { fingerprint256: new X509Certificate(p.certPem).fingerprint256 } : {}) }));
    for (const name of org.gatewayNames) {
      const address = ctx.resolver.resolve(name, g.region);
      for (let i = 0; i < Math.max(1, g.peers.length); i++) {
        handshakes.push(await gatewayHandshake({ name, address, port: g.port, ca: org.ca, peers: known, timeoutMs }));
      }
    }
  });

  // Every ordering node on its cluster port by its host name: the certificate it serves to the other consenters.
  const consenterJobs = (ctx.consenters ?? []).map(async (c) => {
    const h = await handshake({ name: c.host, address: ctx.resolver.resolve(c.host), port: c.port, ca: ctx.ordererCa, timeoutMs });
    if (h.cert) presentedCerts[`${c.host}:${c.port}`] = h.cert;
    handshakes.push({ name: c.host, address: h.address, verified: h.verified, ...(h.error ? { error: h.error } : {}), answeredBy: c.name });
  });

  const statesJob = statesOf(ctx.probe, ctx.orderers.map((o) => o.name), 'full');
  // Round trips between ordering members of different regions, as the etcd members measure them themselves.
  const tripsJob = etcdRoundTrips(ctx.orderers, { waitMs: ctx.roundTripWaitMs ?? 10_000 });
  const [states, trips] = await Promise.all([statesJob, tripsJob, Promise.all(peerJobs), Promise.all(gatewayJobs), Promise.all(consenterJobs)]);

  const ordererMetrics: NonNullable<LiveEvidence['ordererMetrics']> = {};
  const participation: NonNullable<LiveEvidence['participation']> = {};
  for (const s of Object.values(states)) {
    if (!s.reachable) continue;
    const metrics: Record<string, number> = {};
    if (s.clusterSize !== undefined) metrics.consensus_etcdraft_cluster_size = s.clusterSize;
    if (s.activeNodes !== undefined) metrics.consensus_etcdraft_active_nodes = s.activeNodes;
    if (s.isLeader !== undefined) metrics.consensus_etcdraft_is_leader = s.isLeader ? 1 : 0;
    if (s.hasLeader !== undefined) metrics.etcd_server_has_leader = s.hasLeader ? 1 : 0;
    if (s.height !== undefined) metrics.etcd_mvcc_revision = s.height;
    ordererMetrics[s.member] = Object.fromEntries(ctx.channels.map((c) => [c, { ...metrics }]));
    if (s.consensusRelation && s.status) {
      participation[s.member] = Object.fromEntries(
        ctx.channels.map((c) => [c, { consensusRelation: s.consensusRelation!, status: s.status!, ...(s.height !== undefined ? { height: s.height } : {}) }]),
      );
    }
  }

  const byKey = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  handshakes.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
  return {
    presentedCerts: byKey(presentedCerts),
    handshakes,
    peerHeights: byKey(peerHeights),
    peerHeightMethod: "the local stand-in peers' own report (their heights follow the etcd ordering stand-in)",
    ...trips,
    ordererMetrics: byKey(ordererMetrics),
    participation: byKey(participation),
    unobserved: { ...trips.unobserved, 'FAB-CAP-01': NO_FABRIC_RELEASE },
  };
}
