/**
 * Puts a deployment on a region's cluster (readiness.ts waits until it is ready).
 *
 * Manifests are applied with server-side apply (`KubernetesObjectApi.patch`, `application/apply-patch+yaml`,
 * field manager `ha-conformance`, forced), so a second apply of the same files is a no-op and objects another
 * tool created are taken over rather than failing. Objects that describe what a cluster *observed* rather than
 * what to create are skipped, with a line saying so: `Node` objects (KIND creates the nodes, from the cluster
 * config), Pods owned by a controller (the placement a `kubectl get pods -o yaml` recorded; their controller
 * creates them) and anything that is not a Kubernetes object (a KIND cluster config lying in the same folder).
 */
import { extname } from 'node:path';
import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { BrokenError } from '../../errors.ts';
import { parseJson, parseYamlDocuments, readText } from '../../evidence/input.ts';
import { listManifestFiles } from '../../evidence/kubernetes/manifests.ts';

export const FIELD_MANAGER = 'ha-conformance';

export type Obj = Record<string, unknown>;

export interface ManifestObject {
  object: Obj;
  /** `file#documents[i]` */
  source: string;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export function refOf(o: Obj): ObjectRef {
  const meta = (o.metadata ?? {}) as Obj;
  return {
    apiVersion: String(o.apiVersion ?? 'v1'),
    kind: String(o.kind),
    name: String(meta.name),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
  };
}

export function describeRef(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function rec(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

/** Every Kubernetes object in these files and directories (multi-document YAML or JSON; `List`s unpacked). */
export async function readManifestObjects(paths: string[]): Promise<ManifestObject[]> {
  const out: ManifestObject[] = [];
  for (const file of await listManifestFiles(paths)) {
    const text = await readText(file, 'manifest');
    const docs: Array<{ index: number; value: unknown }> =
      extname(file).toLowerCase() === '.json' ? [{ index: 0, value: parseJson(text, file, 'Kubernetes manifest JSON') }] : parseYamlDocuments(text, file);
    for (const { index, value } of docs) {
      const visit = (v: unknown, where: string) => {
        const o = rec(v);
        if (typeof o.kind !== 'string') return;
        if (o.kind === 'List' && Array.isArray(o.items)) {
          o.items.forEach((item, j) => visit(item, `${where}.items[${j}]`));
          return;
        }
        out.push({ object: o, source: `${file}#${where}` });
      };
      visit(value, `documents[${index}]`);
    }
  }
  return out;
}

/** Why an object is not applied, or undefined when it is. */
export function skipReason(o: Obj): string | undefined {
  const apiVersion = String(o.apiVersion ?? '');
  const meta = rec(o.metadata);
  if (apiVersion.startsWith('kind.x-k8s.io/')) return 'a KIND cluster config, not a Kubernetes object';
  if (o.kind === 'Node') return 'Node objects are created by KIND from the cluster config';
  if (o.kind === 'Pod' && Array.isArray(meta.ownerReferences) && meta.ownerReferences.length) {
    return 'an observed Pod owned by a controller (the controller creates it)';
  }
  if (typeof meta.name !== 'string' || !meta.name) return 'no metadata.name';
  return undefined;
}

// Namespaces and cluster-wide definitions first, then what pods mount, then Services, then workloads.
const ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'StorageClass',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'EndpointSlice',
];

export function applyOrder(objects: Obj[]): Obj[] {
  const rank = (o: Obj) => {
    const i = ORDER.indexOf(String(o.kind));
    return i >= 0 ? i : ORDER.length;
  };
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map((x) => x.o);
}

/** What the Kubernetes API said, in one line. */
export function apiError(err: unknown): string {
  if (err instanceof ApiException) {
    let msg: string | undefined;
    const body = err.body as unknown;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        msg = body;
      }
    } else msg = rec(body).message as string | undefined;
    return `HTTP ${err.code}${msg ? `: ${String(msg).slice(0, 400)}` : ''}`;
  }
  return (err as Error)?.message ?? String(err);
}

export interface ApplyOptions {
  kc: KubeConfig;
  region: string;
  context: string;
  log: (line: string) => void;
  /** namespace for objects that name none (default: the context's, else `default`) */
  defaultNamespace?: string;
}

/** Server-side apply every object (namespaces they need included). Returns the refs applied, in order. */
export async function applyManifests(objects: ManifestObject[], o: ApplyOptions): Promise<ObjectRef[]> {
  const client = KubernetesObjectApi.makeApiClient(o.kc);
  const kept: Array<{ object: Obj; source: string }> = [];
  for (const m of objects) {
    const why = skipReason(m.object);
    if (why) o.log(`${o.region}: not applying ${String(m.object.kind)} ${String(rec(m.object.metadata).name ?? '')} (${m.source}): ${why}`);
    else kept.push(m);
  }
  const namespaces = new Set<string>();
  for (const m of kept) {
    const meta = rec(m.object.metadata);
    if (m.object.kind !== 'Namespace' && typeof meta.namespace === 'string') namespaces.add(meta.namespace);
  }
  const declared = new Set(kept.filter((m) => m.object.kind === 'Namespace').map((m) => String(rec(m.object.metadata).name)));
  const toApply: Array<{ object: Obj; source: string }> = [
    ...[...namespaces]
      .filter((n) => !declared.has(n) && n !== 'default')
      .map((n) => ({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } } as Obj, source: `(namespace ${n}, used by the manifests)` })),
  ];
  const bySpec = new Map<Obj, string>();
  for (const m of kept) bySpec.set(m.object, m.source);
  for (const obj of applyOrder(kept.map((m) => m.object))) toApply.push({ object: obj, source: bySpec.get(obj)! });

  const applied: ObjectRef[] = [];
  for (const m of toApply) {
    // a copy: client-node fills in defaults (namespace) on the object it is given
    const spec = structuredClone(m.object) as unknown as KubernetesObject;
    const meta = rec(spec.metadata);
    if (!meta.namespace && o.defaultNamespace && isLikelyNamespaced(String(spec.kind))) meta.namespace = o.defaultNamespace;
    try {
      await client.patch(spec, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      throw new BrokenError(
        `${o.region} (context ${o.context}): applying ${describeRef(refOf(m.object as Obj))} from ${m.source} failed: ${apiError(err)}`,
        { cause: err },
      );
    }
    const ref = refOf(spec as unknown as Obj);
    applied.push(ref);
    o.log(`${o.region}: applied ${describeRef(ref)}`);
  }
  return applied;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass']);
function isLikelyNamespaced(kind: string): boolean {
  return !CLUSTER_SCOPED.has(kind);
}
