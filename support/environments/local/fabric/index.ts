/**
 * # The Fabric part of the embedded local environment
 *
 * The reference multi-region layout on loopback, or one broken variant of it:
 *
 * | piece | service module | here (a stand-in) | where |
 * |---|---|---|---|
 * | ordering service | orderers.ts | one etcd member per ordering node (etcd.ts, etcd-api.ts): real Raft, compressed timings, Raft over TLS on the cluster port with each node's TLS certificate; 2-1-2 over r1, r2, r3 | `127.<region>.<slot>.11…`, ports 6050 (cluster), 7050 (client), 8443 (metrics) |
 * | peers | peers.ts | TLS servers in this process (peer-stand-in.ts) with certificates from their organization's TLS CA, answering INFO/QUERY with their name and ledger heights, which follow the ordering service | `127.<region>.<slot>.101…`, port 7051 |
 * | gateway Services | gateways.ts | per region, per organization present there, an HAProxy TCP frontend in round robin over its peers there (a Service under ipvs) | `127.<region>.<slot>.201…`, port 7051 |
 *
 * Names are resolved by the part's own resolver (names.ts, the descriptor's `live.hosts`), never by DNS. Each
 * service module is a start function returning a started handle (its nodes' addresses, the faults the drills
 * inject, its own live evidence, stop) and says in its docs what a module running the real Fabric node would do
 * differently behind the same handle: Fabric's `orderer` and `peer` cannot be built on this machine, and every run
 * says the Fabric side is a stand-in.
 *
 * ## Start-up
 *
 * `startFabric` runs the phases of phases.ts in order — prepare (settings, variant, addresses), generate (artifacts.ts:
 * certificates, channel configuration and names; node-configs.ts: an orderer.yaml per ordering node and a core.yaml
 * per peer, what Fabric nodes of this layout run with), the ordering service, the peers, the gateway Services,
 * settle (the variant's initial blocks; the peers follow the ordering service) — and collect.ts makes the started
 * part: the descriptor (static artifacts from the fixture generator with this run's addresses, so it passes the same
 * static checks as the reference fixture; no Kubernetes manifests, since nothing here runs on Kubernetes), the drills
 * (drills.ts: region loss FAB-ORD-03 and FAB-PEER-05, a peer stopped behind its gateway FAB-GW-04, one ordering node
 * per region restarted on its data FAB-ORD-12), the guarantees it cannot observe and why, and the live evidence
 * (live.ts).
 *
 * ## Variants
 *
 * The Fabric rows of the variants table (../../variants.ts), applied from their `changes` (variant.ts): the topology
 * (topology.ts, addresses.ts), the certificates (artifacts.ts), the node configuration files (node-configs.ts) and the
 * faults the services carry (orderers.ts, peers.ts).
 *
 * Settings: see `settings.ts` (defaults in `defaultFabricSettings`).
 */
import { BrokenError } from '../../../errors.ts';
import type { LocalPart, LocalPartOptions, StartedLocalPart } from '../part.ts';
import { collect } from './collect.ts';
import { ETCD_MISSING, etcdBinary } from './etcd.ts';
import { generate, prepare, settle, startGateways, startOrdering, startPeerNodes } from './phases.ts';
import { FABRIC_VARIANTS } from './variant.ts';

export async function startFabric(o: LocalPartOptions): Promise<StartedLocalPart> {
  const run = await prepare(o);
  const artifacts = await generate(run);
  const t = Date.now();
  const ordering = await startOrdering(run, artifacts);
  const peers = await startPeerNodes(run, artifacts);
  const gateways = await startGateways(run, artifacts, peers);
  await settle(run, ordering, peers);
  run.log(
    `fabric: ${ordering.nodes.length} etcd members, ${peers.peers.length} peers and ${gateways?.gateways.length ?? 0} gateway Services ` +
      `in ${artifacts.gen.plan.regions.length} regions up in ${Date.now() - t} ms`,
  );
  return collect(run, artifacts, { ordering, peers, gateways });
}

export const fabricPart: LocalPart = {
  name: 'fabric',
  // Fabric's orderer and peer cannot be built here (the Go module proxy refuses the module): etcd runs the same Raft.
  standIn: 'etcd Raft members and TLS peers, not Fabric orderers and peers',
  variants: FABRIC_VARIANTS,
  async preflight() {
    const problems: string[] = [];
    if (!etcdBinary()) problems.push(ETCD_MISSING);
    return problems;
  },
  async start(options) {
    const missing = await fabricPart.preflight();
    if (missing.length) throw new BrokenError(missing.join('\n'));
    return startFabric(options);
  },
};
