/**
 * Puts a deployment on a region's cluster and waits until it is ready.
 *
 * Manifests are applied with server-side apply (`KubernetesObjectApi.patch`, `application/apply-patch+yaml`,
 * field manager `ha-conformance`, forced), so a second apply of the same files is a no-op and objects another
 * tool created are taken over rather than failing. Objects that describe what a cluster *observed* rather than
 * what to create are skipped, with a line saying so: `Node` objects (KIND creates the nodes, from the cluster
 * config), Pods owned by a controller (the placement a `kubectl get pods -o yaml` recorded; their controller
 * creates them) and anything that is not a Kubernetes object (a KIND cluster config lying in the same folder).
 *
 * Readiness: Deployments (available = desired, at the current generation), StatefulSets (ready = desired),
 * DaemonSets (ready = desired scheduled), bare Pods (Ready condition), Jobs (succeeded). Progress lines every
 * 10 s; at the bound the error names the region, the context, each object still not ready, the bound, and the
 * first reason a pod of it gives (Pending: unschedulable, image pull, crash loop…).
 */
import { extname } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { BrokenError } from '../../errors.ts';
import { parseJson, parseYamlDocuments, readText } from '../../evidence/input.ts';
import { listManifestFiles } from '../../evidence/kubernetes/manifests.ts';

export const FIELD_MANAGER = 'ha-conformance';

type Obj = Record<string, unknown>;

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

