/**
 * The drills the kind environment runs, each judged by the catalogue's checks like everywhere else:
 *
 * - FAB-ORD-03 and FAB-ORD-12 (ordering-drills.ts): each region with ordering nodes lost in turn; one ordering node
 *   of each region restarted with its volume;
 * - FAB-PEER-05 (peer-drills.ts): each region with peers lost in turn, every organization asked through its gateway
 *   Services, then its peers, by port-forward (`askRealPeer`);
 * - FAB-GW-04 (peer-drills.ts, bundled reference): connections through each gateway Service's NodePort twin,
 *   published on loopback by the cluster config, so kube-proxy spreads them; a peer stopped by scaling its
 *   Deployment.
 *
 * The drills reach each node through the cluster of its region, as the descriptor claims it. FAB-ORD-07 is not
 * measured: the clusters share one Docker host.
 */
import type { KindDrillContext, KindObservations } from './drill-context.ts';
import { orderingObservations } from './ordering-drills.ts';
import { gatewaySpreadObservation, peerRegionLossObservation } from './peer-drills.ts';

export function kindObservations(ctx: KindDrillContext): KindObservations {
  const all: KindObservations[] = [
    {
      observations: {},
      unavailable: { 'FAB-ORD-07': 'round trips between regions are not measured on kind: its clusters share one Docker host, so no region is far from another' },
    },
    orderingObservations(ctx),
    peerRegionLossObservation(ctx),
    gatewaySpreadObservation(ctx),
  ];
  return {
    observations: Object.assign({}, ...all.map((x) => x.observations)),
    unavailable: Object.assign({}, ...all.map((x) => x.unavailable)),
  };
}
