/**
 * Live Kubernetes evidence, read from the API through a kubeconfig context, or (descriptor opt-in `inCluster`)
 * through the service account of the pod ha-validate runs in, with `@kubernetes/client-node`:
 * pods (worker node, labels, readiness, affinity), nodes (region and zone labels), Services with the pods their
 * EndpointSlices (or, on clusters without discovery.k8s.io/v1, Endpoints) list as ready, and kube-proxy's mode
 * from the `kube-proxy` ConfigMap in `kube-system`.
 *
 * Read-only: GET and LIST calls only. Pods, nodes and Services go through the manifest collector's own mapping
 * (`addManifestObject` of `manifests.ts`), so a live pod and a manifest pod land in exactly the same `PodInfo`
 * shape; only what a manifest cannot know (the controlling owner, readiness, endpoints) is added here.
 */
import { isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { ApiException, CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { BrokenError, InputError } from '../../errors.ts';
import { inspectPathSync, parserMessage, readBytesSync, type NamedBy } from '../input.ts';
import type { KubernetesClusterInfo } from '../model.ts';
import { addManifestObject, type ManifestContents } from './manifests.ts';

/**
 * Where a Kubernetes client may read a cluster from. Only what the descriptor names: a kubeconfig file and a context
 * in it, or — when a region says `inCluster: true` — the service account of the pod the validator runs in. Chosen in
 * `kubeAccessOf` (live/collect.ts), built in `kubeConfigFor`.
 */
export type KubeAccess =
  | {
      inCluster?: false;
      /** kubeconfig file */
      kubeconfig: string;
      /** context in that file */
      context: string;
      /** the descriptor field that named the kubeconfig, for errors */
      namedBy?: NamedBy;
    }
  | {
      inCluster: true;
      /** the mounted service-account token and CA (default: Kubernetes' standard path) */
      serviceAccountDir?: string;
      /** where KUBERNETES_SERVICE_HOST/PORT are read (default: the process environment, which the kubelet sets) */
      env?: NodeJS.ProcessEnv;
    };

export interface KubeAccessPolicy {
  /** let the kubeconfig's exec and auth-provider plugins run (they start programs and may call other servers) */
  allowExecAuth?: boolean;
}

export type KubernetesApiOptions = KubeAccess & {
  /** what the kubeconfig may make the client do */
  policy?: KubeAccessPolicy;
  /** read pods, Services and endpoints of this namespace only (default: every namespace) */
  namespace?: string;
  /** bound per API call, ms (default 20 s) */
  timeoutMs?: number;
};

/** where Kubernetes mounts a pod's service-account token, CA and namespace */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** the context name in-cluster reads are reported under (sources `kube-api:in-cluster/…`, messages) */
export const IN_CLUSTER_CONTEXT = 'in-cluster';

/** kube-proxy's default mode on Linux when its configuration leaves `mode` empty. */
export const KUBE_PROXY_DEFAULT_MODE = 'iptables';

type Obj = Record<string, unknown>;

const PAGE = 500;

/**
 * The one place a Kubernetes client configuration is built. The kubeconfig is read through the bounded input layer
 * (a regular file within its cap; nothing from it is quoted), on `context`; the files it names are checked the same
 * way; exec and auth-provider plugins are refused unless the policy allows them. Never $KUBECONFIG, ~/.kube/config
 * or in-cluster defaults: only the access given.
 */
export function kubeConfigFor(access: KubeAccess, policy: KubeAccessPolicy = {}): KubeConfig {
  if (access.inCluster) return inClusterKubeConfig(access.serviceAccountDir, access.env);
  const { kubeconfig, context } = access;
  const text = readBytesSync(kubeconfig, 'kubeconfig', { namedBy: access.namedBy }).toString('utf8');
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (err) {
    // the YAML parser quotes the text around a problem, and a kubeconfig holds credentials: only where, and what
    const mark = (err as { mark?: { line?: number; column?: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (mark ? 'YAML syntax error' : parserMessage((err as Error).message));
    const where = mark?.line !== undefined ? ` at line ${mark.line + 1}, column ${(mark.column ?? 0) + 1}` : '';
    throw new InputError(kubeconfig, '', `not a readable kubeconfig${where}: ${reason}`, { cause: err });
  }
  kc.makePathsAbsolute(dirname(kubeconfig));
  const names = kc.getContexts().map((c) => c.name);
  if (!names.includes(context)) {
    throw new InputError(kubeconfig, 'contexts', `no context named "${context}"; the file has ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`);
  }
  kc.setCurrentContext(context);
  const ctx = kc.getContextObject(context);
  const user = kc.getCurrentUser();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new InputError(kubeconfig, `contexts[${JSON.stringify(context)}].cluster`, `context "${context}" names a cluster the file does not have`);
  if (user && (user.exec || user.authProvider) && !policy.allowExecAuth) {
    const plugin = user.exec ? `an exec plugin (${JSON.stringify(String((user.exec as { command?: unknown }).command ?? ''))})` : `an auth-provider plugin (${JSON.stringify(String((user.authProvider as { name?: unknown }).name ?? ''))})`;
    throw new InputError(
      kubeconfig,
      `users[${JSON.stringify(ctx?.user ?? user.name)}].${user.exec ? 'exec' : 'auth-provider'}`,
      `the credentials of context "${context}" come from ${plugin}, which runs a program or calls another server; --live does not unless the descriptor sets live.kubernetes.allowExecAuth: true`,
    );
  }
  // the files the context points at (CA, client certificate and key): regular files within the caps, or nothing is read
  const files: Array<[string, string | undefined]> = [
    ['certificate-authority', cluster.caFile],
    ['client-certificate', user?.certFile],
    ['client-key', user?.keyFile],
  ];
  for (const [field, file] of files) {
    const problem = file ? inspectPathSync(file, 'file', 'certificate') : undefined;
    if (problem) throw new InputError(kubeconfig, field, `${file}: ${problem}`);
  }
  return kc;
}

/**
 * A KubeConfig for the cluster this process runs in: the API server from KUBERNETES_SERVICE_HOST/PORT, the
 * cluster CA and a bearer token from the mounted service account. The token is read on each call (a collection
 * builds its own), so a projected token that the kubelet rotates is picked up; no auth plugin is involved.
 */
export function inClusterKubeConfig(dir: string = SERVICE_ACCOUNT_DIR, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const hint = 'inCluster: true reads the cluster ha-validate runs in, from a pod with a mounted service-account token';
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new InputError(dir, '', `KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a Kubernetes pod (${hint})`);
  const tokenFile = join(dir, 'token');
  const caFile = join(dir, 'ca.crt');
  // the bounded input layer: regular files under their caps (a projected token is a symlink to one)
  let token: string;
  try {
    token = readBytesSync(tokenFile, 'kubeconfig').toString('utf8').trim();
  } catch (err) {
    const reason = err instanceof InputError ? err.problem : (err as Error).message;
    throw new InputError(tokenFile, '', `the service-account token cannot be read (${reason}): ${hint}`, { cause: err });
  }
  if (!token) throw new InputError(tokenFile, '', `the service-account token is empty (${hint})`);
  const caProblem = inspectPathSync(caFile, 'file', 'certificate');
  if (caProblem) throw new InputError(caFile, '', `the cluster CA cannot be read: ${caProblem} (${hint})`);
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: IN_CLUSTER_CONTEXT, server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile, skipTLSVerify: false },
    { name: 'service-account', token },
  );
  return kc;
}

/** A KubeConfig on `context` of a kubeconfig file the harness was given (see `kubeConfigFor`). */
export function loadKubeConfig(kubeconfig: string, context: string, policy: KubeAccessPolicy = {}, namedBy?: NamedBy): KubeConfig {
  return kubeConfigFor({ kubeconfig, context, ...(namedBy ? { namedBy } : {}) }, policy);
}

function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as { message?: string } | string | undefined;
    let msg = typeof body === 'string' ? body : body?.message;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        /* plain text body */
      }
    }
    return `HTTP ${err.code}${msg ? `: ${String(msg).slice(0, 300)}` : ''}`;
  }
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code;
  return `${code ? `${code}: ` : ''}${e?.message ?? String(err)}`;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** Plain JSON (dates as strings) of what client-node returns. Pod, Node and Service fields keep their API names. */
