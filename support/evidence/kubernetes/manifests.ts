/**
 * Kubernetes manifests (multi-document YAML or JSON files, or directories of them) → `KubernetesClusterInfo`.
 * Workloads (Deployment, StatefulSet, ReplicaSet) expand to one `PodInfo` per replica named `<name>-<i>`, from the
 * pod template (a StatefulSet's claim templates become volumes of each replica); Pods keep their `nodeName`;
 * Services and Nodes are read as they are; ConfigMaps keep their plain entries and the Fabric keys of the YAML files
 * they hold (evidence/fabric/node-config.ts); `List` kinds are unpacked. Other kinds (Secrets, a KIND cluster config
 * lying in the same folder, ...) are ignored.
 */
import { extname } from 'node:path';
import { InputError } from '../../errors.ts';
import { boundedInt, describeType, fieldPath, isRecord, parseJson, parseYamlDocuments, portNumber, readText, showValue, walkFiles, type InputBudget } from '../input.ts';
import type { ConfigMapInfo, ContainerInfo, KubernetesClusterInfo, NodeInfo, PodAffinityInfo, PodInfo, ServiceInfo, VolumeInfo } from '../model.ts';
import { fabricKeysOfText } from '../fabric/node-config.ts';

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

/**
 * Pods a workload's `replicas` may expand to, and pods one cluster's evidence may hold: each replica becomes a
 * `PodInfo`, so `replicas: 100000000` would be a hundred million objects. Kubernetes supports 150,000 pods per
 * cluster; an HA deployment under test holds far fewer.
 */
export const MANIFEST_LIMITS = { maxReplicas: 10_000, maxPodsPerCluster: 50_000 } as const;

type Obj = Record<string, unknown>;

export interface ManifestContents {
  pods: PodInfo[];
  services: ServiceInfo[];
  nodes: NodeInfo[];
  configMaps: ConfigMapInfo[];
  /** the files read, in order */
  files: string[];
}

/** Expand files and directories (recursively, sorted, symbolic links followed with loop detection) into the manifest files they hold. */
export async function listManifestFiles(paths: string[]): Promise<string[]> {
  const entries = await walkFiles(paths, { what: 'manifest folder', skipHidden: true });
  const out: string[] = [];
  for (const e of entries) {
    // a listed path is read whatever its name; inside a folder only manifest extensions count
    if (!e.listed && !MANIFEST_EXT.has(extname(e.path).toLowerCase())) continue;
    if (!e.stats.isFile()) throw new InputError(e.path, '', `is ${describeType(e.stats)}, expected a regular file (a Kubernetes manifest)`);
    out.push(e.path);
  }
  return out;
}

/** Read manifests for one region's cluster: one file at a time, so memory holds one file's text. */
export async function readKubernetesManifests(paths: string[], region: string, opts: { budget?: InputBudget } = {}): Promise<KubernetesClusterInfo> {
  const files = await listManifestFiles(paths);
  const contents: ManifestContents = { pods: [], services: [], nodes: [], configMaps: [], files };
  for (const f of files) addManifestText(contents, await readText(f, 'manifest', { budget: opts.budget }), f);
  const cluster: KubernetesClusterInfo = { region, origin: 'manifests', pods: contents.pods, services: contents.services, nodes: contents.nodes, sources: files };
  if (contents.configMaps.length) cluster.configMaps = contents.configMaps;
  return cluster;
}

/** Parse one manifest file's text into `into`. */
function addManifestText(into: ManifestContents, text: string, file: string): void {
  const docs: Array<{ index: number; value: unknown }> =
    extname(file).toLowerCase() === '.json' ? [{ index: 0, value: parseJson(text, file, 'Kubernetes manifest JSON') }] : parseYamlDocuments(text, file);
  for (const { index, value } of docs) addManifestObject(into, value, file, `documents[${index}]`);
}

