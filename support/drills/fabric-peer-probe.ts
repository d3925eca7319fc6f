/**
 * Asks a real Fabric peer whether it answers, the way FAB-PEER-05 needs it on a real deployment (the local
 * environment's stand-ins speak a line protocol instead: `peer-client.ts`):
 *
 * 1. a TLS handshake on the peer's gRPC port, offering `h2` as a gRPC client does, with the name a client of the
 *    organization dials (a peer's host or a gateway Service) as SNI; the chain is checked against the
 *    organization's TLS CA and the certificate against the name dialled (recorded, not enforced, so the evidence
 *    still names the peer behind a bad certificate);
 * 2. which peer answered: the presented certificate's common name, matched to the descriptor's peers (by host
 *    name, then by a SAN);
 * 3. for a channel query, that peer's operations endpoint: `/healthz` must say OK and `/metrics` must carry
 *    `ledger_blockchain_height{channel}` — the peer holds the channel's ledger and reports its height.
 *
 * It never throws: the result says what failed.
 */
import { connect as connectHttp2 } from 'node:http2';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { AskResult, PeerTarget } from './peer-client.ts';
import type { GatewayClient, LiveConnection } from './fabric-gateway-spread.ts';
import { httpCall } from './http-client.ts';
import { metricValue, parsePrometheus } from './prometheus.ts';

export interface RealPeer {
  name: string;
  org: string;
  region: string;
  host: string;
  /** the operations endpoint's base URL, e.g. http://127.0.0.1:41234 (a port-forward) */
  operations?: string;
}

export interface RealPeerTarget {
  /** the name a client dials: a peer's host or a gateway Service */
  name: string;
  /** where that name leads (a port-forward on 127.0.0.1, or the real address) */
  address: string;
  port: number;
  /** the organization's TLS CA certificates (PEM) */
  ca: string[];
}

function altNames(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

interface Handshake {
  verified: boolean;
  verifyError?: string;
  cn: string;
  sans: string[];
}

function handshake(t: RealPeerTarget, timeoutMs: number, keep = false): Promise<Handshake & { socket?: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: t.address,
      port: t.port,
      servername: t.name,
      ca: t.ca,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TLS handshake with ${t.name} (${t.address}:${t.port}) within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${t.name} (${t.address}:${t.port}): ${err.code && !err.message.includes(err.code) ? `${err.code}: ` : ''}${err.message}`));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = socket.getPeerCertificate();
      let verifyError: string | undefined;
      if (!socket.authorized) verifyError = `certificate chain not trusted by the organization's TLS CA: ${String(socket.authorizationError)}`;
      else verifyError = checkServerIdentity(t.name, cert)?.message;
      const cn = Array.isArray(cert.subject?.CN) ? cert.subject.CN[0] : (cert.subject?.CN ?? '');
      if (!keep) socket.destroy();
      resolve({ verified: !verifyError, verifyError, cn, sans: altNames(cert), ...(keep ? { socket } : {}) });
    });
  });
}

/** Which descriptor peer presented this certificate: by common name = host, then by a SAN that is a peer's host. */
export function peerOfCertificate(peers: RealPeer[], cn: string, sans: string[]): RealPeer | undefined {
  return peers.find((p) => p.host === cn || p.name === cn) ?? peers.find((p) => sans.includes(p.host));
}

