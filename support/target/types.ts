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
 * settings: { maxRoundTripMs: 100, certExpiryWarningDays: 30, now: 2026-01-01T00:00:00Z }
 * regions:
 *   - name: r1
 *     kubernetes:                        # the region's cluster
 *       manifests: [k8s/r1]              # files or directories of YAML
 *       kindConfig: k8s/r1/kind-config.yaml
 *       context: kind-r1                 # live: a kubeconfig context
 *       kubeconfig: ~/.kube/config       #   in this file (--live never reads $KUBECONFIG on its own)
 * fabric:
 *   ordering:
 *     - name: org0
 *       mspId: Org0MSP
 *       ca: [crypto/org0/ca.pem, crypto/org0/tlsca.pem]
 *       nodes:
 *         - { name: org0-orderer1, region: r1, host: org0-orderer1, port: 6050,
 *             tlsCert: crypto/org0/orderer1/tls.pem, enrollmentCert: crypto/org0/orderer1/cert.pem,
 *             operations: https://127.1.0.1:8443, admin: https://127.1.0.1:9443 }
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
 * ```
 */

export interface RegionSpec {
  name: string;
  kubernetes?: {
    manifests?: string[];
    kindConfig?: string;
    context?: string;
    kubeconfig?: string;
  };
}

export interface OrderingNodeSpec {
  name: string;
  region: string;
  host: string;
  port: number;
  tlsCert?: string;
  enrollmentCert?: string;
  /** operations endpoint (metrics, healthz), e.g. https://127.1.0.1:8443 */
  operations?: string;
  /** admin endpoint (channel participation API) */
  admin?: string;
}

export interface OrderingOrgSpec {
  name: string;
  mspId: string;
  ca: string[];
  nodes: OrderingNodeSpec[];
}

export interface PeerSpec {
  name: string;
  region: string;
  host: string;
  port: number;
  tlsCert?: string;
  enrollmentCert?: string;
  channels?: string[];
  operations?: string;
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
  /** every `${VAR}` value expanded from the environment: redacted wherever it would be displayed */
  secrets: string[];
}
