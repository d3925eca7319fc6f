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
 * node.conf files come from the pair's writer (common/corda/layout.ts), with the container view:
 * `p2pAddress = ${LB_ADDRESS}":10002"` with `LB_ADDRESS=corda-lb`, `rpcSettings.address = "primary:10003"`,
 * `dataSource.url = jdbc:postgresql://corda-db:5432/corda`, and the mutual-exclusion block. Variants are the Corda
 * rows of the variants table (../variants.ts), applied from their `changes` as the local environment applies them
 * (common/corda/variant.ts). Every container sees the base directory `/opt/corda`, so the lease's `machine_name` is
 * `/opt/corda/<machineName>`, and a variant's shared base directory (`same-machine-name`) needs no trick here: two
 * containers with one machineName and one base directory are "one machine" to the lease, as in production.
 *
 * ## Start-up
 *
 * `startDockerCorda` runs the phases of phases.ts — prepare, the database and the observer (in parallel), the
 * nodes, the load balancer — and then collects what the drills and checks need (collect.ts). One module per
 * service: database.ts, node.ts, load-balancer.ts, observer.ts (with mirror.ts); faults.ts is what the drills
 * inject, partition.ts the drill only real networks allow; pair.ts holds the addresses and ports they share.
 */
import type { LiveEvidence } from '../../evidence/model.ts';
import type { Observation } from '../../drills/observation.ts';
import type { CordaLiveTarget } from '../../drills/corda-sampler.ts';
import type { CordaDrillTarget } from '../../drills/corda-drills.ts';
import type { CordaFaultInjector } from '../../drills/corda-faults.ts';
import type { EnvironmentSettings } from '../types.ts';
import type { CordaPairSettings } from '../common/corda/settings.ts';
import type { PartitionInjector } from './partition.ts';
import type { DockerCordaOptions } from './pair.ts';
import { prepare, startNodes } from './phases.ts';
import { startDatabase } from './database.ts';
import { startObserver } from './observer.ts';
import { startLoadBalancer } from './load-balancer.ts';
import { collect } from './collect.ts';

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

export async function startDockerCorda(o: DockerCordaOptions): Promise<StartedDockerCorda> {
  const run = await prepare(o);
  const [database, observer] = await Promise.all([startDatabase(run), startObserver(run)]);
  const pair = await startNodes(run, observer);
  const loadBalancer = await startLoadBalancer(run, [pair.primary, pair.backup]);
  return collect(run, database, observer, loadBalancer, pair);
}
