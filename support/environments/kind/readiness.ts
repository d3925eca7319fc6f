/**
 * Waits until what was put on a region's cluster is ready: its nodes, then its workloads — Deployments (available =
 * desired, at the current generation), StatefulSets (ready = desired), DaemonSets (ready = desired scheduled), bare
 * Pods (Ready condition), Jobs (succeeded). Progress lines every 10 s; at the bound the error names the region, the
 * context, each object still not ready, the bound, and the first reason a pod of it gives (Pending: unschedulable,
 * image pull, crash loop…).
 */
import { CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { BrokenError } from '../../errors.ts';
import { apiError, describeRef, rec, type Obj, type ObjectRef } from './deploy.ts';

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
