/**
 * FAB-GW-04 drill, per gateway Service (an organization in a region): N new connections through the Service,
 * recording which peer answered each; a long-lived connection; stop the peer that connection landed on; record
 * whether it broke (it should: a Service does not move an established connection) and where a reconnect lands;
 * N new connections after; restore the peer. Between the stop and the "after" connections the drill waits for
 * the gateway's own view to mark the peer down, as a Kubernetes Service drops a pod from its endpoints once
 * readiness fails; the time that took is recorded.
 *
 * Timeline (contract in model.ts): connect {phase:'before', gateway, org, region, answeredBy, error?} ×N →
 * fault {action:'stop-peer', peer, gateway} → note {view} → existing {gateway, peer, broke, reconnectedTo} →
 * connect {phase:'after', …} ×N → restore {peer} → note {view}.
 * params: { connections, gateways: Record<gateway, peers[]> }.
 */
import type { ExistingConnectionEvent, GatewayConnectEvent, RestoreEvent, Timeline } from '../evidence/model.ts';
import { askPeer, openPeerConnection, type AskResult, type PeerTarget } from './peer-client.ts';
import { TimelineRecorder, pollUntil, sleep } from './timeline-recorder.ts';

export interface GatewayUnderTest {
  /** unique key of this gateway: `<service>@<region>` */
  gateway: string;
  service: string;
  org: string;
  region: string;
  /** the peers behind it, as deployed */
  peers: string[];
  /** dial the Service name */
  target: PeerTarget;
}

/** An established connection through a gateway, and the peer it landed on. */
export interface LiveConnection {
  peer: string;
  /** resolves when the connection closes */
  closed: Promise<void>;
  isClosed(): boolean;
  /** whether the connection still carries a request and its answer (false when it broke) */
  stillAnswers(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/**
 * How the drill talks through a gateway: the local stand-ins' line protocol by default; a real deployment passes
 * an HTTP/2 (gRPC transport) client (`fabric-peer-probe.ts`).
 */
export interface GatewayClient {
  /** one new connection: who answered */
  ask(target: PeerTarget, timeoutMs: number): Promise<AskResult>;
  /** a connection kept open */
  open(target: PeerTarget, timeoutMs: number): Promise<LiveConnection>;
}

export const standInGatewayClient: GatewayClient = {
  ask: (target, timeoutMs) => askPeer(target, undefined, timeoutMs),
  async open(target, timeoutMs) {
    const c = await openPeerConnection(target, timeoutMs);
    return {
      peer: c.info.peer,
      closed: c.closed,
      isClosed: () => c.isClosed(),
      stillAnswers: (ms) => c.request('INFO', ms).then(() => true, () => false),
      close: () => c.close(),
    };
  },
};

export interface GatewayFaults {
  stopPeer(peer: string): Promise<void>;
  startPeer(peer: string): Promise<void>;
  /** the gateway's own view of one of its peers (`UP`, `DOWN`, …); undefined when it has none */
  view?(gateway: string, peer: string): Promise<string | undefined>;
}

export interface GatewaySpreadOptions {
  gateways: GatewayUnderTest[];
  faults: GatewayFaults;
  /** new connections before and after the stop (default 12) */
  connections: number;
  /** ≤ 50: spacing of view samples */
  sampleIntervalMs: number;
  /** how long the gateway may take to mark a stopped peer down, and a restored one up, ms */
  viewBoundMs: number;
  /** how long to wait for an established connection to break once its peer stopped, ms */
  breakWindowMs?: number;
  requestTimeoutMs?: number;
  /** default: the stand-ins' protocol */
  client?: GatewayClient;
}

const ID = 'FAB-GW-04';

export async function runGatewaySpreadDrill(o: GatewaySpreadOptions): Promise<Timeline> {
  const rec = new TimelineRecorder(ID);
  const interval = Math.min(50, o.sampleIntervalMs);
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const breakWindow = o.breakWindowMs ?? 1000;
  const client = o.client ?? standInGatewayClient;
  const params = {
    connections: o.connections,
    gateways: Object.fromEntries(o.gateways.map((g) => [g.gateway, g.peers])),
    services: Object.fromEntries(o.gateways.map((g) => [g.gateway, { service: g.service, org: g.org, region: g.region }])),
    viewBoundMs: o.viewBoundMs,
  };

  const connectMany = async (g: GatewayUnderTest, phase: 'before' | 'after') => {
    for (let i = 0; i < o.connections; i++) {
      const t = rec.now();
      const r = await client.ask(g.target, timeoutMs);
      rec.record<GatewayConnectEvent>(
        { kind: 'connect', phase, gateway: g.gateway, org: g.org, region: g.region, answeredBy: r.answeredBy, ...(r.error ? { error: r.error } : {}) },
        t,
      );
    }
  };

  const waitView = async (g: GatewayUnderTest, peer: string, want: 'UP' | 'DOWN') => {
    if (!o.faults.view) return;
    const t = rec.now();
    let last: string | undefined;
    const seen = await pollUntil(o.viewBoundMs, interval, async () => {
      last = await o.faults.view!(g.gateway, peer);
      return last?.startsWith(want) ? true : undefined;
    });
    rec.record({ kind: 'note', gateway: g.gateway, peer, view: last ?? null, wanted: want, reached: seen === true, ms: Math.round(rec.now() - t) });
  };

  let stopped: string | undefined;
  let longLived: LiveConnection | undefined;
  try {
    for (const g of o.gateways) {
      await connectMany(g, 'before');

      try {
        longLived = await client.open(g.target, timeoutMs);
      } catch (err) {
        rec.error(`no long-lived connection through ${g.gateway}: ${(err as Error).message}`, { gateway: g.gateway });
        continue;
      }
      const peer = longLived.peer;
      rec.record({ kind: 'note', gateway: g.gateway, longLivedTo: peer });

      rec.record({ kind: 'fault', action: 'stop-peer', peer, gateway: g.gateway });
      stopped = peer;
      await o.faults.stopPeer(peer);

      const conn = longLived;
      await Promise.race([conn.closed, sleep(breakWindow)]);
      let broke = conn.isClosed();
      if (!broke) broke = !(await conn.stillAnswers(timeoutMs));
      conn.close();
      longLived = undefined;

      await waitView(g, peer, 'DOWN');
      const re = await client.ask(g.target, timeoutMs);
      rec.record<ExistingConnectionEvent>({
        kind: 'existing',
        gateway: g.gateway,
        peer,
        broke,
        reconnectedTo: re.answeredBy,
        ...(re.error ? { reconnectError: re.error } : {}),
      });

      await connectMany(g, 'after');

      rec.record<RestoreEvent>({ kind: 'restore', region: g.region, peer, gateway: g.gateway });
      await o.faults.startPeer(peer);
      stopped = undefined;
      await waitView(g, peer, 'UP');
    }
  } catch (err) {
    rec.error(`the drill stopped: ${(err as Error).message}`);
  } finally {
    longLived?.close();
    if (stopped) {
      const peer = stopped;
      rec.record({ kind: 'restore', peer, rollback: true });
      await o.faults.startPeer(peer).catch((err: unknown) => rec.error(`restoring ${peer} failed: ${(err as Error).message}`));
    }
  }
  return rec.timeline(params);
}
