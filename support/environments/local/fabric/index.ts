/**
 * The Fabric part of the embedded local environment: the reference multi-region layout on loopback.
 *
 * - Regions: region rN lives on 127.N.<slot>.<host>, one address per host (`topology.ts`); names are resolved
 *   by the part's own resolver (`names.ts`, the descriptor's `live.hosts`), never by DNS.
 * - Ordering service: one etcd member per ordering node of the plan, 2-1-2 over r1, r2, r3 (real Raft, compressed
 *   timings), named as the reference's orderers, Raft over TLS on the cluster port with each node's TLS certificate.
 * - Peers: TLS servers on their own address and port 7051, certificates from their organization's TLS CA with
 *   the SANs the descriptor promises, answering INFO/QUERY with their own name and ledger height.
 * - Gateway Services: per region, per organization present, an HAProxy TCP frontend in round robin over the
 *   organization's peers in that region (the local equivalent of a Service under ipvs).
 * - Static artifacts (certificates, channel config block) come from the fixture generator with this run's
 *   addresses, so the descriptor passes the same static checks as the reference fixture. Kubernetes manifests
 *   are NOT part of the descriptor: nothing here runs on Kubernetes, and manifests would describe pods that do
 *   not exist. The guarantees that need Kubernetes itself say so in `unavailable`. Instead each node names its
 *   configuration file (`config:`): an orderer.yaml per etcd member (its own data directory) and a core.yaml per
 *   peer, what Fabric nodes of this layout run with (the stand-ins do not read them).
 * - Drills: region loss (FAB-ORD-03, FAB-PEER-05), a peer stopped behind its gateway (FAB-GW-04), one ordering
 *   member per region restarted on its data directory (FAB-ORD-12).
 *
 * Settings: see `settings.ts` (defaults in `defaultFabricSettings`). Variants: `fabricVariants`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import { generateDeployment, planDeployment, FileWriter, writeChannel, writeNodeCerts, type GeneratedDeployment } from '../../../fixtures/generate.ts';
import { issueOrdererPki, issueOrgPki, issuePeerPki, type DeploymentPki, type NodePki } from '../../../fixtures/pki.ts';
import type { DeploymentPlan, OrdererPlan } from '../../../fixtures/plan.ts';
import { HAPROXY_MISSING, haproxyBinary } from '../../shared/haproxy.ts';
import type { LocalPart, LocalPartOptions, StartedLocalPart } from '../part.ts';
import type { Observation } from '../../types.ts';
import { etcdOrderingProbe, type OrderingProbe } from '../../../drills/ordering-probe.ts';
import { httpCall } from '../../../drills/http-client.ts';
import { runRegionLossDrill } from '../../../drills/fabric-region-loss.ts';
import { runPeerRegionLossDrill, type OrgEndpoint } from '../../../drills/fabric-peer-region-loss.ts';
import { runGatewaySpreadDrill } from '../../../drills/fabric-gateway-spread.ts';
import { runRestartDrill } from '../../../drills/fabric-restart.ts';
import { renderCoreYaml, renderOrdererYaml } from '../../../fixtures/node-config.ts';
import { ETCD_MISSING, EtcdCluster, etcdBinary } from './etcd.ts';
import { GatewayServices } from './gateways.ts';
import { collectFabricLive, NO_FABRIC_RELEASE, type LiveOrg } from './live.ts';
import { NameResolver } from './names.ts';
import { LocalPeer } from './peers.ts';
import { fabricSettings, type FabricSettings } from './settings.ts';
import { chooseSlot, fabricVariants, topologyFor } from './topology.ts';

export { fabricVariants } from './topology.ts';

export const UNAVAILABLE: Record<string, string> = {
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

/** Absolute paths for every file the generated descriptor's `fabric` section names, and each node's `config` file. */
function absoluteFabric(gen: GeneratedDeployment, configs: Record<string, string>): Record<string, unknown> {
  const abs = (p: string) => resolve(gen.dir, p);
  const f = structuredClone(gen.descriptor.fabric) as {
    ordering: Array<{ ca: string[]; nodes: Array<{ name: string; tlsCert?: string; enrollmentCert?: string; config?: string }> }>;
    organizations: Array<{ ca: string[]; peers: Array<{ name: string; tlsCert?: string; enrollmentCert?: string; config?: string }> }>;
    channels: Array<{ config: string }>;
  };
  for (const o of [...f.ordering, ...f.organizations]) {
    o.ca = o.ca.map(abs);
    for (const n of 'nodes' in o ? o.nodes : o.peers) {
      if (n.tlsCert) n.tlsCert = abs(n.tlsCert);
      if (n.enrollmentCert) n.enrollmentCert = abs(n.enrollmentCert);
      if (configs[n.name]) n.config = configs[n.name];
    }
  }
  for (const c of f.channels) c.config = abs(c.config);
  return f as unknown as Record<string, unknown>;
}

