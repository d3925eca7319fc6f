/**
 * The configuration each ordering node and peer runs with, as the evidence shows it: the settings FAB-ORD-11,
 * FAB-ORD-12 and FAB-PEER-06 judge, read the way Fabric reads them.
 *
 * Fabric reads `$FABRIC_CFG_PATH/orderer.yaml` (orderer) or `core.yaml` (peer) — the image's own copy of
 * `sampleconfig`, unless a volume mounts another there — and every key can be overridden by an environment variable
 * named after it: `ORDERER_` or `CORE_`, then the key upper-cased with dots as underscores
 * (`General.MaxRecvMsgSize` → `ORDERER_GENERAL_MAXRECVMSGSIZE`, `peer.gossip.orgLeader` →
 * `CORE_PEER_GOSSIP_ORGLEADER`). Keys are case-insensitive. A key neither sets is the sample configuration's value
 * when the image's file is in use, and Fabric's built-in value (Go's zero value for most) when a file of the
 * deployment's own replaces it: a core.yaml without `orgLeader` runs with `orgLeader: false`.
 *
 * A view per piece of evidence: each pod of a node in the Kubernetes manifests or API (its container's `env`,
 * `envFrom`, the ConfigMap mounted at the configuration file, and the volume behind each data directory), and the
 * file the descriptor names for a node outside Kubernetes (`config:`). Views that agree are merged. Nothing but the
 * keys below is kept from a configuration file: the rest may hold passwords.
 *
 * Pure, apart from `readNodeConfigFile`.
 */
import { posix } from 'node:path';
import { InputError } from '../../errors.ts';
import { podsNamed } from '../kubernetes/pods.ts';
import { isRecord, parseYaml, readText, showValue } from '../input.ts';
import type {
  ConfigMapInfo,
  ContainerInfo,
  FabricConfigScalar,
  FabricEvidence,
  KubernetesClusterInfo,
  NodeConfigFile,
  NodeConfigInfo,
  NodeConfigValue,
  NodeStorageInfo,
  PodInfo,
  VolumeInfo,
} from '../model.ts';

export type FabricRole = 'orderer' | 'peer';

export interface FabricConfigKey {
  /** as Fabric's sample configuration spells it */
  key: string;
  role: FabricRole;
  kind: 'bytes' | 'bool' | 'duration' | 'path' | 'endpoint';
  /** its value in the sample configuration the images ship (undefined: the file does not set it) */
  sample?: FabricConfigScalar;
  /** what Fabric runs with when a deployment's own file does not set it (undefined: nothing, the key is unset) */
  builtIn?: FabricConfigScalar;
  what: string;
}

/** Where the defaults come from: the sample configuration of the Fabric release the reference runs (2.5). */
export const SAMPLECONFIG: Record<FabricRole, string> = {
  orderer: 'hyperledger/fabric release-2.5 sampleconfig/orderer.yaml',
  peer: 'hyperledger/fabric release-2.5 sampleconfig/core.yaml',
};

const MB100 = 104857600;

