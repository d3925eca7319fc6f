/**
 * A stand-in PostgreSQL server on a loopback address for tests: it speaks just enough of the v3 wire protocol for
 * the `pg` driver (startup, trust authentication, simple queries, terminate) and records what reached it — every
 * connection's startup parameters (user, database, options) and every query text.
 *
 * Answers: `current_setting('default_transaction_read_only')` is "on" exactly when the startup options asked for it
 * (unless `ignoreOptions`, as a connection pooler that drops them would); the Corda lease SELECT returns `leaseRow`
 * (default one fixed row); anything else an empty result, or an error with `onlyKnownQueries` (a target that must
 * see nothing but these reads). Every message after startup is recorded by its type byte.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RecordedConnection {
  parameters: Record<string, string>;
  queries: string[];
}

export interface LeaseRowAnswer {
  machineName: string;
  pid: string;
  /** `YYYY-MM-DD HH:MM:SS[.fff]`, as PostgreSQL writes a timestamp */
  timestamp: string;
  version: number;
}

export interface FakePostgresOptions {
  /** a listener on this port (default: any free port) */
  port?: number;
  ignoreOptions?: boolean;
  /** the lease row to answer (null: no row) */
  leaseRow?: () => LeaseRowAnswer | null;
  /** answer any other statement with an error instead of an empty result */
  onlyKnownQueries?: boolean;
}

export interface FakePostgres {
  host: string;
  port: number;
  connections: RecordedConnection[];
  /** startup parameters of every session (user, database, options, …) */
  startups: Array<Record<string, string>>;
  /** every message after startup, by its type byte ('Q' simple query, 'P' parse, 'X' terminate, …) */
  messages: Array<{ type: string; sql?: string }>;
  close(): Promise<void>;
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

/** RowDescription + DataRows + CommandComplete for text columns (type OIDs given). */
function rows(columns: Array<{ name: string; oid: number }>, data: string[][]): Buffer {
  const desc = Buffer.concat([
    Buffer.from([columns.length >> 8, columns.length & 0xff]),
    ...columns.map((c) => {
      const f = Buffer.alloc(18);
      f.writeInt32BE(0, 0); // table oid
      f.writeInt16BE(0, 4); // column number
      f.writeInt32BE(c.oid, 6);
      f.writeInt16BE(-1, 10); // size
      f.writeInt32BE(-1, 12); // modifier
      f.writeInt16BE(0, 16); // text format
      return Buffer.concat([cstr(c.name), f]);
    }),
  ]);
  const out = [message('T', desc)];
  for (const r of data) {
    const cells = r.map((v) => Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v, 'utf8')]));
    out.push(message('D', Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), ...cells])));
  }
  out.push(message('C', cstr(`SELECT ${data.length}`)));
  return Buffer.concat(out);
}

const READY = message('Z', Buffer.from('I'));

const FIXED_LEASE: LeaseRowAnswer = { machineName: 'primary', pid: '1234', timestamp: '2026-01-01 00:00:00', version: 7 };

function errorResponse(text: string): Buffer {
  return message('E', Buffer.concat([Buffer.from('S'), cstr('ERROR'), Buffer.from('C'), cstr('25006'), Buffer.from('M'), cstr(text), Buffer.from([0])]));
}

export async function startFakePostgres(host = '127.0.0.1', o: FakePostgresOptions = {}): Promise<FakePostgres> {
  const connections: RecordedConnection[] = [];
  const startups: FakePostgres['startups'] = [];
  const messages: FakePostgres['messages'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const conn: RecordedConnection = { parameters: {}, queries: [] };
    connections.push(conn);
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const body = buf.subarray(8, len);
          buf = buf.subarray(len);
          if (code === 80877103) {
            socket.write('N'); // no TLS
            continue;
          }
          const parts = body.toString('utf8').split('\0');
          for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) conn.parameters[parts[i]] = parts[i + 1];
          startups.push(conn.parameters);
          started = true;
          const pid = Buffer.concat([int32(4242), int32(1)]);
          socket.write(Buffer.concat([message('R', int32(0)), message('S', Buffer.concat([cstr('server_version'), cstr('16.0')])), message('K', pid), READY]));
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type !== 'Q') messages.push({ type });
        if (type === 'X') {
          socket.end();
          return;
        }
        if (type !== 'Q') continue;
        const sql = body.toString('utf8').replace(/\0$/, '');
        conn.queries.push(sql);
        messages.push({ type, sql });
        let answer: Buffer;
        if (/current_setting\('default_transaction_read_only'\)/.test(sql)) {
          const on = !o.ignoreOptions && /default_transaction_read_only=on/.test(conn.parameters.options ?? '');
          answer = rows([{ name: 'ro', oid: 25 }], [[on ? 'on' : 'off']]);
        } else if (/^\s*SELECT\b[\s\S]*\bFROM node_mutual_exclusion\b/i.test(sql)) {
          const row = o.leaseRow ? o.leaseRow() : FIXED_LEASE;
          answer = rows(
            [
              { name: 'machine_name', oid: 25 },
              { name: 'pid', oid: 25 },
              { name: 'mutual_exclusion_timestamp', oid: 1114 },
              { name: 'version', oid: 20 },
            ],
            row ? [[row.machineName, row.pid, row.timestamp, String(row.version)]] : [],
          );
        } else {
          answer = o.onlyKnownQueries ? errorResponse('the fake accepts only the read-only check and the lease SELECT') : rows([], []);
        }
        socket.write(Buffer.concat([answer, READY]));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections,
    startups,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
