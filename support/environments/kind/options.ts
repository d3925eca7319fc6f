/**
 * What the kind environment is told: its options (regions, workers, node image, the deployment, timeouts, drill
 * bounds), from the caller or from the environment variables of the Cucumber `kind` profile, and the releases and
 * defaults it is tested with.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrderingProbe } from '../../drills/ordering-probe.ts';

/** The kind release this profile is tested against, and the node image built for it (from its release notes). */
export const KIND_VERSION = 'v0.29.0';
export const DEFAULT_NODE_IMAGE = 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f';
export const KIND_INSTALL_URL = 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation';
export const DOCKER_INSTALL_URL = 'https://docs.docker.com/engine/install/';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_REFERENCE_DIR = join(REPO_ROOT, 'fixtures', 'reference');

export interface KindDeployment {
  /**
   * A target descriptor of the deployment: its regions' `kubernetes.manifests` are applied (unless `manifests`
   * or `command` says otherwise) and it is the base (`extends`) of the descriptor written for the run.
   */
  descriptor?: string;
  /** manifests: one directory holding a sub-directory per region, or files/directories per region */
  manifests?: string | Record<string, string[]>;
  /**
   * A shell command run once per region after its cluster is up, with KUBECONFIG, HA_KUBE_CONTEXT, HA_REGION,
   * HA_KIND_CLUSTER, HA_NAMESPACE and HA_RUN_ID set. It deploys and waits for readiness itself.
   */
  command?: string;
}

export interface KindOptions {
  /** regions (default: the descriptor's, else r1, r2, r3) */
  regions?: string[];
  /** workers per region (default: 3, or the region's ordering nodes when more) */
  workers?: number;
  /** the node image (default `KIND_NODE_IMAGE`, else the image kind v0.29.0 was released with) */
  nodeImage?: string;
  /** the user's deployment; the bundled reference when absent */
  deployment?: KindDeployment;
  /** where the bundled reference lives (default `fixtures/reference`) */
  referenceDir?: string;
  /** namespace the evidence is read from (default `test-network`, as in fabric-samples test-network-k8s) */
  namespace?: string;
  timeouts?: {
    /** `kind create cluster`, per cluster (default 10 min) */
    createMs?: number;
    /** nodes Ready after creation (default 3 min) */
    nodesMs?: number;
    /** workloads ready after apply, per region (default 5 min) */
    readyMs?: number;
    /** the deploy command, per region (default 20 min) */
    commandMs?: number;
  };
  /** FAB-ORD-03 drill on kind */
  drill?: {
    /** how long the FAB-ORD-03 drill waits for a leader after each fault (default: the bound it is judged by) */
    boundMs?: number;
    catchUpBoundMs?: number;
    sampleIntervalMs?: number;
    /** orderer ports reached by port-forward (defaults 8443 and 9443, as in fabric-samples) and their scheme */
    operationsPort?: number;
    adminPort?: number;
    scheme?: 'http' | 'https';
    /** another way to look at the ordering service (TLS-secured endpoints, a test); replaces the port-forwarded `fabric` probe */
    probe?: OrderingProbe;
    /** FAB-ORD-12: how long a restarted ordering node may take to come back and catch up (default: the bound it is judged by) */
    restartBoundMs?: number;
    /** FAB-PEER-05: how long each organization's query may keep trying with a region down (default 60 s) */
    peerQueryBoundMs?: number;
    /** FAB-PEER-05: how long a region's peers may take to answer again after it returns (default 5 min) */
    peerRestoreBoundMs?: number;
    /** the peers' operations port (default 9443, as in fabric-samples), reached by port-forward */
    peerOperationsPort?: number;
    /** FAB-GW-04: new connections per gateway before and after the stop (default 12) */
    gatewayConnections?: number;
    /** FAB-GW-04: how long the Service's endpoints may take to drop a stopped peer and take it back (default 2 min) */
    gatewayViewBoundMs?: number;
    /** FAB-GW-04: how long an open connection to the stopped peer may take to break (default 35 s: the pod's grace period and more) */
    gatewayBreakWindowMs?: number;
  };
  /** `docker stop --time` when a region is lost (default 0: the region goes away at once) */
  stopGraceSeconds?: number;
  /** delete clusters `hac-<runId>-*` whose harness process is gone (default true) */
  reapOrphans?: boolean;
  runId?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got "${v}"`);
  return n;
}

/**
 * Options from the environment, for the Cucumber `kind` profile: HA_KIND_REGIONS (r1,r2,r3), HA_KIND_WORKERS,
 * KIND_NODE_IMAGE, HA_KIND_TARGET (descriptor), HA_KIND_MANIFESTS (directory with one sub-directory per region),
 * HA_KIND_DEPLOY (command), HA_KIND_NAMESPACE, HA_KIND_READY_TIMEOUT (seconds), HA_KIND_DRILL_BOUND_MS.
 */
export function kindOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): KindOptions {
  const deployment: KindDeployment = {};
  if (env.HA_KIND_TARGET) deployment.descriptor = resolve(env.HA_KIND_TARGET);
  if (env.HA_KIND_MANIFESTS) deployment.manifests = resolve(env.HA_KIND_MANIFESTS);
  if (env.HA_KIND_DEPLOY) deployment.command = env.HA_KIND_DEPLOY;
  const ready = num(env.HA_KIND_READY_TIMEOUT, 'HA_KIND_READY_TIMEOUT');
  const bound = num(env.HA_KIND_DRILL_BOUND_MS, 'HA_KIND_DRILL_BOUND_MS');
  return {
    regions: env.HA_KIND_REGIONS ? env.HA_KIND_REGIONS.split(',').map((r) => r.trim()).filter(Boolean) : undefined,
    workers: num(env.HA_KIND_WORKERS, 'HA_KIND_WORKERS'),
    nodeImage: env.KIND_NODE_IMAGE || undefined,
    deployment: Object.keys(deployment).length ? deployment : undefined,
    namespace: env.HA_KIND_NAMESPACE || undefined,
    timeouts: ready ? { readyMs: ready * 1000 } : undefined,
    drill: bound ? { boundMs: bound } : undefined,
    env,
    log,
  };
}
