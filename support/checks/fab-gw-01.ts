import type { PodInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { names, summarize, unique, peerOrgs } from './common.ts';
import { clusterOf, clusterSources, formatLabels, podsNamed, selectorMatches } from './kube.ts';
import { settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-GW-01';

interface GatewayFacts {
  org: string;
  region: string;
  service: string;
  selector?: Record<string, string>;
  ports?: Array<{ port: number; targetPort: number | string }>;
  selected?: string[];
  peerPods?: string[];
  endpoints?: string[];
}

export const check: Check = {
  id: ID,
  title: "In every cluster an organization's gateway Service selects all of its local peer pods and nothing else, on 7051",
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "In every cluster where an organization runs peers, its gateway Service's selector (e.g. `org: org1`) " +
    'matches every peer pod of that organization in that cluster and no other pod, on the peer port (7051), ' +
    'and there are at least two such peers, so the Service has somewhere to go when one fails. A Service ' +
    "reaches only pods of its own cluster: redundancy across regions is FAB-PEER-01's.",
  evidence: {
    static: 'Service and Deployment manifests per cluster: the Service selector against the pod template labels',
    live: 'the Service endpoints list every ready peer',
  },
  violation: 'a selector that picks one peer, or peers of two organizations',
  sources: [cite(DOCS.k8sGateway, 'Peer Gateway Services')],
  severity: 'critical',
  remediation:
    'In each cluster where the organization runs peers, define its gateway Service (e.g. org1-peer-gateway-svc) with a ' +
    'selector on a label that every peer pod of that organization carries and no other pod does (e.g. `org: org1` in ' +
    'the peer Deployments\' pod templates, not on the CA or orderer pods), exposing port 7051 to the peers\' 7051, and run ' +
    'at least two peers of the organization in that cluster.',
  needs: ['fabric.orgs', 'fabric.kubernetes'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { fabric, orgs } = found;
    const portSetting = settingOf(evidence, 'gatewayPeerPort');
    const minSetting = settingOf(evidence, 'minGatewayPeers');
    const PEER_PORT = portSetting.value;
    const failures: string[] = [];
    const unjudged: string[] = [];
    const notes: string[] = [];
    const facts: GatewayFacts[] = [];
    const passed: string[] = [];
    let liveChecked = 0;

    for (const org of orgs) {
      if (!org.gatewayService) {
        unjudged.push(`${org.name} names no gatewayService in the descriptor`);
        continue;
      }
      const unplaced = org.peers.filter((p) => p.region === undefined).map((p) => p.name);
      if (unplaced.length) unjudged.push(`cannot place ${names(unplaced)} of ${org.name}: no region claim and no Kubernetes evidence holds ${unplaced.length > 1 ? 'their' : 'its'} workload`);
      for (const region of unique(org.peers.map((p) => p.region).filter((r): r is string => r !== undefined)).sort()) {
        const where = `cluster ${region}`;
        const cluster = clusterOf(fabric, region);
        if (!cluster) {
          unjudged.push(`no Kubernetes manifests or API context for region ${region}: cannot see ${org.name}'s gateway Service`);
          continue;
        }
        const fact: GatewayFacts = { org: org.name, region, service: org.gatewayService };
        facts.push(fact);
        const localPeers = org.peers.filter((p) => p.region === region);
        const peerPods = new Map<PodInfo, string>();
        const podless: string[] = [];
        for (const p of localPeers) {
          const pods = podsNamed(cluster, p.name);
          if (!pods.length) podless.push(p.name);
          for (const pod of pods) peerPods.set(pod, p.name);
        }
        const candidates = cluster.services.filter((s) => s.name === org.gatewayService);
        const namespaces = unique([...peerPods.keys()].map((p) => p.namespace));
        const svc = candidates.find((s) => namespaces.includes(s.namespace)) ?? candidates[0];
        if (!svc) {
          failures.push(`${where}: ${org.name}'s gateway Service ${org.gatewayService} not found (${clusterSources(cluster)})`);
          continue;
        }
        fact.selector = svc.selector;
        fact.ports = svc.ports.map((p) => ({ port: p.port, targetPort: p.targetPort }));
        fact.peerPods = [...peerPods.keys()].map((p) => p.name);
        const label = `${where}: Service ${svc.name}`;
        if (!Object.keys(svc.selector ?? {}).length) {
          failures.push(`${label} has no selector, so it does not follow ${org.name}'s peer pods (${svc.source})`);
          continue;
        }
        const selected = cluster.pods.filter((p) => p.namespace === svc.namespace && selectorMatches(svc.selector, p.labels));
        fact.selected = selected.map((p) => p.name);
        const problemsBefore = failures.length;
        for (const [pod, peer] of peerPods) {
          if (selected.includes(pod)) continue;
          failures.push(
            pod.namespace !== svc.namespace
              ? `${label} is in namespace ${svc.namespace} but peer pod ${pod.name} (${peer}) runs in ${pod.namespace}`
              : `${label} selector ${formatLabels(svc.selector)} does not match peer pod ${pod.name} (${peer}, labels ${formatLabels(pod.labels)}; ${svc.source})`,
          );
        }
        const strangers = selected.filter((p) => !peerPods.has(p));
        if (strangers.length) {
          failures.push(
            `${label} selector ${formatLabels(svc.selector)} also matches ${strangers.length > 1 ? 'pods' : 'pod'} ` +
              `${names(strangers.map((p) => `${p.name} (${p.owner}, labels ${formatLabels(p.labels)})`), 3)}, ` +
              `${strangers.length > 1 ? 'which are not' : 'which is not'} ${org.name}'s peers in ${region} (descriptor)`,
          );
        }
        // the Service port is the one clients dial; it may forward to the peers' own port or a named port
        const targets = new Set([PEER_PORT, ...localPeers.map((p) => p.port)]);
        const port = svc.ports.find((p) => p.port === PEER_PORT && (typeof p.targetPort === 'string' || targets.has(p.targetPort)));
        if (!port) {
          failures.push(
            `${label} exposes ${svc.ports.map((p) => `${p.port}→${p.targetPort}`).join(', ') || 'no ports'}, not the peer port ${portSetting.text} (${svc.source})`,
          );
        }
        const selectedPeers = selected.filter((p) => peerPods.has(p));
        if (selectedPeers.length < minSetting.value) {
          failures.push(
            `${label} selects ${selectedPeers.length === 0 ? 'no peer pod' : `only ${selectedPeers.length} peer pod${selectedPeers.length > 1 ? 's' : ''} (${names(selectedPeers.map((p) => p.name), 3)})`} of ${org.name}; ` +
              `at least ${minSetting.text} are needed: when ${selectedPeers.length > 1 ? 'they fail' : 'it fails'} the Service has nowhere to go`,
          );
        }
        if (svc.endpoints) {
          liveChecked++;
          fact.endpoints = svc.endpoints;
          const ready = [...peerPods.keys()].filter((p) => p.ready === true && p.namespace === svc.namespace);
          const missing = ready.filter((p) => !svc.endpoints!.includes(p.name));
          if (missing.length) failures.push(`${label} endpoints [${svc.endpoints.join(', ')}] miss ready peer pod${missing.length > 1 ? 's' : ''} ${names(missing.map((p) => p.name))} (live)`);
          const foreign = svc.endpoints.filter((e) => ![...peerPods.keys()].some((p) => p.name === e));
          if (foreign.length) failures.push(`${label} endpoints include ${names(foreign)}, not peer pods of ${org.name} (live)`);
        }
        if (podless.length) notes.push(`${where}: no pod found for ${names(podless)}`);
        if (failures.length === problemsBefore) passed.push(`${region}/${svc.name} → ${selectedPeers.length} ${org.name} peers`);
      }
    }
    const out = { gateways: facts, unjudged, notes, gatewayPeerPort: { value: PEER_PORT, origin: portSetting.origin }, minGatewayPeers: { value: minSetting.value, origin: minSetting.origin } };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!passed.length) return verdict.skipped(ID, summarize(unjudged), out);
    const tail = [...(unjudged.length ? [`not judged: ${summarize(unjudged, 2)}`] : []), ...notes];
    return verdict.passed(
      ID,
      `${passed.length} gateway Services select exactly their organization's local peer pods (at least ${minSetting.text}) on port ${portSetting.text}: ${names(passed, 6)}` +
        (liveChecked ? `; endpoints list every ready peer (live, ${liveChecked} Services)` : '; no live endpoints') +
        (tail.length ? `. ${tail.join('; ')}` : ''),
      out,
    );
  },
};
