/**
 * The phases of the local Fabric part's start-up, in order (`startFabric` in index.ts calls them):
 *
 * 1. `prepare`: settings, the variant's changes, the topology, a free address slot, the part's dir, and the gateway
 *    Services to start (none without HAProxy);
 * 2. `generate`: certificates, channel configuration and names (artifacts.ts), then each node's configuration file
 *    (node-configs.ts), before any node starts;
 * 3. `startOrdering`: the ordering service (orderers.ts);
 * 4. `startPeerNodes`: the peers (peers.ts);
 * 5. `startGateways`: the gateway Services in front of them (gateways.ts);
 * 6. `settle`: the blocks the variant has the ordering service commit at start, then the peers follow it;
 * 7. `collect` (collect.ts): the descriptor, the drills, the live evidence, stop.
 *
 * Each phase takes what the earlier ones made and returns what it made or started; each service registers its own
 * release with the run's `Resources` before it starts, so a failure in any phase releases what is up.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import { planDeployment, type GenerateOptions } from '../../../reference/generate.ts';
import { HAPROXY_MISSING, haproxyBinary } from '../../common/haproxy.ts';
import type { LocalPartOptions } from '../part.ts';
import { chooseSlot, type AddressPlan, type GatewayPlan } from './addresses.ts';
import { generateArtifacts, type FabricArtifacts } from './artifacts.ts';
import { startGatewayServices, type GatewayServices } from './gateways.ts';
import { writeNodeConfigs } from './node-configs.ts';
import { startOrderingService, type StartedOrderingService } from './orderers.ts';
import { startPeers, type StartedPeers } from './peers.ts';
import { fabricSettings, type FabricSettings } from './settings.ts';
import { generateOptionsOf } from './topology.ts';
import { fabricVariant, type AppliedFabricVariant } from './variant.ts';

/** What every phase works in: the part's options, settings, variant, topology, addresses and dir. */
export interface FabricStart extends Pick<LocalPartOptions, 'resources' | 'log'> {
  s: FabricSettings;
  variant: AppliedFabricVariant;
  /** the generator's options for the variant's topology */
  options: GenerateOptions;
  addresses: AddressPlan;
  /** the gateway Services to start; undefined without HAProxy */
  gateways: GatewayPlan[] | undefined;
  /** the part's dir: artifacts, node data, HAProxy configurations */
  dir: string;
}

export async function prepare(o: LocalPartOptions): Promise<FabricStart> {
  const s = fabricSettings(o.settings);
  const variant = fabricVariant(o.variant);
  const options = generateOptionsOf(variant.name, variant.changes);
  const addresses = await chooseSlot(planDeployment(options), variant.changes, o.resources.runId, s.addressSlot);
  o.resources.onRelease('fabric addresses', addresses.release);
  const dir = await o.resources.tempDir('fabric');
  // Without HAProxy there are no gateway Services: the peers, the ordering service and their drills still run.
  const withGateways = haproxyBinary() !== null;
  if (!withGateways) o.log(`fabric: ${HAPROXY_MISSING}; running without gateway Services`);
  return { resources: o.resources, log: o.log, s, variant, options, addresses, gateways: withGateways ? addresses.gateways : undefined, dir };
}

export interface GeneratedFabric extends FabricArtifacts {
  /** node name → its configuration file (absolute) */
  configs: Record<string, string>;
}

export async function generate(run: FabricStart): Promise<GeneratedFabric> {
  const t0 = Date.now();
  const { changes } = run.variant;
  const artifacts = await generateArtifacts(join(run.dir, 'artifacts'), run.options, run.addresses.nodes, run.gateways ?? [], changes);
  run.log(`fabric: certificates and channel configuration generated in ${Date.now() - t0} ms (addresses 127.<region>.${run.addresses.slot}.x)`);
  return { ...artifacts, configs: await writeNodeConfigs(artifacts.gen, run.dir, changes) };
}

export function startOrdering(run: FabricStart, a: GeneratedFabric): Promise<StartedOrderingService> {
  const { plan, pki } = a.gen;
  return startOrderingService(run.resources, run.log, {
    dir: run.dir,
    nodes: plan.ordering.nodes.map((n) => ({
      name: n.name,
      region: n.region,
      address: run.addresses.nodes[n.name],
      host: n.host,
      port: n.port,
      tls: { certPem: pki.nodes[n.name].tls.certPem, keyPem: pki.nodes[n.name].tls.keyPem, caPem: pki.orgs[n.org].tlsCa.certPem },
    })),
    ca: a.cas[plan.ordering.name],
    channels: plan.channels,
    resolver: a.resolver,
    emptiedOnRestart: run.variant.changes.faults?.emptiedOnRestart ?? [],
    settings: run.s,
  });
}

export function startPeerNodes(run: FabricStart, a: GeneratedFabric): Promise<StartedPeers> {
  const lagging = run.variant.changes.faults?.lagging?.peers ?? [];
  const { plan, pki } = a.gen;
  return startPeers(run.resources, {
    peers: plan.orgs.flatMap((org) =>
      org.peers.map((p) => ({
        name: p.name,
        org: org.name,
        region: p.region,
        host: p.host,
        address: run.addresses.nodes[p.name],
        port: p.port,
        certPem: pki.nodes[p.name].tls.certPem,
        keyPem: pki.nodes[p.name].tls.keyPem,
        channels: p.channels,
        lagging: lagging.includes(p.name),
      })),
    ),
    ca: a.cas,
    resolver: a.resolver,
    syncIntervalMs: run.s.peerSyncIntervalMs,
  });
}

/** The gateway Services over the running peers, or undefined without HAProxy. */
export async function startGateways(run: FabricStart, a: GeneratedFabric, peers: StartedPeers): Promise<GatewayServices | undefined> {
  if (!run.gateways) return undefined;
  const { plan, pki } = a.gen;
  return startGatewayServices(run.resources, {
    dir: run.dir,
    gateways: run.gateways,
    peerAddress: (name) => {
      const p = peers.peers.find((x) => x.name === name)!;
      return { address: p.address, port: p.port };
    },
    checkIntervalMs: run.s.gatewayCheckIntervalMs,
    viewBoundMs: run.s.gatewayViewBoundMs,
    orgs: plan.orgs.map((x) => ({
      name: x.name,
      ca: a.cas[x.name],
      names: [x.gatewayService, x.gatewayAlias],
      peers: x.peers.map((p) => ({ name: p.name, host: p.host, fingerprint256: new X509Certificate(pki.nodes[p.name].tls.certPem).fingerprint256 })),
    })),
    resolver: a.resolver,
  });
}

/** The blocks the variant has committed at start (its lagging peer takes none), then the peers follow the ordering service. */
export async function settle(run: FabricStart, ordering: StartedOrderingService, peers: StartedPeers): Promise<void> {
  const blocks = run.variant.changes.faults?.lagging?.blocks ?? 0;
  for (let i = 0; i < blocks; i++) {
    const w = await ordering.probe.write(ordering.probe.members, 5000);
    if (!w.ok) throw new BrokenError(`fabric: could not commit block ${i + 1} of ${blocks} through the ordering service: ${w.error}`);
  }
  await peers.follow(() => ordering.committedHeight());
}