function rec(v: unknown): Obj {
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

function apiError(err: unknown): string {
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

// ---------------------------------------------------------------------------------------------------------------
// readiness

export interface Readiness {
  ready: boolean;
  /** e.g. `1/2 ready` */
  progress: string;
}

function int(v: unknown, dflt = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

/** Whether an object, as read from the API, is ready. Kinds without a notion of readiness are ready. */
export function readinessOf(o: Obj): Readiness {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const meta = rec(o.metadata);
  const current = int(status.observedGeneration, 0) >= int(meta.generation, 0);
  switch (o.kind) {
    case 'Deployment': {
      const want = int(spec.replicas, 1);
      const available = int(status.availableReplicas);
      const updated = int(status.updatedReplicas);
      return { ready: current && available >= want && updated >= want, progress: `${available}/${want} available` };
    }
    case 'StatefulSet': {
      const want = int(spec.replicas, 1);
      const ready = int(status.readyReplicas);
      return { ready: current && ready >= want, progress: `${ready}/${want} ready` };
    }
    case 'DaemonSet': {
      const want = int(status.desiredNumberScheduled);
      const ready = int(status.numberReady);
      return { ready: current && want > 0 && ready >= want, progress: `${ready}/${want} ready` };
    }
    case 'Pod': {
      const cond = (Array.isArray(status.conditions) ? status.conditions : []).map(rec).find((c) => c.type === 'Ready');
      return { ready: cond?.status === 'True', progress: String(status.phase ?? 'unknown phase') };
    }
    case 'Job': {
      const want = int(spec.completions, 1);
      const done = int(status.succeeded);
      return { ready: done >= want, progress: `${done}/${want} succeeded` };
    }
    default:
      return { ready: true, progress: 'present' };
  }
}

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Pod', 'Job']);

/** The first reason one of the workload's pods gives for not being ready (for the timeout message). */
async function podReason(core: CoreV1Api, o: Obj): Promise<string | undefined> {
  const meta = rec(o.metadata);
  const ns = String(meta.namespace ?? 'default');
  let pods: Obj[];
  if (o.kind === 'Pod') pods = [o];
  else {
    const match = rec(rec(rec(o.spec).selector).matchLabels);
    const selector = Object.entries(match)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
    if (!selector) return undefined;
    try {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: selector });
      pods = (list.items ?? []).map((p) => JSON.parse(JSON.stringify(p)) as Obj);
    } catch {
      return undefined;
    }
    if (!pods.length) return 'no pods created yet';
  }
  for (const p of pods) {
    if (readinessOf({ ...p, kind: 'Pod' }).ready) continue;
    const name = String(rec(p.metadata).name);
    const status = rec(p.status);
    for (const c of (Array.isArray(status.containerStatuses) ? status.containerStatuses : []).map(rec)) {
      const waiting = rec(rec(c.state).waiting);
      if (waiting.reason) return `pod ${name}: container ${String(c.name)} ${String(waiting.reason)}${waiting.message ? `: ${String(waiting.message).slice(0, 200)}` : ''}`;
      const term = rec(rec(c.state).terminated);
      if (term.reason) return `pod ${name}: container ${String(c.name)} terminated: ${String(term.reason)}`;
    }
    const unsched = (Array.isArray(status.conditions) ? status.conditions : []).map(rec).find((c) => c.status === 'False' && c.message);
    if (unsched) return `pod ${name} ${String(status.phase ?? '')}: ${String(unsched.reason ?? '')} ${String(unsched.message).slice(0, 300)}`.replace(/\s+/g, ' ');
    return `pod ${name} ${String(status.phase ?? 'not ready')}`;
  }
  return undefined;
}

export interface WaitOptions {
  kc: KubeConfig;
  region: string;
  context: string;
  timeoutMs: number;
  log: (line: string) => void;
  /** poll interval (default 2 s) and progress line interval (default 10 s) */
  pollMs?: number;
  progressMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wait until every workload among `refs` is ready; BrokenError naming what is not at the bound. */
export async function waitForReady(refs: ObjectRef[], o: WaitOptions): Promise<void> {
  const workloads = refs.filter((r) => WORKLOAD_KINDS.has(r.kind));
  if (!workloads.length) return;
  const client = KubernetesObjectApi.makeApiClient(o.kc);
  const core = o.kc.makeApiClient(CoreV1Api);
  const t0 = Date.now();
  const pollMs = o.pollMs ?? 2000;
  const progressMs = o.progressMs ?? 10_000;
  let lastProgress = t0;
  let pending: Array<{ ref: ObjectRef; obj?: Obj; progress: string }> = [];
  for (;;) {
    pending = [];
    for (const ref of workloads) {
      try {
        const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
        const obj = JSON.parse(JSON.stringify(await client.read(header))) as Obj;
        const r = readinessOf({ ...obj, kind: ref.kind });
        if (!r.ready) pending.push({ ref, obj, progress: r.progress });
      } catch (err) {
        pending.push({ ref, progress: `not readable: ${apiError(err)}` });
      }
    }
    if (!pending.length) {
      o.log(`${o.region}: ${workloads.length} workload${workloads.length === 1 ? '' : 's'} ready in ${Math.round((Date.now() - t0) / 1000)} s`);
      return;
    }
    const elapsed = Date.now() - t0;
    if (elapsed >= o.timeoutMs) break;
    if (Date.now() - lastProgress >= progressMs) {
      lastProgress = Date.now();
      const shown = pending.slice(0, 4).map((p) => `${describeRef(p.ref)} ${p.progress}`);
      o.log(
        `${o.region}: waiting for ${pending.length} of ${workloads.length} workloads: ${shown.join(', ')}${pending.length > 4 ? ', …' : ''} ` +
          `(${Math.round(elapsed / 1000)} s of ${Math.round(o.timeoutMs / 1000)} s)`,
      );
    }
    await sleep(Math.min(pollMs, Math.max(0, o.timeoutMs - elapsed)));
  }
  const lines: string[] = [];
  for (const p of pending) {
    const reason = p.obj ? await podReason(core, { ...p.obj, kind: p.ref.kind }).catch(() => undefined) : undefined;
    lines.push(`  ${describeRef(p.ref)}: ${p.progress}${reason ? ` (${reason})` : ''}`);
  }
  throw new BrokenError(
    `${o.region} (context ${o.context}): ${pending.length} of ${workloads.length} workloads not ready within ${Math.round(o.timeoutMs / 1000)} s:\n${lines.join('\n')}`,
  );
}

/** Wait until every node of the cluster reports Ready. */
export async function waitForNodes(o: WaitOptions & { expected: number }): Promise<string[]> {
  const core = o.kc.makeApiClient(CoreV1Api);
  const t0 = Date.now();
  let lastProgress = t0;
  let state = 'no answer yet';
  for (;;) {
    try {
      const nodes = (await core.listNode()).items ?? [];
      const ready = nodes.filter((n) => (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
      state = `${ready.length}/${o.expected} nodes Ready`;
      if (nodes.length >= o.expected && ready.length === nodes.length) return nodes.map((n) => String(n.metadata?.name));
    } catch (err) {
      state = `API not answering: ${apiError(err)}`;
    }
    const elapsed = Date.now() - t0;
    if (elapsed >= o.timeoutMs) {
      throw new BrokenError(`${o.region} (context ${o.context}): nodes not Ready within ${Math.round(o.timeoutMs / 1000)} s (${state})`);
    }
    if (Date.now() - lastProgress >= (o.progressMs ?? 10_000)) {
      lastProgress = Date.now();
      o.log(`${o.region}: waiting for nodes: ${state} (${Math.round(elapsed / 1000)} s of ${Math.round(o.timeoutMs / 1000)} s)`);
    }
    await sleep(Math.min(o.pollMs ?? 2000, Math.max(0, o.timeoutMs - elapsed)));
  }
}
