/**
 * Where every host of the Fabric part lives on loopback: region rN (the N-th region) on 127.N.<slot>.<host>.
 * Ordering nodes take hosts 11…, peers 101…, gateway Services 201… (by organization). The slot (third octet) is
 * chosen so that every address and port is free, so two runs on one machine do not collide.
 */
import type { DeploymentPlan } from '../../../reference/generate.ts';
import { BrokenError } from '../../../errors.ts';
import type { FabricChanges } from '../../variants.ts';
import { canBind } from '../../common/ports.ts';
import { ORDERER_CLIENT_PORT, ORDERER_CLUSTER_PORT, ORDERER_METRICS_PORT, PEER_PORT } from './topology.ts';
import { gatewayBackendOf } from './variant.ts';

export interface GatewayPlan {
  /** `<service>@<region>`: unique, the key in `live.hosts` and in drill timelines */
  key: string;
  service: string;
  org: string;
  region: string;
  address: string;
  port: number;
  /** the peers behind it */
  peers: string[];
}

export interface AddressPlan {
  slot: number;
  /** node name (orderer or peer) → address */
  nodes: Record<string, string>;
  gateways: GatewayPlan[];
}

export function regionOctet(regions: string[], region: string): number {
  const i = regions.indexOf(region);
  if (i < 0) throw new Error(`unknown region ${region}`);
  return i + 1;
}

export function addressPlan(plan: DeploymentPlan, changes: FabricChanges, slot: number): AddressPlan {
  const regions = plan.regions.map((r) => r.name);
  const nodes: Record<string, string> = {};
  const next: Record<string, number> = {};
  const take = (region: string, base: number) => {
    const k = `${region}/${base}`;
    next[k] = (next[k] ?? 0) + 1;
    return `127.${regionOctet(regions, region)}.${slot}.${base + next[k]}`;
  };
  for (const o of plan.ordering.nodes) nodes[o.name] = take(o.region, 10);
  for (const org of plan.orgs) for (const p of org.peers) nodes[p.name] = take(p.region, 100);
  const gateways: GatewayPlan[] = [];
  plan.orgs.forEach((org, j) => {
    for (const region of regions) {
      const here = org.peers.filter((p) => p.region === region).map((p) => p.name);
      if (!here.length) continue;
      gateways.push({
        key: `${org.gatewayService}@${region}`,
        service: org.gatewayService,
        org: org.name,
        region,
        address: `127.${regionOctet(regions, region)}.${slot}.${201 + j}`,
        port: PEER_PORT,
        peers: gatewayBackendOf(changes, org.name, region, here),
      });
    }
  });
  return { slot, nodes, gateways };
}

/** every address:port the part will listen on */
export function listenAddresses(plan: DeploymentPlan, a: AddressPlan): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const o of plan.ordering.nodes) {
    for (const port of [ORDERER_CLUSTER_PORT, ORDERER_CLIENT_PORT, ORDERER_METRICS_PORT]) out.push({ host: a.nodes[o.name], port });
  }
  for (const org of plan.orgs) for (const p of org.peers) out.push({ host: a.nodes[p.name], port: PEER_PORT });
  for (const g of a.gateways) out.push({ host: g.address, port: g.port });
  return out;
}

/** Slots held by runs of this process, so two runs started at once never pick the same one. */
const reservedSlots = new Set<number>();

/**
 * A slot where every address and port is free: the configured one, or one derived from the run id. The slot
 * stays reserved in this process until `release()` (the run's end).
 */
export async function chooseSlot(
  plan: DeploymentPlan,
  changes: FabricChanges,
  runId: string,
  configured?: number,
): Promise<AddressPlan & { release(): void }> {
  const start = configured ?? 20 + (parseInt(runId.slice(0, 6), 16) % 200);
  const candidates = configured !== undefined ? [configured] : Array.from({ length: 20 }, (_, i) => 20 + ((start - 20 + i * 37) % 200));
  const busy: string[] = [];
  for (const slot of candidates) {
    if (reservedSlots.has(slot)) {
      busy.push(`slot ${slot}: held by another run of this process`);
      continue;
    }
    reservedSlots.add(slot);
    const a = addressPlan(plan, changes, slot);
    const taken: string[] = [];
    for (const pair of listenAddresses(plan, a)) if (!(await canBind([pair]))) taken.push(`${pair.host}:${pair.port}`);
    if (!taken.length) return { ...a, release: () => reservedSlots.delete(slot) };
    reservedSlots.delete(slot);
    busy.push(`slot ${slot}: ${taken.slice(0, 3).join(', ')}${taken.length > 3 ? ` and ${taken.length - 3} more` : ''} in use`);
  }
  throw new BrokenError(`no free loopback addresses for the Fabric part (${busy.join('; ')})`);
}
