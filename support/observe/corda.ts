/**
 * The Corda pair of a descriptor as an observation samples it, read-only (the same `CordaLiveTarget` the drills
 * sample, so the same checks judge both):
 *
 * - each node's P2P, RPC and web ports on its machine address (`corda.nodes[].machine`): TCP connect and close;
 * - the lease row over one PostgreSQL session (`live.database`), read-only: one SELECT per sample;
 * - through the load balancer's address (`corda.loadBalancer.address`): does a backend answer P2P (bytes from the
 *   server, or a TLS handshake), RPC (bytes from the server) and web (`GET /`)? The node that answered is named
 *   by the sample's own evidence — the one machine with that port open, or the one the load balancer holds UP —
 *   since a real node does not say who it is;
 * - the load balancer's own view (`live.loadBalancerAdmin`: HAProxy runtime API or stats page): `show stat`,
 *   servers matched to nodes by address (or name) and to traffic types by port (or the configuration's rules).
 *
 * Names are dialled only where the descriptor says (`live.hosts`, `live.resolveNames`).
 */
import { isIP } from 'node:net';
import type { CordaEvidence } from '../evidence/model.ts';
import type { TargetDescriptor } from '../descriptor/types.ts';
import { dialAddress, liveEndpoint, notDialled } from '../evidence/live/address.ts';
import { LeaseReader, readOnlySession } from '../evidence/live/lease.ts';
import { statReader, type StatRow } from '../evidence/live/haproxy-stats.ts';
import { backendAnswers, httpAnswers, type Answer } from '../drills/corda-probes.ts';
import { TRAFFIC, type CordaLiveTarget, type CordaNodeEndpoint, type RoutedProbe, type Traffic } from '../drills/corda-sampler.ts';
import { OBSERVATION_LIMITS } from './limits.ts';

export interface CordaObservationTarget {
  live: CordaLiveTarget;
  /** what the observation reads, in words, for the timeline's params */
  reads: Record<string, string>;
  /** guarantee ID → why it cannot be observed with this descriptor */
  unobserved: Record<string, string>;
  /** closes the database session */
  close(): Promise<void>;
}

/** The traffic type of a `show stat` row: by the server's port, else by the load balancer configuration's rules, else by the backend's name. */
function trafficOf(row: StatRow, corda: CordaEvidence): Traffic | undefined {
  const port = row.addr ? Number(row.addr.slice(row.addr.lastIndexOf(':') + 1)) : undefined;
  const byPort = TRAFFIC.find((t) => corda.ports[t] === port);
  if (byPort) return byPort;
  const rule = corda.loadBalancer?.rules.find((r) => r.pool === row.backend);
  const byRule = TRAFFIC.find((t) => rule && corda.ports[t] === rule.frontendPort);
  if (byRule) return byRule;
  return TRAFFIC.find((t) => row.backend.toLowerCase().includes(t));
}

/** The node a `show stat` row is: by the server's address, else by the server's name. */
function nodeOf(row: StatRow, nodes: CordaNodeEndpoint[], described: Map<string, string>): string | undefined {
  const host = row.addr ? row.addr.slice(0, row.addr.lastIndexOf(':')).replace(/^\[|\]$/g, '') : undefined;
  const byAddr = host ? nodes.find((n) => n.machine === host || described.get(n.name) === host) : undefined;
  return byAddr?.name ?? nodes.find((n) => n.name === row.server)?.name;
}

/** At most one probe per traffic type in flight: a sample that finds one running leaves that traffic out. */
function onePerTraffic(probe: RoutedProbe): RoutedProbe {
  const busy = new Set<Traffic>();
  return async (t, host, port, timeoutMs) => {
    if (busy.has(t)) return { answered: 'unknown' };
    busy.add(t);
    try {
      return await probe(t, host, port, timeoutMs);
    } finally {
      busy.delete(t);
    }
  };
}

const asRouted = (a: Answer) => (a === 'unknown' ? ({ answered: 'unknown' } as const) : a ? ({ answered: true } as const) : ({ answered: false } as const));

/** What backs the routed probes: no identity asked, only whether a backend answered (names come from the sample). */
export function answerProbe(servername?: string): RoutedProbe {
  return onePerTraffic(async (t, host, port, timeoutMs) => {
    if (t === 'web') return asRouted(await httpAnswers(host, port, timeoutMs));
    // P2P is TLS in Corda: a server that waits for the client gets a handshake. RPC may be plain Artemis, to which
    // a TLS hello would be garbage, so it is only listened to.
    const tls = t === 'p2p' ? { afterMs: Math.min(200, Math.round(timeoutMs / 3)), ...(servername ? { servername } : {}) } : undefined;
    return asRouted(await backendAnswers(host, port, timeoutMs, tls));
  });
}

