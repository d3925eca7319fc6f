/**
 * The drills the local Fabric part offers, each on the started services and judged by the catalogue's checks like
 * everywhere else: region loss of the ordering service (FAB-ORD-03) and of the peers with their gateway Services
 * (FAB-PEER-05), a peer stopped behind its gateway Service (FAB-GW-04, only with HAProxy), and one ordering node per
 * region restarted on its data (FAB-ORD-12). Each says at least as long as the bound it will be judged by.
 */
import type { Observation } from '../../../drills/observation.ts';
import { runRegionLossDrill } from '../../../drills/fabric-region-loss.ts';
import { runPeerRegionLossDrill, type OrgEndpoint } from '../../../drills/fabric-peer-region-loss.ts';
import { runGatewaySpreadDrill } from '../../../drills/fabric-gateway-spread.ts';
import { runRestartDrill } from '../../../drills/fabric-restart.ts';
import type { PeerTarget } from '../../../drills/peer-client.ts';
import type { GatewayServices } from './gateways.ts';
import type { StartedOrderingService } from './orderers.ts';
import type { StartedPeers } from './peers.ts';
import type { FabricStart, GeneratedFabric } from './phases.ts';

export interface FabricServices {
  ordering: StartedOrderingService;
  peers: StartedPeers;
  /** absent without HAProxy: no gateway Services, FAB-GW-04 unavailable */
  gateways?: GatewayServices;
}

/** What the drills need: the run, its artifacts and its services. */
interface DrillContext {
  run: FabricStart;
  a: GeneratedFabric;
  services: FabricServices;
}

export function fabricObservations(run: FabricStart, a: GeneratedFabric, services: FabricServices): Record<string, Observation> {
  const c: DrillContext = { run, a, services };
  return {
    'FAB-ORD-03': regionLoss(c),
    'FAB-ORD-12': restart(c),
    'FAB-PEER-05': peerRegionLoss(c),
    ...(services.gateways && { 'FAB-GW-04': gatewaySpread(c, services.gateways) }),
  };
}

/** A peer or gateway Service by its name as a client in `region` dials it, with its organization's CAs. */
function targetOf({ a }: DrillContext, name: string, org: string, region: string, port: number): PeerTarget {
  return { name, address: a.resolver.resolve(name, region), port, ca: a.cas[org] };
}

/** region → the ordering nodes in it */
function orderersByRegion({ a }: DrillContext): Record<string, string[]> {
  const { plan } = a.gen;
  return Object.fromEntries(plan.regions.map((r) => [r.name, plan.ordering.nodes.filter((o) => o.region === r.name).map((o) => o.name)]));
}

function regionLoss(c: DrillContext): Observation {
  const { s } = c.run;
  return {
    id: 'FAB-ORD-03',
    disruptive: true,
    run: (context) =>
      runRegionLossDrill({
        probe: c.services.ordering.probe,
        faults: c.services.ordering.regionFaults(),
        regions: orderersByRegion(c),
        // at least as long as the bound the drill will be judged by
        horizonMs: Math.max(s.leaderElectionBoundMs, context?.settings.leaderElectionBoundMs ?? 0),
        sampleIntervalMs: s.sampleIntervalMs,
        catchUpBoundMs: s.catchUpBoundMs,
      }),
  };
}

function restart(c: DrillContext): Observation {
  const { s } = c.run;
  const { ordering } = c.services;
  return {
    id: 'FAB-ORD-12',
    disruptive: true,
    async run(context) {
      try {
        return await runRestartDrill({
          probe: ordering.probe,
          faults: ordering.restartFaults(),
          regions: orderersByRegion(c),
          // at least as long as the bound the drill will be judged by
          horizonMs: Math.max(s.restartBoundMs, context?.settings.restartCatchUpBoundMs ?? 0),
          sampleIntervalMs: s.sampleIntervalMs,
          steadyBoundMs: s.catchUpBoundMs,
        });
      } finally {
        // a node that could not rejoin (the broken variant) is made whole for the drills after this one
        await ordering.repair();
      }
    },
  };
}

function peerRegionLoss(c: DrillContext): Observation {
  const { s } = c.run;
  const { plan } = c.a.gen;
  const { peers, gateways } = c.services;
  const gatewayList = gateways?.gateways ?? [];
  const inRegion = (region: string) => peers.peers.filter((p) => p.region === region).map((p) => p.name);
  const endpoints = (): OrgEndpoint[] =>
    plan.orgs.flatMap((org) => [
      ...gatewayList.filter((g) => g.org === org.name).map((g) => ({ org: org.name, region: g.region, kind: 'gateway' as const, target: targetOf(c, g.service, org.name, g.region, g.port) })),
      ...org.peers.map((p) => ({ org: org.name, region: p.region, kind: 'peer' as const, target: targetOf(c, p.host, org.name, p.region, p.port) })),
    ]);
  return {
    id: 'FAB-PEER-05',
    disruptive: true,
    run: () =>
      runPeerRegionLossDrill({
        regions: plan.regions.map((r) => r.name),
        orgs: plan.orgs.map((o) => o.name),
        endpoints: endpoints(),
        channel: plan.channels[0],
        queryBoundMs: s.peerQueryBoundMs,
        sampleIntervalMs: s.sampleIntervalMs,
        restoreBoundMs: s.gatewayViewBoundMs,
        faults: {
          stopRegion: async (region) => {
            const ps = inRegion(region);
            const gws = gatewayList.filter((g) => g.region === region);
            await Promise.all([peers.stopPeers(ps), gateways?.stopRegion(region)]);
            return [...ps, ...gws.map((g) => `gateway ${g.key}`)];
          },
          startRegion: async (region) => {
            await peers.startPeers(inRegion(region));
            if (!gateways) return;
            await gateways.startRegion(region);
            for (const g of gatewayList.filter((x) => x.region === region)) await gateways.waitFor(g.key, g.peers, 'UP', s.gatewayViewBoundMs);
          },
        },
      }),
  };
}

function gatewaySpread(c: DrillContext, gateways: GatewayServices): Observation {
  const { s } = c.run;
  const { peers } = c.services;
  return {
    id: 'FAB-GW-04',
    disruptive: true,
    run: () =>
      runGatewaySpreadDrill({
        gateways: gateways.gateways.map((g) => ({
          gateway: g.key,
          service: g.service,
          org: g.org,
          region: g.region,
          peers: g.peers,
          target: targetOf(c, g.service, g.org, g.region, g.port),
        })),
        connections: s.gatewayConnections,
        sampleIntervalMs: s.sampleIntervalMs,
        viewBoundMs: s.gatewayViewBoundMs,
        faults: {
          stopPeer: (peer) => peers.stopPeers([peer]),
          startPeer: (peer) => peers.startPeers([peer]),
          view: (gateway, peer) => gateways.view(gateway, peer),
        },
      }),
  };
}
