/**
 * # The Corda hot-cold pair in containers
 *
 * | piece | container | networks (fixed address) | published on the host |
 * |---|---|---|---|
 * | shared database | PostgreSQL, alias `corda-db` | db `.10` | 5432 → 127.0.0.1:<free> (lease reads, CORDA-DB-01) |
 * | primary, backup | stand-in node under `/app/supervise`, aliases `primary`, `backup` | lb `.11`/`.12`, db `.11`/`.12` | nothing |
 * | load balancer | HAProxy, alias `corda-lb`; TCP probes P2P/RPC, `GET /` web | lb `.10` | 10002-10004 → `127.21.<k>.10` (same ports), runtime API 9999 → 127.0.0.1:<free> |
 * | observer | node-standin image running `observer.js` | lb `.20` | 8080 → 127.0.0.1:<free> |
 * | shared drive | a temp dir of the run, bind-mounted at `/opt/corda/artemis` in both nodes | | |
 *
 * Two networks per run: **db** carries database traffic only, **lb** the load balancer's (and the observer's).
 * So `cut-database` disconnects a node from db alone, and `partition` disconnects it from both at once — the
 * hot node cut off from the database and from the load balancer, a real partition. Addresses are fixed (the
 * subnets are pinned at creation, see engine.ts), so a reconnected node gets its address back and HAProxy's
 * resolved server address stays right.
 *
 * Probes: the lease row through the published database port; who answers through the load balancer through its
 * published ports on `127.21.<k>.10` (the stand-in's banner names its machine: `primary` / `backup`); the load
 * balancer's own view through its runtime API; and which ports of each node accept connections through the
 * observer, mirrored on `127.21.<k>.1` / `.2` / `.3` (mirror.ts explains why a published port cannot say it).
 * The Corda sampler and drills of drills/ run on these unchanged. The sampler names who answered through the
 * load balancer by the banner's `machine`, which is the node's alias on the lb network: aliases are chosen equal to
 * the node names (`primary`, `backup`, `backup-duplicate`) for that reason.
 *
 * node.conf files come from the local environment's writer (`renderNodeConf`), with the container view:
 * `p2pAddress = ${LB_ADDRESS}":10002"` with `LB_ADDRESS=corda-lb`, `rpcSettings.address = "primary:10003"`,
 * `dataSource.url = jdbc:postgresql://corda-db:5432/corda`, and the mutual-exclusion block. Variants are the local
 * Corda part's (`CORDA_VARIANTS`), applied the same way. Every container sees the base directory `/opt/corda`,
 * so the lease's `machine_name` is `/opt/corda/<machineName>`; the `same-machine-name` variant needs no trick here:
 * two containers with one machineName and one base directory are "one machine" to the lease, as in production.
 */
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type Dockerode from 'dockerode';
import type { LiveEvidence } from '../../evidence/model.ts';
import type { EnvironmentSettings } from '../types.ts';
import type { Observation } from '../../drills/observation.ts';
import { BrokenError } from '../../errors.ts';
import type { Resources } from '../shared/resources.ts';
import { renderConfig, parseShowStat, runtimeApi } from '../shared/haproxy.ts';
import { cordaVariant, mutualExclusionOf, poolOf, settlesInto, nodesRefuseToStart, webProbesMachineAgent } from '../shared/corda/variant.ts';
import { cordaSettings, type CordaPairSettings } from '../shared/corda/settings.ts';
import { createBaseDirectory, createSharedDrive, renderNodeConf, DB_PASSWORD_VAR, LB_ADDRESS_VAR, cordaDescriptorSection } from '../shared/corda/layout.ts';
import { BACKEND, TRAFFIC, cordaHaproxyConfig, type Traffic } from '../shared/corda/load-balancer.ts';
import { LEASE_TABLE_DDL } from '../shared/corda/database.ts';
import { readLeaseRow } from '../../evidence/live/collect.ts';
import { canBind } from '../shared/ports.ts';
import { CordaSampling, type CordaLiveTarget, type CordaNodeEndpoint } from '../../drills/corda-sampler.ts';
import { cordaObservations, cordaDrillTarget, type CordaDrillTarget } from '../../drills/corda-drills.ts';
import type { CordaFaultInjector } from '../../drills/corda-faults.ts';
import { TimelineRecorder, sleep } from '../../drills/timeline-recorder.ts';
import { IN_IMAGE, POSTGRES_UID } from './images/contract.ts';
import type { ImageChoice, Role } from './strategies.ts';
import { createNetwork, containerLogs, runLabels, startContainer, testcontainers, type Attachment, type RunNetwork, type RunningContainer } from './engine.ts';
import { PortMirror } from './mirror.ts';
import { partitionObservation, type PartitionInjector } from './partition.ts';

