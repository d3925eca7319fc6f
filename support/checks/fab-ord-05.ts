import type { KubernetesClusterInfo, OrderingNodeInfo, PodInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { names, noFabric, summarize, unique } from './common.ts';
import { HOSTNAME_KEY, ZONE_KEYS, clusterOf, clusterSources, podsNamed, selectorMatches, zoneOfNode, zonesOf } from './kube.ts';
import { describeConflict } from '../evidence/placement.ts';

/** what the worker nodes of a group rest on: the scheduled pods (API), the pod manifests, or the descriptor's claims */
function placementBasis(members: OrderingNodeInfo[], cluster: KubernetesClusterInfo | undefined): string {
  const claimed = members.filter((m) => m.placement.workerNode?.basis !== 'evidence').length;
  const seen = cluster?.origin === 'api' ? 'scheduled pods, Kubernetes API' : 'pod placement in the manifests';
  if (!claimed) return seen;
  if (claimed === members.length) return 'as the descriptor claims them';
  return `${seen}; ${claimed} as the descriptor claims them`;
}
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-05';

type Proof = { proven: boolean; how?: string; soft: boolean };

/** whether the scheduler is bound to keep pods a and b in different domains of the topology key(s) */
function pairProof(a: PodInfo, b: PodInfo, keys: string[]): { proven: boolean; how?: string; soft: boolean } {
  const anti = (x: PodInfo, y: PodInfo) =>
    (x.affinity?.requiredAntiAffinity ?? []).some((t) => keys.includes(t.topologyKey) && selectorMatches(t.matchLabels, y.labels));
  if (anti(a, b) || anti(b, a)) return { proven: true, how: 'required pod anti-affinity', soft: false };
  const spread = (x: PodInfo, y: PodInfo) =>
    (x.affinity?.topologySpread ?? []).some(
      (t) => t.hard && t.maxSkew <= 1 && keys.includes(t.topologyKey) && selectorMatches(t.matchLabels, y.labels) && selectorMatches(t.matchLabels, x.labels),
    );
  if (spread(a, b) || spread(b, a)) return { proven: true, how: 'hard topology spread constraint', soft: false };
  const pin = (x: PodInfo) => {
    const terms = (x.affinity?.requiredNodeAffinity ?? []).filter((t) => keys.includes(t.key) && t.operator === 'In' && t.values.length === 1);
    return terms.length ? terms[0].values[0] : undefined;
  };
  const pa = pin(a);
  const pb = pin(b);
  if (pa !== undefined && pb !== undefined && pa !== pb) return { proven: true, how: 'required node affinity to distinct domains', soft: false };
  const soft = (x: PodInfo, y: PodInfo) =>
    (x.affinity?.preferredAntiAffinity ?? []).some((t) => keys.includes(t.topologyKey) && selectorMatches(t.matchLabels, y.labels));
  return { proven: false, soft: soft(a, b) || soft(b, a) };
}

function groupProof(pods: Array<{ orderer: string; pod: PodInfo }>, keys: string[]): Proof & { unproven: string[] } {
  const unproven: string[] = [];
  const hows = new Set<string>();
  let soft = false;
  for (let i = 0; i < pods.length; i++) {
    for (let j = i + 1; j < pods.length; j++) {
      const p = pairProof(pods[i].pod, pods[j].pod, keys);
      if (p.proven) hows.add(p.how!);
      else {
        unproven.push(`${pods[i].orderer}/${pods[j].orderer}`);
        soft ||= p.soft;
      }
    }
  }
  return { proven: unproven.length === 0, how: [...hows].join(' and '), soft, unproven };
}

interface GroupFacts {
  org: string;
  region: string;
  orderers: string[];
  basis: 'placement' | 'manifests' | 'single' | 'unknown';
  workerNodes?: Record<string, string>;
  zones?: Record<string, string | undefined>;
  clusterZones?: string[];
  proof?: string;
}

export const check: Check = {
  id: ID,
  title: 'Ordering nodes of one organization in one cluster run on distinct worker nodes and zones',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'Ordering nodes of one organization in one cluster are spread over distinct worker nodes (anti-affinity), ' +
    'and over distinct zones where the cluster has zones.',
  evidence: {
    static:
      'the pod anti-affinity of the ordering workloads in the manifests; pod → worker node → ' +
      '`topology.kubernetes.io/zone`',
    live: 'the ordering pods as scheduled, and their nodes, from the Kubernetes API',
  },
  violation: 'two ordering pods on one worker node; two in one zone; a preferred (soft) anti-affinity',
  sources: [cite(DOCS.ordering, 'Setting up multiregion High Availability (HA) deployments for the ordering service')],
  severity: 'critical',
  remediation:
    'Give the ordering pods of one organization a required pod anti-affinity (requiredDuringSchedulingIgnoredDuringExecution) ' +
    'on kubernetes.io/hostname, and on topology.kubernetes.io/zone where the cluster has zones, with a label selector ' +
    'that matches all of them (or a topologySpreadConstraint with whenUnsatisfiable: DoNotSchedule); then reschedule ' +
    'the pods that share a worker node or zone. Provide the manifests or a kubeconfig context per region so placement can be seen.',
  needs: ['fabric.orderers', 'fabric.kubernetes'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const orderers = fabric.orderers ?? [];
    if (!orderers.length) return verdict.skipped(ID, 'no ordering nodes in the descriptor');
    // A worker node or zone the descriptor claims and the pods contradict fails on its own (the descriptor is what
    // operators plan with); the spread is judged where the evidence places the nodes.
    const failures: string[] = orderers.flatMap((o) => o.placement.conflicts.filter((c) => c.field !== 'region').map((c) => describeConflict(o.name, c)));
    const unjudged: string[] = [];
    const unplaced = orderers.filter((o) => o.region === undefined).map((o) => o.name);
    if (unplaced.length) unjudged.push(`cannot place ${names(unplaced)}: no region claim and no Kubernetes evidence holds ${unplaced.length > 1 ? 'their' : 'its'} workload`);
    const groups = new Map<string, Array<OrderingNodeInfo & { region: string }>>();
    for (const o of orderers) {
      if (o.region === undefined) continue;
      const key = `${o.org}\u0000${o.cluster ?? o.region}`;
      groups.set(key, [...(groups.get(key) ?? []), o as OrderingNodeInfo & { region: string }]);
    }
    const notes: string[] = [];
    const facts: GroupFacts[] = [];
    const judged: string[] = [];

    for (const members of groups.values()) {
      const org = members[0].org;
      const region = members[0].region;
      const where = `${org} in ${members[0].cluster ?? region}`;
      const cluster: KubernetesClusterInfo | undefined = clusterOf(fabric, region);
      const list = members.map((m) => m.name);
      if (members.length === 1) {
        facts.push({ org, region, orderers: list, basis: 'single' });
        judged.push(`${where}: 1 node`);
        continue;
      }
      const pods = members.map((m) => ({ orderer: m.name, pods: cluster ? podsNamed(cluster, m.name) : [] }));
      const workerNodes: Record<string, string> = {};
      for (const m of members) {
        const node = m.workerNode ?? pods.find((p) => p.orderer === m.name)?.pods.find((p) => p.nodeName)?.nodeName;
        if (node) workerNodes[m.name] = node;
      }
      const zones: Record<string, string | undefined> = {};
      for (const m of members) zones[m.name] = m.zone ?? zoneOfNode(cluster, workerNodes[m.name]);
      const clusterZones = unique([...zonesOf(cluster), ...Object.values(zones).filter((z): z is string => Boolean(z))]);
      const allPodsFound = pods.every((p) => p.pods.length > 0);
      const withPods = pods.filter((p) => p.pods.length > 0).map((p) => ({ orderer: p.orderer, pod: p.pods[0] }));

      if (Object.keys(workerNodes).length === members.length) {
        // Placement is known: judge where the pods are.
        const byNode = new Map<string, string[]>();
        for (const [o, node] of Object.entries(workerNodes)) byNode.set(node, [...(byNode.get(node) ?? []), o]);
        const shared = [...byNode.entries()].filter(([, os]) => os.length > 1);
        const claimed = members.filter((m) => m.placement.workerNode?.basis === 'claim').map((m) => m.name);
        const src = cluster ? ` (${clusterSources(cluster)}${claimed.length ? `; worker node as the descriptor claims it for ${names(claimed)}` : ''})` : ' (worker nodes as the descriptor claims them)';
        for (const [node, os] of shared) failures.push(`${where}: ${names(os)} run on the same worker node ${node}${src}`);
        if (clusterZones.length >= 2) {
          const known = Object.entries(zones).filter((e): e is [string, string] => Boolean(e[1]));
          const byZone = new Map<string, string[]>();
          for (const [o, z] of known) byZone.set(z, [...(byZone.get(z) ?? []), o]);
          const cap = Math.ceil(members.length / clusterZones.length);
          for (const [z, os] of byZone) {
            if (os.length > cap) failures.push(`${where}: ${names(os)} are all in zone ${z} although the cluster has zones ${names(clusterZones)}${src}`);
          }
          if (known.length < members.length) notes.push(`${where}: zone unknown for ${names(members.filter((m) => !zones[m.name]).map((m) => m.name))}`);
        }
        if (allPodsFound && !shared.length) {
          const proof = groupProof(withPods, [HOSTNAME_KEY]);
          if (!proof.proven) notes.push(`${where}: spread today, but no required anti-affinity keeps them apart on a reschedule`);
        }
        facts.push({ org, region, orderers: list, basis: 'placement', workerNodes, zones, clusterZones });
        judged.push(
          `${where}: ${members.length} nodes on ${byNode.size} worker nodes (${placementBasis(members, cluster)})` + (clusterZones.length >= 2 ? ` in zones ${names(unique(Object.values(zones).filter((z): z is string => Boolean(z))))}` : ''),
        );
        continue;
      }

      if (!cluster) {
        unjudged.push(`no Kubernetes manifests or API context for region ${region}: cannot see pod placement of ${names(list)}`);
        facts.push({ org, region, orderers: list, basis: 'unknown' });
        continue;
      }
      if (!allPodsFound) {
        const missing = pods.filter((p) => !p.pods.length).map((p) => p.orderer);
        unjudged.push(`no pod for ${names(missing)} in the Kubernetes evidence of region ${region} (${clusterSources(cluster)}): cannot see placement`);
        facts.push({ org, region, orderers: list, basis: 'unknown' });
        continue;
      }
      // Placement unknown: only the pod specs can promise a spread.
      const src = withPods.map((p) => p.pod.source).filter(Boolean);
      const host = groupProof(withPods, [HOSTNAME_KEY]);
      if (!host.proven) {
        failures.push(
          `${where}: pods of ${names(host.unproven)} have ` +
            (host.soft
              ? 'only preferred (soft) anti-affinity on kubernetes.io/hostname, which the scheduler may ignore when resources are short,'
              : 'no required anti-affinity on kubernetes.io/hostname,') +
            ` and their placement is unknown: nothing prevents two on one worker node (${names(unique(src), 3)})`,
        );
        facts.push({ org, region, orderers: list, basis: 'manifests' });
        continue;
      }
      let proofText = host.how ?? '';
      if (clusterZones.length >= 2) {
        const zone = groupProof(withPods, ZONE_KEYS);
        if (!zone.proven) {
          failures.push(
            `${where}: the cluster has zones ${names(clusterZones)} but the pods of ${names(zone.unproven)} have no required anti-affinity or hard spread on topology.kubernetes.io/zone (${names(unique(src), 3)})`,
          );
          facts.push({ org, region, orderers: list, basis: 'manifests', clusterZones });
          continue;
        }
        proofText += `; zones: ${zone.how}`;
      } else if (!cluster.nodes.length) {
        notes.push(`${where}: worker nodes unknown, zones not judged`);
      }
      facts.push({ org, region, orderers: list, basis: 'manifests', clusterZones, proof: proofText });
      judged.push(`${where}: ${members.length} nodes kept apart by ${proofText}`);
    }

    const out = { groups: facts, unjudged, notes };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!judged.length || (judged.every((j) => j.endsWith(': 1 node')) && unjudged.length > 0)) {
      return verdict.skipped(ID, summarize(unjudged), out);
    }
    const tail = [...(unjudged.length ? [`not judged: ${summarize(unjudged, 2)}`] : []), ...notes];
    return verdict.passed(ID, `${summarize(judged, 6)}${tail.length ? `. ${tail.join('; ')}` : ''}`, out);
  },
};
