/**
 * Non-disruptive live evidence of the Fabric part: what each peer presents and how high its ledger is, whether
 * each gateway Service verifies by its name from its own region, round trips between ordering members of
 * different regions, and the ordering members' own view (leader, cluster size, membership).
 *
 * The ordering members are etcd: their Raft view is reported under the Fabric metric names whose meaning
 * matches (`consensus_etcdraft_cluster_size` = voting members in the member list, `_active_nodes` = members
 * with an active peer connection plus itself, `_is_leader`), per channel of the descriptor, alongside etcd's
 * own names; participation maps a voting member to `consenter` and a member without errors to `active`.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { handshake } from '../../../evidence/live/tls.ts';
import { statesOf, type OrderingProbe } from '../../../drills/ordering-probe.ts';
import type { GatewayPlan } from './topology.ts';
import type { NameResolver } from './names.ts';

export interface LiveOrg {
  name: string;
  /** PEM CA certificates of the organization */
  ca: string[];
  /** the Service name and its aliases */
  gatewayNames: string[];
  peers: Array<{ name: string; host: string; port: number; region: string }>;
}

export interface LiveContext {
  orgs: LiveOrg[];
  gateways: GatewayPlan[];
  resolver: NameResolver;
  orderers: Array<{ name: string; region: string; address: string; clusterPort: number }>;
  probe: OrderingProbe;
  channels: string[];
  timeoutMs?: number;
}

/** TCP connect time from one address to another, ms (median of `tries`); NaN when it never connects. */
export async function connectRoundTrip(from: string, to: string, port: number, tries = 3, timeoutMs = 1000): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < tries; i++) {
    const ms = await new Promise<number>((resolve) => {
      const t0 = performance.now();
      const s = connect({ host: to, port, localAddress: from });
      const timer = setTimeout(() => {
        s.destroy();
        resolve(NaN);
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        const dt = performance.now() - t0;
        s.destroy();
        resolve(dt);
      });
      s.once('error', () => {
        clearTimeout(timer);
        resolve(NaN);
      });
    });
    if (Number.isFinite(ms)) times.push(ms);
  }
  if (!times.length) return NaN;
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 1000) / 1000;
}

export async function collectFabricLive(ctx: LiveContext): Promise<Partial<LiveEvidence>> {
  const timeoutMs = ctx.timeoutMs ?? 2000;
  const presentedCerts: NonNullable<LiveEvidence['presentedCerts']> = {};
  const peerHeights: NonNullable<LiveEvidence['peerHeights']> = {};
  const handshakes: NonNullable<LiveEvidence['handshakes']> = [];

  // Every peer by its host name: the certificate it presents and its ledger heights.
  const peerJobs = ctx.orgs.flatMap((org) =>
    org.peers.map(async (p) => {
      const h = await handshake({ name: p.host, address: ctx.resolver.resolve(p.host), port: p.port, ca: org.ca, timeoutMs, request: 'INFO\n' });
      if (h.cert) presentedCerts[`${p.host}:${p.port}`] = h.cert;
      try {
        const info = h.banner ? (JSON.parse(h.banner) as { heights?: Record<string, number> }) : undefined;
        if (info?.heights) peerHeights[p.name] = info.heights;
      } catch {
        /* no heights: the peer did not answer INFO */
      }
    }),
  );

  // Every gateway Service by each of its names, from its own region; as many handshakes as it has peers, so
  // round robin brings every peer's certificate before the client at least once.
  const gatewayJobs = ctx.gateways.map(async (g) => {
    const org = ctx.orgs.find((o) => o.name === g.org);
    if (!org) return;
    for (const name of org.gatewayNames) {
      const address = ctx.resolver.resolve(name, g.region);
      for (let i = 0; i < Math.max(1, g.peers.length); i++) {
        const h = await handshake({ name, address, port: g.port, ca: org.ca, timeoutMs, request: 'INFO\n' });
        let answeredBy: string | undefined;
        try {
          answeredBy = h.banner ? (JSON.parse(h.banner) as { peer?: string }).peer : undefined;
        } catch {
          answeredBy = undefined;
        }
        handshakes.push({ name, address: h.address, verified: h.verified, ...(h.error ? { error: h.error } : {}), ...(answeredBy ? { answeredBy } : {}) });
      }
    }
  });

  const statesJob = statesOf(ctx.probe, ctx.orderers.map((o) => o.name), 'full');
  const [states] = await Promise.all([statesJob, Promise.all(peerJobs), Promise.all(gatewayJobs)]);

  // Round trips between ordering members of different regions, from one member's address to the other's.
  // Measured one at a time once everything else is done: concurrent handshakes would time the event loop.
  const roundTrips: NonNullable<LiveEvidence['roundTrips']> = [];
  for (const a of ctx.orderers) {
    for (const b of ctx.orderers) {
      if (a.region === b.region) continue;
      const ms = await connectRoundTrip(a.address, b.address, b.clusterPort);
      roundTrips.push({ from: a.name, to: b.name, fromRegion: a.region, toRegion: b.region, ms });
    }
  }

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
  roundTrips.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return {
    presentedCerts: byKey(presentedCerts),
    handshakes,
    peerHeights: byKey(peerHeights),
    roundTrips,
    ordererMetrics: byKey(ordererMetrics),
    participation: byKey(participation),
  };
}