/**
 * The orderer.yaml of each ordering stand-in and the core.yaml of each peer stand-in, as the descriptor's `config`
 * files: what Fabric nodes of this layout would run with. The orderers' directories are the etcd members' own (an
 * etcd data directory holds its Raft WAL and snapshots as an orderer's volume does); the stand-ins read neither file.
 */
async function writeNodeConfigs(gen: GeneratedDeployment, etcd: EtcdCluster, topology: ReturnType<typeof topologyFor>): Promise<Record<string, string>> {
  const w = new FileWriter(gen.dir);
  const configs: Record<string, string> = {};
  const standIn = (what: string) => [
    `The ${what} of the local stand-in, written by the embedded local environment for its descriptor's \`config\`.`,
    'The stand-in does not read it: it states what a Fabric node of this layout runs with.',
  ];
  for (const o of gen.plan.ordering.nodes) {
    const data = etcd.dataDir(o.name);
    const rel = `node-config/${o.name}/orderer.yaml`;
    await w.write(
      rel,
      renderOrdererYaml({
        ledger: data,
        walDir: join(data, 'member', 'wal'),
        snapDir: join(data, 'member', 'snap'),
        ...(topology.tickOverrides[o.name] ? { tickIntervalOverride: topology.tickOverrides[o.name] } : {}),
        header: standIn(`orderer.yaml of ${o.name} (an etcd member)`),
      }),
    );
    configs[o.name] = resolve(gen.dir, rel);
  }
  for (const p of gen.plan.orgs.flatMap((g) => g.peers)) {
    const rel = `node-config/${p.name}/core.yaml`;
    await w.write(
      rel,
      renderCoreYaml({
        // Fabric 2.x's defaults: every peer an org leader, pulling blocks from the ordering service itself
        useLeaderElection: false,
        orgLeader: true,
        ...(topology.peersWithoutExternalEndpoint.includes(p.name) ? {} : { externalEndpoint: `${p.host}:${p.port}` }),
        header: standIn(`core.yaml of ${p.name} (a TLS peer)`),
      }),
    );
    configs[p.name] = resolve(gen.dir, rel);
  }
  return configs;
}

/** Variant: re-issue some peers' TLS certificates without the gateway Service names (own host names only). */
async function dropGatewaySans(gen: GeneratedDeployment, peers: string[]): Promise<void> {
  const w = new FileWriter(gen.dir);
  for (const name of peers) {
    const p = gen.plan.orgs.flatMap((o) => o.peers).find((x) => x.name === name);
    if (!p) throw new Error(`variant names an unknown peer ${name}`);
    const own = [p.host, `${p.host}.${gen.plan.namespace}.svc.cluster.local`];
    const reissued = await issuePeerPki(gen.plan, gen.pki.orgs[p.org], p, { dnsNames: own });
    gen.pki.nodes[name] = { tls: reissued.tls, enrollment: gen.pki.nodes[name].enrollment };
    await writeNodeCerts(w, 'peer', p.org, p.name, gen.pki.nodes[name]);
  }
}

/**
 * An ordering node's TLS certificate for Raft over TLS between etcd members: its own address and 127.0.0.1 as IP
 * SANs. A member dialling another on loopback connects from 127.0.0.1, and etcd checks the client certificate it
 * presents against that source address (by IP SAN, else by resolving the DNS SANs, which must never happen here).
 */
