/**
 * What the Fabric part runs: the reference topology of docs/guarantees.md (three regions; five ordering nodes 2-1-2;
 * org1 two peers in r1 and two in r2, org2 two in r2 and two in r3; one gateway Service per organization and
 * region), or one broken variant, and where every host lives on loopback.
 *
 * Addresses: region rN (the N-th region) lives on 127.N.<slot>.<host>. Ordering nodes take hosts 11…, peers
 * 101…, gateway Services 201… (by organization). The slot (third octet) is chosen so that every address and
 * port is free, so two runs on one machine do not collide.
 */
import { createServer } from 'node:net';
import type { DeploymentPlan, GenerateOptions, OrganizationOption } from '../../../fixtures/generate.ts';
import { BrokenError } from '../../../errors.ts';
import { describeVariants } from '../../variants.ts';

export const ORDERER_CLUSTER_PORT = 6050;
/** etcd client API (gRPC gateway): where writes and status go, as clients reach an orderer on 7050 */
export const ORDERER_CLIENT_PORT = 7050;
/** etcd `--listen-metrics-urls`, on the orderer operations port */
export const ORDERER_METRICS_PORT = 8443;
export const PEER_PORT = 7051;

/** The variants `topologyFor` implements; their descriptions and what they break: ../../variants.ts. */
export const fabricVariants: Record<string, string> = describeVariants([
  'orderers-3-1-1',
  'three-orderers',
  'peer-cert-missing-gateway-san',
  'gateway-one-peer',
  'org-peers-one-region',
  'peer-lagging',
  'consenter-rekeyed-one-channel',
  'orderer-ephemeral-volume',
  'peer-no-external-endpoint',
  'orderer-tick-override-mismatch',
]);

export interface FabricTopology {
  variant?: string;
  generate: GenerateOptions;
  /** gateway `<org>@<region>` → the peers its backend keeps (default: all of the org's peers in the region) */
  gatewayPeers: (org: string, region: string, peers: string[]) => string[];
  /** peers whose TLS certificate is re-issued without the gateway Service names */
  peersWithoutGatewaySan: string[];
  /** peers that receive no blocks */
  laggingPeers: string[];
  /** ordering members whose data directory is emptied when the FAB-ORD-12 drill starts them again */
  wipeOnRestart: string[];
  /** peers whose core.yaml publishes no gossip externalEndpoint */
  peersWithoutExternalEndpoint: string[];
  /** ordering node → the Consensus.TickIntervalOverride its orderer.yaml sets */
  tickOverrides: Record<string, string>;
  /** blocks written through the ordering service once it is up, before the part is ready (0: none) */
  initialBlocks: number;
  /**
   * an ordering node whose TLS certificate is renewed with a new key after generation (its file, what its cluster
   * port serves and the channels in `updated` get the new certificate; the other channels keep the old one)
   */
  rekeyed?: { orderer: string; updated: string[] };
}

const REFERENCE_ORGS: OrganizationOption[] = [
  { name: 'org1', peers: { r1: 2, r2: 2 } },
  { name: 'org2', peers: { r2: 2, r3: 2 } },
];

export function topologyFor(variant: string | undefined): FabricTopology {
  const t: FabricTopology = {
    variant,
    generate: {
      name: variant ? `local-${variant}` : 'local-reference',
      regions: ['r1', 'r2', 'r3'],
      ordering: { count: 5, placement: [2, 1, 2] },
      organizations: REFERENCE_ORGS,
      channels: ['mychannel'],
      channelFormats: ['pb'],
      descriptorChannelFormat: 'pb',
      corda: false,
      disposable: true,
    },
    gatewayPeers: (_org, _region, peers) => peers,
    peersWithoutGatewaySan: [],
    laggingPeers: [],
    wipeOnRestart: [],
    peersWithoutExternalEndpoint: [],
    tickOverrides: {},
    initialBlocks: 0,
  };
  switch (variant) {
    case 'orderers-3-1-1':
      t.generate.ordering = { count: 5, placement: [3, 1, 1] };
      break;
    case 'three-orderers':
      t.generate.ordering = { count: 3, placement: [1, 1, 1] };
      break;
    case 'peer-cert-missing-gateway-san':
      t.peersWithoutGatewaySan = ['org1-peer2'];
      break;
    case 'gateway-one-peer':
      t.gatewayPeers = (org, region, peers) => (org === 'org1' && region === 'r1' ? peers.slice(0, 1) : peers);
      break;
    case 'org-peers-one-region':
      t.generate.organizations = [REFERENCE_ORGS[0], { name: 'org2', peers: { r3: 4 } }];
      break;
    case 'consenter-rekeyed-one-channel':
      // a second, rarely used channel; the renewal reached mychannel only
      t.generate.channels = ['mychannel', 'archive'];
      t.rekeyed = { orderer: 'org0-orderer3', updated: ['mychannel'] };
      break;
    case 'peer-lagging':
      // more blocks than the default bound (settings.maxLedgerLag 5): the others move on, org1-peer2 does not
      t.laggingPeers = ['org1-peer2'];
      t.initialBlocks = 10;
      break;
    case 'orderer-ephemeral-volume':
      // r2's only ordering node: the one the restart drill starts again there
      t.wipeOnRestart = ['org0-orderer3'];
      break;
    case 'peer-no-external-endpoint':
      t.peersWithoutExternalEndpoint = ['org1-peer2'];
      break;
    case 'orderer-tick-override-mismatch':
      t.tickOverrides = { 'org0-orderer3': '250ms' };
      break;
    default:
      break;
  }
  return t;
}

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

export function addressPlan(plan: DeploymentPlan, topology: FabricTopology, slot: number): AddressPlan {
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
        peers: topology.gatewayPeers(org.name, region, here),
      });
    }
  });
  return { slot, nodes, gateways };
}

/** every address:port the part will listen on */
export function listenAddresses(plan: DeploymentPlan, a: AddressPlan): Array<{ address: string; port: number }> {
  const out: Array<{ address: string; port: number }> = [];
  for (const o of plan.ordering.nodes) {
    for (const port of [ORDERER_CLUSTER_PORT, ORDERER_CLIENT_PORT, ORDERER_METRICS_PORT]) out.push({ address: a.nodes[o.name], port });
  }
  for (const org of plan.orgs) for (const p of org.peers) out.push({ address: a.nodes[p.name], port: PEER_PORT });
  for (const g of a.gateways) out.push({ address: g.address, port: g.port });
  return out;
}

export function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Slots held by runs of this process, so two runs started at once never pick the same one. */
const reservedSlots = new Set<number>();

/**
 * A slot where every address and port is free: the configured one, or one derived from the run id. The slot
 * stays reserved in this process until `release()` (the run's end).
 */
export async function chooseSlot(
  plan: DeploymentPlan,
  topology: FabricTopology,
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
    const a = addressPlan(plan, topology, slot);
    const taken: string[] = [];
    for (const { address, port } of listenAddresses(plan, a)) if (!(await portFree(address, port))) taken.push(`${address}:${port}`);
    if (!taken.length) return { ...a, release: () => reservedSlots.delete(slot) };
    reservedSlots.delete(slot);
    busy.push(`slot ${slot}: ${taken.slice(0, 3).join(', ')}${taken.length > 3 ? ` and ${taken.length - 3} more` : ''} in use`);
  }
  throw new BrokenError(`no free loopback addresses for the Fabric part (${busy.join('; ')})`);
}