/** The keys the checks read, with the sample configuration's values (and Fabric's own when a file leaves them out). */
export const FABRIC_CONFIG_KEYS: readonly FabricConfigKey[] = [
  // gRPC limits: "Since all nodes should be consistent it is recommended to keep the default value of 100MB";
  // 0 (unset) means the built-in 100 MB
  { key: 'General.MaxRecvMsgSize', role: 'orderer', kind: 'bytes', sample: MB100, builtIn: MB100, what: 'the largest gRPC message the orderer receives, bytes' },
  { key: 'General.MaxSendMsgSize', role: 'orderer', kind: 'bytes', sample: MB100, builtIn: MB100, what: 'the largest gRPC message the orderer sends, bytes' },
  // a hidden key: not in the sample file, only set on purpose
  { key: 'Consensus.TickIntervalOverride', role: 'orderer', kind: 'duration', what: 'replaces the Raft TickInterval of every channel the orderer is a consenter of' },
  { key: 'FileLedger.Location', role: 'orderer', kind: 'path', sample: '/var/hyperledger/production/orderer', what: 'the block ledger of every channel' },
  { key: 'Consensus.WALDir', role: 'orderer', kind: 'path', sample: '/var/hyperledger/production/orderer/etcdraft/wal', what: 'the Raft write-ahead logs, one subdirectory per channel' },
  { key: 'Consensus.SnapDir', role: 'orderer', kind: 'path', sample: '/var/hyperledger/production/orderer/etcdraft/snapshot', what: 'the Raft snapshots, one subdirectory per channel' },
  { key: 'peer.maxRecvMsgSize', role: 'peer', kind: 'bytes', sample: MB100, builtIn: MB100, what: 'the largest gRPC message the peer receives, bytes' },
  { key: 'peer.maxSendMsgSize', role: 'peer', kind: 'bytes', sample: MB100, builtIn: MB100, what: 'the largest gRPC message the peer sends, bytes' },
  // since 2.2 every peer is a static leader by default: it pulls blocks from the ordering service itself
  { key: 'peer.gossip.useLeaderElection', role: 'peer', kind: 'bool', sample: false, builtIn: false, what: 'the peers of the organization elect the one that pulls blocks' },
  { key: 'peer.gossip.orgLeader', role: 'peer', kind: 'bool', sample: true, builtIn: false, what: 'this peer pulls blocks from the ordering service itself' },
  { key: 'peer.gossip.externalEndpoint', role: 'peer', kind: 'endpoint', sample: '', builtIn: '', what: 'the endpoint published to other organizations (and to service discovery)' },
];

/** The data directories whose volumes FAB-ORD-12 judges. */
export const ORDERER_DATA_KEYS = ['FileLedger.Location', 'Consensus.WALDir', 'Consensus.SnapDir'] as const;

/** The images' FABRIC_CFG_PATH (their Dockerfiles set it), where the configuration file is read. */
export const DEFAULT_CFG_PATH = '/etc/hyperledger/fabric';

export function keysOf(role: FabricRole): FabricConfigKey[] {
  return FABRIC_CONFIG_KEYS.filter((k) => k.role === role);
}

/** `ORDERER_GENERAL_MAXRECVMSGSIZE`, `CORE_PEER_GOSSIP_ORGLEADER` */
export function envName(role: FabricRole, key: string): string {
  return `${role === 'orderer' ? 'ORDERER' : 'CORE'}_${key.toUpperCase().replace(/\./g, '_')}`;
}

export function configFileName(role: FabricRole): string {
  return role === 'orderer' ? 'orderer.yaml' : 'core.yaml';
}

// ---------------------------------------------------------------------------------------------------------------
// Reading configuration files

/** The Fabric keys a parsed orderer.yaml / core.yaml sets (keys matched case-insensitively, as viper does). */
export function fabricKeysOf(doc: unknown): Record<string, FabricConfigScalar> {
  const out: Record<string, FabricConfigScalar> = {};
  for (const k of FABRIC_CONFIG_KEYS) {
    let cur: unknown = doc;
    for (const part of k.key.split('.')) {
      if (!isRecord(cur)) {
        cur = undefined;
        break;
      }
      const found = Object.keys(cur).find((x) => x.toLowerCase() === part.toLowerCase());
      cur = found === undefined ? undefined : cur[found];
    }
    if (cur === undefined) continue;
    out[k.key] = cur === null || typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? cur : JSON.stringify(cur);
  }
  return out;
}

/**
 * The Fabric keys of a YAML file's text (`mapping`: whether it is a YAML mapping at all, as a configuration file is),
 * or why it cannot be read (a syntax error with line and column).
 */
export function fabricKeysOfText(text: string, where: string): { values: Record<string, FabricConfigScalar>; mapping: boolean } | { problem: string } {
  try {
    const doc = parseYaml(text, where);
    return { values: fabricKeysOf(doc), mapping: isRecord(doc) };
  } catch (err) {
    if (err instanceof InputError) return { problem: err.message.startsWith(`${where}: `) ? err.message.slice(where.length + 2) : err.message };
    throw err;
  }
}

