/**
 * One Corda node of the local pair, as a service: its base directory (the primary's identity files, or a copy of
 * its original's), its node.conf with the variant's mutual-exclusion block, its own path to the database (a relay
 * the drills cut), and its process under a supervisor that restarts it. `addNode` writes and wires a node; the
 * caller starts it (`node.sup.start()`). `NodeSet` holds the nodes of a run, duplicates included.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import type { CordaNodeEndpoint } from '../../../drills/corda-sampler.ts';
import type { CordaChanges } from '../../variants.ts';
import type { Resources } from '../../common/resources.ts';
import type { CordaPairSettings } from '../../common/corda/settings.ts';
import { createBaseDirectory, renderNodeConf, DB_PASSWORD_VAR, LB_ADDRESS_VAR } from '../../common/corda/layout.ts';
import { baseDirectoryOf, mutualExclusionOf } from '../../common/corda/variant.ts';
import type { DbRelays, NodeRelay } from './db-relays.ts';
import { SupervisedNode } from './supervisor.ts';

export interface LocalCordaNode {
  name: string;
  role: 'primary' | 'backup' | 'duplicate';
  /** the machine address the node serves on */
  machine: string;
  confFile: string;
  baseDirectory: string;
  /** what the node writes as the lease's machine_name */
  leaseName: string;
  relay: NodeRelay;
  sup: SupervisedNode;
}

/** What every node of a run shares: where its files go, the database, the load balancer's address, the variant. */
export interface NodeContext {
  resources: Resources;
  log: (line: string) => void;
  s: CordaPairSettings;
  changes: CordaChanges;
  /** the run's Corda dir: each node's own base directory is `<root>/<name>` */
  root: string;
  sharedDrive: string;
  lbAddress: string;
  database: { url: string; user: string; password: string };
  relays: DbRelays;
  /** false once the part is stopping: nothing new may start */
  alive: () => boolean;
}

/** Write and wire a node; `original` is the node it copies (the primary for the backup, the original for a duplicate). */
export async function addNode(ctx: NodeContext, name: string, role: LocalCordaNode['role'], machine: string, original?: LocalCordaNode): Promise<LocalCordaNode> {
  const { resources, s } = ctx;
  const own = join(ctx.root, name);
  await createBaseDirectory(own, ctx.sharedDrive, resources.runId, original?.baseDirectory);
  const confFile = join(own, 'node.conf');
  // a duplicate runs a copy of its original's node.conf (same machineName), on its own machine
  const mutualExclusion = mutualExclusionOf(ctx.changes, s, name);
  await writeFile(
    confFile,
    renderNodeConf({
      name,
      machine,
      lbAddress: ctx.lbAddress,
      ports: s.ports,
      database: { url: ctx.database.url, user: ctx.database.user },
      mutualExclusion,
      runId: resources.runId,
    }),
  );
  const baseDirectory = baseDirectoryOf(ctx.changes, own, original?.baseDirectory);
  const relay = await ctx.relays.add(name);
  if (!ctx.alive()) {
    await relay.close();
    throw new BrokenError(`the Corda environment stopped while ${name} was being set up`);
  }
  const env = { [LB_ADDRESS_VAR]: ctx.lbAddress, [DB_PASSWORD_VAR]: ctx.database.password, HA_STANDIN_DB_ROUTE: relay.address };
  const quickMs = Math.max(s.waitIntervalMs, 500);
  const sup = new SupervisedNode(resources, { name, confFile, baseDirectory, machine, env }, s.restartBackoffMs, quickMs, ctx.log, ctx.alive);
  return { name, role, machine, confFile, baseDirectory, leaseName: `${baseDirectory}/${mutualExclusion.machineName}`, relay, sup };
}

/** The nodes of a run by name, and how often each has exited (kept after a duplicate is removed). */
export class NodeSet {
  private readonly nodes = new Map<string, LocalCordaNode>();
  private readonly exitCounts = new Map<string, () => number>();

  constructor(private readonly alive: () => boolean) {}

  add(node: LocalCordaNode): LocalCordaNode {
    this.nodes.set(node.name, node);
    this.exitCounts.set(node.name, () => node.sup.exits.length);
    return node;
  }

  /** the node of that name; an environment problem when the part is stopped or there is none */
  get(name: string): LocalCordaNode {
    if (!this.alive()) throw new BrokenError('the Corda environment is stopped');
    const n = this.nodes.get(name);
    if (!n) throw new BrokenError(`no Corda node named ${name} (known: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  find(name: string): LocalCordaNode | undefined {
    return this.nodes.get(name);
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  remove(name: string): void {
    this.nodes.delete(name);
  }

  all(): LocalCordaNode[] {
    return [...this.nodes.values()];
  }

  exits(name: string): number {
    return this.exitCounts.get(name)?.() ?? 0;
  }

  /** what the sampler dials: every node's machine, lease name and process */
  endpoints(): CordaNodeEndpoint[] {
    return this.all().map((n) => ({ name: n.name, machine: n.machine, leaseName: n.leaseName, pid: n.sup.pid }));
  }
}
