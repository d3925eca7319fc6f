/**
 * The peers' drills on kind:
 *
 * - FAB-PEER-05: each region with peers lost in turn (its KIND node containers stopped); every organization asked
 *   through its gateway Services, then its peers, by port-forward (`askRealPeer`);
 * - FAB-GW-04 (bundled reference only): connections through each gateway Service's NodePort twin, published on
 *   loopback by the cluster config, so kube-proxy spreads them; a peer stopped by scaling its Deployment to 0.
 */
import { readFile } from 'node:fs/promises';
import type { Observation } from '../../drills/observation.ts';
import { loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import type { OrganizationSpec } from '../../descriptor/types.ts';
import { runPeerRegionLossDrill, type OrgEndpoint } from '../../drills/fabric-peer-region-loss.ts';
import { runGatewaySpreadDrill } from '../../drills/fabric-gateway-spread.ts';
import { askRealPeer, realGatewayClient, type RealPeer } from '../../drills/fabric-peer-probe.ts';
import type { GeneratedDeployment } from '../../reference/generate.ts';
import { claimed, forwardScope, unplaced, type KindDrillContext, type KindObservations } from './drill-context.ts';
import type { GatewayPlacement } from './fabric-network.ts';
import { endpointView, scaleDeployment } from './peer-control.ts';

type PeerOrg = Omit<OrganizationSpec, 'peers'> & { peers: Array<OrganizationSpec['peers'][number] & { region: string }> };

/** Every organization's gateway Services (one per region it has peers in) and peers, each through a port-forward. */
async function endpointsOf(ctx: KindDrillContext, orgs: PeerOrg[], scope: ReturnType<typeof forwardScope>): Promise<{ peers: RealPeer[]; endpoints: OrgEndpoint[] }> {
  const d = ctx.drill;
  const peers: RealPeer[] = [];
  const gateways: OrgEndpoint[] = [];
  const direct: OrgEndpoint[] = [];
  for (const g of orgs) {
    // the organization's CA files: its TLS CA among them verifies the peers' TLS certificates
    const ca = await Promise.all(g.ca.map((f) => readFile(f, 'utf8')));
    for (const p of g.peers) {
      const grpc = await scope.open(p.region, p.host, p.port);
      const ops = await scope.open(p.region, p.host, d.peerOperationsPort ?? 9443);
      peers.push({ name: p.name, org: g.name, region: p.region, host: p.host, operations: `http://${ops.address}` });
      direct.push({ org: g.name, region: p.region, kind: 'peer', target: { name: p.host, address: '127.0.0.1', port: grpc.port, ca } });
    }
    if (g.gatewayService) {
      for (const region of [...new Set(g.peers.map((p) => p.region))]) {
        const gw = await scope.open(region, g.gatewayService, g.peers[0].port);
        gateways.push({ org: g.name, region, kind: 'gateway', target: { name: g.gatewayService, address: '127.0.0.1', port: gw.port, ca } });
      }
    }
  }
  return { peers, endpoints: [...gateways, ...direct] };
}

export function peerRegionLossObservation(ctx: KindDrillContext): KindObservations {
  const d = ctx.drill;
  const { control, descriptor } = ctx;
  const allPeerOrgs = (descriptor.fabric?.organizations ?? []).filter((g) => g.peers.length);
  const orgs: PeerOrg[] = allPeerOrgs.map((g) => ({ ...g, peers: claimed(g.peers) }));
  const unplacedPeers = allPeerOrgs.flatMap((g) => unplaced(g.peers));
  if (unplacedPeers.length) {
    return { observations: {}, unavailable: { 'FAB-PEER-05': `the drill reaches each peer through its region's cluster, and the descriptor names no region for ${unplacedPeers.join(', ')}` } };
  }
  if (!orgs.length) return { observations: {}, unavailable: { 'FAB-PEER-05': 'the deployment names no organization with peers in its descriptor, so there is nothing to drill' } };
  const observation: Observation = {
    id: 'FAB-PEER-05',
    disruptive: true,
    async run() {
      const scope = forwardScope(ctx);
      try {
        const channel = descriptor.fabric?.channels[0]?.name ?? 'mychannel';
        const { peers, endpoints } = await endpointsOf(ctx, orgs, scope);
        return await runPeerRegionLossDrill({
          regions: ctx.regions.filter((r) => orgs.some((g) => g.peers.some((p) => p.region === r))),
          orgs: orgs.map((g) => g.name),
          endpoints,
          faults: {
            async stopRegion(region) {
              await control.stopRegion(region);
              return control.clusterOf(region).nodes;
            },
            startRegion: (region) => control.restoreRegion(region),
          },
          channel,
          queryBoundMs: d.peerQueryBoundMs ?? 60_000,
          sampleIntervalMs: d.sampleIntervalMs ?? 50,
          restoreBoundMs: d.peerRestoreBoundMs ?? 5 * 60_000,
          requestTimeoutMs: 2000,
          ask: (e, query, ms) => askRealPeer({ name: e.target.name, address: e.target.address, port: e.target.port, ca: e.target.ca }, peers, query ? channel : undefined, ms),
        });
      } finally {
        await scope.close();
      }
    },
  };
  return { observations: { 'FAB-PEER-05': observation }, unavailable: {} };
}

function gatewaySpread(ctx: KindDrillContext, network: GeneratedDeployment, gw: GatewayPlacement[]): Observation {
  const d = ctx.drill;
  const { kubeconfig, namespace, control, log, hostPorts } = ctx;
  return {
    id: 'FAB-GW-04',
    disruptive: true,
    async run() {
      const peers: RealPeer[] = network.plan.orgs.flatMap((org) => org.peers.map((p) => ({ name: p.name, org: org.name, region: p.region, host: p.host })));
      const caOf = (org: string) => [network.pki.orgs[org].tlsCa.certPem];
      const regionOfPeer = (peer: string) => peers.find((p) => p.name === peer)?.region ?? '';
      const kcOf = (region: string) => loadKubeConfig(kubeconfig, control.clusterOf(region).context);
      return await runGatewaySpreadDrill({
        gateways: gw.map((g) => ({
          gateway: g.gateway,
          service: g.service,
          org: g.org,
          region: g.region,
          peers: g.peers,
          target: { name: g.service, address: '127.0.0.1', port: hostPorts[g.gateway], ca: caOf(g.org) },
        })),
        faults: {
          async stopPeer(peer) {
            log(`${regionOfPeer(peer)}: stopping peer ${peer} (Deployment scaled to 0)`);
            await scaleDeployment(kcOf(regionOfPeer(peer)), namespace, peer, 0);
          },
          async startPeer(peer) {
            log(`${regionOfPeer(peer)}: starting peer ${peer} (Deployment scaled to 1)`);
            await scaleDeployment(kcOf(regionOfPeer(peer)), namespace, peer, 1);
          },
          async view(gateway, peer) {
            const g = gw.find((x) => x.gateway === gateway);
            return g ? endpointView(kcOf(g.region), namespace, g.service, peer) : undefined;
          },
        },
        connections: d.gatewayConnections ?? 12,
        sampleIntervalMs: d.sampleIntervalMs ?? 50,
        viewBoundMs: d.gatewayViewBoundMs ?? 120_000,
        breakWindowMs: d.gatewayBreakWindowMs ?? 35_000,
        requestTimeoutMs: 2000,
        client: realGatewayClient(peers),
      });
    },
  };
}

export function gatewaySpreadObservation(ctx: KindDrillContext): KindObservations {
  if (!ctx.network || !ctx.gateways.length) {
    return {
      observations: {},
      unavailable: {
        'FAB-GW-04':
          'only with the bundled reference on kind: connections must go through each gateway Service as kube-proxy spreads them, which the harness reaches through NodePorts it publishes on loopback when it creates the clusters; a port-forward would always land on one pod',
      },
    };
  }
  return { observations: { 'FAB-GW-04': gatewaySpread(ctx, ctx.network, ctx.gateways) }, unavailable: {} };
}
