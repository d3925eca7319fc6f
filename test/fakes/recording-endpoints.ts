/**
 * Endpoints that record everything a client sends them, for tests that prove the harness only reads: a TCP
 * server (raw bytes in), a TLS server (handshakes, and the application bytes that follow one), an HTTP server
 * (method, path, body), a TCP forwarder (a load balancer in TCP mode), a PostgreSQL server speaking the wire
 * protocol (startup parameters, every message by type, the SQL of every query) and an HAProxy runtime API on a
 * unix socket (every command). Each answers just enough for a client to go on.
 */
import { startFakePostgres, type FakePostgres, type LeaseRowAnswer } from './postgres-server.ts';
import { createServer as createNetServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Closable {
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export interface TcpRecord extends Closable {
  connections: number;
  /** every byte clients sent */
  received: Buffer[];
}

/** A plain TCP server: accepts, records what arrives, optionally speaks first, never answers otherwise. */
export async function recordingTcp(host: string, port: number, banner?: string): Promise<TcpRecord> {
  const rec: Omit<TcpRecord, 'close'> = { connections: 0, received: [] };
  const server = createNetServer((s) => {
    rec.connections++;
    s.on('data', (d) => rec.received.push(d));
    s.on('error', () => undefined);
    if (banner) s.write(banner);
  });
  const sockets = track(server);
  await listen(server, host, port);
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
}

export interface TlsRecord extends Closable {
  /** TCP connections accepted */
  connections: number;
  /** ClientHellos that offered ALPN: the name asked for (SNI) and the protocols offered */
  hellos: Array<{ servername?: string; alpn: string[] }>;
  /** handshakes the server saw complete (a client that closes right after its own end may not get this far) */
  handshakes: number;
  /** application bytes received after a handshake (a read-only client sends none) */
  received: Buffer[];
}

/** A TLS server with the given certificate: records hellos, handshakes and any application data after them. */
export async function recordingTls(host: string, port: number, certPem: string, keyPem: string): Promise<TlsRecord> {
  const rec: Omit<TlsRecord, 'close'> = { connections: 0, hellos: [], handshakes: 0, received: [] };
  const server = createTlsServer(
    {
      cert: certPem,
      key: keyPem,
      ALPNCallback: ({ servername, protocols }: { servername: string; protocols: string[] }) => {
        rec.hellos.push({ servername: servername || undefined, alpn: protocols });
        return protocols.includes('h2') ? 'h2' : undefined;
      },
    },
    (s) => {
      rec.handshakes++;
      s.on('data', (d: Buffer) => rec.received.push(d));
      s.on('error', () => undefined);
    },
  );
  server.on('connection', () => rec.connections++);
  server.on('tlsClientError', () => undefined);
  const sockets = track(server);
  await listen(server, host, port);
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
}

export interface HttpRecord extends Closable {
  requests: Array<{ method: string; url: string; bodyBytes: number }>;
}

/** An HTTP server: records every request, answers with `answer(url)` (200 and a body). */
export async function recordingHttp(host: string, port: number, answer: (url: string) => string): Promise<HttpRecord> {
  const rec: Omit<HttpRecord, 'close'> = { requests: [] };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      rec.requests.push({ method: req.method ?? '', url: req.url ?? '', bodyBytes: bytes });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(answer(req.url ?? '/'));
    });
  });
  const sockets = track(server);
  await listen(server, host, port);
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
}

/** `recordingHttp` on a free port of `host` (an operations endpoint a descriptor names by its port), answering `body`. */
export async function recordingHttpOnFreePort(host: string, body: string): Promise<{ port: number; server: HttpRecord }> {
  for (let i = 0; i < 20; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      return { port, server: await recordingHttp(host, port, () => body) };
    } catch {
      /* taken: try another */
    }
  }
  throw new Error(`no free port on ${host} for an HTTP endpoint`);
}

export interface ForwardRecord extends Closable {
  connections: number;
  /** bytes clients sent through the forwarder (they reach the backend too) */
  received: Buffer[];
}

/** A load balancer in TCP mode: every connection to `host:port` is piped to `to`; refused backends close it. */
export async function recordingForwarder(host: string, port: number, to: { host: string; port: number }): Promise<ForwardRecord> {
  const rec: Omit<ForwardRecord, 'close'> = { connections: 0, received: [] };
  const server = createNetServer((client) => {
    rec.connections++;
    client.on('data', (d) => rec.received.push(d));
    const backend = connect(to);
    client.pipe(backend).pipe(client);
    const end = () => {
      client.destroy();
      backend.destroy();
    };
    backend.on('error', end);
    client.on('error', end);
    backend.on('close', end);
    client.on('close', end);
  });
  const sockets = track(server);
  await listen(server, host, port);
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
}

export type PgRecord = FakePostgres;

/**
 * A PostgreSQL server that records what reached it (test/fakes/postgres-server.ts): the read-only check and the
 * lease SELECT (answered with `leaseRow`) are answered, any other statement is an error.
 */
export function recordingPostgres(host: string, port: number, leaseRow: () => LeaseRowAnswer | null): Promise<PgRecord> {
  return startFakePostgres(host, { port, leaseRow, onlyKnownQueries: true });
}

export interface RuntimeApiRecord extends Closable {
  commands: string[];
}

/** HAProxy's runtime API on a unix socket: records every command, answers `show stat` with `csv()`. */
export async function recordingRuntimeApi(path: string, csv: () => string): Promise<RuntimeApiRecord> {
  const rec: Omit<RuntimeApiRecord, 'close'> = { commands: [] };
  const server = createNetServer((s) => {
    let buf = '';
    s.on('error', () => undefined);
    s.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const command = buf.slice(0, nl).trim();
      rec.commands.push(command);
      s.end(command === 'show stat' ? csv() : 'Unknown command.\n');
    });
  });
  const sockets = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
}