function clusterTls(plan: DeploymentPlan, pki: DeploymentPki, o: OrdererPlan): Promise<NodePki> {
  return issueOrdererPki(plan, pki.orgs[o.org], o, { ipAddresses: [...(o.address ? [o.address] : []), '127.0.0.1'] });
}

/** The ordering organization's PKI and its nodes' certificates, issued before the rest so the generator reuses them. */
async function orderingPki(plan: DeploymentPlan): Promise<DeploymentPki> {
  const pki: DeploymentPki = { orgs: { [plan.ordering.name]: await issueOrgPki(plan.ordering.name) }, nodes: {} };
  for (const o of plan.ordering.nodes) pki.nodes[o.name] = await clusterTls(plan, pki, o);
  return pki;
}

/**
 * Variant: renew one ordering node's TLS certificate with a new key (same CA, names and expiry), rewrite its
 * certificate file and the channels in `updated`; the others keep the old certificate, as a renewal that missed them.
 */
async function rekeyConsenter(gen: GeneratedDeployment, orderer: string, updated: string[]): Promise<void> {
  const o = gen.plan.ordering.nodes.find((x) => x.name === orderer);
  if (!o) throw new Error(`variant names an unknown ordering node ${orderer}`);
  const renewed = await clusterTls(gen.plan, gen.pki, o);
  gen.pki.nodes[o.name] = { ...gen.pki.nodes[o.name], tls: renewed.tls };
  const w = new FileWriter(gen.dir);
  await writeNodeCerts(w, 'orderer', o.org, o.name, gen.pki.nodes[o.name]);
  for (const channel of updated) await writeChannel(w, gen.plan, gen.pki, channel, [gen.plan.descriptorChannelFormat]);
}

/** Each ordering node's TLS certificate, key and its organization's TLS CA, for etcd's Raft over TLS (owner-only files). */
async function clusterTlsFiles(gen: GeneratedDeployment, dir: string): Promise<Record<string, { certFile: string; keyFile: string; caFile: string }>> {
  const out: Record<string, { certFile: string; keyFile: string; caFile: string }> = {};
  for (const o of gen.plan.ordering.nodes) {
    const d = join(dir, o.name);
    await mkdir(d, { recursive: true, mode: 0o700 });
    const tls = gen.pki.nodes[o.name].tls;
    const files = { certFile: join(d, 'tls.pem'), keyFile: join(d, 'tls-key.pem'), caFile: join(d, 'tlsca.pem') };
    await writeFile(files.certFile, tls.certPem);
    await writeFile(files.keyFile, tls.keyPem, { mode: 0o600 });
    await writeFile(files.caFile, gen.pki.orgs[o.org].tlsCa.certPem);
    out[o.name] = files;
  }
  return out;
}

interface Running {
  s: FabricSettings;
  topology: ReturnType<typeof topologyFor>;
  gen: GeneratedDeployment;
  resolver: NameResolver;
  probe: OrderingProbe;
  etcd: EtcdCluster;
  peers: Map<string, LocalPeer>;
  /** absent when HAProxy is not installed: no gateway Services, FAB-GW-04 unavailable */
  gateways?: GatewayServices;
  orgCas: Record<string, string[]>;
}

