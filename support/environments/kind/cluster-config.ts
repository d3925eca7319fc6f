/**
 * The KIND cluster of one region: `kind.x-k8s.io/v1alpha4` Cluster config with kube-proxy in ipvs mode (FAB-GW-02),
 * one control plane and N workers, each worker labelled with its region and a zone (`<region>-a`, `-b`, `-c`, …)
 * so that FAB-ORD-05's pod → node → zone placement is real, and every node labelled with the run id.
 * KIND names the node containers `<cluster>-control-plane`, `<cluster>-worker`, `<cluster>-worker2`, …
 */
import YAML from 'yaml';

export const KIND_API_VERSION = 'kind.x-k8s.io/v1alpha4';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** every node of a run carries it, so a person (or a later run) can tell whose cluster it is */
export const RUN_ID_LABEL = 'ha-conformance/run-id';
export const CLUSTER_PREFIX = 'hac-';

/** `hac-<runId>-<region>`: short (node host names must stay under 64 characters) and unique per run. */
export function clusterName(runId: string, region: string): string {
  const name = `${CLUSTER_PREFIX}${runId}-${region}`.toLowerCase();
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name) || name.length > 40) {
    throw new Error(`cannot name a KIND cluster "${name}" for run ${runId}, region ${region}: use lower-case letters, digits, '-' and '.', at most 40 characters`);
  }
  return name;
}

/** The run id and region of a cluster this harness named, or undefined for anyone else's cluster. */
export function parseClusterName(name: string): { runId: string; region: string } | undefined {
  const m = /^hac-([0-9a-f]+)-(.+)$/.exec(name);
  return m ? { runId: m[1], region: m[2] } : undefined;
}

/** The KIND context name of a cluster (`kind-<cluster>`). */
export function contextName(cluster: string): string {
  return `kind-${cluster}`;
}

export interface ClusterConfigOptions {
  runId: string;
  region: string;
  /** worker nodes (default 3) */
  workers?: number;
  /** distinct zones the workers are spread over, round robin (default 3: `<region>-a|b|c`) */
  zones?: number;
  /**
   * Distinct pod and Service subnets per cluster of a run (`10.24<i>.0.0/16`, `10.9<6+i>.0.0/16`… see
   * `clusterSubnets`), so traffic between regions' clusters never meets an address that means something else on
   * the other side. Absent: KIND's defaults.
   */
  subnetIndex?: number;
  /**
   * NodePorts published on the host's loopback through the control-plane node (`extraPortMappings`,
   * listenAddress 127.0.0.1): how the harness opens connections *through* a Service, so kube-proxy (ipvs) picks
   * the endpoint as it would for any client (FAB-GW-04).
   */
  portMappings?: Array<{ containerPort: number; hostPort: number }>;
  /** `ipvs` by default (FAB-GW-02); anything else only to build a violating cluster on purpose */
  kubeProxyMode?: 'ipvs' | 'iptables' | 'nftables' | 'none';
}

export interface KindNodeConfig {
  role: 'control-plane' | 'worker';
  labels: Record<string, string>;
  extraPortMappings?: Array<{ containerPort: number; hostPort: number; listenAddress: string; protocol: 'TCP' }>;
}

export interface KindClusterConfig {
  kind: 'Cluster';
  apiVersion: typeof KIND_API_VERSION;
  name: string;
  networking: { kubeProxyMode: string; podSubnet?: string; serviceSubnet?: string };
  nodes: KindNodeConfig[];
}

export function zoneName(region: string, index: number, zones = 3): string {
  return `${region}-${String.fromCharCode(97 + (index % zones))}`;
}

/** Pod and Service subnets of the i-th cluster of a run: 10.(240+i).0.0/16 and 10.(96+i).0.0/16 (i < 16). */
export function clusterSubnets(i: number): { podSubnet: string; serviceSubnet: string } {
  if (!Number.isInteger(i) || i < 0 || i > 15) throw new Error(`a run has at most 16 clusters with distinct subnets, got index ${i}`);
  return { podSubnet: `10.${240 + i}.0.0/16`, serviceSubnet: `10.${96 + i}.0.0/16` };
}

export function clusterConfig(o: ClusterConfigOptions): KindClusterConfig {
  const workers = o.workers ?? 3;
  const zones = o.zones ?? 3;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`region ${o.region}: workers must be a positive integer, got ${workers}`);
  if (!Number.isInteger(zones) || zones < 1 || zones > 26) throw new Error(`region ${o.region}: zones must be 1 to 26, got ${zones}`);
  const common = { [REGION_LABEL]: o.region, [RUN_ID_LABEL]: o.runId };
  return {
    kind: 'Cluster',
    apiVersion: KIND_API_VERSION,
    name: clusterName(o.runId, o.region),
    networking: { kubeProxyMode: o.kubeProxyMode ?? 'ipvs', ...(o.subnetIndex !== undefined ? clusterSubnets(o.subnetIndex) : {}) },
    nodes: [
      {
        role: 'control-plane',
        labels: { ...common },
        ...(o.portMappings?.length
          ? { extraPortMappings: o.portMappings.map((m) => ({ containerPort: m.containerPort, hostPort: m.hostPort, listenAddress: '127.0.0.1', protocol: 'TCP' as const })) }
          : {}),
      },
      ...Array.from({ length: workers }, (_, i) => ({
        role: 'worker' as const,
        labels: { ...common, [ZONE_LABEL]: zoneName(o.region, i, zones) },
      })),
    ],
  };
}

/** The config as the YAML file handed to `kind create cluster --config`. */
export function renderClusterConfig(o: ClusterConfigOptions): string {
  const config = clusterConfig(o);
  return `# KIND cluster for region ${o.region}, run ${o.runId} (written by ha-conformance)\n` + YAML.stringify(config, { lineWidth: 0 });
}