export function cordaObservationTarget(d: TargetDescriptor, corda: CordaEvidence): CordaObservationTarget {
  const unobserved: Record<string, string> = {};
  const reads: Record<string, string> = {};
  const nodes: CordaNodeEndpoint[] = [];
  const described = new Map<string, string>();
  corda.nodes.forEach((n, i) => {
    const machine = dialAddress(d, n.machine);
    if (!machine) {
      const why = notDialled(`corda.nodes[${i}].machine`, n.machine);
      unobserved['CORDA-HA-01'] ??= why;
      unobserved['CORDA-LB-02'] ??= why;
      return;
    }
    described.set(n.name, n.machine);
    const machineName = n.mutualExclusion.machineName;
    nodes.push({
      name: n.name,
      machine,
      ...(machineName && n.baseDirectory ? { leaseName: `${n.baseDirectory}/${machineName}` } : {}),
      ...(machineName ? { machineName } : {}),
    });
  });
  if (!corda.nodes.length) {
    unobserved['CORDA-HA-01'] = 'the descriptor lists no Corda node (corda.nodes)';
    unobserved['CORDA-LB-02'] = unobserved['CORDA-HA-01'];
  }
  reads.nodes = `TCP connect and close to each node's P2P, RPC and web ports (${corda.ports.p2p}, ${corda.ports.rpc}, ${corda.ports.web}) on its machine address`;

  let lease: LeaseReader | undefined;
  const db = d.live.database;
  if (db) {
    const host = liveEndpoint(d, db.host);
    if (host) {
      lease = new LeaseReader(readOnlySession(db, host, 2000), () => new Error('the observation window is over'));
      reads.lease = `the lease row: one SELECT per sample over one read-only session to ${db.host}:${db.port}/${db.database}`;
    } else reads.lease = `not read: ${notDialled('live.database.host', db.host)}`;
  } else reads.lease = 'not read: the descriptor gives no live.database';

  const lbName = corda.loadBalancerAddress ?? corda.loadBalancer?.address;
  const lbAddress = lbName ? dialAddress(d, lbName) : undefined;
  if (lbAddress) {
    reads.routed = `through the load balancer ${lbName}: P2P answered (the server's bytes, or a TLS handshake), RPC answered (the server's bytes), web GET /; the node that answered named by the sample's evidence`;
  } else {
    reads.routed = lbName ? `not probed: ${notDialled('corda.loadBalancer.address', lbName)}` : 'not probed: the descriptor gives no corda.loadBalancer.address';
  }

  let lbView: CordaLiveTarget['lbView'];
  const admin = d.live.loadBalancerAdmin;
  if (admin) {
    const read = statReader(admin, (h) => liveEndpoint(d, h), OBSERVATION_LIMITS.routedTimeoutMs);
    let busy = false;
    lbView = async () => {
      // one read at a time: a slow runtime API costs one connection, and the samples meanwhile go without its view
      if (busy) throw new Error('the previous read of the load balancer view has not finished');
      busy = true;
      try {
        const view: Partial<Record<Traffic, Record<string, string>>> = {};
        for (const row of await read()) {
          const t = trafficOf(row, corda);
          const node = nodeOf(row, nodes, described);
          if (t && node) (view[t] ??= {})[node] = row.status;
        }
        return view;
      } finally {
        busy = false;
      }
    };
    reads.lbView = `the load balancer's own view: "show stat" from ${admin}`;
  } else reads.lbView = 'not read: the descriptor gives no live.loadBalancerAdmin';

  if (!lbAddress && !lbView) unobserved['CORDA-LB-02'] ??= `neither a load balancer address to connect through nor its view: ${reads.routed}; ${reads.lbView}`;

  const live: CordaLiveTarget = {
    ports: { p2p: corda.ports.p2p, rpc: corda.ports.rpc, web: corda.ports.web },
    nodes: () => nodes,
    ...(lbAddress ? { lbAddress, routedProbe: answerProbe(lbName && !isIP(lbName) ? lbName : undefined) } : {}),
    ...(lbView ? { lbView } : {}),
    ...(lease ? { readLease: () => lease.read() } : {}),
  };
  return { live, reads, unobserved, close: async () => lease?.close() };
}
