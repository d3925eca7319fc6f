/**
 * The target descriptor: one YAML file that says what a deployment is and where its evidence lives.
 * These are the types *after* loading: `extends` merged, relative paths resolved against the folder of the file
 * that declared them, `${ENV}` references expanded, defaults applied.
 *
 * YAML shape (every section optional except `name`):
 *
 * ```yaml
 * apiVersion: ha-conformance/v1
 * name: reference
 * extends: ../../reference/target.yaml   # overlay: maps merge deeply, lists of named items merge by `name`
 * disposable: false                      # drills may run only when true (or the operator passes a flag)
 * settings: { maxRoundTripMs: 100, minConsenters: 5, now: 2026-01-01T00:00:00Z }   # every key: evidence/settings.ts
 * regions:
 *   - name: r1
 *     kubernetes:                        # the region's cluster
 *       manifests: [k8s/r1]              # files or directories of YAML
 *       kindConfig: k8s/r1/kind-config.yaml
 *       context: kind-r1                 # live: a kubeconfig context
 *       kubeconfig: ~/.kube/config       #   in this file (--live never reads $KUBECONFIG on its own)
 *       # inCluster: true                  # live, instead of context: the service account of the pod ha-validate runs in
 * fabric:
 *   ordering:
 *     - name: org0
 *       mspId: Org0MSP
 *       ca: [crypto/org0/ca.pem, crypto/org0/tlsca.pem]
 *       nodes:
 *         # region, workerNode, zone: claims, cross-checked with the Kubernetes evidence (optional where it shows them)
 *         - { name: org0-orderer1, region: r1, workerNode: r1-worker, zone: r1-a, host: org0-orderer1, port: 6050,
 *             tlsCert: crypto/org0/orderer1/tls.pem, enrollmentCert: crypto/org0/orderer1/cert.pem,
 *             operations: https://127.1.0.1:8443, admin: https://127.1.0.1:9443,
 *             config: config/org0-orderer1/orderer.yaml }   # optional: where no manifest shows its configuration
 *   organizations:
 *     - name: org1
 *       mspId: Org1MSP
 *       ca: [crypto/org1/ca.pem]
 *       gatewayService: org1-peer-gateway-svc
 *       gatewayAliases: [org1-peer-gateway-svc.localho.st]
 *       peers:
 *         - { name: org1-peer1, region: r1, host: org1-peer1, port: 7051, tlsCert: crypto/org1/peer1/tls.pem,
 *             channels: [mychannel] }
 *   channels:
 *     - { name: mychannel, config: channels/mychannel.pb }   # .pb (common.Block or common.Config) or configtxlator .json
 *   roundTripMeasurements: measured/round-trips.yaml        # optional: FAB-ORD-07 figures an operator measured
 * corda:
 *   nodes:
 *     - { name: primary, role: primary, config: corda/primary/node.conf, machine: 10.0.0.4,
 *         baseDirectory: corda/primary, env: { LB_ADDRESS: 10.0.0.10 } }
 *   loadBalancer:
 *     address: 10.0.0.10
 *     export: lb/azure-lb.json            # Azure `az network lb show` or AWS `describe-load-balancers` JSON,
 *     format: azure                       #   or a HAProxy configuration file (format: haproxy); auto-detected if absent
 *   database: { url: jdbc:postgresql://db:5432/corda, user: corda, password: ${CORDA_DB_PASSWORD} }
 *   ports: { p2p: 10002, rpc: 10003, web: 10004 }
 *   filesToMatch: [certificates, additional-node-infos, network-parameters, cordapps]
 * live: {}                                # where --live may connect; filled by environments that provision; see LiveEndpoints
 * waivers:                                # accepted violations, reported as "waived" until they expire
 *   - { id: FAB-ORD-07, scope: r3, justification: "r3 is 140 ms away; accepted by ops (CHG-1234)", expires: 2026-06-30 }
 * ```
 */

export interface RegionSpec {
  name: string;
  kubernetes?: {
    manifests?: string[];
    kindConfig?: string;
    context?: string;
    kubeconfig?: string;
    /**
     * live: read this region's cluster through the service account of the pod ha-validate runs in (the in-cluster
     * configuration), instead of a kubeconfig context. An explicit opt-in: never assumed from the environment.
     */
    inCluster?: boolean;
  };
}

export interface OrderingNodeSpec {
  name: string;
  /**
   * Where the node runs, as the descriptor claims it. Claims are cross-checked with the evidence (the region whose
   * Kubernetes manifests or API hold its workload, its pod's worker node and that node's zone) and a disagreement
   * fails the guarantee that depends on it; without evidence the claim is what places the node.
   */
  region?: string;
  workerNode?: string;
  zone?: string;
  host: string;
  port: number;
  tlsCert?: string;
  enrollmentCert?: string;
  /** operations endpoint (metrics, healthz), e.g. https://127.1.0.1:8443 */
  operations?: string;
  /** admin endpoint (channel participation API) */
  admin?: string;
  /**
   * its orderer.yaml, for a node whose configuration no Kubernetes manifest shows (outside Kubernetes, or to state
   * it besides): the configuration FAB-ORD-11 and FAB-ORD-12 read
   */
  config?: string;
}