/** A node's configuration file named by the descriptor (`config:`): its Fabric keys, or an InputError. */
export async function readNodeConfigFile(file: string, node: string, role: FabricRole, field: string): Promise<NodeConfigFile> {
  const text = await readText(file, 'nodeConfig', { field });
  return { node, role, source: file, values: fabricKeysOf(parseYaml(text, file)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** `true`/`false` as Go's strconv.ParseBool reads them; undefined when it is not a boolean. */
export function boolOf(v: FabricConfigScalar | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** A whole number of bytes; undefined when it is not one. */
export function bytesOf(v: FabricConfigScalar | undefined): number | undefined {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`500ms`, `1.5s`, `1m30s`) in milliseconds; undefined when it is not one. */
export function durationMsOf(v: FabricConfigScalar | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * GO_UNITS[m[2]];
    matched = re.lastIndex;
  }
  return matched > 0 && matched === s.length ? total : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Views

interface FileState {
  /** `sample`: the image's own file; `own`: a file of the deployment with these values; `unknown`: mounted, not readable */
  kind: 'sample' | 'own' | 'unknown';
  values: Record<string, FabricConfigScalar>;
  /** where it was read (`k8s/r1/orderers.yaml#ConfigMap/orderer-config data."orderer.yaml"`) */
  source: string;
}

function valueOf(k: FabricConfigKey, env: Map<string, { value: string | null; source: string }>, file: FileState): NodeConfigValue {
  const e = env.get(envName(k.role, k.key));
  if (e) return { value: e.value, origin: 'env', source: e.source };
  if (file.kind === 'sample') {
    return { value: k.sample ?? null, origin: 'sampleconfig', source: `${SAMPLECONFIG[k.role]}${k.sample === undefined ? ' (not set)' : ''}` };
  }
  if (file.kind === 'unknown') return { value: null, origin: 'file', source: `${file.source} (not in the evidence)` };
  if (k.key in file.values) return { value: file.values[k.key], origin: 'file', source: `${file.source} ${k.key}` };
  return { value: k.builtIn ?? null, origin: 'built-in', source: `${file.source} does not set ${k.key}: ${k.builtIn === undefined ? 'unset' : "Fabric's built-in value"}` };
}

/** The container that runs the node: by image, else by its environment, else the only one. */
function nodeContainer(role: FabricRole, pod: PodInfo): { container?: ContainerInfo; problem?: string } {
  const cs = pod.containers ?? [];
  const image = role === 'orderer' ? /fabric-orderer/ : /fabric-peer/;
  const prefix = role === 'orderer' ? 'ORDERER_' : 'CORE_PEER_';
  const byImage = cs.filter((c) => c.image && image.test(c.image));
  if (byImage.length === 1) return { container: byImage[0] };
  const byEnv = cs.filter((c) => c.env.some((e) => e.name.startsWith(prefix)));
  if (byEnv.length === 1) return { container: byEnv[0] };
  if (cs.length === 1) return { container: cs[0] };
  if (!cs.length) return { problem: `${pod.source}: pod ${pod.name} lists no containers` };
  return { problem: `${pod.source}: cannot tell which of the containers ${cs.map((c) => c.name).join(', ')} runs the ${role}` };
}

function configMapOf(cluster: KubernetesClusterInfo, namespace: string, name: string): ConfigMapInfo | undefined {
  return (cluster.configMaps ?? []).find((c) => c.name === name && c.namespace === namespace) ?? (cluster.configMaps ?? []).find((c) => c.name === name);
}

/** `$(VAR)` references of a Kubernetes env value, expanded from the variables defined before it. */
function expand(value: string, env: Map<string, { value: string | null }>): string | null {
  let unknown = false;
  const out = value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    const v = env.get(name!);
    if (!v) return m;
    if (v.value === null) unknown = true;
    return v.value ?? '';
  });
  return unknown ? null : out;
}

/** The container's environment as Kubernetes builds it: `envFrom` first, then `env` in order. */
function environmentOf(c: ContainerInfo, pod: PodInfo, cluster: KubernetesClusterInfo, problems: string[]): Map<string, { value: string | null; source: string }> {
  const env = new Map<string, { value: string | null; source: string }>();
  const where = `${pod.source} container ${c.name}`;
  for (const ef of c.envFrom) {
    if (ef.kind === 'secret') {
      problems.push(`${where}: envFrom Secret ${ef.name}: its variables are not read (a Secret)`);
      continue;
    }
    const cm = configMapOf(cluster, pod.namespace, ef.name);
    if (!cm) {
      problems.push(`${where}: envFrom ConfigMap ${ef.name} is not in the evidence: the variables it sets are unknown`);
      continue;
    }
    for (const [k, v] of Object.entries(cm.data)) env.set(`${ef.prefix ?? ''}${k}`, { value: v, source: `${cm.source} data.${k} (envFrom of ${where})` });
  }
  for (const e of c.env) {
    const source = `${where} env ${e.name}`;
    if (e.value !== undefined) {
      env.set(e.name, { value: expand(e.value, env), source });
    } else if (e.from?.kind === 'configMap' && e.from.name && e.from.key) {
      const cm = configMapOf(cluster, pod.namespace, e.from.name);
      const v = cm?.data[e.from.key];
      env.set(e.name, { value: v ?? null, source: `${source} from ConfigMap ${e.from.name} key ${e.from.key}` });
      if (v === undefined) problems.push(`${source}: ConfigMap ${e.from.name} key ${e.from.key} is not in the evidence`);
    } else {
      env.set(e.name, { value: null, source: `${source} from ${e.from?.kind ?? 'elsewhere'}${e.from?.name ? ` ${e.from.name}` : ''}` });
    }
  }
  return env;
}

function insidePath(path: string, dir: string): boolean {
  const d = dir.endsWith('/') && dir !== '/' ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(d === '/' ? '/' : `${d}/`);
}

/** The mount whose path holds `path` most closely (the deepest), with its volume. */
function mountOf(c: ContainerInfo, pod: PodInfo, path: string): { mount: ContainerInfo['volumeMounts'][number]; volume?: VolumeInfo } | undefined {
  const covering = c.volumeMounts.filter((m) => insidePath(path, posix.normalize(m.mountPath))).sort((a, b) => b.mountPath.length - a.mountPath.length);
  const mount = covering[0];
  if (!mount) return undefined;
  return { mount, volume: (pod.volumes ?? []).find((v) => v.name === mount.name) };
}

/** The configuration file the node reads: its own (from a ConfigMap), the image's sample, or one not in the evidence. */
function fileStateOf(role: FabricRole, c: ContainerInfo, pod: PodInfo, cluster: KubernetesClusterInfo, cfgPath: string, problems: string[], strict: boolean): FileState {
  const file = posix.join(cfgPath, configFileName(role));
  const found = mountOf(c, pod, file);
  if (!found) return { kind: 'sample', values: {}, source: SAMPLECONFIG[role] };
  const { mount, volume } = found;
  const where = `${pod.source} container ${c.name} mount ${mount.mountPath}`;
  if (!volume) {
    problems.push(`${where}: ${file} comes from volume ${mount.name}, which the pod does not define`);
    return { kind: 'unknown', values: {}, source: `${file} (volume ${mount.name})` };
  }
  if (volume.type !== 'configMap') {
    problems.push(`${where}: ${file} comes from ${volume.type} volume ${volume.name}, whose content is not in the evidence`);
    return { kind: 'unknown', values: {}, source: `${file} (${volume.type} volume ${volume.name})` };
  }
  // the file's path inside the volume, then the ConfigMap key mapped to it
  const inVolume = mount.subPath ? posix.join(mount.subPath, posix.relative(posix.normalize(mount.mountPath), file)) : posix.relative(posix.normalize(mount.mountPath), file);
  const key = volume.items ? volume.items.find((i) => posix.normalize(i.path) === posix.normalize(inVolume))?.key : inVolume;
  const cm = volume.object ? configMapOf(cluster, pod.namespace, volume.object) : undefined;
  if (!cm) {
    problems.push(`${where}: ${file} comes from ConfigMap ${volume.object ?? '(unnamed)'}, which is not in the evidence: the values it sets are unknown`);
    return { kind: 'unknown', values: {}, source: `${file} (ConfigMap ${volume.object ?? '?'})` };
  }
  const entry = key === undefined ? undefined : cm.files[key];
  if (!entry || key === undefined) {
    // the volume maps no such item, or the ConfigMap has no such key: Kubernetes does not start the pod
    problems.push(`${where}: ConfigMap ${cm.name} holds no ${key ?? inVolume} for ${file}`);
    return { kind: 'unknown', values: {}, source: `${cm.source} (no ${key ?? inVolume})` };
  }
  if ('problem' in entry) {
    if (strict) {
      const [f, object] = cm.source.split('#');
      throw new InputError(f, `${object ?? `ConfigMap/${cm.name}`} data.${showValue(key)}`, `the ${configFileName(role)} of ${pod.name}: ${entry.problem}`);
    }
    problems.push(`${cm.source} data.${key}: ${entry.problem}`);
    return { kind: 'unknown', values: {}, source: `${cm.source} data.${key}` };
  }
  return { kind: 'own', values: entry.values, source: `${cm.source} data.${key}` };
}

const EPHEMERAL = new Set(['emptyDir', 'ephemeral', 'csi', 'configMap', 'secret', 'downwardAPI', 'projected', 'gitRepo', 'image']);
const PERSISTENT = new Set([
  'persistentVolumeClaim', 'volumeClaimTemplate', 'nfs', 'iscsi', 'cephfs', 'rbd', 'glusterfs', 'fc', 'azureDisk', 'azureFile',
  'awsElasticBlockStore', 'gcePersistentDisk', 'cinder', 'portworxVolume', 'vsphereVolume', 'photonPersistentDisk', 'scaleIO',
  'storageos', 'quobyte', 'flocker', 'flexVolume',
]);

/** What holds `path` in this container. */
export function storageOf(c: ContainerInfo, pod: PodInfo, path: string): Omit<NodeStorageInfo, 'path'> {
  const where = `${pod.source} container ${c.name}`;
  const found = mountOf(c, pod, path);
  if (!found) return { kind: 'container-layer', detail: 'the container layer (no volume is mounted there), gone with the container', source: where };
  const { mount, volume } = found;
  const at = `mounted at ${mount.mountPath}`;
  const source = `${where} mount ${mount.mountPath}`;
  if (!volume) return { kind: 'unknown', detail: `volume ${mount.name} ${at} is not defined by the pod`, source };
  const name = `${volume.type} ${volume.name}`;
  if (volume.type === 'volumeClaimTemplate') return { kind: 'persistent', detail: `claim template ${volume.name} (${volume.claimName}) ${at}`, source };
  if (volume.type === 'persistentVolumeClaim') return { kind: 'persistent', detail: `PersistentVolumeClaim ${volume.claimName ?? volume.name} ${at}`, source };
  if (PERSISTENT.has(volume.type)) return { kind: 'persistent', detail: `${name} (a network volume) ${at}`, source };
  if (volume.type === 'hostPath') {
    return { kind: 'node-local', detail: `hostPath ${volume.path ?? ''} ${at}: kept only while the pod stays on that worker node`, source };
  }
  if (EPHEMERAL.has(volume.type)) {
    const why = volume.type === 'emptyDir' ? `emptyDir${volume.medium ? ` (medium ${volume.medium})` : ''}` : name;
    return { kind: 'ephemeral', detail: `${why} ${at}: deleted with the pod`, source };
  }
  return { kind: 'unknown', detail: `${name} ${at}: a volume type the harness does not know`, source };
}

function podView(role: FabricRole, node: string, org: string, pod: PodInfo, cluster: KubernetesClusterInfo, strict: boolean): NodeConfigInfo {
  const problems: string[] = [];
  const { container, problem } = nodeContainer(role, pod);
  const source = `${pod.source}${pod.owner.startsWith('Pod/') ? '' : ` pod ${pod.name}`}${container ? ` container ${container.name}` : ''}`;
  if (!container) {
    return { node, role, org, source, basis: 'kubernetes', values: {}, storage: {}, problems: [problem!] };
  }
  const env = environmentOf(container, pod, cluster, problems);
  const cfg = env.get('FABRIC_CFG_PATH');
  const cfgPath = cfg?.value ?? DEFAULT_CFG_PATH;
  const file = fileStateOf(role, container, pod, cluster, cfgPath, problems, strict);
  const values = Object.fromEntries(keysOf(role).map((k) => [k.key, valueOf(k, env, file)]));
  const storage: Record<string, NodeStorageInfo> = {};
  if (role === 'orderer') {
    for (const key of ORDERER_DATA_KEYS) {
      const v = values[key];
      if (typeof v.value !== 'string' || v.value === '') {
        storage[key] = { path: '', kind: 'unknown', detail: `${key} is not known (${v.source})`, source: v.source };
        continue;
      }
      // a relative path is resolved against the configuration directory, as Fabric resolves its paths
      const path = posix.resolve(cfgPath, v.value);
      storage[key] = { path, ...storageOf(container, pod, path) };
    }
  }
  return { node, role, org, source, basis: 'kubernetes', values, storage, problems };
}

function fileView(f: NodeConfigFile, org: string): NodeConfigInfo {
  const file: FileState = { kind: 'own', values: f.values, source: f.source };
  const values = Object.fromEntries(keysOf(f.role).map((k) => [k.key, valueOf(k, new Map(), file)]));
  const storage: Record<string, NodeStorageInfo> = {};
  if (f.role === 'orderer') {
    for (const key of ORDERER_DATA_KEYS) {
      const v = values[key].value;
      storage[key] = {
        path: typeof v === 'string' ? v : '',
        kind: 'unknown',
        detail: 'a directory of the machine that runs the node: no workload manifest shows what holds it',
        source: values[key].source,
      };
    }
  }
  return { node: f.node, role: f.role, org, source: f.source, basis: 'file', values, storage, problems: [] };
}

/** Views that say the same are one view, from several sources. */
function merged(views: NodeConfigInfo[]): NodeConfigInfo[] {
  const out: NodeConfigInfo[] = [];
  const key = (v: NodeConfigInfo) =>
    JSON.stringify([
      v.node,
      v.role,
      v.basis,
      Object.entries(v.values).map(([k, x]) => [k, x.value, x.origin]),
      Object.entries(v.storage).map(([k, x]) => [k, x.path, x.kind]),
      v.problems.length,
    ]);
  const seen = new Map<string, NodeConfigInfo>();
  for (const v of views) {
    const k = key(v);
    const same = seen.get(k);
    if (same) same.source = `${same.source}; ${v.source}`;
    else {
      const copy = { ...v };
      seen.set(k, copy);
      out.push(copy);
    }
  }
  return out;
}

/**
 * Every node's configuration views, from the fabric's Kubernetes evidence (each pod of the node's workload) and
 * the descriptor's files. `strict` (static collection): a node's mounted configuration file that is not valid YAML
 * is bad input (an InputError naming the manifest and the ConfigMap entry); otherwise it is a problem of the view.
 */
export function nodeConfigsOf(fabric: FabricEvidence, strict = false): NodeConfigInfo[] {
  const views: NodeConfigInfo[] = [];
  const nodes: Array<{ name: string; org: string; role: FabricRole }> = [
    ...fabric.orderers.map((o) => ({ name: o.name, org: o.org, role: 'orderer' as const })),
    ...fabric.orgs.flatMap((g) => g.peers.map((p) => ({ name: p.name, org: p.org, role: 'peer' as const }))),
  ];
  for (const n of nodes) {
    for (const cluster of fabric.kubernetes ?? []) {
      for (const pod of podsNamed(cluster, n.name)) views.push(podView(n.role, n.name, n.org, pod, cluster, strict));
    }
    for (const f of fabric.configFiles ?? []) if (f.node === n.name && f.role === n.role) views.push(fileView(f, n.org));
  }
  return merged(views);
}

/** The fabric evidence with its node configuration views (re)computed from its current Kubernetes evidence. */
export function withNodeConfigs(fabric: FabricEvidence, strict = false): FabricEvidence {
  return { ...fabric, nodeConfigs: nodeConfigsOf(fabric, strict) };
}
