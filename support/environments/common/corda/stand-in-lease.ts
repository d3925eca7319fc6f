/**
 * The stand-in node's side of Corda Enterprise's mutual-exclusion lease: one row `'X'` of `node_mutual_exclusion`,
 * claimed with ONE conditional UPDATE (or inserted when there is none) and refreshed by the hot node at a fixed
 * rate. A query that fails because the database is unreachable throws; the node then reports "Database
 * connection down" and exits, as a real node does.
 */
import pg from 'pg';

const SELECT_LEASE = "SELECT machine_name, pid, version FROM node_mutual_exclusion WHERE mutual_exclusion_id = 'X'";
const INSERT_LEASE =
  "INSERT INTO node_mutual_exclusion (mutual_exclusion_id, machine_name, pid, mutual_exclusion_timestamp, version) VALUES ('X', $1, $2, CURRENT_TIMESTAMP, 0)";
/** Claim or refresh: succeeds only for our machine, or when the row is unchanged since read AND has expired. */
const UPDATE_LEASE = `UPDATE node_mutual_exclusion
   SET machine_name = $1, pid = $2, mutual_exclusion_timestamp = CURRENT_TIMESTAMP, version = $3
 WHERE mutual_exclusion_id = 'X'
   AND (machine_name = $1 OR (version = $4 AND CURRENT_TIMESTAMP > mutual_exclusion_timestamp + $5::integer * INTERVAL '1 millisecond'))`;

interface LeaseRow {
  machine_name: string;
  pid: string;
  version: string;
}

/** One connection, reopened on demand like a pool would: a query fails only when the database is unreachable. */
export class Database {
  private client: pg.Client | null = null;
  constructor(private readonly options: pg.ClientConfig) {}

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client(this.options);
    // A dropped connection is noticed by the next query (as a pooled connection would be); never crash on it.
    client.on('error', () => {
      if (this.client === client) this.client = null;
    });
    client.on('end', () => {
      if (this.client === client) this.client = null;
    });
    await client.connect();
    this.client = client;
    return client;
  }

  async query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    const client = await this.connected();
    try {
      return await client.query<R>(sql, values);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (!(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) {
        // not an SQL error (no SQLSTATE): the connection itself failed; the next query opens a new one
        if (this.client === client) this.client = null;
        client.end().catch(() => undefined);
      }
      throw err;
    }
  }
}

const version = (row: LeaseRow) => Number(row.version);

export type Claim = { claimed: true } | { claimed: false; why: string };

/** One claim of the lease as `machineName` (pid `pid`), saying in `log` what it found. */
export async function claimLease(db: Database, machineName: string, pid: string, waitInterval: number, log: (message: string) => void): Promise<Claim> {
  const current = (await db.query<LeaseRow>(SELECT_LEASE)).rows[0];
  if (!current) {
    log('No other node running before');
    try {
      await db.query(INSERT_LEASE, [machineName, pid]);
      return { claimed: true };
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      return { claimed: false, why: 'another node inserted the lease row first' };
    }
  }
  const holder = current.machine_name.trim();
  log(holder === machineName ? `Node last run on same machine: ${machineName}` : `Node last run on different machine: ${holder} PID: ${current.pid.trim()}. Now running on ${machineName} PID: ${pid}`);
  const r = await db.query(UPDATE_LEASE, [machineName, pid, version(current) + 1, version(current), waitInterval]);
  return r.rowCount === 1 ? { claimed: true } : { claimed: false, why: `the lease is held by ${holder} (pid ${current.pid.trim()}) and has not expired` };
}

/** One refresh by the hot node: undefined while it holds the lease, else why it must shut down. */
export async function refreshLease(db: Database, machineName: string, pid: string, waitInterval: number): Promise<string | undefined> {
  const row = (await db.query<LeaseRow>(SELECT_LEASE)).rows[0];
  if (!row) return 'node_mutual_exclusion table does not contain a row, shutting down';
  if (row.machine_name.trim() !== machineName || row.pid.trim() !== pid) {
    return `Node running on ${machineName} (pid ${pid}) detected another node running on ${row.machine_name.trim()} (pid ${row.pid.trim()}), shutting down`;
  }
  const r = await db.query(UPDATE_LEASE, [machineName, pid, version(row) + 1, version(row), waitInterval]);
  return r.rowCount === 1 ? undefined : 'Failed to update the mutual exclusion lease, shutting down';
}
