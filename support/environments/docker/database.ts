/**
 * The pair's shared database in the docker environment, as a service: PostgreSQL in a container on the db network
 * (alias `corda-db`), its files in memory, port 5432 published on the host's 127.0.0.1 for the harness alone (the
 * lease reads, CORDA-DB-01). Ready when the harness can log in through the published port; then the `corda`
 * database and the lease table exist. The handle gives the published address, clients, the lease reader the
 * sampler uses, and the database's live evidence.
 */
import { dirname } from 'node:path';
import pg from 'pg';
import type { LiveEvidence } from '../../evidence/model.ts';
import { BrokenError } from '../../errors.ts';
import { readLeaseRow, type LeaseRow } from '../../evidence/live/lease.ts';
import { sleep } from '../../drills/timeline-recorder.ts';
import { LEASE_TABLE_DDL, databaseEvidence } from '../common/corda/database.ts';
import { IN_IMAGE, POSTGRES_UID } from './images/contract.ts';
import { runLabels, testcontainers } from './engine.ts';
import { startContainer, type RunningContainer } from './containers.ts';
import { DB_ALIAS, HOST, type DockerCordaStart } from './pair.ts';

export interface DockerDatabase {
  container: RunningContainer;
  /** the host port 5432 is published on (127.0.0.1) */
  port: number;
  /** a new client of the run's user through the published port */
  connect(database?: string, timeoutMs?: number): Promise<pg.Client>;
  /** the lease row, through a small pool (the sampler has up to four samples in flight) */
  readLease(): Promise<LeaseRow | null>;
  evidence(): Promise<Pick<LiveEvidence, 'leaseRow' | 'database'>>;
  close(): Promise<void>;
}

function container(c: DockerCordaStart): Promise<RunningContainer> {
  const { o } = c;
  const choice = o.images.database;
  const official = choice.flavour === 'public-postgres';
  return testcontainers().then(({ Wait }) =>
    startContainer(
      o.d,
      {
        name: `hac-${o.runId}-db`,
        image: choice.image,
        labels: runLabels(o.runId, 'database'),
        networks: [{ network: c.networks.db, aliases: [DB_ALIAS], ip: c.networks.db.address(HOST.db) }],
        env: { POSTGRES_USER: c.database.user, POSTGRES_PASSWORD: c.database.password, ...(official ? { POSTGRES_DB: 'corda' } : {}) },
        // a throw-away database: its files live in memory (initdb on the overlay file system is several times slower)
        tmpfs: official
          ? { '/var/lib/postgresql/data': 'rw,mode=0700' }
          : { [dirname(IN_IMAGE.pgData)]: `rw,mode=0700,uid=${POSTGRES_UID},gid=${POSTGRES_UID}` },
        publish: [{ container: 5432, hostIp: '127.0.0.1', hostPort: 0 }],
        // the official image starts a temporary server for its init scripts first: the second "ready" is the real one
        wait: Wait.forLogMessage('database system is ready to accept connections', official ? 2 : 1),
        startupTimeoutMs: 60_000,
      },
      o.track,
    ),
  );
}

/** Log in through the published port (15 s at most), then create the `corda` database where the image did not, and the lease table. */
async function createRunDatabase(connect: DockerDatabase['connect'], name: string, port: number): Promise<void> {
  let admin: pg.Client | undefined;
  for (const deadline = Date.now() + 15_000; !admin; ) {
    try {
      admin = await connect('postgres', 2000);
    } catch (err) {
      if (Date.now() > deadline) throw new BrokenError(`PostgreSQL in ${name} did not accept the harness's login on 127.0.0.1:${port} within 15 s: ${(err as Error).message}`, { cause: err });
      await sleep(100);
    }
  }
  try {
    const has = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'corda'");
    if (!has.rowCount) await admin.query('CREATE DATABASE corda');
  } finally {
    await admin.end().catch(() => undefined);
  }
  const ddl = await connect();
  try {
    await ddl.query(LEASE_TABLE_DDL);
  } finally {
    await ddl.end().catch(() => undefined);
  }
}

export async function startDatabase(c: DockerCordaStart): Promise<DockerDatabase> {
  const t = Date.now();
  const db = await container(c);
  c.containers.database = db.id;
  const port = db.published(5432);
  const conn = { host: '127.0.0.1', port, user: c.database.user, password: c.database.password };
  const connect = async (database = 'corda', timeoutMs = 2000): Promise<pg.Client> => {
    const client = new pg.Client({ ...conn, database, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  await createRunDatabase(connect, db.name, port);
  c.timings.databaseMs = Date.now() - t;
  c.o.log(`docker corda: PostgreSQL (${c.o.images.database.image}) ready in ${c.timings.databaseMs} ms, published on 127.0.0.1:${port}`);
  const pool = new pg.Pool({ ...conn, database: 'corda', max: 4, connectionTimeoutMillis: 1000, query_timeout: 1000, idleTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  c.o.resources.onRelease('docker corda lease reader', () => pool.end().catch(() => undefined));
  const source = `postgresql://${c.database.user}@127.0.0.1:${port}/corda (container ${db.name})`;
  return {
    container: db,
    port,
    connect,
    readLease: async () => {
      if (!c.alive()) throw new BrokenError('the docker Corda environment is stopped');
      return readLeaseRow(pool as unknown as pg.Client);
    },
    evidence: () => databaseEvidence(() => connect('corda', 2000), source),
    close: () => pool.end().catch(() => undefined),
  };
}
