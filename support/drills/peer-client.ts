/**
 * The client side of the local stand-in peers' line protocol, as the drills use it: dial a NAME (a peer's host
 * or a gateway Service), verify the presented certificate against the organization CA and the name dialled (as
 * a Fabric client would), then ask `INFO` (who are you, how high is your ledger) or `QUERY <channel>`.
 *
 * Verification is recorded, not enforced: a certificate that does not name the Service still tells us which
 * peer answered, and the error says why a real client would have refused it.
 */
import { connect, checkServerIdentity, type TLSSocket } from 'node:tls';

export interface PeerTarget {
  /** the name dialled: the certificate is verified against it (SNI too) */
  name: string;
  /** where the name resolves to */
  address: string;
  port: number;
  /** PEM CA certificates of the organization */
  ca: string[];
}

export interface PeerInfoAnswer {
  peer: string;
  org: string;
  region?: string;
  heights: Record<string, number>;
}

export interface PeerConnection {
  target: PeerTarget;
  /** chain verified against the CA and the certificate names `target.name` */
  verified: boolean;
  /** why a client would refuse the certificate */
  verifyError?: string;
  /** the peer's answer to INFO on connect */
  info: PeerInfoAnswer;
  /** send one request line and wait for the answer line */
  request(line: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** resolves when the connection closes (the peer went away, or `close()`) */
  closed: Promise<void>;
  isClosed(): boolean;
  close(): void;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : (e?.message ?? String(err));
}

/** Open a connection and ask INFO. Rejects with an Error saying what failed (connect, handshake, no answer). */
export function openPeerConnection(target: PeerTarget, timeoutMs = 2000): Promise<PeerConnection> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    let closed = false;
    let resolveClosed!: () => void;
    const closedP = new Promise<void>((r) => (resolveClosed = r));
    let buffer = '';
    const waiters: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
    let settled = false;
    const fail = (err: Error) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      }
    };
    const timer = setTimeout(() => fail(new Error(`no answer from ${target.name} (${target.address}:${target.port}) within ${timeoutMs} ms`)), timeoutMs);
    try {
      socket = connect({
        host: target.address,
        port: target.port,
        servername: target.name,
        ca: target.ca,
        // Recorded below instead of refused, so the evidence names the peer that presented a bad certificate.
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err as Error);
      return;
    }
    socket.setNoDelay(true);
    const request = (line: string, ms = timeoutMs) =>
      new Promise<Record<string, unknown>>((res, rej) => {
        if (closed) return rej(new Error(`the connection to ${target.name} is closed`));
        const t = setTimeout(() => rej(new Error(`no answer to ${line} from ${target.name} within ${ms} ms`)), ms);
        waiters.push({
          resolve: (v) => {
            clearTimeout(t);
            res(v);
          },
          reject: (e) => {
            clearTimeout(t);
            rej(e);
          },
        });
        socket.write(`${line}\n`);
      });
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const w = waiters.shift();
        if (!w) continue;
        try {
          w.resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          w.reject(new Error(`${target.name} answered something that is not JSON: ${line.slice(0, 120)}`));
        }
      }
    });
    socket.on('error', (err) => fail(new Error(`${target.name} (${target.address}:${target.port}): ${errText(err)}`)));
    socket.on('close', () => {
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`${target.name} closed the connection`));
      resolveClosed();
      fail(new Error(`${target.name} (${target.address}:${target.port}) closed the connection before answering`));
    });
    socket.once('secureConnect', () => {
      let verifyError: string | undefined;
      if (!socket.authorized) verifyError = `certificate chain not trusted by the organization CA: ${String(socket.authorizationError)}`;
      else {
        const idErr = checkServerIdentity(target.name, socket.getPeerCertificate());
        if (idErr) verifyError = idErr.message;
      }
      request('INFO', timeoutMs).then(
        (answer) => {
          if (settled) return;
          if (typeof answer.peer !== 'string') return fail(new Error(`${target.name} answered INFO without naming itself`));
          settled = true;
          clearTimeout(timer);
          resolve({
            target,
            verified: !verifyError,
            verifyError,
            info: answer as unknown as PeerInfoAnswer,
            request,
            closed: closedP,
            isClosed: () => closed,
            close: () => socket.destroy(),
          });
        },
        (err: Error) => fail(err),
      );
    });
  });
}

export interface AskResult {
  /** the peer that answered, null when none did */
  answeredBy: string | null;
  verified: boolean;
  error?: string;
  info?: PeerInfoAnswer;
  answer?: Record<string, unknown>;
}

/** One short connection: INFO, optionally one more request, close. Never throws. */
export async function askPeer(target: PeerTarget, request?: string, timeoutMs = 2000): Promise<AskResult> {
  let conn: PeerConnection | undefined;
  try {
    conn = await openPeerConnection(target, timeoutMs);
    const answer = request ? await conn.request(request, timeoutMs) : undefined;
    if (answer && typeof answer.error === 'string') {
      return { answeredBy: conn.info.peer, verified: conn.verified, error: `${conn.info.peer}: ${answer.error}`, info: conn.info, answer };
    }
    return { answeredBy: conn.info.peer, verified: conn.verified, error: conn.verifyError, info: conn.info, answer };
  } catch (err) {
    return { answeredBy: null, verified: false, error: (err as Error).message };
  } finally {
    conn?.close();
  }
}
