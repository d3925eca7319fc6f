/**
 * Where each Fabric node runs, from the evidence that shows it: the region whose Kubernetes evidence (manifests, or
 * the API of its kubeconfig context) holds the node's workload, the worker node its pod is scheduled on, and that
 * node's zone. The descriptor's `region`, `workerNode` and `zone` of a node are claims: the evidence wins, and every
 * claim it contradicts is kept as a conflict for the check that depends on it to report (FAB-ORD-02 and FAB-PEER-01
 * for regions, FAB-ORD-05 for worker nodes and zones), never resolved silently. A claim stands where no evidence
 * shows the node (no Kubernetes evidence for its region, or no pod of it), and says so (`basis: 'claim'`).
 *
 * Pure; run once on the static evidence and again when live Kubernetes evidence replaces a region's manifests.
 */
import type { FabricEvidence, KubernetesClusterInfo, NodePlacement, PlacedValue, PlacementClaims, PlacementConflict } from './model.ts';
import { podPlacement, podsNamed } from './kubernetes/pods.ts';

export interface Placed {
  region?: string;
  workerNode?: string;
  zone?: string;
  cluster?: string;
  placement: NodePlacement;
}

function where(cluster: KubernetesClusterInfo, source: string): string {
  return cluster.origin === 'api' ? `Kubernetes API of region ${cluster.region}: ${source}` : source;
}

/** One node's placement: its claims checked against the clusters of every region. */
export function placeNode(name: string, claims: PlacementClaims, fabric: Pick<FabricEvidence, 'kubernetes' | 'clusterNames'>): Placed {
  const conflicts: PlacementConflict[] = [];
  const claimSource = (field: string) => `${claims.source}.${field}`;
  const claimed = (field: 'region' | 'workerNode' | 'zone'): PlacedValue | undefined =>
    claims[field] === undefined ? undefined : { value: claims[field]!, basis: 'claim', source: claimSource(field) };

  // Region: the clusters whose evidence holds a pod (or workload) of this node.
  const found = (fabric.kubernetes ?? []).map((cluster) => ({ cluster, pods: podsNamed(cluster, name) })).filter((x) => x.pods.length > 0);
  const shown = found.map((x) => ({ value: x.cluster.region, source: where(x.cluster, x.pods[0].source) }));
  let region: PlacedValue | undefined;
  if (found.length === 1) {
    region = { value: shown[0].value, basis: 'evidence', source: shown[0].source };
    if (claims.region !== undefined && claims.region !== region.value) {
      conflicts.push({ field: 'region', claim: claims.region, claimSource: claimSource('region'), evidence: shown });
    }
  } else if (found.length > 1) {
    // deployed in more than one region: the evidence cannot place it, whatever the claim says
    conflicts.push({ field: 'region', ...(claims.region !== undefined ? { claim: claims.region } : {}), claimSource: claimSource('region'), evidence: shown });
    if (claims.region !== undefined && shown.some((s) => s.value === claims.region)) region = claimed('region');
  } else {
    region = claimed('region');
  }

  // Worker node and zone: from the node's pods in the region it is judged in.
  const here = found.find((x) => x.cluster.region === region?.value);
  const seen = here ? podPlacement(here.cluster, here.pods) : {};
  const crossCheck = (field: 'workerNode' | 'zone'): PlacedValue | undefined => {
    const ev = seen[field];
    if (!ev) return claimed(field);
    if (claims[field] !== undefined && claims[field] !== ev.value) {
      conflicts.push({ field, claim: claims[field], claimSource: claimSource(field), evidence: [{ value: ev.value, source: where(here!.cluster, ev.source) }] });
    }
    return { value: ev.value, basis: 'evidence', source: where(here!.cluster, ev.source) };
  };
  const workerNode = crossCheck('workerNode');
  const zone = crossCheck('zone');

  const placement: NodePlacement = { conflicts };
  const out: Placed = { placement };
  if (region) {
    placement.region = region;
    out.region = region.value;
    const cluster = fabric.clusterNames?.[region.value];
    if (cluster) out.cluster = cluster;
  }
  if (workerNode) {
    placement.workerNode = workerNode;
    out.workerNode = workerNode.value;
  }
  if (zone) {
    placement.zone = zone;
    out.zone = zone.value;
  }
  return out;
}