/** One Kubernetes object (already parsed, e.g. from the API) into `into`; errors name `file` and `field`. */
export function addManifestObject(into: ManifestContents, value: unknown, file: string, field: string): void {
  if (!isRecord(value)) throw new InputError(file, field, `expected a Kubernetes object, got ${showValue(value, { file, field })}`);
  const kind = value.kind;
  if (typeof kind !== 'string') {
    if (value.kind === undefined && value.apiVersion === undefined) return; // not a Kubernetes object (e.g. values file)
    throw new InputError(file, `${field}.kind`, `expected a string, got ${showValue(kind, { file, field: `${field}.kind` })}`);
  }
  if (kind === 'List' || kind.endsWith('List')) {
    arr(value.items, file, `${field}.items`).forEach((item, i) => addManifestObject(into, item, file, `${field}.items[${i}]`));
    return;
  }
  if (kind !== 'Pod' && kind !== 'Service' && kind !== 'Node' && kind !== 'ConfigMap' && !WORKLOADS.has(kind)) return; // not evidence we read
  const meta = obj(value.metadata, file, `${field}.metadata`);
  const name = str(meta.name, file, `${field}.metadata.name`);
  const namespace = optStr(meta.namespace, file, `${field}.metadata.namespace`) ?? 'default';
  const source = `${file}#${kind}/${name}`;
  if (kind === 'Pod') {
    const spec = obj(value.spec, file, `${field}.spec`);
    if (into.pods.length >= MANIFEST_LIMITS.maxPodsPerCluster) {
      throw new InputError(file, field, `this Pod brings the cluster's pods above the limit of ${MANIFEST_LIMITS.maxPodsPerCluster} (docs/input-limits.md)`);
    }
    into.pods.push(podFrom(name, namespace, `Pod/${name}`, labels(meta.labels, file, `${field}.metadata.labels`), spec, file, `${field}.spec`, source));
  } else if (WORKLOADS.has(kind)) {
    const spec = obj(value.spec, file, `${field}.spec`);
    const replicas = spec.replicas === undefined || spec.replicas === null ? 1 : boundedInt(spec.replicas, file, `${field}.spec.replicas`, 0, MANIFEST_LIMITS.maxReplicas, 'a replica count');
    if (into.pods.length + replicas > MANIFEST_LIMITS.maxPodsPerCluster) {
      throw new InputError(file, `${field}.spec.replicas`, `${replicas} replicas bring this cluster's pods above the limit of ${MANIFEST_LIMITS.maxPodsPerCluster} (docs/input-limits.md)`);
    }
    const template = obj(spec.template, file, `${field}.spec.template`);
    const tmeta = obj(template.metadata, file, `${field}.spec.template.metadata`);
    const tspec = obj(template.spec, file, `${field}.spec.template.spec`);
    const tlabels = labels(tmeta.labels, file, `${field}.spec.template.metadata.labels`);
    const templates = kind === 'StatefulSet' ? claimTemplates(spec, file, `${field}.spec.volumeClaimTemplates`) : [];
    for (let i = 0; i < replicas; i++) {
      const pod = podFrom(`${name}-${i}`, namespace, `${kind}/${name}`, { ...tlabels }, tspec, file, `${field}.spec.template.spec`, source);
      // what the StatefulSet controller adds: a claim `<template>-<pod>` per template, unless the pod names the volume
      const own = new Set((pod.volumes ?? []).map((v) => v.name));
      const claims = templates.filter((t) => !own.has(t)).map((t): VolumeInfo => ({ name: t, type: 'volumeClaimTemplate', claimName: `${t}-${pod.name}` }));
      if (claims.length) pod.volumes = [...(pod.volumes ?? []), ...claims];
      into.pods.push(pod);
    }
  } else if (kind === 'Service') {
    const spec = obj(value.spec, file, `${field}.spec`);
    const ports = arr(spec.ports, file, `${field}.spec.ports`).map((p, i) => {
      const f = `${field}.spec.ports[${i}]`;
      const po = obj(p, file, f);
      const port = portNumber(po.port, file, `${f}.port`);
      const tp = po.targetPort;
      let targetPort: number | string = port;
      if (typeof tp === 'number' || (typeof tp === 'string' && /^\d+$/.test(tp))) targetPort = portNumber(tp, file, `${f}.targetPort`);
      else if (typeof tp === 'string' && tp !== '') targetPort = tp;
      else if (tp !== undefined && tp !== null) throw new InputError(file, `${f}.targetPort`, `expected a number or a port name, got ${showValue(tp, { file, field: `${f}.targetPort` })}`);
      const out: ServiceInfo['ports'][number] = { port, targetPort };
      const pname = optStr(po.name, file, `${f}.name`);
      if (pname) out.name = pname;
      return out;
    });
    into.services.push({
      name,
      namespace,
      selector: labels(spec.selector, file, `${field}.spec.selector`),
      ports,
      type: optStr(spec.type, file, `${field}.spec.type`) ?? 'ClusterIP',
      source,
    });
  } else if (kind === 'Node') {
    into.nodes.push({ name, labels: labels(meta.labels, file, `${field}.metadata.labels`), source });
  } else if (kind === 'ConfigMap') {
    into.configMaps.push(configMapFrom(name, namespace, obj(value.data, file, `${field}.data`), file, `${field}.data`, source));
  }
}

