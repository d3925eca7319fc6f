/** Kubernetes lookups shared by the placement and gateway checks. Pure. */
import type { FabricEvidence, KubernetesClusterInfo, PodInfo } from '../evidence/model.ts';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEYS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];

export function clusterOf(fabric: FabricEvidence, region: string): KubernetesClusterInfo | undefined {
  return (fabric.kubernetes ?? []).find((k) => k.region === region);
}

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

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

export function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}` : '{}';
}

export function zoneLabel(labels: Record<string, string> | undefined): string | undefined {
  for (const key of ZONE_KEYS) if (labels?.[key]) return labels[key];
  return undefined;
}

/** zone of a worker node, from the cluster's node labels */
export function zoneOfNode(cluster: KubernetesClusterInfo | undefined, nodeName: string | undefined): string | undefined {
  if (!cluster || !nodeName) return undefined;
  return zoneLabel(cluster.nodes.find((n) => n.name === nodeName)?.labels);
}

/** distinct zones the cluster's worker nodes are labelled with */
export function zonesOf(cluster: KubernetesClusterInfo | undefined): string[] {
  if (!cluster) return [];
  return [...new Set(cluster.nodes.map((n) => zoneLabel(n.labels)).filter((z): z is string => Boolean(z)))];
}

export function clusterSources(cluster: KubernetesClusterInfo): string {
  const s = cluster.sources?.length ? cluster.sources : [cluster.origin];
  return s.length > 2 ? `${s.slice(0, 2).join(', ')} and ${s.length - 2} more` : s.join(', ');
}
