/**
 * Endpoints that record everything a client sends them, for tests that prove the harness only reads: a TCP
 * server (raw bytes in), a TLS server (handshakes, and the application bytes that follow one), an HTTP server
 * (method, path, body), a TCP forwarder (a load balancer in TCP mode), a PostgreSQL server speaking the wire
 * protocol (startup parameters, every message by type, the SQL of every query) and an HAProxy runtime API on a
 * unix socket (every command). Each answers just enough for a client to go on.
 */
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

export interface PgRecord extends Closable {
  /** startup parameters of every session (user, database, options, …) */
  startups: Array<Record<string, string>>;
  /** every message after startup, by its type byte ('Q' simple query, 'P' parse, 'X' terminate, …) */
  messages: Array<{ type: string; sql?: string }>;
}

/**
 * A PostgreSQL server speaking the wire protocol (v3) well enough for node-pg: no TLS, trust authentication,
 * simple queries. The lease SELECT is answered with `leaseRow`, `current_setting('default_transaction_read_only')`
 * with "on" exactly when the startup options asked for it; any other statement with an error.
 */
export async function recordingPostgres(host: string, port: number, leaseRow: () => { machineName: string; pid: string; timestamp: string; version: number } | null): Promise<PgRecord> {
  const rec: Omit<PgRecord, 'close'> = { startups: [], messages: [] };
  const msg = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const int16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const ready = () => msg('Z', Buffer.from('I'));
  const columns: Array<[string, number]> = [
    ['machine_name', 25],
    ['pid', 25],
    ['mutual_exclusion_timestamp', 1114],
    ['version', 20],
  ];
  const rowDescription = (cols: Array<[string, number]> = columns) =>
    msg('T', Buffer.concat([int16(cols.length), ...cols.map(([name, oid]) => Buffer.concat([cstr(name), int32(0), int16(0), int32(oid), int16(-1), int32(-1), int16(0)]))]));
  const dataRow = (values: string[]) => msg('D', Buffer.concat([int16(values.length), ...values.map((v) => Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]))]));
  const server = createNetServer((s) => {
    let buf = Buffer.alloc(0);
    let started = false;
    let options = '';
    s.on('error', () => undefined);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const body = buf.subarray(8, len);
          buf = buf.subarray(len);
          if (code === 80877103) {
            s.write('N'); // SSLRequest: no TLS here
            continue;
          }
          const parts = body.toString('utf8').split('\0');
          const params: Record<string, string> = {};
          for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) params[parts[i]] = parts[i + 1];
          rec.startups.push(params);
          options = params.options ?? '';
          started = true;
          s.write(
            Buffer.concat([
              msg('R', int32(0)),
              msg('S', Buffer.concat([cstr('server_version'), cstr('16.0')])),
              msg('S', Buffer.concat([cstr('client_encoding'), cstr('UTF8')])),
              msg('S', Buffer.concat([cstr('integer_datetimes'), cstr('on')])),
              msg('K', Buffer.concat([int32(1), int32(2)])),
              ready(),
            ]),
          );
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'Q') {
          const sql = body.toString('utf8').replace(/\0$/, '');
          rec.messages.push({ type, sql });
          if (/^\s*SELECT current_setting\('default_transaction_read_only'\)/i.test(sql)) {
            const on = /default_transaction_read_only=on/.test(options);
            s.write(Buffer.concat([rowDescription([['ro', 25]]), dataRow([on ? 'on' : 'off']), msg('C', cstr('SELECT 1')), ready()]));
          } else if (/^\s*SELECT\b[\s\S]*\bnode_mutual_exclusion\b/i.test(sql)) {
            const row = leaseRow();
            s.write(
              Buffer.concat([
                rowDescription(),
                ...(row ? [dataRow([row.machineName, row.pid, row.timestamp, String(row.version)])] : []),
                msg('C', cstr(`SELECT ${row ? 1 : 0}`)),
                ready(),
              ]),
            );
          } else {
            s.write(Buffer.concat([msg('E', Buffer.concat([Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr('25006'), Buffer.from('M'), cstr('the fake accepts only the lease SELECT'), Buffer.from([0])])), ready()]));
          }
        } else {
          rec.messages.push({ type });
          if (type === 'X') s.end();
        }
      }
    });
  });
  const sockets = track(server);
  await listen(server, host, port);
  return Object.assign(rec, { close: () => closeServer(server, sockets) });
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