/** Keys that look like they hold a secret: their values are not kept (a ConfigMap is no place for one, but still). */
const SECRET_KEY = /pass|secret|token|pin|credential|private|\bkey\b|_key$|-key$/i;

function configMapFrom(name: string, namespace: string, data: Obj, file: string, field: string, source: string): ConfigMapInfo {
  const cm: ConfigMapInfo = { name, namespace, data: {}, files: {}, source };
  for (const [k, v] of Object.entries(data)) {
    if (v !== null && typeof v === 'object') throw new InputError(file, fieldPath(field, k), `expected a string, got ${showValue(v)}`);
    const text = v === null || v === undefined ? '' : String(v);
    // a configuration file may sit under any key (a volume's items map keys to file names): every entry that reads
    // as a YAML mapping keeps its Fabric keys; a plain value stays one (for envFrom and configMapKeyRef)
    const read = fabricKeysOfText(text, `${source} data.${k}`);
    if ('values' in read ? read.mapping : /\.ya?ml$/i.test(k)) cm.files[k] = 'values' in read ? { values: read.values } : read;
    else if (!SECRET_KEY.test(k)) cm.data[k] = text;
  }
  return cm;
}

function claimTemplates(spec: Obj, file: string, field: string): string[] {
  return arr(spec.volumeClaimTemplates, file, field).map((t, i) => {
    const meta = obj(obj(t, file, `${field}[${i}]`).metadata, file, `${field}[${i}].metadata`);
    return str(meta.name, file, `${field}[${i}].metadata.name`);
  });
}

/** A container's image, environment and mounts. */
function containerFrom(c: Obj, file: string, field: string): ContainerInfo {
  const name = optStr(c.name, file, `${field}.name`) ?? '';
  const info: ContainerInfo = { name, env: [], envFrom: [], volumeMounts: [] };
  const image = optStr(c.image, file, `${field}.image`);
  if (image) info.image = image;
  arr(c.env, file, `${field}.env`).forEach((e, i) => {
    const f = `${field}.env[${i}]`;
    const eo = obj(e, file, f);
    const ename = str(eo.name, file, `${f}.name`);
    if (eo.valueFrom !== undefined && eo.valueFrom !== null) {
      const vf = obj(eo.valueFrom, file, `${f}.valueFrom`);
      const ref = (k: string) => (isRecord(vf[k]) ? (vf[k] as Obj) : undefined);
      const cm = ref('configMapKeyRef');
      const sec = ref('secretKeyRef');
      const from: ContainerInfo['env'][number]['from'] = cm
        ? { kind: 'configMap', name: optStr(cm.name, file, `${f}.valueFrom.configMapKeyRef.name`), key: optStr(cm.key, file, `${f}.valueFrom.configMapKeyRef.key`) }
        : sec
          ? { kind: 'secret', name: optStr(sec.name, file, `${f}.valueFrom.secretKeyRef.name`), key: optStr(sec.key, file, `${f}.valueFrom.secretKeyRef.key`) }
          : ref('fieldRef')
            ? { kind: 'field' }
            : { kind: 'resource' };
      info.env.push({ name: ename, from });
    } else {
      const v = eo.value;
      if (v !== undefined && v !== null && typeof v === 'object') throw new InputError(file, `${f}.value`, `expected a string, got ${showValue(v)}`);
      info.env.push({ name: ename, value: v === undefined || v === null ? '' : String(v) });
    }
  });
  arr(c.envFrom, file, `${field}.envFrom`).forEach((e, i) => {
    const f = `${field}.envFrom[${i}]`;
    const eo = obj(e, file, f);
    const prefix = optStr(eo.prefix, file, `${f}.prefix`);
    for (const [k, kind] of [['configMapRef', 'configMap'], ['secretRef', 'secret']] as const) {
      if (eo[k] === undefined || eo[k] === null) continue;
      const ref = obj(eo[k], file, `${f}.${k}`);
      info.envFrom.push({ kind, name: str(ref.name, file, `${f}.${k}.name`), ...(prefix ? { prefix } : {}) });
    }
  });
  arr(c.volumeMounts, file, `${field}.volumeMounts`).forEach((m, i) => {
    const f = `${field}.volumeMounts[${i}]`;
    const mo = obj(m, file, f);
    const mount: ContainerInfo['volumeMounts'][number] = { name: str(mo.name, file, `${f}.name`), mountPath: str(mo.mountPath, file, `${f}.mountPath`) };
    const subPath = optStr(mo.subPath, file, `${f}.subPath`);
    if (subPath) mount.subPath = subPath;
    if (mo.readOnly === true) mount.readOnly = true;
    info.volumeMounts.push(mount);
  });
  return info;
}