function plain(v: unknown): Obj {
  return JSON.parse(JSON.stringify(v ?? {})) as Obj;
}

class ApiReader {
  constructor(
    readonly context: string,
    readonly server: string,
    private readonly timeoutMs: number,
  ) {}

  /** One API call with a bound; failures become BrokenError naming the context, what was read and why. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to the read of ${what} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  broken(what: string, err: unknown): BrokenError {
    return new BrokenError(`Kubernetes API of context ${this.context} (${this.server}): could not read ${what}: ${describeApiError(err)}`, { cause: err });
  }

  /** Every page of a LIST call. */
  async list(what: string, page: (cont: string | undefined) => Promise<{ items: unknown[]; metadata?: { _continue?: string } }>): Promise<Obj[]> {
    const out: Obj[] = [];
    let cont: string | undefined;
    do {
      let r;
      try {
        r = await this.call(what, () => page(cont));
      } catch (err) {
        throw this.broken(what, err);
      }
      for (const item of r.items ?? []) out.push(plain(item));
      cont = r.metadata?._continue || undefined;
    } while (cont);
    return out;
  }
}

function rec(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The controlling owner as `Kind/name`; a ReplicaSet of a Deployment is named back to its Deployment. */
export function ownerOf(pod: Obj): string {
  const meta = rec(pod.metadata);
  const name = String(meta.name ?? '');
  const refs = list(meta.ownerReferences).map(rec);
  const ctl = refs.find((r) => r.controller === true) ?? refs[0];
  if (!ctl) return `Pod/${name}`;
  const kind = String(ctl.kind ?? '');
  const ownerName = String(ctl.name ?? '');
  const hash = rec(meta.labels)['pod-template-hash'];
  if (kind === 'ReplicaSet' && typeof hash === 'string' && ownerName.endsWith(`-${hash}`)) {
    return `Deployment/${ownerName.slice(0, -(hash.length + 1))}`;
  }
  return `${kind}/${ownerName}`;
}

/** The pod's Ready condition; a pod being deleted is not counted as ready. */
export function podReady(pod: Obj): boolean {
  if (rec(pod.metadata).deletionTimestamp) return false;
  const cond = list(rec(pod.status).conditions)
    .map(rec)
    .find((c) => c.type === 'Ready');
  return cond?.status === 'True';
}

/** Ready pod names per Service (`namespace/name`) from EndpointSlices. A nil `ready` means ready (API contract). */
export function endpointsFromSlices(slices: Obj[]): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const s of slices) {
    const meta = rec(s.metadata);
    const svc = rec(meta.labels)['kubernetes.io/service-name'];
    if (typeof svc !== 'string') continue;
    const key = `${String(meta.namespace ?? 'default')}/${svc}`;
    const set = by.get(key) ?? new Set<string>();
    by.set(key, set);
    for (const e of list(s.endpoints).map(rec)) {
      const ready = rec(e.conditions).ready;
      const ref = rec(e.targetRef);
      if (ready !== false && ref.kind === 'Pod' && typeof ref.name === 'string') set.add(ref.name);
    }
  }
  return by;
}

