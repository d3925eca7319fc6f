/**
 * The Corda lease row, read: one SELECT (`readLeaseRow`), on a session that cannot write (`readOnlySession`);
 * and repeated reads over one session for samplers that read it every few tens of milliseconds (`LeaseReader`):
 * queries queue (pg runs one at a time per client), and a session that broke is replaced on the next read.
 */
import pg from 'pg';
import type { TargetDescriptor } from '../../descriptor/types.ts';

export interface LeaseRow {
  machineName: string;
  pid: string;
  timestamp: string;
  version: number;
}

/** What reading the lease needs of a database client: one query at a time. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>>;
}

/** Read the Corda mutual-exclusion lease row (SELECT only). */
export async function readLeaseRow(client: Queryable): Promise<LeaseRow | null> {
  const r = await client.query<{ machine_name: string; pid: string; mutual_exclusion_timestamp: Date; version: string }>(
    "SELECT machine_name, pid, mutual_exclusion_timestamp, version FROM node_mutual_exclusion WHERE mutual_exclusion_id = 'X'",
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    machineName: row.machine_name.trim(),
    pid: row.pid.trim(),
    timestamp: new Date(row.mutual_exclusion_timestamp).toISOString(),
    version: Number(row.version),
  };
}

/** A database session the lease reader can use: queries, an end, and word when the connection is gone. */
export interface LeaseSession extends Queryable {
  on(event: 'error' | 'end', listener: () => void): unknown;
  end(): Promise<void>;
}

export class LeaseReader {
  private client: Promise<LeaseSession> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `connect` opens a new session; `closedError` is what a read after `close()` throws */
  constructor(
    private readonly connect: () => Promise<LeaseSession>,
    private readonly closedError: () => Error = () => new Error('the lease reader is closed'),
  ) {}

  read(): Promise<LeaseRow | null> {
    const run = this.queue.then(() => this.readNow(), () => this.readNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<LeaseRow | null> {
    if (this.closed) throw this.closedError();
    this.client ??= this.connect().then((c) => {
      const drop = () => {
        if (this.client === pending) this.client = null;
      };
      c.on('error', drop);
      c.on('end', drop);
      return c;
    });
    const pending = this.client;
    try {
      return await readLeaseRow(await pending);
    } catch (err) {
      if (this.client === pending) this.client = null;
      void pending.then((c) => c.end()).catch(() => undefined);
      throw err;
    }
  }

  /** End the session; reads after this throw. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = null;
    if (c) await c.then((x) => x.end()).catch(() => undefined);
  }
}

/** PostgreSQL's startup `options`: every transaction of the session is read-only, whatever a statement asks. */
export const READ_ONLY_SESSION = '-c default_transaction_read_only=on';

/**
 * A PostgreSQL session for --live and observations: opened read-only (the startup options), checked to be so before
 * anything is read, and able to run one SELECT statement at a time, nothing else.
 */
export class ReadOnlySession implements LeaseSession {
  private constructor(private readonly client: pg.Client) {}

  static async open(config: { host: string; port: number; database: string; user: string; password?: string; timeoutMs: number }): Promise<ReadOnlySession> {
    const client = new pg.Client({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      // never ~/.pgpass or $PGPASSWORD: the descriptor's password, or none
      password: config.password ?? '',
      options: READ_ONLY_SESSION,
      connectionTimeoutMillis: config.timeoutMs,
      query_timeout: config.timeoutMs,
      statement_timeout: config.timeoutMs,
      application_name: 'ha-conformance (read-only)',
    });
    client.on('error', () => undefined);
    const session = new ReadOnlySession(client);
    try {
      await client.connect();
      const r = await session.query<{ ro: string }>("SELECT current_setting('default_transaction_read_only') AS ro");
      if (r.rows[0]?.ro !== 'on') throw new Error(`the session is not read-only (default_transaction_read_only is ${JSON.stringify(r.rows[0]?.ro ?? null)}); nothing is read`);
    } catch (err) {
      await session.end();
      throw err;
    }
    return session;
  }

  query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>> {
    if (!/^\s*SELECT\b/i.test(sql) || sql.replace(/;\s*$/, '').includes(';')) {
      return Promise.reject(new Error(`a read-only session runs single SELECT statements only, not: ${sql.slice(0, 40)}`));
    }
    return this.client.query<R>(sql);
  }

  on(event: 'error' | 'end', listener: () => void): this {
    this.client.on(event, listener);
    return this;
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Opens read-only sessions to the descriptor's `live.database` at `host` (the address the live rules allow). */
export function readOnlySession(db: NonNullable<TargetDescriptor['live']['database']>, host: string, timeoutMs: number): () => Promise<ReadOnlySession> {
  return () => ReadOnlySession.open({ host, port: db.port, database: db.database, user: db.user, password: db.password, timeoutMs });
}
