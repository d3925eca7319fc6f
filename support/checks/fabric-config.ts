/**
 * How the checks read the nodes' configuration (FAB-ORD-11, FAB-ORD-12, FAB-PEER-06): the views of
 * `evidence/fabric/node-config.ts`, one per pod or file, and the words a verdict uses for a value and where it came
 * from. Pure.
 */
import type { FabricEvidence, NodeConfigInfo, NodeConfigValue } from '../evidence/model.ts';

/** the configuration views of the nodes of one role */
export function viewsOf(fabric: FabricEvidence, role: 'orderer' | 'peer'): NodeConfigInfo[] {
  return (fabric.nodeConfigs ?? []).filter((v) => v.role === role);
}

/** the names of the nodes of this role with no configuration view at all */
export function unconfigured(fabric: FabricEvidence, role: 'orderer' | 'peer'): string[] {
  const seen = new Set(viewsOf(fabric, role).map((v) => v.node));
  const all = role === 'orderer' ? fabric.orderers.map((o) => o.name) : fabric.orgs.flatMap((g) => g.peers.map((p) => p.name));
  return all.filter((n) => !seen.has(n));
}

/** `peer.gossip.orgLeader false (env: k8s/r1/peers.yaml#Deployment/org1-peer2 container main env CORE_PEER_GOSSIP_ORGLEADER)` */
export function settingText(view: NodeConfigInfo, key: string, v: NodeConfigValue | undefined = view.values[key]): string {
  if (!v) return `${key} unknown`;
  const shown = v.value === null ? 'unknown' : v.value === '' ? 'empty' : String(v.value);
  return `${key} ${shown} (${v.origin}: ${v.source})`;
}

/** the same, naming the node: `org1-peer2 peer.gossip.orgLeader false (env: …)` */
export function valueText(view: NodeConfigInfo, key: string, v: NodeConfigValue | undefined = view.values[key]): string {
  return `${view.node} ${settingText(view, key, v)}`;
}

/** where the views came from, for a passed verdict: `from 3 Kubernetes workloads and 2 configuration files` */
export function viewBasis(views: NodeConfigInfo[]): string {
  const files = views.filter((v) => v.basis === 'file').length;
  const pods = views.length - files;
  const parts: string[] = [];
  if (pods) parts.push(`${pods} from the Kubernetes evidence (env, mounted configuration, Fabric's sampleconfig defaults)`);
  if (files) parts.push(`${files} from the configuration files the descriptor names`);
  return parts.join(' and ');
}