export const DB_ALIAS = 'corda-db';
export const LB_ALIAS = 'corda-lb';
const OBSERVER_PORT = 8080;
const STATS_PORT = 9999;
const HOST = { lb: 10, primary: 11, backup: 12, duplicate: 13, observer: 20, db: 10 } as const;

/**
 * The docker environment's defaults on top of the local Corda part's (settings.ts): a separate address block, a
 * longer settle bound for container start-up, and a larger stated failover tolerance: a fault goes through the
 * Docker API (`docker stop`, `network disconnect`: 0.3-2 s on a busy machine), and the drills count the failover
 * from the moment the fault is recorded, before it is injected. `dockerObserverIntervalMs` is how often the
 * observer dials each node port (each dial costs the node an accept; 40 ms keeps two cores free enough).
 */
export function dockerCordaDefaults(settings: Record<string, unknown>): Record<string, unknown> {
  const wait = typeof settings.cordaWaitIntervalMs === 'number' ? settings.cordaWaitIntervalMs : 1000;
  return { cordaAddressBase: '127.21', cordaSettleBoundMs: 30_000, cordaFailoverToleranceMs: wait + 6000, ...settings };
}

export function dockerPasswordVariable(runId: string): string {
  return `HA_DOCKER_CORDA_DB_PASSWORD_${runId}`;
}

export interface DockerCordaOptions {
  runId: string;
  resources: Resources;
  d: Dockerode;
  images: Record<Role, ImageChoice>;
  variant?: string;
  settings: Record<string, unknown>;
  log: (line: string) => void;
  /** track a container id the moment it is created (for cleanup of half-started runs) */
  track: (id: string) => void;
  /** the uid:gid the node and observer containers run as (files they write stay removable by the harness) */
  user: string;
}

interface NodeHandle {
  name: string;
  role: 'primary' | 'backup' | 'duplicate';
  /** the node's address on the lb network (its alias), what its node.conf says */
  machine: string;
  /** the harness's mirror address of this node */
  mirror: string;
  confFile: string;
  baseDirectory: string;
  stateDir: string;
  leaseName: string;
  lbIp: string;
  dbIp: string;
  container: RunningContainer;
}

export interface StartedDockerCorda {
  runId: string;
  variant: string | undefined;
  settings: CordaPairSettings;
  descriptor: Record<string, unknown>;
  /** the check settings this environment needs other than the defaults: the wider failover tolerance, with why */
  checkSettings: EnvironmentSettings;
  collectLive(): Promise<Partial<LiveEvidence>>;
  observations: Record<string, Observation>;
  unavailable: Record<string, string>;
  live: CordaLiveTarget;
  faults: CordaFaultInjector & PartitionInjector;
  drillTarget: CordaDrillTarget;
  timings: Record<string, number>;
  /** harness addresses: mirrors by node name, the load balancer as `lb` */
  addresses: Record<string, string>;
  containers: Record<string, string>;
  stop(): Promise<void>;
}

async function pickAddresses(s: CordaPairSettings): Promise<Record<'primary' | 'backup' | 'duplicate' | 'lb', string>> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const k = 1 + Math.floor(Math.random() * 254);
    const a = { primary: `${s.addressBase}.${k}.1`, backup: `${s.addressBase}.${k}.2`, duplicate: `${s.addressBase}.${k}.3`, lb: `${s.addressBase}.${k}.10` };
    const pairs = Object.values(a).flatMap((host) => TRAFFIC.map((t) => ({ host, port: s.ports[t] })));
    if (await canBind(pairs)) return a;
  }
  throw new BrokenError(`no free address block ${s.addressBase}.<k>.* with the Corda ports free after 40 tries`);
}


