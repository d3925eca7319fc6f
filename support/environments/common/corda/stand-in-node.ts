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
 * The password is never logged. node.conf is read by stand-in-config.ts, the lease claimed and refreshed by
 * stand-in-lease.ts.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { StandInConfigError, hostPort, loadConfig, type StandInConfig } from './stand-in-config.ts';
import { Database, claimLease, refreshLease } from './stand-in-lease.ts';

type Level = 'INFO ' | 'WARN ' | 'ERROR';
function log(level: Level, message: string): void {
  process.stdout.write(`[${level}] ${new Date().toISOString()} [stand-in pid ${process.pid}] ${message}\n`);
}

function die(message: string, level: Level = 'ERROR'): never {
  log(level, message);
  process.exit(1);
}

/** A configuration error ends the node with its message; anything else is an unexpected failure. */
function dieOnConfigError(err: unknown): never {
  if (err instanceof StandInConfigError) die(err.message);
  throw err;
}

const dbDown = (err: unknown): never => die(`Database connection down: ${(err as Error).message}`);

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

/** `<node.conf> [--base-directory <dir>]`: the base directory defaults to node.conf's folder. */
function parseArgs(args: string[]): { confFile: string; baseDirectory: string } {
  const confArg = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--base-directory');
  if (!confArg) die('usage: stand-in-node.ts <node.conf> [--base-directory <dir>]');
  const confFile = resolve(confArg);
  const bi = args.indexOf('--base-directory');
  return { confFile, baseDirectory: bi >= 0 && args[bi + 1] ? args[bi + 1] : dirname(confFile) };
}

/** What the node says about itself on each port: one JSON line (P2P, RPC) or body (web, monitoring). */
type Identity = (traffic: string) => string;

/** The servers the node has opened, closed on SIGTERM/SIGINT before a clean exit. */
class Servers {
  readonly all: Array<Server | HttpServer> = [];
  shuttingDown = false;

  constructor() {
    const shutdown = (signal: string) => {
      if (this.shuttingDown) return;
      this.shuttingDown = true;
      log('INFO ', `${signal}: shutting down`);
      for (const s of this.all) s.close();
      process.exit(0);
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  }

  async open(server: Server | HttpServer, host: string, port: number, what: string): Promise<void> {
    this.all.push(server);
    await listen(server, host, port, what);
  }
}

function httpIdentity(identity: Identity, traffic: string): HttpServer {
  return createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(identity(traffic));
  });
}

/** The database, through this machine's path to it (`HA_STANDIN_DB_ROUTE`) when there is one; answers `SELECT 1` or the node exits. */
async function connectDatabase(conf: StandInConfig): Promise<Database> {
  let route = { host: conf.db.host, port: conf.db.port };
  if (process.env.HA_STANDIN_DB_ROUTE) {
    try {
      route = hostPort(process.env.HA_STANDIN_DB_ROUTE, 'HA_STANDIN_DB_ROUTE');
    } catch (err) {
      dieOnConfigError(err);
    }
  }
  // Generous: a slow answer is not a lost connection (a cut one fails at once: refused or reset).
  const waitBudget = Math.max(2000, conf.mutualExclusion.waitInterval);
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
  return db;
}

/** Claim the lease, or warn, wait out waitInterval and exit, as a cold node does. */
async function claimOrExit(db: Database, conf: StandInConfig, machineName: string, pid: string): Promise<void> {
  const me = conf.mutualExclusion;
  const claim = await claimLease(db, machineName, pid, me.waitInterval, (m) => log('INFO ', m)).catch(dbDown);
  if (!claim.claimed) {
    log('WARN ', `Unable to acquire the mutual exclusion lease: ${claim.why}. Waiting ${me.waitInterval} ms, then exiting.`);
    await sleep(me.waitInterval);
    die('Exiting: another node is active', 'WARN ');
  }
  log('INFO ', `Acquired the mutual exclusion lease as ${machineName} (pid ${pid})`);
}

/** P2P and RPC (a banner on connect) and web (`GET /`), on this machine's address. */
async function serve(conf: StandInConfig, identity: Identity, servers: Servers): Promise<void> {
  const open: Array<[Server | HttpServer, string, number, string]> = [
    [bannerServer(identity('p2p')), conf.machineAddress, conf.p2pPort, 'P2P'],
    [bannerServer(identity('rpc')), conf.machineAddress, conf.rpcPort, 'RPC'],
  ];
  if (conf.web) open.push([httpIdentity(identity, 'web'), conf.web.host, conf.web.port, 'web']);
  for (const [server, host, port, what] of open) await servers.open(server, host, port, what);
}

/** The hot node's refresh loop, at a fixed rate, until it loses the lease (exit 1) or is stopped. */
async function refreshLoop(db: Database, conf: StandInConfig, machineName: string, pid: string, servers: Servers): Promise<void> {
  const me = conf.mutualExclusion;
  let next = Date.now() + me.updateInterval;
  for (;;) {
    await sleep(Math.max(0, next - Date.now()));
    next += me.updateInterval;
    if (servers.shuttingDown) return;
    const problem = await refreshLease(db, machineName, pid, me.waitInterval).catch(dbDown);
    if (problem) die(problem);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const { confFile, baseDirectory } = parseArgs(process.argv.slice(2));
  const conf = await loadConfig(confFile).catch(dieOnConfigError);
  const me = conf.mutualExclusion;
  if (me.on && me.waitInterval <= me.updateInterval) {
    die(
      `Config error: enterpriseConfiguration.mutualExclusionConfiguration.waitInterval (${me.waitInterval}) must be greater than updateInterval (${me.updateInterval}); the node does not start`,
    );
  }
  const machineName = `${baseDirectory}/${me.machineName ?? hostname()}`;
  const pid = String(process.pid);
  const identity: Identity = (traffic) =>
    `${JSON.stringify({ standIn: 'corda', traffic, machine: conf.machineAddress, machineName, pid: process.pid, legalName: conf.legalName })}\n`;
  log('INFO ', `starting ${conf.legalName} on ${conf.machineAddress} (base directory ${baseDirectory}, mutual exclusion ${me.on ? 'on' : 'off'})`);
  const servers = new Servers();
  // Monitoring (Jolokia in a real node) starts before the lease: it answers on the cold node too.
  if (conf.monitoringPort) await servers.open(httpIdentity(identity, 'monitoring'), conf.machineAddress, conf.monitoringPort, 'monitoring');
  const db = await connectDatabase(conf);
  if (me.on) await claimOrExit(db, conf, machineName, pid);
  await serve(conf, identity, servers);
  const organisation = /O=([^,]+)/.exec(conf.legalName)?.[1] ?? conf.legalName;
  log('INFO ', `Node for "${organisation}" started up and registered in ${((Date.now() - started) / 1000).toFixed(2)} sec`);
  if (me.on) await refreshLoop(db, conf, machineName, pid, servers);
}

main().catch((err: unknown) => die(`unexpected failure: ${(err as Error).stack ?? String(err)}`));
