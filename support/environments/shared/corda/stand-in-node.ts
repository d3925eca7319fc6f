/**
 * A stand-in for one Corda Enterprise node of a hot-cold pair: it reads a real `node.conf` (HOCON) and does what
 * the documented node does about high availability, nothing else (reference.md, "Mutual-exclusion lease"):
 *
 * - opens its monitoring endpoint (`jmxMonitoringHttpPort`, Jolokia in a real node) at once, hot or cold;
 * - connects to the database (`dataSourceProperties`); with `mutualExclusionConfiguration.on = true` it claims the
 *   lease row `'X'` of `node_mutual_exclusion` with ONE conditional UPDATE (or inserts the row when there is none);
 *   a node that fails to claim logs a warning, sleeps `waitInterval` and exits 1 (a supervisor restarts it);
 * - only after a successful claim it opens P2P (port of `p2pAddress`), RPC (`rpcSettings.address`) and web
 *   (`webAddress`) on its own machine address; P2P and RPC send a one-line JSON banner naming the node on connect,
 *   web answers `GET /` with 200 and the same JSON;
 * - the hot node refreshes the lease every `updateInterval` and exits 1 when the row is missing, names another
 *   machine or pid, or the database is unreachable ("Database connection down");
 * - with `on = true` and `waitInterval <= updateInterval` it refuses to start (exit 1), as Corda Enterprise does;
 * - with `on = false` it skips the lease and serves at once.
 *
 * Usage: `node --import tsx stand-in-node.ts <node.conf> [--base-directory <dir>]` (base directory defaults to the
 * folder of node.conf, as Corda's `--base-directory` defaults to the working directory). `${VAR}` substitutions in
 * node.conf resolve from this process's environment. `HA_STANDIN_DB_ROUTE=host:port`, when set, is this
 * machine's network path to the database (the local environment's relay, which it can cut): the node connects
 * there instead of the host:port of `dataSource.url` (same database, same user).
 *
 * The password is never logged.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import pg from 'pg';

const hocon = createRequire(import.meta.url)('@pushcorn/hocon-parser') as {
  parse(options: { text: string; strict?: boolean }): Promise<unknown>;
};

type Level = 'INFO ' | 'WARN ' | 'ERROR';
function log(level: Level, message: string): void {
  process.stdout.write(`[${level}] ${new Date().toISOString()} [stand-in pid ${process.pid}] ${message}\n`);
}

function die(message: string, level: Level = 'ERROR'): never {
  log(level, message);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// node.conf

interface StandInConfig {
  legalName: string;
  machineAddress: string;
  p2pPort: number;
  rpcPort: number;
  web?: { host: string; port: number };
  monitoringPort?: number;
  db: { host: string; port: number; database: string; user: string; password?: string };
  mutualExclusion: { on: boolean; machineName?: string; updateInterval: number; waitInterval: number };
}

function get(obj: unknown, path: string): unknown {
  // HOCON nests `dataSource.url = …` into objects; a quoted key "dataSource.url" stays flat. Accept both.
  let cur: unknown = obj;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const flat = parts.slice(i).join('.');
    if (i < parts.length - 1 && flat in rec) return rec[flat];
    cur = rec[parts[i]];
  }
  return cur;
}

function hostPort(value: unknown, field: string): { host: string; port: number } {
  const m = typeof value === 'string' ? /^(.+):(\d+)$/.exec(value.trim()) : null;
  if (!m) die(`Config error: ${field} must be "host:port", got ${JSON.stringify(value)}`);
  return { host: m[1], port: Number(m[2]) };
}

function number(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) die(`Config error: ${field} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

async function loadConfig(file: string): Promise<StandInConfig> {
  let parsed: unknown;
  try {
    parsed = await hocon.parse({ text: await readFile(file, 'utf8'), strict: true });
  } catch (err) {
    die(`Config error: cannot read ${file}: ${(err as Error).message}`);
  }
  const rpc = hostPort(get(parsed, 'rpcSettings.address'), 'rpcSettings.address');
  const p2p = hostPort(get(parsed, 'p2pAddress'), 'p2pAddress');
  const webAddress = get(parsed, 'webAddress');
  const url = get(parsed, 'dataSourceProperties.dataSource.url');
  const m = typeof url === 'string' ? /^jdbc:postgresql:\/\/([^/:]+)(?::(\d+))?\/([^?]+)/.exec(url) : null;
  if (!m) die(`Config error: dataSourceProperties.dataSource.url must be jdbc:postgresql://host:port/database, got ${JSON.stringify(url)}`);
  const me = get(parsed, 'enterpriseConfiguration.mutualExclusionConfiguration') as Record<string, unknown> | undefined;
  const on = me?.on === true || me?.on === 'true';
  const machineName = me?.machineName;
  const monitoring = get(parsed, 'jmxMonitoringHttpPort');
  const user = get(parsed, 'dataSourceProperties.dataSource.user');
  const password = get(parsed, 'dataSourceProperties.dataSource.password');
  return {
    legalName: String(get(parsed, 'myLegalName') ?? ''),
    machineAddress: rpc.host,
    rpcPort: rpc.port,
    p2pPort: p2p.port,
    web: webAddress === undefined ? undefined : hostPort(webAddress, 'webAddress'),
    monitoringPort: monitoring === undefined ? undefined : number(monitoring, 'jmxMonitoringHttpPort'),
    db: {
      host: m[1],
      port: m[2] ? Number(m[2]) : 5432,
      database: m[3],
      user: String(user ?? ''),
      password: password === undefined ? undefined : String(password),
    },
    mutualExclusion: {
      on,
      machineName: typeof machineName === 'string' && machineName ? machineName : undefined,
      updateInterval: number(me?.updateInterval, 'mutualExclusionConfiguration.updateInterval', 20000),
      waitInterval: number(me?.waitInterval, 'mutualExclusionConfiguration.waitInterval', 40000),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Database

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
class Database {
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

// ---------------------------------------------------------------------------------------------------------------
// Serving

function bannerServer(banner: string): Server {
  return createServer((socket: Socket) => {
    socket.on('error', () => undefined); // probes close at once; a reset is not our problem
    socket.end(banner);
  });
}

function listen(server: Server | HttpServer, host: string, port: number, what: string): Promise<void> {
  return new Promise((resolveListen) => {
    server.once('error', (err) => die(`could not open the ${what} port ${host}:${port}: ${(err as Error).message}`));
    server.listen(port, host, () => resolveListen());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const started = Date.now();
  const args = process.argv.slice(2);
  const confArg = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--base-directory');
  if (!confArg) die('usage: stand-in-node.ts <node.conf> [--base-directory <dir>]');
  const confFile = resolve(confArg);
  const bi = args.indexOf('--base-directory');
  const baseDirectory = bi >= 0 && args[bi + 1] ? args[bi + 1] : dirname(confFile);
  const conf = await loadConfig(confFile);
  const me = conf.mutualExclusion;
  if (me.on && me.waitInterval <= me.updateInterval) {
    die(
      `Config error: enterpriseConfiguration.mutualExclusionConfiguration.waitInterval (${me.waitInterval}) must be greater than updateInterval (${me.updateInterval}); the node does not start`,
    );
  }
  const machineName = `${baseDirectory}/${me.machineName ?? hostname()}`;
  const pid = String(process.pid);
  const identity = (traffic: string) =>
    `${JSON.stringify({ standIn: 'corda', traffic, machine: conf.machineAddress, machineName, pid: process.pid, legalName: conf.legalName })}\n`;
  log('INFO ', `starting ${conf.legalName} on ${conf.machineAddress} (base directory ${baseDirectory}, mutual exclusion ${me.on ? 'on' : 'off'})`);

  const servers: Array<Server | HttpServer> = [];
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('INFO ', `${signal}: shutting down`);
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // Monitoring (Jolokia in a real node) starts before the lease: it answers on the cold node too.
  if (conf.monitoringPort) {
    const mon = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(identity('monitoring'));
    });
    servers.push(mon);
    await listen(mon, conf.machineAddress, conf.monitoringPort, 'monitoring');
  }

  const route = process.env.HA_STANDIN_DB_ROUTE ? hostPort(process.env.HA_STANDIN_DB_ROUTE, 'HA_STANDIN_DB_ROUTE') : { host: conf.db.host, port: conf.db.port };
  // Generous: a slow answer is not a lost connection (a cut one fails at once: refused or reset).
  const waitBudget = Math.max(2000, me.waitInterval);
  const db = new Database({
    host: route.host,
    port: route.port,
    database: conf.db.database,
    user: conf.db.user,
    password: conf.db.password,
    connectionTimeoutMillis: waitBudget,
    query_timeout: waitBudget,
  });
  try {
    await db.query('SELECT 1');
  } catch (err) {
    die(`Could not connect to the database ${conf.db.host}:${conf.db.port}/${conf.db.database}: ${(err as Error).message}`);
  }

  const version = (row: LeaseRow) => Number(row.version);
  if (me.on) {
    let claimed = false;
    let why = '';
    try {
      const current = (await db.query<LeaseRow>(SELECT_LEASE)).rows[0];
      if (!current) {
        log('INFO ', 'No other node running before');
        try {
          await db.query(INSERT_LEASE, [machineName, pid]);
          claimed = true;
        } catch (err) {
          if ((err as { code?: string }).code !== '23505') throw err;
          why = 'another node inserted the lease row first';
        }
      } else {
        const holder = current.machine_name.trim();
        log('INFO ', holder === machineName ? `Node last run on same machine: ${machineName}` : `Node last run on different machine: ${holder} PID: ${current.pid.trim()}. Now running on ${machineName} PID: ${pid}`);
        const r = await db.query(UPDATE_LEASE, [machineName, pid, version(current) + 1, version(current), me.waitInterval]);
        claimed = r.rowCount === 1;
        why = `the lease is held by ${holder} (pid ${current.pid.trim()}) and has not expired`;
      }
    } catch (err) {
      die(`Database connection down: ${(err as Error).message}`);
    }
    if (!claimed) {
      log('WARN ', `Unable to acquire the mutual exclusion lease: ${why}. Waiting ${me.waitInterval} ms, then exiting.`);
      await sleep(me.waitInterval);
      die('Exiting: another node is active', 'WARN ');
    }
    log('INFO ', `Acquired the mutual exclusion lease as ${machineName} (pid ${pid})`);
  }

  const open: Array<[Server | HttpServer, string, number, string]> = [
    [bannerServer(identity('p2p')), conf.machineAddress, conf.p2pPort, 'P2P'],
    [bannerServer(identity('rpc')), conf.machineAddress, conf.rpcPort, 'RPC'],
  ];
  if (conf.web) {
    const web = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(identity('web'));
    });
    open.push([web, conf.web.host, conf.web.port, 'web']);
  }
  for (const [server, host, port, what] of open) {
    servers.push(server);
    await listen(server, host, port, what);
  }
  const organisation = /O=([^,]+)/.exec(conf.legalName)?.[1] ?? conf.legalName;
  log('INFO ', `Node for "${organisation}" started up and registered in ${((Date.now() - started) / 1000).toFixed(2)} sec`);

  if (!me.on) return;
  // The hot node's refresh loop, at a fixed rate.
  let next = Date.now() + me.updateInterval;
  for (;;) {
    await sleep(Math.max(0, next - Date.now()));
    next += me.updateInterval;
    if (shuttingDown) return;
    try {
      const row = (await db.query<LeaseRow>(SELECT_LEASE)).rows[0];
      if (!row) die('node_mutual_exclusion table does not contain a row, shutting down');
      if (row.machine_name.trim() !== machineName || row.pid.trim() !== pid) {
        die(`Node running on ${machineName} (pid ${pid}) detected another node running on ${row.machine_name.trim()} (pid ${row.pid.trim()}), shutting down`);
      }
      const r = await db.query(UPDATE_LEASE, [machineName, pid, version(row) + 1, version(row), me.waitInterval]);
      if (r.rowCount !== 1) die('Failed to update the mutual exclusion lease, shutting down');
    } catch (err) {
      die(`Database connection down: ${(err as Error).message}`);
    }
  }
}

main().catch((err: unknown) => die(`unexpected failure: ${(err as Error).stack ?? String(err)}`));