const VOLUME_FIELDS = new Set(['name']);

/** A pod volume: its source's type and what the checks need of it. */
function volumeFrom(v: Obj, file: string, field: string): VolumeInfo {
  const name = str(v.name, file, `${field}.name`);
  const type = Object.keys(v).find((k) => !VOLUME_FIELDS.has(k) && v[k] !== undefined && v[k] !== null) ?? 'emptyDir';
  const info: VolumeInfo = { name, type };
  const src = isRecord(v[type]) ? (v[type] as Obj) : {};
  const f = `${field}.${type}`;
  if (type === 'persistentVolumeClaim') info.claimName = optStr(src.claimName, file, `${f}.claimName`);
  if (type === 'configMap' || type === 'secret') {
    info.object = optStr(type === 'configMap' ? src.name : src.secretName, file, `${f}.${type === 'configMap' ? 'name' : 'secretName'}`);
    if (src.items !== undefined && src.items !== null) {
      info.items = arr(src.items, file, `${f}.items`).map((it, i) => {
        const io = obj(it, file, `${f}.items[${i}]`);
        return { key: str(io.key, file, `${f}.items[${i}].key`), path: str(io.path, file, `${f}.items[${i}].path`) };
      });
    }
  }
  if (type === 'emptyDir') {
    const medium = optStr(src.medium, file, `${f}.medium`);
    if (medium) info.medium = medium;
  }
  if (type === 'hostPath') info.path = optStr(src.path, file, `${f}.path`);
  for (const k of Object.keys(info) as Array<keyof VolumeInfo>) if (info[k] === undefined) delete info[k];
  return info;
}

function podFrom(name: string, namespace: string, owner: string, podLabels: Record<string, string>, spec: Obj, file: string, field: string, source: string): PodInfo {
  const containerPorts: number[] = [];
  const images: NonNullable<PodInfo['images']> = [];
  arr(spec.containers, file, `${field}.containers`).forEach((c, i) => {
    const co = obj(c, file, `${field}.containers[${i}]`);
    arr(co.ports, file, `${field}.containers[${i}].ports`).forEach((p, j) => {
      const po = obj(p, file, `${field}.containers[${i}].ports[${j}]`);
      containerPorts.push(portNumber(po.containerPort, file, `${field}.containers[${i}].ports[${j}].containerPort`));
    });
    const image = optStr(co.image, file, `${field}.containers[${i}].image`);
    if (image) images.push({ container: optStr(co.name, file, `${field}.containers[${i}].name`) ?? `#${i}`, image });
  });
  const pod: PodInfo = { name, namespace, owner, labels: podLabels, containerPorts, images, affinity: affinityFrom(spec, file, field), source };
  const nodeName = optStr(spec.nodeName, file, `${field}.nodeName`);
  if (nodeName) pod.nodeName = nodeName;
  pod.containers = arr(spec.containers, file, `${field}.containers`).map((c, i) => containerFrom(obj(c, file, `${field}.containers[${i}]`), file, `${field}.containers[${i}]`));
  const volumes = arr(spec.volumes, file, `${field}.volumes`).map((v, i) => volumeFrom(obj(v, file, `${field}.volumes[${i}]`), file, `${field}.volumes[${i}]`));
  if (volumes.length) pod.volumes = volumes;
  return pod;
}

/** matchLabels plus single-valued `In` expressions (what a selector pins down exactly). */
function selectorLabels(sel: unknown, file: string, field: string): Record<string, string> {
  if (sel === undefined || sel === null) return {};
  const s = obj(sel, file, field);
  const out = labels(s.matchLabels, file, `${field}.matchLabels`);
  arr(s.matchExpressions, file, `${field}.matchExpressions`).forEach((e, i) => {
    const eo = obj(e, file, `${field}.matchExpressions[${i}]`);
    const values = arr(eo.values, file, `${field}.matchExpressions[${i}].values`);
    if (eo.operator === 'In' && values.length === 1 && typeof eo.key === 'string') out[eo.key] = String(values[0]);
  });
  return out;
}

