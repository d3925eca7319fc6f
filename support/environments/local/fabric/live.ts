/**
 * Non-disruptive live evidence of the Fabric part: each service's own (orderers.ts: what each ordering node presents
 * on its cluster port, the round trips between members of different regions as they measure them, their Raft view;
 * peers.ts: what each peer presents and how high its ledger is; gateways.ts: whether each gateway Service verifies by
 * its name from its own region, and which peer's certificate it presented), collected side by side and put together
 * in one stable order.
 *
 * No node here is a Fabric binary, so none can say which Fabric release it runs: FAB-CAP-01's live evidence is
 * recorded as unobserved, with that reason, never made up.
 */
import type { LiveEvidence } from '../../../evidence/model.ts';

/** why the local environment shows no Fabric release: its nodes are stand-ins (and it writes no manifests) */
export const NO_FABRIC_RELEASE =
  'the local Fabric side is a stand-in (etcd members and TLS peers, not Fabric binaries): no node answers GET /version ' +
  'with a Fabric release, and no Kubernetes manifest names a Fabric image';

/** A started service of the part, as far as its live evidence goes. */
export interface WithEvidence {
  evidence(): Promise<Partial<LiveEvidence>>;
}

/** `key`'s records of every part in one, sorted by key. */
function mergedByKey<K extends 'presentedCerts' | 'peerHeights' | 'ordererMetrics' | 'participation'>(parts: Array<Partial<LiveEvidence>>, key: K): NonNullable<LiveEvidence[K]> {
  const all: Record<string, unknown> = Object.assign({}, ...parts.map((p) => p[key] ?? {}));
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b))) as NonNullable<LiveEvidence[K]>;
}

export async function collectFabricLive(services: ReadonlyArray<WithEvidence | undefined>): Promise<Partial<LiveEvidence>> {
  const parts: Array<Partial<LiveEvidence>> = await Promise.all(services.map((s) => s?.evidence() ?? {}));
  const handshakes = parts.flatMap((p) => p.handshakes ?? []);
  handshakes.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
  const { roundTrips, roundTripMethod, peerHeightMethod }: Partial<LiveEvidence> = Object.assign({}, ...parts);
  return {
    presentedCerts: mergedByKey(parts, 'presentedCerts'),
    handshakes,
    peerHeights: mergedByKey(parts, 'peerHeights'),
    ...(peerHeightMethod ? { peerHeightMethod } : {}),
    ...(roundTrips ? { roundTrips, roundTripMethod } : {}),
    ordererMetrics: mergedByKey(parts, 'ordererMetrics'),
    participation: mergedByKey(parts, 'participation'),
    unobserved: { ...Object.assign({}, ...parts.map((p) => p.unobserved ?? {})), 'FAB-CAP-01': NO_FABRIC_RELEASE },
  };
}
