/**
 * The phases of the local Corda part's start-up, in order (`startCorda` in index.ts calls them):
 *
 * 1. `prepare`: settings, the variant's changes, a free address block, the run's Corda dir;
 * 2. `startSharedDatabase`: PostgreSQL, the nodes' relay process and the shared drive (the last two come up while
 *    PostgreSQL initialises);
 * 3. `startPairLoadBalancer`: HAProxy (and the machine agents the variant probes), before the nodes, so that its
 *    probes have settled by the time the nodes are up; without HAProxy the load-balancer guarantees are unavailable;
 * 4. `startNodes`: the primary, until it is hot (or, where the variant makes the nodes refuse, until it refused),
 *    then the backup, which stays cold;
 * 5. `collect` (collect.ts): the live target, the fault injector and the drills, the steady state, the descriptor.
 *
 * Each phase takes what the earlier ones started and returns what it started; a failure in any of them is released
 * by the caller's `Resources`.
 */
import { BrokenError } from '../../../errors.ts';
import type { LocalPartOptions } from '../part.ts';
import { freePort } from '../../common/ports.ts';
import { HAPROXY_MISSING, haproxyBinary, type RunningHaproxy } from '../../common/haproxy.ts';
import { cordaSettings, type CordaPairSettings } from '../../common/corda/settings.ts';
import { createSharedDrive } from '../../common/corda/layout.ts';
import { pickPairAddresses, type PairAddresses } from '../../common/corda/addresses.ts';
import { cordaVariant, nodesRefuseToStart, type AppliedCordaVariant } from '../../common/corda/variant.ts';
import { tcpAccepts } from '../../../drills/corda-probes.ts';
import { sleep } from '../../../drills/timeline-recorder.ts';
import { startDatabase, type RunningDatabase } from './database.ts';
import { DbRelays } from './db-relays.ts';
import { addNode, NodeSet, type LocalCordaNode, type NodeContext } from './node.ts';
import { startLoadBalancer, startMachineAgents, type PairMachine } from './load-balancer.ts';

/** What every phase works in: the part's options, settings, variant, addresses, dir, timings and lifecycle. */
export interface CordaStart extends Pick<LocalPartOptions, 'resources' | 'log'> {
  t0: number;
  variant: AppliedCordaVariant;
  s: CordaPairSettings;
  addresses: PairAddresses;
  /** the run's Corda dir: node directories, the shared drive, the load balancer's files */
  root: string;
  /** start-up timings, ms */
  timings: Record<string, number>;
  /** guarantee ID → why it cannot be observed here */
  unavailable: Record<string, string>;
  /** aborted when the part stops: a drill in progress ends at once, and nothing new starts */
  abort: AbortController;
}

/** The environment variable the descriptor refers to for the database password of a run. */
export function passwordVariable(runId: string): string {
  return `HA_LOCAL_CORDA_DB_PASSWORD_${runId}`;
}

export async function prepare(options: LocalPartOptions): Promise<CordaStart> {
  const t0 = Date.now();
  const s = cordaSettings(options.settings);
  const addresses = await pickPairAddresses(s, [s.ports.p2p, s.ports.rpc, s.ports.web, s.ports.monitoring, s.ports.agent]);
  return {
    resources: options.resources,
    log: options.log,
    t0,
    variant: cordaVariant('local', options.variant),
    s,
    addresses,
    root: await options.resources.tempDir('corda'),
    timings: {},
    unavailable: {},
    abort: new AbortController(),
  };
}

export interface SharedDatabase {
  db: RunningDatabase;
  /** the nodes' paths to the database */
  relays: DbRelays;
  /** the shared network drive every node's artemis directory links to */
  sharedDrive: string;
  /** the environment variable holding the password while the part runs */
  passwordVar: string;
  jdbcUrl: string;
}

