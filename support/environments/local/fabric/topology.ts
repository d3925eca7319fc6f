/**
 * What the Fabric part runs: the reference topology of docs/guarantees.md (three regions; five ordering nodes 2-1-2;
 * org1 two peers in r1 and two in r2, org2 two in r2 and two in r3; one gateway Service per organization and
 * region; channel mychannel), with what a variant's `changes.topology` says in place of the reference's parts, and
 * the ports every node listens on.
 */
import type { GenerateOptions, OrganizationOption } from '../../../reference/generate.ts';
import type { FabricChanges } from '../../variants.ts';

export const ORDERER_CLUSTER_PORT = 6050;
/** etcd client API (gRPC gateway): where writes and status go, as clients reach an orderer on 7050 */
export const ORDERER_CLIENT_PORT = 7050;
/** etcd `--listen-metrics-urls`, on the orderer operations port */
export const ORDERER_METRICS_PORT = 8443;
export const PEER_PORT = 7051;

const REFERENCE_ORGS: OrganizationOption[] = [
  { name: 'org1', peers: { r1: 2, r2: 2 } },
  { name: 'org2', peers: { r2: 2, r3: 2 } },
];

/** The generator's options for the variant's topology (its `name` the descriptor's: `local-<variant>`). */
export function generateOptionsOf(variant: string | undefined, changes: FabricChanges): GenerateOptions {
  const t = changes.topology ?? {};
  const peers = t.peers ?? {};
  return {
    name: variant ? `local-${variant}` : 'local-reference',
    regions: ['r1', 'r2', 'r3'],
    ordering: t.ordering ? { count: t.ordering.count, placement: [...t.ordering.placement] } : { count: 5, placement: [2, 1, 2] },
    organizations: REFERENCE_ORGS.map((o) => (peers[o.name] ? { name: o.name, peers: { ...peers[o.name] } } : o)),
    channels: [...(t.channels ?? ['mychannel'])],
    channelFormats: ['pb'],
    descriptorChannelFormat: 'pb',
    corda: false,
    disposable: true,
  };
}
