/**
 * The last phase of the Fabric part's start-up: what it started, as the rest of the harness sees it — the descriptor
 * sections (every file absolute, each node's configuration file, `live.hosts`, the gateway Services, the ordering
 * service's endpoints), the drills, the guarantees it cannot observe and why, the live evidence of its services, and
 * `stop`.
 */
import { resolve } from 'node:path';
import { HAPROXY_MISSING } from '../../common/haproxy.ts';
import type { StartedLocalPart } from '../part.ts';
import { fabricObservations, type FabricServices } from './drills.ts';
import { collectFabricLive, NO_FABRIC_RELEASE } from './live.ts';
import type { FabricStart, GeneratedFabric } from './phases.ts';

const UNAVAILABLE: Record<string, string> = {
  'FAB-GW-01':
    'live Service endpoints are a Kubernetes object and the local environment runs no Kubernetes: each gateway Service ' +
    'is an HAProxy frontend over the peers listed in the descriptor (live.fabricGateways); FAB-GW-04 exercises it',
  'FAB-GW-02':
    'kube-proxy mode exists only in a Kubernetes cluster; the local environment balances each gateway Service with ' +
    'HAProxy round robin instead of kube-proxy',
  'FAB-ORD-05':
    'scheduling on worker nodes and zones exists only in a Kubernetes cluster; here each ordering node is an etcd ' +
    'process on its own loopback address',
  'FAB-CAP-01': NO_FABRIC_RELEASE,
};

type FileNode = { name: string; tlsCert?: string; enrollmentCert?: string; config?: string };

/** The generated descriptor's `fabric` section with every path absolute, and each node's `config` file. */
function absoluteFabric(a: GeneratedFabric): Record<string, unknown> {
  const abs = (p: string) => resolve(a.gen.dir, p);
  const f = structuredClone(a.gen.descriptor.fabric) as {
    ordering: Array<{ ca: string[]; nodes: FileNode[] }>;
    organizations: Array<{ ca: string[]; peers: FileNode[] }>;
    channels: Array<{ config: string }>;
  };
  for (const o of [...f.ordering, ...f.organizations]) {
    o.ca = o.ca.map(abs);
    for (const n of 'nodes' in o ? o.nodes : o.peers) {
      if (n.tlsCert) n.tlsCert = abs(n.tlsCert);
      if (n.enrollmentCert) n.enrollmentCert = abs(n.enrollmentCert);
      if (a.configs[n.name]) n.config = a.configs[n.name];
    }
  }
  for (const c of f.channels) c.config = abs(c.config);
  return f as unknown as Record<string, unknown>;
}

/**
 * The descriptor sections of what runs. Kubernetes manifests are NOT part of it: nothing here runs on Kubernetes,
 * and manifests would describe pods that do not exist (the guarantees that need Kubernetes say so in `unavailable`).
 */
function descriptorOf(run: FabricStart, a: GeneratedFabric, services: FabricServices): Record<string, unknown> {
  const gateways = run.gateways ?? [];
  return {
    regions: a.gen.plan.regions.map((r) => ({ name: r.name })),
    fabric: absoluteFabric(a),
    live: {
      hosts: a.hosts,
      fabricGateways: gateways.map((g) => ({ name: g.key, service: g.service, org: g.org, region: g.region, address: g.address, port: g.port, peers: g.peers })),
      fabricOrdering: services.ordering.live,
      ...(run.variant.name ? { fabricVariant: run.variant.name } : {}),
    },
  };
}

export function collect(run: FabricStart, a: GeneratedFabric, services: FabricServices): StartedLocalPart {
  let stopped = false;
  return {
    descriptor: descriptorOf(run, a, services),
    observations: fabricObservations(run, a, services),
    unavailable: { ...UNAVAILABLE, ...(services.gateways ? {} : { 'FAB-GW-04': HAPROXY_MISSING }) },
    collectLive: () => collectFabricLive([services.ordering, services.peers, services.gateways]),
    async stop() {
      if (stopped) return;
      stopped = true;
      await services.gateways?.stop();
      await services.peers.stop();
      await services.ordering.stop();
    },
  };
}
