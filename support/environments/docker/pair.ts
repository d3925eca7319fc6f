/**
 * Where the Corda pair's containers sit on the run's two networks (fixed addresses, aliases, ports), the docker
 * environment's defaults on top of the pair's settings, and what every phase of the pair's start-up shares
 * (`DockerCordaStart`, made by `prepare` in phases.ts).
 */
import type Dockerode from 'dockerode';
import type { CordaPairSettings } from '../common/corda/settings.ts';
import type { PairAddresses } from '../common/corda/addresses.ts';
import type { AppliedCordaVariant } from '../common/corda/variant.ts';
import type { Resources } from '../common/resources.ts';
import type { ImageChoice, Role } from './strategies.ts';
import type { RunNetwork } from './containers.ts';

export const DB_ALIAS = 'corda-db';
export const LB_ALIAS = 'corda-lb';
export const OBSERVER_PORT = 8080;
export const STATS_PORT = 9999;
/** the last octet of each container's address on its networks */
export const HOST = { lb: 10, primary: 11, backup: 12, duplicate: 13, observer: 20, db: 10 } as const;

/**
 * The docker environment's defaults on top of the pair's (common/corda/settings.ts): a separate address block, a
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

/** What every phase works in: the options, settings, variant, networks, files, secrets, timings and lifecycle. */
export interface DockerCordaStart {
  o: DockerCordaOptions;
  t0: number;
  variant: AppliedCordaVariant;
  s: CordaPairSettings;
  /** true when the settings stated the failover tolerance (then its reason says so) */
  toleranceStated: boolean;
  observerIntervalMs: number;
  /** a Corda Enterprise image runs the nodes (not the stand-in) */
  realCorda: boolean;
  /** the harness's addresses: node mirrors and the load balancer's published address */
  addresses: PairAddresses;
  networks: { db: RunNetwork; lb: RunNetwork };
  /** the run's dir: node directories, state dirs, the load balancer's config, the shared drive */
  root: string;
  sharedDrive: string;
  database: { user: string; password: string; passwordVar: string; jdbcUrl: string };
  timings: Record<string, number>;
  unavailable: Record<string, string>;
  /** container ids by role (and node name) */
  containers: Record<string, string>;
  /** false once the pair is stopping */
  alive: () => boolean;
  close(): void;
}