export interface OrderingOrgSpec {
  name: string;
  mspId: string;
  ca: string[];
  nodes: OrderingNodeSpec[];
}

export interface PeerSpec {
  name: string;
  /** the region it runs in, as claimed (see OrderingNodeSpec.region) */
  region?: string;
  host: string;
  port: number;
  tlsCert?: string;
  enrollmentCert?: string;
  channels?: string[];
  operations?: string;
  /** its core.yaml, for a peer whose configuration no Kubernetes manifest shows (FAB-ORD-11, FAB-PEER-06) */
  config?: string;
}

export interface OrganizationSpec {
  name: string;
  mspId: string;
  ca: string[];
  gatewayService?: string;
  gatewayAliases?: string[];
  peers: PeerSpec[];
}

export interface ChannelSpec {
  name: string;
  config: string;
}

export interface FabricSpec {
  ordering: OrderingOrgSpec[];
  organizations: OrganizationSpec[];
  channels: ChannelSpec[];
  /**
   * FAB-ORD-07: an operator's file of measured round trips between ordering nodes (YAML or JSON:
   * `{ measuredBy, measuredAt?, roundTrips: [{ from, to, ms }] }`, see evidence/live/round-trips.ts)
   */
  roundTripMeasurements?: string;
}

export interface CordaNodeSpec {
  name: string;
  role: 'primary' | 'backup';
  config: string;
  machine: string;
  baseDirectory?: string;
  /** variables for `${VAR}` substitution in node.conf (merged over the process environment) */
  env?: Record<string, string>;
}

export interface CordaSpec {
  nodes: CordaNodeSpec[];
  loadBalancer?: {
    address?: string;
    export?: string;
    format?: 'azure' | 'aws' | 'haproxy';
  };
  database?: { url?: string; user?: string; password?: string };
  ports: { p2p: number; rpc: number; web: number };
  filesToMatch: string[];
}

/**
 * Live endpoints, written by an environment that provisions (or by an operator for an existing deployment).
 * Everything here is an address the harness may connect to; nothing here is changed by `validate`.
 */
export interface LiveEndpoints {
  /** host names → addresses, so checks dial names (as clients would) without touching DNS */
  hosts?: Record<string, string>;
  /** dial host names the `hosts` map does not list through the machine's resolver (default false: only listed ones) */
  resolveNames?: boolean;
  /** Corda: PostgreSQL connection for the lease table (password via ${ENV}) */
  database?: { host: string; port: number; database: string; user: string; password?: string };
  /** HAProxy runtime API (stats socket path) or stats URL, for the load balancer's own view */
  loadBalancerAdmin?: string;
  /** Kubernetes: the namespace live reads are limited to (default: every namespace) */
  namespace?: string;
  /** Kubernetes: what a region's kubeconfig may make the harness do */
  kubernetes?: {
    /** let exec and auth-provider plugins run (default false: such a context is refused) */
    allowExecAuth?: boolean;
    /** a region with a context but no kubeconfig uses $KUBECONFIG or ~/.kube/config (default false: refused) */
    ambientKubeconfig?: boolean;
  };
  /** records a provisioning environment writes about what it started (runId, fabricGateways, kind, docker, …; see the schema) */
  [key: string]: unknown;
}

/**
 * An accepted violation. While it holds, a failed result of guarantee `id` whose problems all name `scope` (every
 * problem when there is no scope) is reported as "waived" and does not fail the gate; an expired waiver covers
 * nothing, so the violation fails again. See support/waivers.ts.
 */
export interface WaiverSpec {
  /** the guarantee ID, as written (matched case-insensitively) */
  id: string;
  /** a channel, node, organization, region or Service name the waiver is limited to */
  scope?: string;
  justification: string;
  /** `YYYY-MM-DD` (through the end of that day, UTC) or an ISO-8601 time */
  expires: string;
  /** where it is declared: the file and field (`waivers[2]`), for reports that point at it */
  declaredIn: { file: string; field: string };
}

export interface TargetDescriptor {
  apiVersion: string;
  name: string;
  /** absolute path of the descriptor file */
  file: string;
  disposable: boolean;
  settings: Record<string, unknown>;
  regions: RegionSpec[];
  fabric?: FabricSpec;
  corda?: CordaSpec;
  live: LiveEndpoints;
  /** accepted violations (empty when none) */
  waivers: WaiverSpec[];
  /** every `${VAR}` value expanded from the environment: redacted wherever it would be displayed */
  secrets: string[];
}