export async function askRealPeer(target: RealPeerTarget, peers: RealPeer[], channel: string | undefined, timeoutMs = 2000): Promise<AskResult> {
  let hs: Handshake;
  try {
    hs = await handshake(target, timeoutMs);
  } catch (err) {
    return { answeredBy: null, verified: false, error: (err as Error).message };
  }
  const peer = peerOfCertificate(peers, hs.cn, hs.sans);
  if (!peer) {
    return { answeredBy: hs.cn || null, verified: hs.verified, error: `${target.name} presented a certificate for "${hs.cn}", which is none of the described peers` };
  }
  const info = { peer: peer.name, org: peer.org, region: peer.region, heights: {} as Record<string, number> };
  if (!channel) return { answeredBy: peer.name, verified: hs.verified, error: hs.verifyError, info };
  if (!peer.operations) return { answeredBy: peer.name, verified: hs.verified, error: `${peer.name}: no operations endpoint to read its ledger height from`, info };
  const base = peer.operations.replace(/\/$/, '');
  try {
    const health = await httpCall(`${base}/healthz`, { timeoutMs });
    if (health.status !== 200) return { answeredBy: peer.name, verified: hs.verified, error: `${peer.name}: /healthz answered HTTP ${health.status}: ${health.body.slice(0, 200)}`, info };
    const metrics = await httpCall(`${base}/metrics`, { timeoutMs });
    if (metrics.status !== 200) return { answeredBy: peer.name, verified: hs.verified, error: `${peer.name}: /metrics answered HTTP ${metrics.status}`, info };
    const height = metricValue(parsePrometheus(metrics.body), 'ledger_blockchain_height', { channel });
    if (height === undefined) return { answeredBy: peer.name, verified: hs.verified, error: `${peer.name} reports no ledger for channel ${channel} (no ledger_blockchain_height{channel="${channel}"})`, info };
    info.heights[channel] = height;
    return { answeredBy: peer.name, verified: hs.verified, error: hs.verifyError, info, answer: { channel, height } };
  } catch (err) {
    return { answeredBy: peer.name, verified: hs.verified, error: `${peer.name}: operations endpoint: ${(err as Error).message}`, info };
  }
}

/**
 * A connection kept open to a peer, as a gRPC client holds one: TLS (h2) and an HTTP/2 session on it (the client
 * preface and SETTINGS exchanged). `stillAnswers` sends an HTTP/2 PING and waits for its ACK, so a connection
 * whose peer went away without a FIN is found broken too. The peer is known by its certificate.
 */
export async function openRealPeerConnection(target: RealPeerTarget, peers: RealPeer[], timeoutMs = 2000): Promise<LiveConnection> {
  const hs = await handshake(target, timeoutMs, true);
  const socket = hs.socket!;
  const peer = peerOfCertificate(peers, hs.cn, hs.sans);
  if (!peer) {
    socket.destroy();
    throw new Error(`${target.name} presented a certificate for "${hs.cn}", which is none of the described peers`);
  }
  const session = connectHttp2(`https://${target.name}:${target.port}`, { createConnection: () => socket });
  let closed = false;
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => (resolveClosed = r));
  const markClosed = () => {
    closed = true;
    resolveClosed();
  };
  session.on('close', markClosed);
  session.on('error', () => undefined);
  socket.on('close', markClosed);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`${target.name}: no HTTP/2 SETTINGS from ${peer.name} within ${timeoutMs} ms`));
    }, timeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${target.name}: HTTP/2 with ${peer.name}: ${err.message}`));
    });
  });
  return {
    peer: peer.name,
    closed: closedP,
    isClosed: () => closed || session.destroyed || session.closed,
    stillAnswers: (ms) =>
      new Promise<boolean>((resolve) => {
        if (closed || session.destroyed) return resolve(false);
        const timer = setTimeout(() => resolve(false), ms);
        try {
          session.ping((err) => {
            clearTimeout(timer);
            resolve(!err);
          });
        } catch {
          clearTimeout(timer);
          resolve(false);
        }
      }),
    close: () => {
      session.destroy();
      socket.destroy();
    },
  };
}

/** FAB-GW-04 against real peers: new connections are TLS handshakes, kept ones HTTP/2 sessions. */
export function realGatewayClient(peers: RealPeer[]): GatewayClient {
  const toReal = (t: PeerTarget): RealPeerTarget => ({ name: t.name, address: t.address, port: t.port, ca: t.ca });
  return {
    ask: (t, ms) => askRealPeer(toReal(t), peers, undefined, ms),
    open: (t, ms) => openRealPeerConnection(toReal(t), peers, ms),
  };
}