export async function startSharedDatabase(c: CordaStart): Promise<SharedDatabase> {
  const { resources, log } = c;
  const dbPort = await freePort('127.0.0.1');
  const relays = DbRelays.start(resources, c.root, { host: '127.0.0.1', port: dbPort });
  const dbStarting = startDatabase(resources, log, dbPort);
  dbStarting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const sharedDrive = await createSharedDrive(c.root);
  const db = await dbStarting;
  c.timings.databaseMs = db.startupMs;
  log(`corda: PostgreSQL ready on ${db.host}:${db.port} in ${db.startupMs} ms`);
  const passwordVar = passwordVariable(resources.runId);
  process.env[passwordVar] = db.password;
  resources.onRelease('corda database password variable', () => {
    delete process.env[passwordVar];
  });
  return { db, relays, sharedDrive, passwordVar, jdbcUrl: `jdbc:postgresql://${db.host}:${db.port}/${db.database}` };
}

/** the pair's two machines, as the load balancer sees them */
function pairMachines(c: CordaStart): PairMachine[] {
  return [
    { name: 'primary', role: 'primary', machine: c.addresses.primary },
    { name: 'backup', role: 'backup', machine: c.addresses.backup },
  ];
}

/** HAProxy in front of the pair, or undefined (and the load-balancer guarantees unavailable) when it is not installed. */
export async function startPairLoadBalancer(c: CordaStart): Promise<RunningHaproxy | undefined> {
  await startMachineAgents(c.resources, c.s, c.variant.changes, pairMachines(c));
  if (!haproxyBinary()) {
    for (const id of ['CORDA-LB-01', 'CORDA-LB-02', 'CORDA-LB-03']) c.unavailable[id] = HAPROXY_MISSING;
    c.log(`corda: ${HAPROXY_MISSING}`);
    return undefined;
  }
  return startLoadBalancer(c.resources, c.root, c.s, c.variant.changes, c.addresses.lb, pairMachines(c));
}

export interface LocalPair {
  nodes: NodeSet;
  primary: LocalCordaNode;
  backup: LocalCordaNode;
  /** writes and wires a copy of `of` on the spare machine (not started): the drills' duplicate */
  duplicate(of: LocalCordaNode, name: string): Promise<LocalCordaNode>;
}

export async function startNodes(c: CordaStart, d: SharedDatabase): Promise<LocalPair> {
  const alive = () => !c.abort.signal.aborted;
  const ctx: NodeContext = {
    resources: c.resources,
    log: c.log,
    s: c.s,
    changes: c.variant.changes,
    root: c.root,
    sharedDrive: d.sharedDrive,
    lbAddress: c.addresses.lb,
    database: { url: d.jdbcUrl, user: d.db.user, password: d.db.password },
    relays: d.relays,
    alive,
  };
  const nodes = new NodeSet(alive);
  const primary = nodes.add(await addNode(ctx, 'primary', 'primary', c.addresses.primary));
  const backup = nodes.add(await addNode(ctx, 'backup', 'backup', c.addresses.backup, primary));
  // The primary first, so that it is the hot one; then the backup, which stays cold.
  await startPrimary(c, primary);
  backup.sup.start();
  return { nodes, primary, backup, duplicate: (of, name) => addNode(ctx, name, 'duplicate', c.addresses.duplicate, of) };
}

/** Start the primary and wait until it opens P2P, or, where the variant makes the nodes refuse, until it refused. */
async function startPrimary(c: CordaStart, primary: LocalCordaNode): Promise<void> {
  const { s } = c;
  const t = Date.now();
  primary.sup.start();
  const refuses = nodesRefuseToStart(c.variant.changes);
  for (;;) {
    if (await tcpAccepts(primary.machine, s.ports.p2p, 100)) break;
    if (refuses && primary.sup.exits.length > 0) {
      c.log(`corda: the primary refused to start, as the variant expects: ${primary.sup.exits.at(-1)?.lastLine ?? ''}`);
      break;
    }
    if (Date.now() - t > s.startBoundMs) {
      throw new BrokenError(`corda: the primary stand-in did not open its P2P port ${primary.machine}:${s.ports.p2p} within ${s.startBoundMs} ms:\n${primary.sup.output()}`);
    }
    await sleep(50);
  }
  c.timings.primaryHotMs = Date.now() - t;
}