function exitsIn(stateDir: string): number {
  try {
    return readFileSync(join(stateDir, 'exits'), 'utf8').split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
}

function ignore(codes: number[]): (err: { statusCode?: number; message?: string }) => void {
  return (err) => {
    if (err.statusCode !== undefined && codes.includes(err.statusCode)) return;
    throw err;
  };
}

export interface NodeContainerInput {
  realCorda: boolean;
  confFile: string;
  sharedDrive: string;
  stateDir: string;
  /** HA_DOCKER_CORDA_DRIVERS: a directory with the PostgreSQL JDBC driver (real Corda only; preflight requires it) */
  drivers?: string;
  password: string;
  user?: string;
  restartBackoffMs: number;
}

/**
 * How a node container runs. A real Corda image (`corda/corda-enterprise`, the layout R3's image documents): its
 * `node.conf` at /etc/corda/node.conf, base directory /opt/corda with `artemis` on the shared drive and `drivers`
 * holding the JDBC driver, the licence accepted, minutes to start. The stand-in: the same node.conf and artemis
 * paths, its own state directory, a supervisor that restarts it, seconds to start.
 */
export function nodeContainerSpec(i: NodeContainerInput): {
  env: Record<string, string>;
  binds: Array<{ source: string; target: string; mode: 'ro' | 'rw' }>;
  readyLog: RegExp | string;
  startupTimeoutMs: number;
  user?: string;
} {
  const conf = { source: i.confFile, target: IN_IMAGE.nodeConf, mode: 'ro' as const };
  const artemis = { source: i.sharedDrive, target: `${IN_IMAGE.baseDirectory}/artemis`, mode: 'rw' as const };
  if (i.realCorda) {
    if (!i.drivers) throw new BrokenError('a real Corda node needs the PostgreSQL JDBC driver: set HA_DOCKER_CORDA_DRIVERS to a directory holding postgresql-<version>.jar');
    return {
      env: { ACCEPT_LICENSE: 'Y', [LB_ADDRESS_VAR]: LB_ALIAS, [DB_PASSWORD_VAR]: i.password },
      binds: [conf, artemis, { source: i.drivers, target: `${IN_IMAGE.baseDirectory}/drivers`, mode: 'ro' }],
      readyLog: /./,
      startupTimeoutMs: 120_000,
    };
  }
  return {
    env: { [LB_ADDRESS_VAR]: LB_ALIAS, [DB_PASSWORD_VAR]: i.password, RESTART_BACKOFF: String(i.restartBackoffMs / 1000) },
    binds: [conf, artemis, { source: i.stateDir, target: IN_IMAGE.stateDir, mode: 'rw' }],
    readyLog: 'supervise: starting',
    startupTimeoutMs: 15_000,
    ...(i.user ? { user: i.user } : {}),
  };
}

export async function startDockerCorda(o: DockerCordaOptions): Promise<StartedDockerCorda> {
  const t0 = Date.now();
  const { resources, d, runId, log } = o;
  const { Wait } = await testcontainers();
  const applied = cordaVariant('docker', o.variant);
  const variant = applied.name;
  const { dockerObserverIntervalMs, ...cordaKeys } = o.settings;
  const s = cordaSettings(dockerCordaDefaults(cordaKeys));
  const observerIntervalMs = typeof dockerObserverIntervalMs === 'number' && dockerObserverIntervalMs > 0 ? dockerObserverIntervalMs : 40;
  const timings: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  const realCorda = o.images.node.flavour === 'corda-enterprise';
  let closed = false;
  const containers: Record<string, string> = {};

  const addresses = await pickAddresses(s);
  const [dbNet, lbNet] = await Promise.all([
    createNetwork(d, `hac-${runId}-db`, runLabels(runId, 'network-database')),
    createNetwork(d, `hac-${runId}-lb`, runLabels(runId, 'network-load-balancer')),
  ]);
  timings.networksMs = Date.now() - t0;

  const root = await resources.tempDir('docker-corda');
  const sharedDrive = await createSharedDrive(root);
  await chmod(sharedDrive, 0o777);
  const password = randomBytes(18).toString('base64url');
  const dbUser = `corda_${runId}`;
  const pwVar = dockerPasswordVariable(runId);
  process.env[pwVar] = password;
  resources.onRelease('docker corda password variable', () => {
    delete process.env[pwVar];
  });
  const jdbcUrl = `jdbc:postgresql://${DB_ALIAS}:5432/corda`;

  // ---- database and observer, in parallel
  const tDb = Date.now();
  const dbChoice = o.images.database;
  const startDb = startContainer(
    d,
    {
      name: `hac-${runId}-db`,
      image: dbChoice.image,
      labels: runLabels(runId, 'database'),
      networks: [{ network: dbNet, aliases: [DB_ALIAS], ip: dbNet.address(HOST.db) }],
      env: { POSTGRES_USER: dbUser, POSTGRES_PASSWORD: password, ...(dbChoice.flavour === 'public-postgres' ? { POSTGRES_DB: 'corda' } : {}) },
      // a throw-away database: its files live in memory (initdb on the overlay file system is several times slower)
      tmpfs:
        dbChoice.flavour === 'public-postgres'
          ? { '/var/lib/postgresql/data': 'rw,mode=0700' }
          : { [dirname(IN_IMAGE.pgData)]: `rw,mode=0700,uid=${POSTGRES_UID},gid=${POSTGRES_UID}` },
      publish: [{ container: 5432, hostIp: '127.0.0.1', hostPort: 0 }],
      // the official image starts a temporary server for its init scripts first: the second "ready" is the real one
      wait: Wait.forLogMessage('database system is ready to accept connections', dbChoice.flavour === 'public-postgres' ? 2 : 1),
      startupTimeoutMs: 60_000,
    },
    o.track,
  );
  const startObserver = startContainer(
    d,
    {
      name: `hac-${runId}-observer`,
      image: o.images.observer.image,
      labels: runLabels(runId, 'observer'),
      networks: [{ network: lbNet, aliases: ['observer'], ip: lbNet.address(HOST.observer) }],
      user: o.user,
      entrypoint: [IN_IMAGE.node, IN_IMAGE.observer, '--port', String(OBSERVER_PORT)],
      publish: [{ container: OBSERVER_PORT, hostIp: '127.0.0.1', hostPort: 0 }],
      wait: Wait.forLogMessage('observer listening'),
      startupTimeoutMs: 15_000,
    },
    o.track,
  );
  const [db, observer] = await Promise.all([startDb, startObserver]);
  containers.database = db.id;
  containers.observer = observer.id;
  const dbPort = db.published(5432);
  const dbConn = { host: '127.0.0.1', port: dbPort, user: dbUser, password };
  const connect = async (database = 'corda', timeoutMs = 2000): Promise<pg.Client> => {
    const client = new pg.Client({ ...dbConn, database, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  // the database is ready when the harness can log in through the published port
  let admin: pg.Client | undefined;
  for (const deadline = Date.now() + 15_000; !admin; ) {
    try {
      admin = await connect('postgres', 2000);
    } catch (err) {
      if (Date.now() > deadline) throw new BrokenError(`PostgreSQL in ${db.name} did not accept the harness's login on 127.0.0.1:${dbPort} within 15 s: ${(err as Error).message}`, { cause: err });
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
  timings.databaseMs = Date.now() - tDb;
  log(`docker corda: PostgreSQL (${dbChoice.image}) ready in ${timings.databaseMs} ms, published on 127.0.0.1:${dbPort}`);

  const mirror = new PortMirror({
    observer: { host: '127.0.0.1', port: observer.published(OBSERVER_PORT) },
    ports: TRAFFIC.map((t) => s.ports[t]),
    intervalMs: observerIntervalMs,
    log: (l) => log(`docker corda: ${l}`),
  });
  resources.onRelease('docker corda port mirror', () => mirror.close());

  // ---- nodes
  const nodes = new Map<string, NodeHandle>();
  const nodeHost: Record<NodeHandle['role'], number> = { primary: HOST.primary, backup: HOST.backup, duplicate: HOST.duplicate };
  const mirrorOf: Record<NodeHandle['role'], string> = { primary: addresses.primary, backup: addresses.backup, duplicate: addresses.duplicate };

  async function addNode(name: string, role: NodeHandle['role'], copyFrom?: string): Promise<NodeHandle> {
    const own = join(root, name);
    await createBaseDirectory(own, sharedDrive, runId, copyFrom);
    const confFile = join(own, 'node.conf');
    // a duplicate runs a copy of its original's node.conf (same machineName), on its own machine
    const mutualExclusion = mutualExclusionOf(applied.changes, s, name);
    const conf = renderNodeConf({
      name,
      machine: name,
      lbAddress: LB_ALIAS,
      ports: s.ports,
      database: { url: jdbcUrl, user: dbUser },
      mutualExclusion,
      runId,
      // a real node here has no network operator: development certificates, no network map
      devMode: realCorda,
    });
    await writeFile(confFile, conf, { mode: 0o644 });
    const stateDir = join(root, 'state', name);
    await mkdir(stateDir, { recursive: true });
    await chmod(stateDir, 0o777);
    const lbIp = lbNet.address(nodeHost[role]);
    const dbIp = dbNet.address(nodeHost[role]);
    // The node's name resolves on the lb network only: the stand-in listens on the address its name resolves to
    // (rpcSettings.address), which must be the one the load balancer and the observer dial.
    const networks: Attachment[] = [
      { network: lbNet, aliases: [name], ip: lbIp },
      { network: dbNet, aliases: [], ip: dbIp },
    ];
    const common = {
      name: `hac-${runId}-${name}`,
      image: o.images.node.image,
      labels: runLabels(runId, `corda-${role}`),
      networks,
      // not the node's name: Docker maps the host name in /etc/hosts to whichever network it likes, and the name
      // must resolve to the lb address (see above)
      hostname: `${name}-host`,
      // The names a node uses resolve from /etc/hosts, not through Docker's DNS (slow under load, and a node's own
      // alias is then never answered with its db address): its own name, the database, the load balancer.
      extraHosts: { [name]: lbIp, [DB_ALIAS]: dbNet.address(HOST.db), [LB_ALIAS]: lbNet.address(HOST.lb) },
    };
    const spec = nodeContainerSpec({
      realCorda,
      confFile,
      sharedDrive,
      stateDir,
      drivers: process.env.HA_DOCKER_CORDA_DRIVERS,
      password,
      user: o.user,
      restartBackoffMs: s.restartBackoffMs,
    });
    const container = await startContainer(
      d,
      {
        ...common,
        ...(spec.user ? { user: spec.user } : {}),
        env: spec.env,
        binds: spec.binds,
        wait: Wait.forLogMessage(spec.readyLog),
        startupTimeoutMs: spec.startupTimeoutMs,
      },
      o.track,
    );
    const handle: NodeHandle = {
      name,
      role,
      machine: name,
      mirror: mirrorOf[role],
      confFile,
      baseDirectory: own,
      stateDir,
      leaseName: `${IN_IMAGE.baseDirectory}/${mutualExclusion.machineName}`,
      lbIp,
      dbIp,
      container,
    };
    nodes.set(name, handle);
    containers[name] = container.id;
    await mirror.setNodes([...nodes.values()].map((n) => ({ name: n.name, address: n.mirror, target: n.lbIp })));
    return handle;
  }

  const tPrimary = Date.now();
  const primary = await addNode('primary', 'primary');
  const refuses = nodesRefuseToStart(applied.changes);
  const primaryBound = realCorda ? 180_000 : s.settleBoundMs;
  for (;;) {
    if (mirror.latest.primary?.[String(s.ports.p2p)]) break;
    if (refuses && exitsIn(primary.stateDir) > 0) {
      log('docker corda: the primary refused to start, as the variant expects');
      break;
    }
    if (Date.now() - tPrimary > primaryBound) {
      const out = await containerLogs(d, primary.container.id).catch(() => '');
      throw new BrokenError(`docker corda: the primary did not open its P2P port within ${primaryBound} ms (seen from the observer):\n${out}`);
    }
    await sleep(50);
  }
  timings.primaryHotMs = Date.now() - tPrimary;
  const backup = await addNode('backup', 'backup', primary.baseDirectory);

  // ---- load balancer
  const tLb = Date.now();
  const lbDir = join(root, 'lb');
  await mkdir(lbDir, { recursive: true });
  await chmod(lbDir, 0o755);
  const members = poolOf(applied.changes, [primary, backup]).map((n) => ({ name: n.name, machine: n.machine }));
  const lbConfig = cordaHaproxyConfig(s, { address: '0.0.0.0', members, webCheckPort: webProbesMachineAgent(applied.changes) ? s.ports.monitoring : undefined });
  const lbConfigFile = join(lbDir, 'haproxy.cfg');
  await writeFile(
    lbConfigFile,
    `# The load balancer of docker run ${runId}: HAProxy in a container on the lb network; its runtime API is a TCP\n` +
      `# socket, published on the host's 127.0.0.1 only.\n` +
      renderConfig(lbConfig, `ipv4@0.0.0.0:${STATS_PORT}`),
    { mode: 0o644 },
  );
  const lbChoice = o.images.loadBalancer;
  const lb = await startContainer(
    d,
    {
      name: `hac-${runId}-lb`,
      image: lbChoice.image,
      labels: runLabels(runId, 'load-balancer'),
      networks: [{ network: lbNet, aliases: [LB_ALIAS], ip: lbNet.address(HOST.lb) }],
      extraHosts: Object.fromEntries([primary, backup].map((n) => [n.name, n.lbIp])),
      binds: [{ source: lbDir, target: '/usr/local/etc/haproxy', mode: 'ro' }],
      ...(lbChoice.flavour === 'public-haproxy' ? { cmd: ['haproxy', '-W', '-db', '-f', IN_IMAGE.haproxyConfig] } : {}),
      publish: [
        ...TRAFFIC.map((t) => ({ container: s.ports[t], hostIp: addresses.lb, hostPort: s.ports[t] })),
        { container: STATS_PORT, hostIp: '127.0.0.1', hostPort: 0 },
      ],
      wait: Wait.forLogMessage('Loading success.'),
      startupTimeoutMs: 15_000,
    },
    o.track,
  );
  containers.loadBalancer = lb.id;
  const statsPort = lb.published(STATS_PORT);
  timings.loadBalancerMs = Date.now() - tLb;

  // ---- live target
  // A small pool: the sampler has up to four samples in flight, each reading the lease once.
  const leasePool = new pg.Pool({ ...dbConn, database: 'corda', max: 4, connectionTimeoutMillis: 1000, query_timeout: 1000, idleTimeoutMillis: 5000 });
  leasePool.on('error', () => undefined);
  const readLease = async () => {
    if (closed) throw new BrokenError('the docker Corda environment is stopped');
    return readLeaseRow(leasePool as unknown as pg.Client);
  };
  resources.onRelease('docker corda lease reader', () => leasePool.end().catch(() => undefined));

  const live: CordaLiveTarget = {
    ports: { p2p: s.ports.p2p, rpc: s.ports.rpc, web: s.ports.web },
    nodes: (): CordaNodeEndpoint[] => [...nodes.values()].map((n) => ({ name: n.name, machine: n.mirror, leaseName: n.leaseName })),
    // a real node does not name itself on P2P/RPC/web, so "who answered" cannot be told through the load balancer
    lbAddress: realCorda ? undefined : addresses.lb,
    lbStat: async () => parseShowStat(await runtimeApi({ host: '127.0.0.1', port: statsPort }, 'show stat', 1000)),
    lbBackends: Object.fromEntries(TRAFFIC.map((t) => [BACKEND[t], t])) as Record<string, Traffic>,
    readLease,
  };
  if (realCorda) {
    for (const id of ['CORDA-LB-02', 'CORDA-LB-03']) {
      unavailable[id] = 'with a real Corda image the harness cannot tell which node answered through the load balancer (the nodes do not name themselves on P2P, RPC or web); only the stand-in image shows it';
    }
  }

  // ---- faults
  const node = (name: string): NodeHandle => {
    if (closed) throw new BrokenError('the docker Corda environment is stopped');
    const n = nodes.get(name);
    if (!n) throw new BrokenError(`no Corda node named ${name} (known: ${[...nodes.keys()].join(', ')})`);
    return n;
  };
  const attach = async (n: NodeHandle, net: RunNetwork) => {
    const ip = net === lbNet ? n.lbIp : n.dbIp;
    await d
      .getNetwork(net.id)
      .connect({ Container: n.container.id, EndpointConfig: { Aliases: net === lbNet ? [n.name] : [], IPAMConfig: { IPv4Address: ip } } })
      .catch((err: { statusCode?: number; message?: string }) => {
        // already connected
        if (err.statusCode === 403 && /already exists/i.test(err.message ?? '')) return;
        throw err;
      });
  };
  const detach = async (n: NodeHandle, net: RunNetwork) => {
    await d
      .getNetwork(net.id)
      .disconnect({ Container: n.container.id, Force: true })
      .catch((err: { statusCode?: number; message?: string }) => {
        if (err.statusCode === 404 || (err.statusCode === 500 && /is not connected/i.test(err.message ?? ''))) return;
        throw err;
      });
  };
  const state = async (n: NodeHandle) => {
    const info = await n.container.handle.inspect();
    return { running: info.State.Running, paused: info.State.Paused, networks: Object.keys(info.NetworkSettings.Networks ?? {}) };
  };

  async function removeDuplicate(name: string): Promise<void> {
    const dup = nodes.get(name);
    if (!dup || dup.role !== 'duplicate') return;
    nodes.delete(name);
    delete containers[name];
    await dup.container.handle.remove({ force: true, v: true }).catch(ignore([404]));
    await mirror.setNodes([...nodes.values()].map((n) => ({ name: n.name, address: n.mirror, target: n.lbIp })));
  }

  const faults: CordaFaultInjector & PartitionInjector = {
    stop: async (name, signal) => {
      const h = node(name).container.handle;
      if (signal === 'SIGKILL') await h.kill().catch(ignore([409]));
      else await h.stop({ t: 3 }).catch(ignore([304]));
    },
    start: async (name) => {
      const n = node(name);
      const st = await state(n);
      if (st.paused) await n.container.handle.unpause();
      else if (!st.running) await n.container.handle.start().catch(ignore([304]));
    },
    freeze: async (name) => {
      await node(name).container.handle.pause().catch(ignore([409]));
    },
    thaw: async (name) => {
      await node(name).container.handle.unpause().catch(ignore([409]));
    },
    cutDatabase: async (name) => detach(node(name), dbNet),
    restoreDatabase: async (name) => attach(node(name), dbNet),
    partition: async (name) => {
      const n = node(name);
      await Promise.all([detach(n, dbNet), detach(n, lbNet)]);
    },
    heal: async (name) => {
      const n = node(name);
      await Promise.all([attach(n, dbNet), attach(n, lbNet)]);
    },
    startDuplicate: async (of) => {
      const original = node(of);
      const name = `${of}-duplicate`;
      if (nodes.has(name)) throw new BrokenError(`a duplicate of ${of} is already running`);
      await addNode(name, 'duplicate', original.baseDirectory);
      return name;
    },
    stopDuplicate: removeDuplicate,
    exits: (name) => {
      const n = nodes.get(name);
      return n ? exitsIn(n.stateDir) : 0;
    },
    resetAll: async () => {
      if (closed) throw new BrokenError('the docker Corda environment is stopped');
      for (const n of [...nodes.values()]) {
        if (n.role === 'duplicate') {
          await removeDuplicate(n.name);
          continue;
        }
        const st = await state(n);
        if (st.paused) await n.container.handle.unpause();
        if (!st.networks.includes(dbNet.name)) await attach(n, dbNet);
        if (!st.networks.includes(lbNet.name)) await attach(n, lbNet);
        if (!st.running) await n.container.handle.start().catch(ignore([304]));
      }
    },
  };

  // ---- drills (the local part's steady states per variant; see local/corda/index.ts)
  const withLb = Boolean(live.lbAddress);
  const drillTarget = cordaDrillTarget(s, settlesInto(applied.changes), {
    live,
    faults,
    bothMayServe: true,
    // `docker start` of a stopped node, then the stand-in's start-up
    startAllowanceMs: realCorda ? 120_000 : 4000,
    // through the load balancer a probe crosses Docker's userland proxy and HAProxy: a little more time than locally
    timeouts: { connectMs: 100, routedMs: 750 },
  });

  const stop = async () => {
    if (closed) return;
    closed = true;
    await mirror.close();
    await leasePool.end().catch(() => undefined);
  };

  // ---- steady state before handing over
  const tSteady = Date.now();
  const probe = new CordaSampling(new TimelineRecorder('docker corda start-up'), live, s.sampleIntervalMs, drillTarget.timeouts);
  probe.start();
  const steady = await probe.waitFor(drillTarget.settled.test, realCorda ? 180_000 : s.settleBoundMs, drillTarget.settled.consecutive);
  await probe.stop();
  timings.steadyMs = Date.now() - tSteady;
  timings.totalMs = Date.now() - t0;
  if (!steady) {
    const msg = `docker corda: not steady within ${s.settleBoundMs} ms after start (last sample: ${JSON.stringify(probe.latest ?? null)})`;
    if (!variant) {
      const outs = await Promise.all([primary, backup].map(async (n) => `${n.name}:\n${await containerLogs(d, n.container.id).catch(() => '')}`));
      throw new BrokenError(`${msg}\n${outs.join('\n')}`);
    }
    log(msg);
  }
  log(
    `docker corda: ready in ${timings.totalMs} ms${variant ? ` (variant ${variant})` : ''}: load balancer ${addresses.lb}:${s.ports.p2p}-${s.ports.web}, ` +
      `node mirrors ${addresses.primary} / ${addresses.backup}, database 127.0.0.1:${dbPort}, runtime API 127.0.0.1:${statsPort}`,
  );

  const imagesUsed = Object.fromEntries(Object.entries(o.images).map(([role, c]) => [role, { image: c.image, flavour: c.flavour, skipped: c.skipped }]));
  const descriptor: Record<string, unknown> = {
    corda: cordaDescriptorSection({
      nodes: [primary, backup],
      lbAddress: LB_ALIAS,
      lbConfigFile,
      database: { url: jdbcUrl, user: dbUser },
      ports: s.ports,
      passwordVar: pwVar,
    }),
    live: {
      hosts: { [LB_ALIAS]: addresses.lb, primary: addresses.primary, backup: addresses.backup },
      database: { host: '127.0.0.1', port: dbPort, database: 'corda', user: dbUser, password: `\${${pwVar}}` },
      loadBalancerAdmin: `tcp://127.0.0.1:${statsPort}`,
      docker: {
        runId,
        networks: { database: { name: dbNet.name, subnet: dbNet.subnet }, loadBalancer: { name: lbNet.name, subnet: lbNet.subnet } },
        containers: { ...containers },
        images: imagesUsed,
        published: {
          database: `127.0.0.1:${dbPort}`,
          loadBalancer: TRAFFIC.map((t) => `${addresses.lb}:${s.ports[t]}`),
          runtimeApi: `127.0.0.1:${statsPort}`,
          observer: `127.0.0.1:${observer.published(OBSERVER_PORT)}`,
        },
        mirror: {
          note: 'which ports of each node accept connections, as the observer container sees them on the lb network, mirrored on these loopback addresses of the harness',
          primary: addresses.primary,
          backup: addresses.backup,
        },
      },
    },
  };

  async function collectLive(): Promise<Partial<LiveEvidence>> {
    const out: Partial<LiveEvidence> = {};
    const source = `postgresql://${dbUser}@127.0.0.1:${dbPort}/corda (container ${db.name})`;
    try {
      const c = await connect('corda', 2000);
      try {
        out.leaseRow = await readLeaseRow(c);
        out.database = { reachable: true, source };
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (err) {
      out.database = { reachable: false, error: (err as Error).message, source };
    }
    // the shared drive, through the nodes' own mounts: written in the primary's container, read in the backup's
    const marker = `${IN_IMAGE.baseDirectory}/artemis/.ha-conformance-shared-drive-${randomBytes(6).toString('hex')}`;
    const token = randomBytes(8).toString('hex');
    let seen = false;
    try {
      const w = await primary.container.started.exec(['/bin/sh', '-c', `printf %s ${token} > ${marker}`]);
      if (w.exitCode === 0) {
        const r = await backup.container.started.exec(['/bin/sh', '-c', `cat ${marker}`]);
        seen = r.exitCode === 0 && r.output.trim() === token;
      }
    } catch {
      seen = false;
    } finally {
      await primary.container.started.exec(['/bin/sh', '-c', `rm -f ${marker}`]).catch(() => undefined);
    }
    out.sharedDrive = {
      wroteThrough: `${primary.container.name}:${marker}`,
      readThrough: `${backup.container.name}:${marker}`,
      seen,
      source: `bind mount ${sharedDrive} at ${IN_IMAGE.baseDirectory}/artemis in both node containers`,
    };
    return out;
  }

  const observations: Record<string, Observation> = {
    ...cordaObservations(drillTarget),
    ...(withLb ? { [partitionObservation.key]: partitionObservation.create(drillTarget, faults, { networks: [dbNet.name, lbNet.name] }) } : {}),
  };
  if (!withLb) unavailable[partitionObservation.key] = unavailable['CORDA-LB-03'] ?? 'no load balancer';

  return {
    runId,
    variant,
    settings: s,
    descriptor,
    checkSettings: {
      failoverToleranceMs: {
        value: s.failoverToleranceMs,
        why:
          cordaKeys.cordaFailoverToleranceMs === undefined
            ? 'containers: waitInterval + 6000 ms, since a fault goes through the Docker API (0.3-2 s on a busy machine) and is counted from the moment it is recorded'
            : 'cordaFailoverToleranceMs of the docker settings',
      },
    },
    collectLive,
    observations,
    unavailable,
    live,
    faults,
    drillTarget,
    timings,
    addresses: { primary: addresses.primary, backup: addresses.backup, 'backup-duplicate': addresses.duplicate, lb: addresses.lb },
    containers,
    stop,
  };
}