function observations(r: Running): Record<string, Observation> {
  const { s, gen, etcd, gateways, peers, resolver, topology } = r;
  const gatewayList = gateways?.gateways ?? [];
  const channel = gen.plan.channels[0];
  const regions = gen.plan.regions.map((x) => x.name);

  const peerTarget = (name: string, org: string, region: string, port: number) => ({
    name,
    address: resolver.resolve(name, region),
    port,
    ca: r.orgCas[org],
  });
  const stopPeers = (names: string[]) => Promise.all(names.map((n) => peers.get(n)!.stop()));
  const startPeers = (names: string[]) => Promise.all(names.map((n) => peers.get(n)!.start()));

  return {
    'FAB-ORD-03': {
      id: 'FAB-ORD-03',
      disruptive: true,
      run: (context) =>
        runRegionLossDrill({
          probe: r.probe,
          faults: etcd.faults(),
          regions: Object.fromEntries(regions.map((region) => [region, gen.plan.ordering.nodes.filter((o) => o.region === region).map((o) => o.name)])),
          // at least as long as the bound the drill will be judged by
          horizonMs: Math.max(s.leaderElectionBoundMs, context?.settings.leaderElectionBoundMs ?? 0),
          sampleIntervalMs: s.sampleIntervalMs,
          catchUpBoundMs: s.catchUpBoundMs,
        }),
    },
    'FAB-ORD-12': {
      id: 'FAB-ORD-12',
      disruptive: true,
      async run(context) {
        try {
          return await runRestartDrill({
            probe: r.probe,
            faults: etcd.restartFaults(topology.wipeOnRestart),
            regions: Object.fromEntries(regions.map((region) => [region, gen.plan.ordering.nodes.filter((o) => o.region === region).map((o) => o.name)])),
            // at least as long as the bound the drill will be judged by
            horizonMs: Math.max(s.restartBoundMs, context?.settings.restartCatchUpBoundMs ?? 0),
            sampleIntervalMs: s.sampleIntervalMs,
            steadyBoundMs: s.catchUpBoundMs,
          });
        } finally {
          // a member that could not rejoin (the broken variant) is made whole for the drills after this one
          await etcd.repairWiped();
        }
      },
    },
    'FAB-PEER-05': {
      id: 'FAB-PEER-05',
      disruptive: true,
      run: () => {
        const endpoints: OrgEndpoint[] = [];
        for (const org of gen.plan.orgs) {
          for (const g of gatewayList.filter((x) => x.org === org.name)) {
            endpoints.push({ org: org.name, region: g.region, kind: 'gateway', target: peerTarget(g.service, org.name, g.region, g.port) });
          }
          for (const p of org.peers) endpoints.push({ org: org.name, region: p.region, kind: 'peer', target: peerTarget(p.host, org.name, p.region, p.port) });
        }
        const inRegion = (region: string) => gen.plan.orgs.flatMap((o) => o.peers).filter((p) => p.region === region).map((p) => p.name);
        return runPeerRegionLossDrill({
          regions,
          orgs: gen.plan.orgs.map((o) => o.name),
          endpoints,
          channel,
          queryBoundMs: s.peerQueryBoundMs,
          sampleIntervalMs: s.sampleIntervalMs,
          restoreBoundMs: s.gatewayViewBoundMs,
          faults: {
            stopRegion: async (region) => {
              const ps = inRegion(region);
              const gws = gatewayList.filter((g) => g.region === region);
              await Promise.all([stopPeers(ps), gateways?.stopRegion(region)]);
              return [...ps, ...gws.map((g) => `gateway ${g.key}`)];
            },
            startRegion: async (region) => {
              await startPeers(inRegion(region));
              if (!gateways) return;
              await gateways.startRegion(region);
              for (const g of gatewayList.filter((x) => x.region === region)) await gateways.waitFor(g.key, g.peers, 'UP', s.gatewayViewBoundMs);
            },
          },
        });
      },
    },
    ...(gateways && {
      'FAB-GW-04': {
        id: 'FAB-GW-04',
        disruptive: true,
        run: () =>
          runGatewaySpreadDrill({
            gateways: gatewayList.map((g) => ({
              gateway: g.key,
              service: g.service,
              org: g.org,
              region: g.region,
              peers: g.peers,
              target: peerTarget(g.service, g.org, g.region, g.port),
            })),
            connections: s.gatewayConnections,
            sampleIntervalMs: s.sampleIntervalMs,
            viewBoundMs: s.gatewayViewBoundMs,
            faults: {
              stopPeer: (peer) => stopPeers([peer]).then(() => undefined),
              startPeer: (peer) => startPeers([peer]).then(() => undefined),
              view: (gateway, peer) => gateways.view(gateway, peer),
            },
          }),
      },
    }),
  };
}

