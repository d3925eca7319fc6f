/**
 * The evidence model: plain typed data that collectors produce and checks consume.
 * Every item says where it came from (`source`: a file path, `file#field`, or a URL such as `tls://host:port`).
 * Nothing here holds a secret: collectors redact passwords, enroll secrets and key material before returning.
 *
 * Checks never know which environment produced the evidence: a manifest file, the Kubernetes API, a local
 * stand-in or a recorded response all land in these shapes.
 */

// ---------------------------------------------------------------------------------------------------------------
// Certificates

export interface CertificateInfo {
  /** where the certificate was read: a PEM file, `channel:<name>#consenter[2].server_tls_cert`, `tls://host:port` */
  source: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  /** SHA-256 of the DER certificate, hex, upper case with colons (Node's fingerprint256 format) */
  fingerprint256: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex */
  publicKeyFingerprint: string;
  keyType: string; // 'ec' | 'rsa' | ...
  curve?: string; // 'prime256v1' for Fabric
  dnsNames: string[];
  ipAddresses: string[];
  notBefore: string; // ISO-8601
  notAfter: string; // ISO-8601
  isCA: boolean;
  /**
   * The trusted CA (by its `source`) whose signature verifies this certificate, or null if none of the CAs the
   * descriptor names verifies it. Undefined when no CA was given to check against.
   */
  verifiedBy?: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Fabric

/**
 * One placement fact about a node (its region, worker node or zone) and what it rests on: `evidence` when the
 * deployment shows it (the region whose Kubernetes manifests or API context holds the node's workload, the pod's
 * worker node, that node's zone label), `claim` when only the descriptor says so.
 */
export interface PlacedValue {
  value: string;
  basis: 'evidence' | 'claim';
  /** the file (and object or field) it was read from: `k8s/r1/pods.yaml#Pod/org0-orderer1-0`, `target.yaml#…` */
  source: string;
}

/** What the descriptor says about where a node runs: claims, which the evidence cross-checks. */
export interface PlacementClaims {
  region?: string;
  workerNode?: string;
  zone?: string;
  /** the descriptor entry that states them: `target.yaml#fabric.ordering[0].nodes[3]` */
  source: string;
}

/** A claim the evidence contradicts (or evidence that contradicts itself: a workload in two regions). */
export interface PlacementConflict {
  field: 'region' | 'workerNode' | 'zone';
  /** the descriptor's claim, absent when it claims nothing */
  claim?: string;
  claimSource: string;
  /** what the evidence shows: one value, or several when the workload is found in more than one region */
  evidence: Array<{ value: string; source: string }>;
}

export interface NodePlacement {
  /** the region the node is judged in: the evidence's, else the claim's; absent when neither places it */
  region?: PlacedValue;
  workerNode?: PlacedValue;
  zone?: PlacedValue;
  conflicts: PlacementConflict[];
}

export interface OrderingNodeInfo {
  name: string;
  /** the ordering organization's name (descriptor) and MSP ID */
  org: string;
  mspId: string;
  /** the region it runs in (`placement.region`): evidence first, else the descriptor's claim; absent = unknown */
  region?: string;
  /** the host other orderers dial, as the descriptor says */
  host: string;
  port: number;
  /** worker node and zone (`placement`): from Kubernetes placement (pod → node → labels), else the claim */
  workerNode?: string;
  zone?: string;
  /** the TLS certificate (file) of this node, if the descriptor names one */
  tlsCert?: CertificateInfo;
  /** the enrolment (signing) certificate, if named */
  enrollmentCert?: CertificateInfo;
  /** the cluster this node runs in (its region's kubeconfig context, or the region), when it has Kubernetes evidence */
  cluster?: string;
  claims: PlacementClaims;
  placement: NodePlacement;
}

export interface PeerInfo {
  name: string;
  org: string;
  mspId: string;
  /** the region it runs in (`placement.region`): evidence first, else the descriptor's claim; absent = unknown */
  region?: string;
  host: string;
  port: number;
  tlsCert?: CertificateInfo;
  enrollmentCert?: CertificateInfo;
  /** channels this peer says it has joined (descriptor `channels` of the peer; absent = unknown) */
  channels?: string[];
  claims: PlacementClaims;
  placement: NodePlacement;
}

export interface FabricOrgInfo {
  name: string;
  mspId: string;
  /** the organization CA certificate(s) the descriptor names (root and TLS CA) */
  cas: CertificateInfo[];
  /** gateway Service name, e.g. org1-peer-gateway-svc */
  gatewayService?: string;
  /** domain-qualified gateway names that certificates are expected to carry too (optional) */
  gatewayAliases?: string[];
  peers: PeerInfo[];
}

export interface ConsenterInfo {
  host: string;
  port: number;
  /** BFT consenter mapping carries an id and MSP ID */
  id?: number;
  mspId?: string;
  serverTlsCert?: CertificateInfo;
  clientTlsCert?: CertificateInfo;
}

export interface ChannelOrgInfo {
  /** the group name under Application (or Orderer) */
  name: string;
  mspId?: string;
  anchorPeers: Array<{ host: string; port: number }>;
  /** root certificates of the org's MSP in the channel config */
  rootCerts: CertificateInfo[];
  /** the MSP's other certificates (FabricMSPConfig intermediate_certs, tls_root_certs, tls_intermediate_certs, admins) */
  intermediateCerts?: CertificateInfo[];
  tlsRootCerts?: CertificateInfo[];
  tlsIntermediateCerts?: CertificateInfo[];
  admins?: CertificateInfo[];
  /** an orderer organization's `Endpoints` value (org-level OrdererEndpoints); absent when the org has none */
  endpoints?: string[];
}

/** The capability levels a channel configuration requires, by group (`V2_0`, `V2_5`, …); absent = none set. */
export interface ChannelCapabilities {
  channel: string[];
  orderer: string[];
  application: string[];
}

export interface ChannelConfigInfo {
  name: string;
  /** the file it was decoded from */
  source: string;
  format: 'protobuf' | 'json';
  sequence: string;
  /** `etcdraft`, `BFT`, `solo`, ... */
  consensusType: string;
  consenters: ConsenterInfo[];
  /** true for an orderer system channel (it has a Consortiums group) */
  isSystemChannel: boolean;
  applicationOrgs: ChannelOrgInfo[];
  ordererOrgs: ChannelOrgInfo[];
  /** the capabilities of /Channel, /Channel/Orderer and /Channel/Application */
  capabilities?: ChannelCapabilities;
  /** the channel-level `OrdererAddresses` value (deprecated for org-level Endpoints); absent when not set */
  ordererAddresses?: string[];
  /** etcdraft channels: the Raft `Options` of the ConsensusType metadata, as the channel states them */
  raftOptions?: RaftOptionsInfo;
  /** the Orderer group's `BatchSize`: how large a block the ordering service may cut */
  batchSize?: BatchSizeInfo;
}

/** etcdraft `Options` (configtx.yaml `Orderer.EtcdRaft.Options`). */
export interface RaftOptionsInfo {
  /** a Go duration, as written: `500ms` */
  tickInterval: string;
  electionTick: number;
  heartbeatTick: number;
  maxInflightBlocks: number;
  /** bytes */
  snapshotIntervalSize: number;
  /** `file#field` it was read from */
  source: string;
}

/** `Orderer.BatchSize`: the most messages and bytes one block may carry. */
export interface BatchSizeInfo {
  maxMessageCount: number;
  /** bytes: no block's serialized messages exceed it */
  absoluteMaxBytes: number;
  /** bytes */
  preferredMaxBytes: number;
  source: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes

export interface PodAffinityInfo {
  /** required (hard) anti-affinity on this topology key, with the label selector it applies to */
  requiredAntiAffinity: Array<{ topologyKey: string; matchLabels: Record<string, string> }>;
  preferredAntiAffinity: Array<{ topologyKey: string; matchLabels: Record<string, string>; weight: number }>;
  /** required node affinity terms, flattened `key in [values]` */
  requiredNodeAffinity: Array<{ key: string; operator: string; values: string[] }>;
  /** topologySpreadConstraints with whenUnsatisfiable = DoNotSchedule */
  topologySpread: Array<{ topologyKey: string; maxSkew: number; hard: boolean; matchLabels: Record<string, string> }>;
}

export interface PodInfo {
  /** pod name; for a workload template, `<workload>-<i>` per replica */
  name: string;
  namespace: string;
  /** the Deployment / StatefulSet / Pod it comes from, `Kind/name` */
  owner: string;
  labels: Record<string, string>;
  containerPorts: number[];
  /** the image of each container (`spec.containers[].image`), in order */
  images?: Array<{ container: string; image: string }>;
  nodeName?: string;
  affinity: PodAffinityInfo;
  /** true when the pod is known to be ready (live), undefined for a manifest */
  ready?: boolean;
  /** its containers: image, environment and mounts (what a node's configuration is read from) */
  containers?: ContainerInfo[];
  /** its volumes, a StatefulSet's claim templates included (`type: 'volumeClaimTemplate'`) */
  volumes?: VolumeInfo[];
  source: string;
}

export interface ContainerInfo {
  name: string;
  image?: string;
  /** `env`, in order: a literal `value`, or `from` where Kubernetes takes it (a ConfigMap or Secret key, a field) */
  env: Array<{ name: string; value?: string; from?: { kind: 'configMap' | 'secret' | 'field' | 'resource'; name?: string; key?: string } }>;
  /** `envFrom`: every key of a ConfigMap or Secret becomes a variable (with the prefix) */
  envFrom: Array<{ kind: 'configMap' | 'secret'; name: string; prefix?: string }>;
  volumeMounts: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}

export interface VolumeInfo {
  name: string;
  /**
   * the volume source, by its key in the pod spec (`persistentVolumeClaim`, `emptyDir`, `hostPath`, `configMap`,
   * `secret`, `ephemeral`, `nfs`, …), or `volumeClaimTemplate` for a StatefulSet's claim template
   */
  type: string;
  /** persistentVolumeClaim / volumeClaimTemplate: the claim (a template's as the controller names it) */
  claimName?: string;
  /** configMap / secret: the object, and the items it maps (key → path) when it names some */
  object?: string;
  items?: Array<{ key: string; path: string }>;
  /** emptyDir `medium` (`Memory` = tmpfs), hostPath `path` */
  medium?: string;
  path?: string;
}

/**
 * A ConfigMap, with what the checks may read of it: the Fabric configuration keys of every data entry holding a
 * YAML file (`orderer.yaml`, `core.yaml`; nothing else of such a file is kept: it may hold passwords), and the plain
 * entries whose keys do not look secret (for `envFrom` and `configMapKeyRef`).
 */
export interface ConfigMapInfo {
  name: string;
  namespace: string;
  /** data key → plain value */
  data: Record<string, string>;
  /** data key of a YAML file → its Fabric keys (see evidence/fabric/node-config.ts), or why it could not be read */
  files: Record<string, { values: Record<string, FabricConfigScalar> } | { problem: string }>;
  source: string;
}

export type FabricConfigScalar = string | number | boolean | null;

export interface ServiceInfo {
  name: string;
  namespace: string;
  selector: Record<string, string>;
  ports: Array<{ name?: string; port: number; targetPort: number | string }>;
  type: string;
  /** live only: ready endpoint pod names */
  endpoints?: string[];
  source: string;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  source: string;
}

export interface KubernetesClusterInfo {
  /** the region this cluster is */
  region: string;
  /** `manifests`, `api` (live), or `kind-config` only */
  origin: 'manifests' | 'api';
  pods: PodInfo[];
  services: ServiceInfo[];
  nodes: NodeInfo[];
  /** from a KIND cluster config (`networking.kubeProxyMode`) or the kube-proxy ConfigMap; undefined = unknown */
  kubeProxyMode?: { mode: string; source: string };
  /** the ConfigMaps of the manifests (the live API does not read them: the manifests' are kept) */
  configMaps?: ConfigMapInfo[];
  sources: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Corda

export interface CordaNodeInfo {
  name: string;
  role: 'primary' | 'backup';
  /** node.conf path */
  source: string;
  /** the machine address of this node (descriptor) */
  machine: string;
  baseDirectory?: string;
  myLegalName?: string;
  p2pAddress?: string;
  rpcAddress?: string;
  adminAddress?: string;
  mutualExclusion: {
    on?: boolean;
    machineName?: string;
    updateInterval?: number;
    waitInterval?: number;
  };
  dataSource: { className?: string; url?: string; user?: string };
  /** field paths whose value still holds a literal `${...}` (quoted substitution that HOCON does not expand) */
  literalPlaceholders: Array<{ field: string; value: string }>;
  /** the artemis directory: the configured path and where it really points (symlinks resolved) */
  artemis?: { path: string; realPath?: string; exists: boolean };
  /** SHA-256 of the files that must match between primary and backup, by relative path */
  fileHashes: Record<string, string>;
  /** the parsed configuration with secrets redacted, for display */
  redactedConfig: Record<string, unknown>;
}

export type ProbeProtocol = 'tcp' | 'http' | 'https';

export interface LbProbe {
  name: string;
  protocol: ProbeProtocol;
  port: number;
  path?: string;
  intervalSeconds: number;
  unhealthyThreshold: number;
  healthyThreshold?: number;
}

export interface LbRule {
  name: string;
  protocol: string;
  frontendPort: number;
  backendPort: number;
  /** probe name, or undefined when the rule has none */
  probe?: string;
  /** backend pool name */
  pool?: string;
  /** 'none' when connections are distributed without session affinity (Azure `Default`) */
  sessionPersistence: string;
}

export interface LbPool {
  name: string;
  /** machine addresses or instance IDs */
  members: string[];
}

export interface LoadBalancerInfo {
  kind: 'azure' | 'aws' | 'haproxy';
  source: string;
  /** frontend address, when known */
  address?: string;
  probes: LbProbe[];
  rules: LbRule[];
  pools: LbPool[];
  /** AWS classic ELB: one load balancer per traffic type; names of the ELBs represented */
  loadBalancers?: string[];
  /**
   * The load balancer's own view of its members, when the export carries one (AWS `describe-instance-health`:
   * State InService | OutOfService | Unknown). `pool` is the pool (AWS: the ELB) the member belongs to.
   */
  memberHealth?: Array<{ pool: string; member: string; state: string; reason?: string }>;
}

export interface DatabaseInfo {
  url?: string;
  user?: string;
  source: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Live observations and drill timelines

/** One observation at a time, in milliseconds since the drill's start (`t`) and wall clock (`at`). */
export interface TimelineEvent {
  t: number;
  at: string;
  /** what kind of observation: 'sample', 'fault', 'restore', 'note', ... */
  kind: string;
  [key: string]: unknown;
}

export interface Timeline {
  drill: string;
  startedAt: string;
  events: TimelineEvent[];
  /** parameters the drill ran with (bounds, intervals) */
  params: Record<string, unknown>;
}

/**
 * Live observations, keyed by guarantee ID or by the kind of evidence. Each is produced by an environment or a
 * drill and judged by the check with the matching ID. Checks treat a missing entry as "no live evidence".
 */
export interface LiveEvidence {
  /** per guarantee ID: the recorded timeline of a drill or a sampling window */
  timelines: Record<string, Timeline>;
  /** consensus metrics per orderer: name → channel → metric → value */
  ordererMetrics?: Record<string, Record<string, Record<string, number>>>;
  /** channel participation per orderer: name → channel → info */
  participation?: Record<string, Record<string, { consensusRelation: string; status: string; height?: number }>>;
  /** peer ledger heights: peer → channel → height */
  peerHeights?: Record<string, Record<string, number>>;
  /** what reported `peerHeights`, in words, where it is not the peers themselves (the local stand-in peers) */
  peerHeightMethod?: string;
  /** certificates presented on TLS handshakes, keyed by `host:port` as dialled */
  presentedCerts?: Record<string, CertificateInfo>;
  /** handshakes by name: the name dialled, whether host-name verification passed, who answered */
  handshakes?: Array<{ name: string; address: string; verified: boolean; error?: string; answeredBy?: string }>;
  /**
   * round trips between ordering nodes of different regions, milliseconds, as the nodes measure them themselves
   * (or the operator did): never the harness's own connection times. `source` names the series or file entry.
   */
  roundTrips?: Array<{ from: string; to: string; fromRegion?: string; toRegion?: string; ms: number; source?: string }>;
  /** what measured `roundTrips`, in words (the ordering nodes' metric, the etcd stand-in's, an operator's file) */
  roundTripMethod?: string;
  /**
   * what each Fabric node says it runs: its operations endpoint's `GET /version` ({"Version", "CommitSHA"}), by
   * node name; `error` when the endpoint did not answer with one
   */
  nodeVersions?: Record<string, { version?: string; commitSha?: string; source: string; error?: string }>;
  /** guarantee ID → why the live collection could not observe it on this target (the skip reason) */
  unobserved?: Record<string, string>;
  /** Corda: database reachability from the harness */
  database?: { reachable: boolean; error?: string; source: string };
  /** Corda: a marker file written through one node's artemis path and read through the other's */
  sharedDrive?: { wroteThrough: string; readThrough: string; seen: boolean; source: string };
  /** Kubernetes clusters read live from the API (one per region with a kubeconfig context); they replace the
   *  manifest view of that region, keeping the KIND config's kube-proxy mode when the API gives none */
  kubernetes?: KubernetesClusterInfo[];
  /** Corda: the current lease row */
  leaseRow?: { machineName: string; pid: string; timestamp: string; version: number } | null;
}

// ---------------------------------------------------------------------------------------------------------------
// The bag of evidence handed to checks

export interface FabricEvidence {
  regions: string[];
  orderingOrgs: FabricOrgInfo[];
  orderers: OrderingNodeInfo[];
  orgs: FabricOrgInfo[];
  channels: ChannelConfigInfo[];
  kubernetes: KubernetesClusterInfo[];
  /** region → the name of its cluster (kubeconfig context, else the region), for regions with Kubernetes evidence */
  clusterNames?: Record<string, string>;
  /** the configuration files the descriptor names for nodes (`config:`), their Fabric keys read */
  configFiles?: NodeConfigFile[];
  /** each node's configuration as each piece of evidence shows it (evidence/fabric/node-config.ts) */
  nodeConfigs?: NodeConfigInfo[];
}

/** An orderer.yaml / core.yaml the descriptor names for a node, with its Fabric keys (nothing else is kept). */
export interface NodeConfigFile {
  node: string;
  role: 'orderer' | 'peer';
  source: string;
  values: Record<string, FabricConfigScalar>;
}

/** Where a configuration value came from. */
export interface NodeConfigValue {
  /** null: set, but not readable here (from a Secret, from a ConfigMap missing from the evidence) */
  value: FabricConfigScalar;
  /**
   * `env` (the container's environment, which Fabric lets override the file), `file` (the orderer.yaml / core.yaml the
   * node reads), `sampleconfig` (neither sets it and the node runs with the image's own sample configuration),
   * `built-in` (its own file does not set it: Fabric's built-in value, or none)
   */
  origin: 'env' | 'file' | 'sampleconfig' | 'built-in';
  /** the manifest, ConfigMap or file and the variable or key */
  source: string;
}

/** What holds a configured data directory. */
export interface NodeStorageInfo {
  path: string;
  /**
   * `persistent`: a PersistentVolumeClaim, a StatefulSet claim template or a network volume; `ephemeral`: emptyDir,
   * a generic ephemeral or inline CSI volume, a ConfigMap/Secret/projected volume (gone with the pod);
   * `node-local`: hostPath (kept only while the pod stays on that worker node); `container-layer`: no volume mounted
   * there; `unknown`: the evidence does not show it (not on Kubernetes, or a volume the pod does not define)
   */
  kind: 'persistent' | 'ephemeral' | 'node-local' | 'container-layer' | 'unknown';
  /** in words: `claim template data (data-org0-orderer1-0) mounted at /var/hyperledger/production` */
  detail: string;
  source: string;
}

/** One view of a node's configuration: from one pod of the Kubernetes evidence, or from the descriptor's file. */
export interface NodeConfigInfo {
  node: string;
  role: 'orderer' | 'peer';
  org: string;
  /** the pod (`k8s/r1/orderers.yaml#StatefulSet/org0-orderer1`, `… pod org0-orderer1-0`) or the file it was read from */
  source: string;
  /** `kubernetes`: a pod of the manifests or the API; `file`: the configuration file the descriptor names */
  basis: 'kubernetes' | 'file';
  /** by Fabric key (`General.MaxRecvMsgSize`, `peer.gossip.orgLeader`, …) */
  values: Record<string, NodeConfigValue>;
  /** by Fabric key of a data directory (`FileLedger.Location`, `Consensus.WALDir`, `Consensus.SnapDir`) */
  storage: Record<string, NodeStorageInfo>;
  /** what could not be read, in words */
  problems: string[];
}

export interface CordaEvidence {
  nodes: CordaNodeInfo[];
  loadBalancer?: LoadBalancerInfo;
  database?: DatabaseInfo;
  /** the traffic ports (P2P, RPC, web) the deployment uses */
  ports: { p2p: number; rpc: number; web: number };
  /** the load balancer's public address as the descriptor states it */
  loadBalancerAddress?: string;
}

/**
 * The bounds and thresholds checks apply (see settings.ts for each one's default, unit, checks and Gherkin step).
 * `now` is the reference time for expiry checks (ISO); default the current time, fixed in tests.
 */
export interface CheckSettings {
  /** FAB-ORD-01: fewest consenters (default 5) */
  minConsenters: number;
  /** FAB-ORD-03: a leader and a committed write after a region loss within this, ms (default 5000) */
  leaderElectionBoundMs: number;
  /** FAB-ORD-07: round-trip bound, ms (default 100) */
  maxRoundTripMs: number;
  /** FAB-ORD-08: warning window before a consenter certificate expires, days (default 30) */
  certExpiryWarningDays: number;
  /** FAB-ORD-08: no majority of consenter certificates may expire within this many days of each other (default 30) */
  certExpiryMajorityWindowDays: number;
  /** FAB-CERT-01: warning window before a CA, intermediate or admin certificate of a channel expires, days (default 90) */
  channelCertExpiryWarningDays: number;
  /** FAB-PEER-03: max difference between ledger heights of one channel's peers (default 5) */
  maxLedgerLag: number;
  /** FAB-GW-01: the port a gateway Service exposes and forwards (default 7051) */
  gatewayPeerPort: number;
  /** FAB-GW-01: fewest peers a gateway Service selects in a cluster (default 2) */
  minGatewayPeers: number;
  /** CORDA-HA-01: coarsest median sampling period that still catches an overlap, ms (default 50) */
  samplePeriodMs: number;
  /** CORDA-HA-02, CORDA-LB-03: tolerance on top of the configured intervals, ms (default 2000) */
  failoverToleranceMs: number;
  /** FAB-ORD-11: the Raft election timeout must be at least this many times the longest round trip (default 10) */
  electionTimeoutRoundTrips: number;
  /** FAB-ORD-11: every gRPC message limit must be at least this many times a channel's AbsoluteMaxBytes (default 2) */
  grpcLimitBlockMultiple: number;
  /** FAB-ORD-12: a restarted ordering node rejoins and catches up within this, ms (default 60000) */
  restartCatchUpBoundMs: number;
  /** FAB-PEER-06: max difference between the ledger heights of the peers behind one gateway Service (default 2) */
  maxGatewayHeightSpread: number;
  now?: string;
}

export type SettingKey = Exclude<keyof CheckSettings, 'now'>;

export interface Evidence {
  target: { name: string; file: string; disposable: boolean };
  settings: CheckSettings;
  /**
   * where each setting's value came from, as a verdict states it: `default`, `descriptor settings.<key>`,
   * `Gherkin`, or `<name> environment: <why>`; absent = default
   */
  settingOrigins?: Partial<Record<SettingKey, string>>;
  /** absent when the descriptor describes no Fabric deployment */
  fabric?: FabricEvidence;
  /** absent when the descriptor describes no Corda deployment */
  corda?: CordaEvidence;
  live: LiveEvidence;
}

export { defaultSettings } from './settings.ts';

// ---------------------------------------------------------------------------------------------------------------
// Timeline contracts: what drills record and checks judge. `t` is ms since the drill's start.

/**
 * Corda drills (CORDA-HA-01, CORDA-HA-02, CORDA-LB-02, CORDA-LB-03). Node names are the descriptor's
 * (`primary`, `backup`) or a duplicate's name (`backup-duplicate`). params: { waitIntervalMs, updateIntervalMs,
 * probeIntervalMs, unhealthyThreshold, toleranceMs, hotNode, coldNode }.
 */
export interface CordaSampleEvent extends TimelineEvent {
  kind: 'sample';
  /** per node: which of its own ports accept a connection, dialled directly on its machine address */
  nodes: Record<string, { p2p: boolean; rpc: boolean; web: boolean }>;
  /** the node the lease row names (machine_name mapped to a node name), null when no row; absent = not read */
  leaseHolder?: string | null;
  /** through the load balancer's address: which node answered, per traffic type (null = nobody answered) */
  routed?: { p2p?: string | null; rpc?: string | null; web?: string | null };
  /** the load balancer's own view: traffic type → node → 'UP' | 'DOWN' | other state text */
  lbView?: Record<string, Record<string, string>>;
}

export interface CordaFaultEvent extends TimelineEvent {
  kind: 'fault';
  action: 'stop' | 'kill' | 'freeze' | 'cut-database' | 'start-duplicate' | 'partition';
  node: string;
}

/**
 * FAB-ORD-03 region-loss drill. Per region, in order:
 * fault {action:'stop-region', region, members, remaining} → samples {region, leader} → write {region, ok, ms}
 * → restore {region} → catch-up {region, heights, caughtUp}. params: { boundMs, regions, members }.
 */
export interface RegionFaultEvent extends TimelineEvent {
  kind: 'fault';
  action: 'stop-region';
  region: string;
  /** every member of the ordering service */
  members: string[];
  /** the members of the region that were stopped */
  stopped?: string[];
  /** the members still running */
  remaining: string[];
}
export interface LeaderSampleEvent extends TimelineEvent {
  kind: 'sample';
  region: string;
  /** the member that is leader among the remaining ones, or null */
  leader: string | null;
}
export interface WriteEvent extends TimelineEvent {
  kind: 'write';
  region: string;
  ok: boolean;
  ms: number;
  error?: string;
}
export interface RestoreEvent extends TimelineEvent {
  kind: 'restore';
  region: string;
}
export interface CatchUpEvent extends TimelineEvent {
  kind: 'catch-up';
  region: string;
  heights: Record<string, number>;
  caughtUp: boolean;
}

/**
 * FAB-PEER-05: fault {action:'stop-region', region} → query {region, org, peer, ok, error?} per organization →
 * restore {region}. params: { orgs: string[] }.
 */
export interface PeerQueryEvent extends TimelineEvent {
  kind: 'query';
  region: string;
  org: string;
  /** the peer that answered, null when none did */
  peer: string | null;
  ok: boolean;
  error?: string;
}

/**
 * FAB-GW-04, per gateway (org + region): connect {phase:'before'|'after', gateway, org, region, answeredBy, error?},
 * fault {action:'stop-peer', peer, gateway}, existing {gateway, peer, broke, reconnectedTo}, restore {peer}.
 * params: { connections: N, gateways: Record<gateway, string[] peers> }.
 */
export interface GatewayConnectEvent extends TimelineEvent {
  kind: 'connect';
  phase: 'before' | 'after';
  gateway: string;
  org: string;
  region: string;
  answeredBy: string | null;
  error?: string;
}
export interface ExistingConnectionEvent extends TimelineEvent {
  kind: 'existing';
  gateway: string;
  /** the peer the long-lived connection was open to */
  peer: string;
  /** whether it broke when that peer stopped (it should; it is not moved to another peer) */
  broke: boolean;
  /** the peer a reconnect through the gateway reached */
  reconnectedTo: string | null;
}

/**
 * FAB-ORD-12 restart drill, per region in turn, one ordering node: steady {region, leader, heights} → fault
 * {action:'restart', region, member, method} → note {stopped: true} → write {region, member, ok, ms, height?} (through
 * the others, while it is down) → restore {region, member} (started again with its data) → sample {region, member,
 * reachable, hasLeader?, height?, target} … → catch-up {region, member, heights, caughtUp, ms?, target, lastState?},
 * or exit {region, member, message} when it stopped by itself. params: { regions, members, restarted, horizonMs,
 * sampleIntervalMs, probe, channel, height, method }.
 */
export interface RestartFaultEvent extends TimelineEvent {
  kind: 'fault';
  action: 'restart';
  region: string;
  member: string;
}
export interface RestartCatchUpEvent extends TimelineEvent {
  kind: 'catch-up';
  region: string;
  member: string;
  /** every member's height at the last look */
  heights: Record<string, number>;
  caughtUp: boolean;
  /** from the restore to the first sample at the others' height */
  ms?: number;
  /** the height it had to reach: the others' at that moment, at least the write's */
  target?: number;
  /** what the last look saw of it, when it did not catch up */
  lastState?: string;
}