/** Ready pod names per Service from core/v1 Endpoints (`addresses`; `notReadyAddresses` are left out). */
export function endpointsFromEndpoints(endpoints: Obj[]): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const ep of endpoints) {
    const meta = rec(ep.metadata);
    const key = `${String(meta.namespace ?? 'default')}/${String(meta.name)}`;
    const set = by.get(key) ?? new Set<string>();
    by.set(key, set);
    for (const sub of list(ep.subsets).map(rec)) {
      for (const a of list(sub.addresses).map(rec)) {
        const ref = rec(a.targetRef);
        if (ref.kind === 'Pod' && typeof ref.name === 'string') set.add(ref.name);
      }
    }
  }
  return by;
}

/** `mode` of kube-proxy's `config.conf` (a KubeProxyConfiguration); empty means iptables on Linux. */
export function kubeProxyModeFrom(configConf: string | undefined, source: string): { mode: string; source: string } {
  let mode: unknown;
  if (configConf) {
    try {
      mode = rec(YAML.parse(configConf)).mode;
    } catch (err) {
      throw new InputError(source, 'config.conf', `not a readable KubeProxyConfiguration: ${(err as Error).message}`, { cause: err });
    }
  }
  if (typeof mode === 'string' && mode.trim() !== '') return { mode: mode.trim(), source: `${source}#config.conf mode` };
  return { mode: KUBE_PROXY_DEFAULT_MODE, source: `${source}#config.conf mode (empty: kube-proxy's default on Linux)` };
}