/** Every ordering node and peer placed anew from the fabric's current Kubernetes evidence and its claims. */
export function placeFabric(fabric: FabricEvidence): FabricEvidence {
  const place = <T extends { name: string; claims: PlacementClaims }>(n: T): T => {
    const { region: _r, workerNode: _w, zone: _z, cluster: _c, placement: _p, ...rest } = n as T & Partial<Placed>;
    return { ...(rest as T), ...placeNode(n.name, n.claims, fabric) };
  };
  return {
    ...fabric,
    orderers: fabric.orderers.map(place),
    orgs: fabric.orgs.map((o) => ({ ...o, peers: o.peers.map(place) })),
  };
}

/** `region r3 (target.yaml#…region)`: a claim as a verdict names it */
export function describeClaim(c: PlacementConflict): string {
  return c.claim === undefined ? `no ${c.field} claim` : `${c.field} ${c.claim} (${c.claimSource})`;
}

/** `r1 (k8s/r1/orderers.yaml#StatefulSet/org0-orderer4)` and so on: what the evidence shows, with its sources */
export function describeEvidence(c: PlacementConflict): string {
  return c.evidence.map((e) => `${e.value} (${e.source})`).join(' and ');
}

/** One sentence for a conflict, naming the claim, the evidence and its source. */
export function describeConflict(node: string, c: PlacementConflict): string {
  const what = c.field === 'region' ? 'region' : c.field === 'workerNode' ? 'worker node' : 'zone';
  if (c.field === 'region' && c.evidence.length > 1) {
    return `${node}: its workload is in the Kubernetes evidence of ${c.evidence.length} regions, ${describeEvidence(c)}, so its region is not one place` +
      (c.claim !== undefined ? `; the descriptor claims region ${c.claim} (${c.claimSource})` : '');
  }
  return `${node}: the descriptor claims ${what} ${c.claim} (${c.claimSource}), but the evidence shows ${what} ${describeEvidence(c)}`;
}

/**
 * What the regions of these nodes rest on, for a verdict: `regions from the Kubernetes manifests for 5 ordering
 * nodes`, `… as the descriptor claims them for 2 (no Kubernetes evidence shows org0-orderer4, org0-orderer5)`.
 */
export function regionBasis(nodes: Array<{ name: string; placement: NodePlacement }>, fabric: Pick<FabricEvidence, 'kubernetes'>, what: string): string {
  const origin = (region: string) => (fabric.kubernetes ?? []).find((k) => k.region === region)?.origin;
  const groups = new Map<string, string[]>();
  for (const n of nodes) {
    const r = n.placement.region;
    if (!r) continue;
    const key = r.basis === 'claim' ? 'claim' : origin(r.value) === 'api' ? 'the Kubernetes API' : 'the Kubernetes manifests';
    groups.set(key, [...(groups.get(key) ?? []), n.name]);
  }
  const parts: string[] = [];
  for (const [key, list] of groups) {
    if (key !== 'claim') parts.push(`from ${key} for ${list.length} ${what}`);
  }
  const claimed = groups.get('claim');
  if (claimed) {
    const shown = claimed.length <= 3 ? claimed.join(', ') : `${claimed.slice(0, 3).join(', ')} and ${claimed.length - 3} more`;
    parts.push(`as the descriptor claims them for ${claimed.length} ${what} (no Kubernetes evidence shows ${shown})`);
  }
  return parts.length ? `regions ${parts.join('; ')}` : 'no region known';
}

/** A node's placement for display: each value with what it rests on, and the claims the evidence contradicts. */
export function placementShown(p: NodePlacement): Record<string, unknown> {
  const show = (v: PlacedValue | undefined) => (v ? `${v.value} (${v.basis === 'evidence' ? v.source : `claimed: ${v.source}`})` : 'unknown');
  return {
    region: show(p.region),
    ...(p.workerNode ? { workerNode: show(p.workerNode) } : {}),
    ...(p.zone ? { zone: show(p.zone) } : {}),
    ...(p.conflicts.length ? { contradicted: p.conflicts.map((c) => `${describeClaim(c)} ≠ evidence ${describeEvidence(c)}`) } : {}),
  };
}
