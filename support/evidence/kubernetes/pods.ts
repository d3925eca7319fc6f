/** Finding a descriptor node's pods and where they run, in one cluster's Kubernetes evidence. Pure. */
import type { KubernetesClusterInfo, PodInfo } from '../model.ts';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

// A Deployment's pods are `<name>-<replicaset hash>-<pod hash>` (hashes use an alphabet without vowels), a
// StatefulSet's and a workload template's are `<name>-<i>`.
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const REPLICA_SUFFIX = new RegExp(`^-(\\d+|${SAFE}{5}|${SAFE}{6,10}-${SAFE}{5})$`);

/** the pods of a workload named like a descriptor node: label `app` = name, else the pod name (plus a replica suffix) */
export function podsNamed(cluster: KubernetesClusterInfo, name: string): PodInfo[] {
  const byApp = cluster.pods.filter((p) => p.labels?.app === name);
  if (byApp.length) return byApp;
  return cluster.pods.filter((p) => p.name === name || (p.name.startsWith(name) && REPLICA_SUFFIX.test(p.name.slice(name.length))));
}

export function zoneLabel(labels: Record<string, string> | undefined): string | undefined {
  for (const key of ZONE_KEYS) if (labels?.[key]) return labels[key];
  return undefined;
}

/**
 * Where one of these pods runs: the worker node it is scheduled on (`nodeName`: a Pod manifest or the API) and that
 * node's zone label. A manifest pod without `nodeName` may still be pinned by a required node affinity
 * (fabric-operator pins each orderer to a zone that way): a single-valued `kubernetes.io/hostname` or zone term
 * counts as its placement. Each value comes with the source it was read from.
 */
export function podPlacement(
  cluster: KubernetesClusterInfo,
  pods: PodInfo[],
): { workerNode?: { value: string; source: string }; zone?: { value: string; source: string } } {
  if (!pods.length) return {};
  const pod = pods.find((p) => p.nodeName) ?? pods[0];
  const pinned = (keys: string[]) =>
    pod.affinity.requiredNodeAffinity.find((t) => keys.includes(t.key) && t.operator === 'In' && t.values.length === 1)?.values[0];
  const out: ReturnType<typeof podPlacement> = {};
  const workerNode = pod.nodeName ?? pinned([HOSTNAME_KEY]);
  if (workerNode) out.workerNode = { value: workerNode, source: pod.nodeName ? `${pod.source} spec.nodeName` : `${pod.source} required node affinity` };
  const node = workerNode ? cluster.nodes.find((n) => n.name === workerNode || n.labels[HOSTNAME_KEY] === workerNode) : undefined;
  const nodeZone = node ? zoneLabel(node.labels) : undefined;
  if (nodeZone) out.zone = { value: nodeZone, source: `${node!.source} zone label` };
  else {
    const pinnedZone = pinned(ZONE_KEYS);
    if (pinnedZone) out.zone = { value: pinnedZone, source: `${pod.source} required node affinity` };
  }
  return out;
}
