/**
 * Network probes of the Corda drills and observations: does a port accept a connection, and who answers through a
 * load balancer. Each has a short timeout of its own, so a sample never waits on a silent endpoint. Nothing here
 * writes to the deployment beyond opening and closing a connection, an HTTP `GET /`, and (`backendAnswers` with
 * `tls`) a TLS handshake.
 */
import { createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:http';

/**
 * A timeout that yields to pending I/O first: when the event loop was busy past the deadline, the answer that
 * arrived meanwhile is handled before the timeout counts (timers run before the poll phase, `setImmediate` after
 * it). So a loaded harness does not report a silent endpoint that in fact answered in time.
 */
function timeoutAfterIo(ms: number, fn: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(fn)), ms);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/** True when `host:port` accepts a TCP connection within `timeoutMs` (what a load balancer's TCP probe sees). */
export function tcpAccepts(host: string, port: number, timeoutMs = 100): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      cancel();
      socket.removeAllListeners('connect');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    const cancel = timeoutAfterIo(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** What a stand-in says about itself (one JSON line on P2P/RPC, the body of `GET /` on web). */
export interface Identity {
  machine?: string;
  machineName?: string;
  pid?: number;
  traffic?: string;
  [key: string]: unknown;
}

function parseIdentity(text: string): Identity | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Identity) : null;
  } catch {
    return null;
  }
}

/**
 * Connect and read the first line the server sends. null when nobody answered: refused, closed without a line, or
 * silent for `timeoutMs`. (A load balancer accepts the connection even with no backend up, so an accepted
 * connection alone says nothing.)
 */
export function readBanner(host: string, port: number, timeoutMs = 250): Promise<Identity | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let buf = '';
    let settled = false;
    const done = (v: Identity | null) => {
      if (settled) return;
      settled = true;
      cancel();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(v);
    };
    const cancel = timeoutAfterIo(timeoutMs, () => done(null));
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(parseIdentity(buf.slice(0, nl)));
      else if (buf.length > 4096) done(null);
    });
    socket.once('error', () => done(null));
    socket.once('close', () => done(buf ? parseIdentity(buf.trim()) : null));
  });
}

/** `GET /` without keep-alive (so every probe is a new connection the load balancer routes afresh). */
export function httpIdentity(host: string, port: number, timeoutMs = 250): Promise<Identity | null> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: Identity | null) => {
      if (settled) return;
      settled = true;
      cancel();
      req.destroy();
      resolve(v);
    };
    const cancel = timeoutAfterIo(timeoutMs, () => done(null));
    const req = request({ host, port, path: '/', method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => done(res.statusCode === 200 ? parseIdentity(body) : null));
      res.on('error', () => done(null));
    });
    req.on('error', () => done(null));
    req.end();
  });
}

/** Whether a backend answered through a load balancer: yes, no (nobody took the connection), or cannot tell. */
export type Answer = true | false | 'unknown';

/**
 * Whether anything behind `host:port` answers a connection, without asking it anything: connect and wait for the
 * far end to speak. A TCP load balancer sends no byte of its own, so any byte came from a backend; a refused,
 * reset or closed connection without one means nobody took it; a connection still open and silent at the
 * timeout cannot be told apart from a load balancer still trying a backend, so it is 'unknown'. With `tls`, a
 * server that is still silent after `tls.afterMs` gets a TLS handshake (Corda P2P is TLS, and a TLS server waits
 * for the client's hello): its hello, or its alert, is an answer.
 */
export function backendAnswers(host: string, port: number, timeoutMs: number, tls?: { afterMs: number; servername?: string }): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let settled = false;
    let tlsTimer: NodeJS.Timeout | undefined;
    let wrapped: ReturnType<typeof tlsConnect> | undefined;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      cancel();
      clearTimeout(tlsTimer);
      socket.removeAllListeners('data');
      socket.on('error', () => undefined);
      wrapped?.on('error', () => undefined);
      wrapped?.destroy();
      socket.destroy();
      resolve(a);
    };
    const spoke = () => socket.bytesRead > 0;
    const cancel = timeoutAfterIo(timeoutMs, () => done(spoke() ? true : 'unknown'));
    socket.once('data', () => done(true));
    socket.once('error', () => done(spoke()));
    socket.once('close', () => done(spoke()));
    if (tls) {
      socket.once('connect', () => {
        tlsTimer = setTimeout(() => {
          if (settled || spoke()) return;
          // the TLS layer reads the socket from here on; `bytesRead` still counts what the far end sent
          socket.removeAllListeners('data');
          wrapped = tlsConnect({ socket, servername: tls.servername, rejectUnauthorized: false, checkServerIdentity: () => undefined });
          wrapped.once('secureConnect', () => done(true));
          wrapped.once('error', () => done(spoke()));
          wrapped.once('close', () => done(spoke()));
        }, tls.afterMs);
      });
    }
  });
}

/**
 * Whether a backend answers `GET /` through a load balancer: any HTTP status but the load balancer's own
 * "no backend" answers (502, 503, 504); nobody when the connection is refused, reset or closed without an
 * answer; 'unknown' when nothing came back in time. The body is read and discarded.
 */
export function httpAnswers(host: string, port: number, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      cancel();
      req.destroy();
      resolve(a);
    };
    const cancel = timeoutAfterIo(timeoutMs, () => done('unknown'));
    const req = request({ host, port, path: '/', method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      done(![502, 503, 504].includes(res.statusCode ?? 0));
    });
    req.on('error', () => done(false));
    req.end();
  });
}
