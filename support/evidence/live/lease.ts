/**
 * The Corda lease row, read: one SELECT (`readLeaseRow`), on a session that cannot write (`readOnlySession`);
 * and repeated reads over one session for samplers that read it every few tens of milliseconds (`LeaseReader`):
 * queries queue (pg runs one at a time per client), and a session that broke is replaced on the next read.
 */
import pg from 'pg';
import type { TargetDescriptor } from '../../target/types.ts';

export interface LeaseRow {
  machineName: string;
  pid: string;
  timestamp: string;
  version: number;
}

/** Read the Corda mutual-exclusion lease row (SELECT only). */
export async function readLeaseRow(client: pg.Client): Promise<LeaseRow | null> {
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

export class LeaseReader {
  private client: Promise<pg.Client> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `connect` opens a new session; `closedError` is what a read after `close()` throws */
  constructor(
    private readonly connect: () => Promise<pg.Client>,
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

/** A PostgreSQL session that can only read: `default_transaction_read_only`, and a statement timeout. */
export function readOnlySession(db: NonNullable<TargetDescriptor['live']['database']>, host: string, timeoutMs: number): () => Promise<pg.Client> {
  return async () => {
    const client = new pg.Client({
      host,
      port: db.port,
      database: db.database,
      user: db.user,
      password: db.password,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      options: '-c default_transaction_read_only=on',
      application_name: 'ha-conformance (read-only)',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  };
}

