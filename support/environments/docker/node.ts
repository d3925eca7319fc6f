/**
 * One Corda node of the docker pair, as a service: a container of the node image (the stand-in under its
 * supervisor, or a real Corda Enterprise image), on the lb network under its own name (what its node.conf and the
 * load balancer use) and on the db network, with fixed addresses on both; its node.conf (the variant's
 * mutual-exclusion block) and the shared drive bind-mounted where the image reads them, and the stand-in's state
 * directory, where its supervisor counts the node's exits. `DockerNodeSet` holds the nodes of a run and keeps the
 * observer's mirror in step with them.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenError } from '../../errors.ts';
import type { CordaNodeEndpoint } from '../../drills/corda-sampler.ts';
import { createBaseDirectory, renderNodeConf, DB_PASSWORD_VAR, LB_ADDRESS_VAR } from '../common/corda/layout.ts';
import { mutualExclusionOf } from '../common/corda/variant.ts';
import { IN_IMAGE } from './images/contract.ts';
import { runLabels, testcontainers } from './engine.ts';
import { ignoreStatus, startContainer, type Attachment, type RunningContainer } from './containers.ts';
import type { PortMirror } from './mirror.ts';
import { DB_ALIAS, HOST, LB_ALIAS, type DockerCordaStart } from './pair.ts';

export interface DockerCordaNode {
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

/** How often a stand-in node has exited so far, as its supervisor wrote it to the state directory. */
export function exitsIn(stateDir: string): number {
  try {
    return readFileSync(join(stateDir, 'exits'), 'utf8').split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0;
  }
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

/** The node's files: its base directory (a copy of `copyFrom`'s identity files), node.conf and state directory. */
async function nodeFiles(c: DockerCordaStart, name: string, copyFrom: string | undefined) {
  const { s } = c;
  const own = join(c.root, name);
  await createBaseDirectory(own, c.sharedDrive, c.o.runId, copyFrom);
  const confFile = join(own, 'node.conf');
  // a duplicate runs a copy of its original's node.conf (same machineName), on its own machine
  const mutualExclusion = mutualExclusionOf(c.variant.changes, s, name);
  const conf = renderNodeConf({
    name,
    machine: name,
    lbAddress: LB_ALIAS,
    ports: s.ports,
    database: { url: c.database.jdbcUrl, user: c.database.user },
    mutualExclusion,
    runId: c.o.runId,
    // a real node here has no network operator: development certificates, no network map
    devMode: c.realCorda,
  });
  await writeFile(confFile, conf, { mode: 0o644 });
  const stateDir = join(c.root, 'state', name);
  await mkdir(stateDir, { recursive: true });
  await chmod(stateDir, 0o777);
  return { own, confFile, stateDir, leaseName: `${IN_IMAGE.baseDirectory}/${mutualExclusion.machineName}` };
}

/** Write a node's files and start its container (`copyFrom`: the base directory whose identity files it copies). */
export async function startNode(c: DockerCordaStart, name: string, role: DockerCordaNode['role'], copyFrom?: string): Promise<DockerCordaNode> {
  const { o, s } = c;
  const { Wait } = await testcontainers();
  const { own, confFile, stateDir, leaseName } = await nodeFiles(c, name, copyFrom);
  const { lb, db } = c.networks;
  const lbIp = lb.address(HOST[role]);
  const dbIp = db.address(HOST[role]);
  // The node's name resolves on the lb network only: the stand-in listens on the address its name resolves to
  // (rpcSettings.address), which must be the one the load balancer and the observer dial.
  const networks: Attachment[] = [
    { network: lb, aliases: [name], ip: lbIp },
    { network: db, aliases: [], ip: dbIp },
  ];
  const spec = nodeContainerSpec({
    realCorda: c.realCorda,
    confFile,
    sharedDrive: c.sharedDrive,
    stateDir,
    drivers: process.env.HA_DOCKER_CORDA_DRIVERS,
    password: c.database.password,
    user: o.user,
    restartBackoffMs: s.restartBackoffMs,
  });
  const container = await startContainer(
    o.d,
    {
      name: `hac-${o.runId}-${name}`,
      image: o.images.node.image,
      labels: runLabels(o.runId, `corda-${role}`),
      networks,
      // not the node's name: Docker maps the host name in /etc/hosts to whichever network it likes, and the name
      // must resolve to the lb address (see above)
      hostname: `${name}-host`,
      // The names a node uses resolve from /etc/hosts, not through Docker's DNS (slow under load, and a node's own
      // alias is then never answered with its db address): its own name, the database, the load balancer.
      extraHosts: { [name]: lbIp, [DB_ALIAS]: db.address(HOST.db), [LB_ALIAS]: lb.address(HOST.lb) },
      ...(spec.user ? { user: spec.user } : {}),
      env: spec.env,
      binds: spec.binds,
      wait: Wait.forLogMessage(spec.readyLog),
      startupTimeoutMs: spec.startupTimeoutMs,
    },
    o.track,
  );
  const mirror = c.addresses[role];
  return { name, role, machine: name, mirror, confFile, baseDirectory: own, stateDir, leaseName, lbIp, dbIp, container };
}

/** The nodes of a run by name, their container ids, and the observer's mirror of them. */
export class DockerNodeSet {
  private readonly nodes = new Map<string, DockerCordaNode>();

  constructor(
    private readonly c: DockerCordaStart,
    private readonly mirror: PortMirror,
  ) {}

  async add(node: DockerCordaNode): Promise<DockerCordaNode> {
    this.nodes.set(node.name, node);
    this.c.containers[node.name] = node.container.id;
    await this.mirrorNodes();
    return node;
  }

  /** remove a node's container (a duplicate's) and forget it */
  async remove(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    this.nodes.delete(name);
    delete this.c.containers[name];
    await node.container.handle.remove({ force: true, v: true }).catch(ignoreStatus([404]));
    await this.mirrorNodes();
  }

  private mirrorNodes(): Promise<void> {
    return this.mirror.setNodes(this.all().map((n) => ({ name: n.name, address: n.mirror, target: n.lbIp })));
  }

  /** the node of that name; an environment problem when the pair is stopped or there is none */
  get(name: string): DockerCordaNode {
    if (!this.c.alive()) throw new BrokenError('the docker Corda environment is stopped');
    const n = this.nodes.get(name);
    if (!n) throw new BrokenError(`no Corda node named ${name} (known: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  find(name: string): DockerCordaNode | undefined {
    return this.nodes.get(name);
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  all(): DockerCordaNode[] {
    return [...this.nodes.values()];
  }

  /** what the sampler dials: each node's mirror address, and its lease name */
  endpoints(): CordaNodeEndpoint[] {
    return this.all().map((n) => ({ name: n.name, machine: n.mirror, leaseName: n.leaseName }));
  }
}