async function startFabric(o: LocalPartOptions): Promise<StartedLocalPart> {
  const { resources, log } = o;
  const s = fabricSettings(o.settings);
  const variant = o.variant && o.variant in fabricVariants ? o.variant : undefined;
  const topology = topologyFor(variant);
  const addresses = await chooseSlot(planDeployment(topology.generate), topology, resources.runId, s.addressSlot);
  resources.onRelease('fabric addresses', addresses.release);
  const dir = await resources.tempDir('fabric');

  const t0 = Date.now();
  // Keys stay in memory (the peers serve TLS in this process); only the ordering members' TLS keys are written (below).
  const options = { ...topology.generate, addresses: (_host: string, ref: { name: string }) => addresses.nodes[ref.name] };
  const gen = await generateDeployment(join(dir, 'artifacts'), options, await orderingPki(planDeployment(options)));
  if (topology.peersWithoutGatewaySan.length) await dropGatewaySans(gen, topology.peersWithoutGatewaySan);
  if (topology.rekeyed) await rekeyConsenter(gen, topology.rekeyed.orderer, topology.rekeyed.updated);
  log(`fabric: certificates and channel configuration generated in ${Date.now() - t0} ms (addresses 127.<region>.${addresses.slot}.x)`);

  const plan = gen.plan;
  // Without HAProxy there are no gateway Services: the peers, the ordering service and their drills still run.
  const withGateways = haproxyBinary() !== null;
  if (!withGateways) log(`fabric: ${HAPROXY_MISSING}; running without gateway Services`);
  const gatewayList = withGateways ? addresses.gateways : [];
  const hosts = NameResolver.hostMap(
    Object.fromEntries([...plan.ordering.nodes, ...plan.orgs.flatMap((x) => x.peers)].map((n) => [n.host, addresses.nodes[n.name]])),
    gatewayList.flatMap((g) => {
      const org = plan.orgs.find((x) => x.name === g.org)!;
      return [org.gatewayService, org.gatewayAlias].map((service) => ({ service, region: g.region, address: g.address }));
    }),
  );
  const resolver = new NameResolver(hosts);
  const orgCas: Record<string, string[]> = Object.fromEntries(
    plan.orgs.map((x) => [x.name, [gen.pki.orgs[x.name].ca.certPem, gen.pki.orgs[x.name].tlsCa.certPem]]),
  );

  // the members' TLS keys are the only private keys written, owner-only, in the run's temp dir (etcd reads files)
  const clusterTls = await clusterTlsFiles(gen, join(dir, 'cluster-tls'));
  const etcd = new EtcdCluster(
    resources,
    join(dir, 'etcd'),
    plan.ordering.nodes.map((n) => ({ name: n.name, region: n.region, address: addresses.nodes[n.name], tls: clusterTls[n.name] })),
    { heartbeatMs: s.etcdHeartbeatMs, electionTimeoutMs: s.etcdElectionTimeoutMs, stopSignal: s.ordererStopSignal, log },
  );
  const configs = await writeNodeConfigs(gen, etcd, topology);
  const peers = new Map<string, LocalPeer>();
  for (const org of plan.orgs) {
    for (const p of org.peers) {
      const pki = gen.pki.nodes[p.name];
      peers.set(
        p.name,
        new LocalPeer({
          name: p.name,
          org: org.name,
          region: p.region,
          address: addresses.nodes[p.name],
          port: p.port,
          certPem: pki.tls.certPem,
          keyPem: pki.tls.keyPem,
          channels: p.channels,
          lagging: topology.laggingPeers.includes(p.name),
        }),
      );
    }
  }
  const gateways = withGateways
    ? new GatewayServices(resources, dir, gatewayList, (peer) => ({ address: addresses.nodes[peer], port: peers.get(peer)!.spec.port }), s.gatewayCheckIntervalMs)
    : undefined;
  // Released with the run whatever happens after this line (failure, Ctrl-C): nothing is restarted after it,
  // and the in-process peers close (child processes are the resources' own to stop).
  // The peers' ledgers follow the ordering service: every peerSyncIntervalMs the committed height (etcd's store
  // revision, one per write) is delivered to the running peers.
  let following = false;
  let followTimer: NodeJS.Timeout | undefined;
  const committedHeight = async (): Promise<number | undefined> => {
    for (const m of etcd.members) {
      try {
        const a = await httpCall(`${etcd.endpoints(m.name).client}/v3/maintenance/status`, { method: 'POST', body: '{}', timeoutMs: 500 });
        const revision = Number((JSON.parse(a.body) as { header?: { revision?: string } }).header?.revision);
        if (a.status === 200 && Number.isFinite(revision)) return revision;
      } catch {
        /* a stopped member: ask the next */
      }
    }
    return undefined;
  };
  const deliver = async () => {
    const h = await committedHeight();
    if (h !== undefined) for (const p of peers.values()) p.deliver(h);
  };
  const follow = () => {
    following = true;
    const tick = async () => {
      await deliver();
      if (following) followTimer = setTimeout(tick, s.peerSyncIntervalMs).unref();
    };
    followTimer = setTimeout(tick, s.peerSyncIntervalMs).unref();
  };
  const shutdown = async () => {
    following = false;
    clearTimeout(followTimer);
    await gateways?.stop();
    await Promise.all([...peers.values()].map((p) => p.retire()));
    await etcd.stop();
  };
  resources.onRelease('fabric part', shutdown);

  const t1 = Date.now();
  await Promise.all([etcd.start(), Promise.all([...peers.values()].map((p) => p.start()))]);
  if (gateways) {
    await gateways.start();
    for (const g of gatewayList) await gateways.waitFor(g.key, g.peers, 'UP', s.gatewayViewBoundMs);
  }
  // One etcd Raft group stands in for the ordering service of every channel; the probe labels it with the first.
  const probe = etcdOrderingProbe({ channel: plan.channels[0], members: Object.fromEntries(etcd.members.map((m) => [m.name, etcd.endpoints(m.name)])) });
  for (let i = 0; i < topology.initialBlocks; i++) {
    const w = await probe.write(probe.members, 5000);
    if (!w.ok) throw new BrokenError(`fabric: could not commit block ${i + 1} of ${topology.initialBlocks} through the ordering service: ${w.error}`);
  }
  await deliver();
  follow();
  log(
    `fabric: ${etcd.members.length} etcd members, ${peers.size} peers and ${gatewayList.length} gateway Services ` +
      `in ${plan.regions.length} regions up in ${Date.now() - t1} ms`,
  );

  const running: Running = { s, topology, gen, resolver, probe, etcd, peers, gateways, orgCas };
  const liveOrgs: LiveOrg[] = plan.orgs.map((x) => ({
    name: x.name,
    ca: orgCas[x.name],
    gatewayNames: [x.gatewayService, x.gatewayAlias],
    peers: x.peers.map((p) => ({ name: p.name, host: p.host, port: p.port, region: p.region, certPem: gen.pki.nodes[p.name].tls.certPem })),
  }));

  const descriptor: Record<string, unknown> = {
    regions: plan.regions.map((r) => ({ name: r.name })),
    fabric: absoluteFabric(gen, configs),
    live: {
      hosts,
      fabricGateways: gatewayList.map((g) => ({ name: g.key, service: g.service, org: g.org, region: g.region, address: g.address, port: g.port, peers: g.peers })),
      fabricOrdering: {
        standIn: 'etcd',
        members: Object.fromEntries(etcd.members.map((m) => [m.name, { region: m.region, ...etcd.endpoints(m.name) }])),
      },
      ...(variant ? { fabricVariant: variant } : {}),
    },
  };

  let stopped = false;
  return {
    descriptor,
    observations: observations(running),
    unavailable: { ...UNAVAILABLE, ...(gateways ? {} : { 'FAB-GW-04': HAPROXY_MISSING }) },
    collectLive: () =>
      collectFabricLive({
        orgs: liveOrgs,
        gateways: gatewayList,
        resolver,
        orderers: etcd.members.map((m) => ({ name: m.name, region: m.region, metrics: etcd.endpoints(m.name).metrics })),
        consenters: plan.ordering.nodes.map((n) => ({ name: n.name, host: n.host, port: n.port })),
        ordererCa: [gen.pki.orgs[plan.ordering.name].ca.certPem, gen.pki.orgs[plan.ordering.name].tlsCa.certPem],
        probe,
        channels: plan.channels,
      }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await shutdown();
    },
  };
}

export const fabricPart: LocalPart = {
  name: 'fabric',
  // Fabric's orderer and peer cannot be built here (the Go module proxy refuses the module): etcd runs the same Raft.
  standIn: 'etcd Raft members and TLS peers, not Fabric orderers and peers',
  variants: fabricVariants,
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
