/** Kubernetes lookups shared by the placement and gateway checks. Pure. */
import type { FabricEvidence, KubernetesClusterInfo } from '../evidence/model.ts';
import { zoneLabel } from '../evidence/kubernetes/pods.ts';

export { HOSTNAME_KEY, ZONE_KEYS, podsNamed } from '../evidence/kubernetes/pods.ts';

export function clusterOf(fabric: FabricEvidence, region: string | undefined): KubernetesClusterInfo | undefined {
  if (region === undefined) return undefined;
  return (fabric.kubernetes ?? []).find((k) => k.region === region);
}

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

export function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}` : '{}';
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