/** Read one region's cluster through the API. GET/LIST only. */
export async function collectKubernetesApiEvidence(region: string, o: KubernetesApiOptions): Promise<KubernetesClusterInfo> {
  const kc = kubeConfigFor(o, o.policy);
  const context = o.inCluster ? IN_CLUSTER_CONTEXT : o.context;
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  const r = new ApiReader(context, server, o.timeoutMs ?? 20_000);
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const ns = o.namespace;
  const where = ns ? `in namespace ${ns}` : 'in all namespaces';
  const base = `kube-api:${context}`;
  const path = (resource: string, group = '/api/v1') => `${base}${group}${ns ? `/namespaces/${ns}` : ''}/${resource}`;

  const [pods, nodes, services] = await Promise.all([
    r.list(`pods ${where}`, (c) => (ns ? core.listNamespacedPod({ namespace: ns, limit: PAGE, _continue: c }) : core.listPodForAllNamespaces({ limit: PAGE, _continue: c }))),
    r.list('nodes', (c) => core.listNode({ limit: PAGE, _continue: c })),
    r.list(`services ${where}`, (c) =>
      ns ? core.listNamespacedService({ namespace: ns, limit: PAGE, _continue: c }) : core.listServiceForAllNamespaces({ limit: PAGE, _continue: c }),
    ),
  ]);

  // Ready endpoints: EndpointSlices (discovery.k8s.io/v1, every supported Kubernetes), else core/v1 Endpoints.
  let ready: Map<string, Set<string>>;
  let endpointSource: string;
  try {
    const slices = await r.list(`endpointslices ${where}`, (c) =>
      ns
        ? discovery.listNamespacedEndpointSlice({ namespace: ns, limit: PAGE, _continue: c })
        : discovery.listEndpointSliceForAllNamespaces({ limit: PAGE, _continue: c }),
    );
    ready = endpointsFromSlices(slices);
    endpointSource = path('endpointslices', '/apis/discovery.k8s.io/v1');
  } catch (err) {
    const code = statusOf((err as Error).cause);
    if (code !== 404 && code !== 403) throw err;
    const eps = await r.list(`endpoints ${where}`, (c) =>
      ns ? core.listNamespacedEndpoints({ namespace: ns, limit: PAGE, _continue: c }) : core.listEndpointsForAllNamespaces({ limit: PAGE, _continue: c }),
    );
    ready = endpointsFromEndpoints(eps);
    endpointSource = path('endpoints');
  }

  let kubeProxyMode: KubernetesClusterInfo['kubeProxyMode'];
  const cmSource = `${base}/api/v1/namespaces/kube-system/configmaps/kube-proxy`;
  try {
    const cm = plain(await r.call('configmap kube-system/kube-proxy', () => core.readNamespacedConfigMap({ name: 'kube-proxy', namespace: 'kube-system' })));
    kubeProxyMode = kubeProxyModeFrom(rec(cm.data)['config.conf'] as string | undefined, cmSource);
  } catch (err) {
    if (err instanceof InputError) throw err;
    // No kube-proxy ConfigMap (a cluster without kube-proxy, or no right to read kube-system): mode unknown.
    if (statusOf(err) !== 404 && statusOf(err) !== 403) throw r.broken('configmap kube-system/kube-proxy', err);
  }

  // The manifest collector's mapping, fed the live objects (list items carry no kind/apiVersion of their own).
  const contents: ManifestContents = { pods: [], services: [], nodes: [], configMaps: [], files: [] };
  const podsFile = path('pods');
  const podObjects = new Map<string, Obj>();
  for (const [i, p] of pods.entries()) {
    addManifestObject(contents, { ...p, apiVersion: 'v1', kind: 'Pod' }, podsFile, `items[${i}]`);
    const meta = rec(p.metadata);
    podObjects.set(`${String(meta.namespace ?? 'default')}/${String(meta.name)}`, p);
  }
  for (const pod of contents.pods) {
    const live = podObjects.get(`${pod.namespace}/${pod.name}`);
    if (!live) continue;
    pod.owner = ownerOf(live);
    pod.ready = podReady(live);
  }
  const nodesFile = `${base}/api/v1/nodes`;
  nodes.forEach((n, i) => addManifestObject(contents, { ...n, apiVersion: 'v1', kind: 'Node' }, nodesFile, `items[${i}]`));
  const servicesFile = path('services');
  services.forEach((s, i) => addManifestObject(contents, { ...s, apiVersion: 'v1', kind: 'Service' }, servicesFile, `items[${i}]`));
  for (const svc of contents.services) {
    svc.endpoints = [...(ready.get(`${svc.namespace}/${svc.name}`) ?? [])].sort();
  }

  const info: KubernetesClusterInfo = {
    region,
    origin: 'api',
    pods: contents.pods,
    services: contents.services,
    nodes: contents.nodes,
    sources: [podsFile, nodesFile, servicesFile, endpointSource, ...(kubeProxyMode ? [cmSource] : [])],
  };
  if (kubeProxyMode) info.kubeProxyMode = kubeProxyMode;
  return info;
}