function affinityFrom(spec: Obj, file: string, field: string): PodAffinityInfo {
  const info: PodAffinityInfo = { requiredAntiAffinity: [], preferredAntiAffinity: [], requiredNodeAffinity: [], topologySpread: [] };
  const aff = spec.affinity === undefined || spec.affinity === null ? {} : obj(spec.affinity, file, `${field}.affinity`);
  const anti = aff.podAntiAffinity === undefined || aff.podAntiAffinity === null ? {} : obj(aff.podAntiAffinity, file, `${field}.affinity.podAntiAffinity`);
  const af = `${field}.affinity.podAntiAffinity`;
  arr(anti.requiredDuringSchedulingIgnoredDuringExecution, file, `${af}.requiredDuringSchedulingIgnoredDuringExecution`).forEach((t, i) => {
    const f = `${af}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`;
    const term = obj(t, file, f);
    info.requiredAntiAffinity.push({ topologyKey: str(term.topologyKey, file, `${f}.topologyKey`), matchLabels: selectorLabels(term.labelSelector, file, `${f}.labelSelector`) });
  });
  arr(anti.preferredDuringSchedulingIgnoredDuringExecution, file, `${af}.preferredDuringSchedulingIgnoredDuringExecution`).forEach((t, i) => {
    const f = `${af}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    const w = obj(t, file, f);
    const term = obj(w.podAffinityTerm, file, `${f}.podAffinityTerm`);
    info.preferredAntiAffinity.push({
      topologyKey: str(term.topologyKey, file, `${f}.podAffinityTerm.topologyKey`),
      matchLabels: selectorLabels(term.labelSelector, file, `${f}.podAffinityTerm.labelSelector`),
      weight: w.weight === undefined ? 1 : boundedInt(w.weight, file, `${f}.weight`, 1, 100, 'a weight'),
    });
  });
  const nodeAff = aff.nodeAffinity === undefined || aff.nodeAffinity === null ? {} : obj(aff.nodeAffinity, file, `${field}.affinity.nodeAffinity`);
  const req = nodeAff.requiredDuringSchedulingIgnoredDuringExecution;
  if (req !== undefined && req !== null) {
    const nf = `${field}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
    const r = obj(req, file, nf);
    arr(r.nodeSelectorTerms, file, `${nf}.nodeSelectorTerms`).forEach((t, i) => {
      const term = obj(t, file, `${nf}.nodeSelectorTerms[${i}]`);
      arr(term.matchExpressions, file, `${nf}.nodeSelectorTerms[${i}].matchExpressions`).forEach((e, j) => {
        const ef = `${nf}.nodeSelectorTerms[${i}].matchExpressions[${j}]`;
        const eo = obj(e, file, ef);
        info.requiredNodeAffinity.push({
          key: str(eo.key, file, `${ef}.key`),
          operator: str(eo.operator, file, `${ef}.operator`),
          values: arr(eo.values, file, `${ef}.values`).map((v) => String(v)),
        });
      });
    });
  }
  // a nodeSelector is a required node affinity too
  for (const [key, v] of Object.entries(labels(spec.nodeSelector, file, `${field}.nodeSelector`))) {
    info.requiredNodeAffinity.push({ key, operator: 'In', values: [v] });
  }
  arr(spec.topologySpreadConstraints, file, `${field}.topologySpreadConstraints`).forEach((c, i) => {
    const f = `${field}.topologySpreadConstraints[${i}]`;
    const co = obj(c, file, f);
    info.topologySpread.push({
      topologyKey: str(co.topologyKey, file, `${f}.topologyKey`),
      maxSkew: co.maxSkew === undefined ? 1 : boundedInt(co.maxSkew, file, `${f}.maxSkew`, 1, 1_000_000, 'a skew'),
      hard: (co.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule',
      matchLabels: selectorLabels(co.labelSelector, file, `${f}.labelSelector`),
    });
  });
  return info;
}

// ---------------------------------------------------------------------------------------------------------------
// typed accessors that report the file and field

function obj(v: unknown, file: string, field: string): Obj {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new InputError(file, field, `expected a mapping, got ${showValue(v, { file, field })}`);
  return v;
}
function arr(v: unknown, file: string, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError(file, field, `expected a list, got ${showValue(v, { file, field })}`);
  return v;
}
function str(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v === '') throw new InputError(file, field, `expected a non-empty string, got ${showValue(v, { file, field })}`);
  return v;
}
function optStr(v: unknown, file: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(file, field, `expected a string, got ${showValue(v, { file, field })}`);
  return v;
}
function labels(v: unknown, file: string, field: string): Record<string, string> {
  const o = obj(v, file, field);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    const f = fieldPath(field, k);
    if (val === null || typeof val === 'object') throw new InputError(file, f, `expected a label value, got ${showValue(val, { file, field: f })}`);
    out[k] = String(val);
  }
  return out;
}
