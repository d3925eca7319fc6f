/**
 * The drills the kind environment runs, each judged by the catalogue's checks like everywhere else:
 *
 * - FAB-ORD-03: each region with ordering nodes lost in turn (its KIND node containers stopped); the ordering
 *   probe reaches every orderer's operations and admin endpoints by port-forward (mutual TLS as the ordering org's
 *   admin on the bundled reference) and makes blocks by broadcasting through an orderer of a region still up;
 * - FAB-ORD-12: one ordering node of each region restarted (its pod deleted; its StatefulSet starts it again on the
 *   same claim), watched with the same probe until its channel height (participation API) is the others' again;
 * - FAB-PEER-05: each region with peers lost in turn; every organization asked through its gateway Services, then
 *   its peers, by port-forward (`askRealPeer`);
 * - FAB-GW-04 (bundled reference): connections through each gateway Service's NodePort twin, published on loopback
 *   by the cluster config, so kube-proxy spreads them; a peer stopped by scaling its Deployment.
 *
 * FAB-ORD-07 is not measured: the clusters share one Docker host.
 */
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { TargetDescriptor } from '../../target/types.ts';
import type { Observation } from '../types.ts';
import { defaultSettings } from '../../evidence/model.ts';
import { loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import type { GeneratedDeployment } from '../../fixtures/generate.ts';
import { fabricOrderingProbe, type FabricOrdererEndpoints } from '../../drills/ordering-probe.ts';
import { runRegionLossDrill, type OrderingFaults } from '../../drills/fabric-region-loss.ts';
import { runRestartDrill } from '../../drills/fabric-restart.ts';
import { runPeerRegionLossDrill, type OrgEndpoint } from '../../drills/fabric-peer-region-loss.ts';
import { runGatewaySpreadDrill } from '../../drills/fabric-gateway-spread.ts';
import { askRealPeer, realGatewayClient, type RealPeer } from '../../drills/fabric-peer-probe.ts';
import { broadcastSubmitter } from '../../drills/fabric-broadcast.ts';
import type { ClientTls } from '../../drills/http-client.ts';
import type { GatewayPlacement } from './fabric-network.ts';
import { deletePodBehind, endpointView, scaleDeployment } from './peer-control.ts';
import { openForward, type Forward } from './port-forward.ts';
import type { KindCluster, KindOptions } from './index.ts';

export interface KindDrillContext {
  options: KindOptions;
  descriptor: TargetDescriptor;
  regions: string[];
  kubeconfig: string;
  namespace: string;
  log: (line: string) => void;
  clusterOf(region: string): KindCluster;
  /** every port-forward open, so the environment closes what a drill left on stop */
  forwards: Forward[];
  stopRegion(region: string): Promise<void>;
  restoreRegion(region: string): Promise<void>;
  stoppedRegions: ReadonlySet<string>;
  graceSeconds: number;
  /** the bundled reference generated for the run (absent for a deployment of the user's own) */
  network?: GeneratedDeployment;
  gateways: GatewayPlacement[];
  /** gateway → loopback port its NodePort twin is published on */
  hostPorts: Record<string, number>;
}

export function kindObservations(ctx: KindDrillContext): { observations: Record<string, Observation>; unavailable: Record<string, string> } {
  const { options, descriptor, kubeconfig, namespace, log, clusterOf, forwards, stopRegion, restoreRegion, stoppedRegions, graceSeconds, network, gateways, hostPorts } = ctx;
  const regions = ctx.regions;
  const d = options.drill ?? {};
  /** the port-forwards one drill opens, closed (and forgotten by the environment) when it ends */
  const forwardScope = () => {
    const opened: Forward[] = [];
    return {
      async open(region: string, service: string, port: number): Promise<Forward> {
        const c = clusterOf(region);
        const kubeConfig = (): KubeConfig => loadKubeConfig(kubeconfig, c.context);
        const f = await openForward({ kubeConfig, namespace, service, port }, (line) => log(`${region}: ${line}`));
        opened.push(f);
        forwards.push(f);
        return f;
      },
      async close(): Promise<void> {
        for (const f of opened.splice(0)) {
          const i = forwards.indexOf(f);
          if (i >= 0) forwards.splice(i, 1);
          await f.close();
        }
      },
    };
  };

  const observations: Record<string, Observation> = {};
  const unavailable: Record<string, string> = {
    'FAB-ORD-07': 'round trips between regions are not measured on kind: its clusters share one Docker host, so no region is far from another',
  };
  // The drills reach each node through the cluster of its region, as the descriptor claims it.
  const claimed = <T extends { name: string; region?: string }>(nodes: T[]): Array<T & { region: string }> => nodes.filter((n): n is T & { region: string } => n.region !== undefined);
  const unplaced = (nodes: Array<{ name: string; region?: string }>) => nodes.filter((n) => n.region === undefined).map((n) => n.name);
  const allOrderers = descriptor.fabric?.ordering.flatMap((g) => g.nodes) ?? [];
  const ordererNodes = claimed(allOrderers);
  if (!allOrderers.length) {
    unavailable['FAB-ORD-03'] = 'the deployment names no ordering nodes in its descriptor, so there is nothing to drill';
    unavailable['FAB-ORD-12'] = unavailable['FAB-ORD-03'];
  } else if (unplaced(allOrderers).length) {
    unavailable['FAB-ORD-03'] = `the drill reaches each ordering node through its region's cluster, and the descriptor names no region for ${unplaced(allOrderers).join(', ')}`;
    unavailable['FAB-ORD-12'] = unavailable['FAB-ORD-03'];
  } else {
    const regionsOfMembers = (members: string[]) => [...new Set(members.map((m) => ordererNodes.find((n) => n.name === m)?.region).filter((r): r is string => Boolean(r)))];
    const faults: OrderingFaults = {
      method: `docker stop --time ${graceSeconds} of the region's KIND node containers`,
      async stop(members) {
        for (const r of regionsOfMembers(members)) await stopRegion(r);
      },
      async start(members) {
        for (const r of regionsOfMembers(members)) await restoreRegion(r);
      },
    };
    // How the ordering drills see the ordering service. The bundled reference: plain-HTTP operations, the admin
    // endpoint with mutual TLS as the ordering org's admin, and blocks made by broadcasting through a live ordering
    // node. Another deployment: HA_KIND_* / options say the scheme; without a submitter the drill waits for blocks
    // its traffic makes.
    const orderingProbe = async (scope: ReturnType<typeof forwardScope>, isUp: (n: (typeof ordererNodes)[number]) => boolean) => {
      const members: Record<string, FabricOrdererEndpoints> = {};
      const general: Record<string, Forward> = {};
      const ordOrg = network?.plan.ordering.name;
      const ordPki = ordOrg ? network!.pki.orgs[ordOrg] : undefined;
      const adminTls: ClientTls | undefined = ordPki?.admin
        ? { ca: [ordPki.tlsCa.certPem], cert: ordPki.admin.tls.certPem, key: ordPki.admin.tls.keyPem }
        : undefined;
      const opsScheme = d.scheme ?? 'http';
      const adminScheme = d.scheme ?? (adminTls ? 'https' : 'http');
      for (const n of d.probe ? [] : ordererNodes) {
        const ops = await scope.open(n.region, n.name, d.operationsPort ?? 8443);
        const admin = await scope.open(n.region, n.name, d.adminPort ?? 9443);
        members[n.name] = { operations: `${opsScheme}://${ops.address}`, admin: `${adminScheme}://${admin.address}`, servername: n.host ?? n.name };
        if (adminTls) general[n.name] = await scope.open(n.region, n.name, n.port ?? 6050);
      }
      const channel = descriptor.fabric?.channels[0]?.name ?? 'mychannel';
      const submit =
        adminTls && ordPki?.admin
          ? broadcastSubmitter(async () => {
              // through an ordering node that is up (the drills stop whole regions, or restart one node)
              const live = ordererNodes.find((n) => isUp(n) && general[n.name]);
              if (!live) throw new Error('every ordering node is stopped: nowhere to submit');
              return {
                address: general[live.name].address,
                servername: live.host ?? live.name,
                tlsRootCertPem: ordPki.tlsCa.certPem,
                channel,
                mspId: network!.plan.ordering.mspId,
                signerCertPem: ordPki.admin!.enrollment.certPem,
                signerKeyPem: ordPki.admin!.enrollment.keyPem,
                timeoutMs: 5000,
              };
            })
          : undefined;
      return d.probe ?? fabricOrderingProbe({ channel, members, requestTimeoutMs: 2000, ...(adminTls ? { adminTls } : {}), ...(submit ? { submit } : {}) });
    };
    const byRegion: Record<string, string[]> = {};
    for (const r of regions) {
      const m = ordererNodes.filter((n) => n.region === r).map((n) => n.name);
      if (m.length) byRegion[r] = m;
    }
    observations['FAB-ORD-03'] = {
      id: 'FAB-ORD-03',
      disruptive: true,
      async run(context) {
        const scope = forwardScope();
        try {
          return await runRegionLossDrill({
            probe: await orderingProbe(scope, (n) => !stoppedRegions.has(n.region)),
            faults,
            regions: byRegion,
            // how long to wait for a leader: the option, else the bound the drill will be judged by
            horizonMs: d.boundMs ?? context?.settings.leaderElectionBoundMs ?? Number(descriptor.settings.leaderElectionBoundMs ?? defaultSettings.leaderElectionBoundMs),
            sampleIntervalMs: d.sampleIntervalMs ?? 50,
            catchUpBoundMs: d.catchUpBoundMs ?? 5 * 60_000,
          });
        } finally {
          await scope.close();
        }
      },
    };
    // FAB-ORD-12: one ordering node per region restarted with its volume: its pod deleted, its StatefulSet starts
    // it again on the same claim
    observations['FAB-ORD-12'] = {
      id: 'FAB-ORD-12',
      disruptive: true,
      async run(context) {
        const scope = forwardScope();
        const restarting = new Set<string>();
        try {
          return await runRestartDrill({
            probe: await orderingProbe(scope, (n) => !restarting.has(n.name)),
            faults: {
              method: 'pod deleted: its StatefulSet starts it again with the same claim',
              async stop(member) {
                const n = ordererNodes.find((x) => x.name === member)!;
                restarting.add(member);
                const pod = await deletePodBehind(loadKubeConfig(kubeconfig, clusterOf(n.region).context), namespace, n.name);
                log(`${n.region}: restarting ordering node ${member} (pod ${pod} deleted)`);
              },
              // the controller starts the pod again by itself: nothing to do but stop routing around it
              async start(member) {
                restarting.delete(member);
              },
            },
            regions: byRegion,
            horizonMs: d.restartBoundMs ?? context?.settings.restartCatchUpBoundMs ?? Number(descriptor.settings.restartCatchUpBoundMs ?? defaultSettings.restartCatchUpBoundMs),
            sampleIntervalMs: d.sampleIntervalMs ?? 50,
            steadyBoundMs: d.catchUpBoundMs ?? 5 * 60_000,
          });
        } finally {
          await scope.close();
        }
      },
    };
  }

  const allPeerOrgs = (descriptor.fabric?.organizations ?? []).filter((g) => g.peers.length);
  const peerOrgs = allPeerOrgs.map((g) => ({ ...g, peers: claimed(g.peers) }));
  const unplacedPeers = allPeerOrgs.flatMap((g) => unplaced(g.peers));
  if (unplacedPeers.length) {
    const why = `the drill reaches each peer through its region's cluster, and the descriptor names no region for ${unplacedPeers.join(', ')}`;
    unavailable['FAB-PEER-05'] = why;
  } else if (!peerOrgs.length) {
    unavailable['FAB-PEER-05'] = 'the deployment names no organization with peers in its descriptor, so there is nothing to drill';
  } else {
    observations['FAB-PEER-05'] = {
      id: 'FAB-PEER-05',
      disruptive: true,
      async run() {
        const scope = forwardScope();
        const forward = scope.open;
        try {
          const channel = descriptor.fabric?.channels[0]?.name ?? 'mychannel';
          const peers: RealPeer[] = [];
          const gateways: OrgEndpoint[] = [];
          const direct: OrgEndpoint[] = [];
          for (const g of peerOrgs) {
            // the organization's CA files: its TLS CA among them verifies the peers' TLS certificates
            const ca = await Promise.all(g.ca.map((f) => readFile(f, 'utf8')));
            for (const p of g.peers) {
              const grpc = await forward(p.region, p.host, p.port);
              const ops = await forward(p.region, p.host, d.peerOperationsPort ?? 9443);
              peers.push({ name: p.name, org: g.name, region: p.region, host: p.host, operations: `http://${ops.address}` });
              direct.push({ org: g.name, region: p.region, kind: 'peer', target: { name: p.host, address: '127.0.0.1', port: grpc.port, ca } });
            }
            if (g.gatewayService) {
              for (const region of [...new Set(g.peers.map((p) => p.region))]) {
                const gw = await forward(region, g.gatewayService, g.peers[0].port);
                gateways.push({ org: g.name, region, kind: 'gateway', target: { name: g.gatewayService, address: '127.0.0.1', port: gw.port, ca } });
              }
            }
          }
          const regionsWithPeers = regions.filter((r) => peerOrgs.some((g) => g.peers.some((p) => p.region === r)));
          return await runPeerRegionLossDrill({
            regions: regionsWithPeers,
            orgs: peerOrgs.map((g) => g.name),
            endpoints: [...gateways, ...direct],
            faults: {
              async stopRegion(region) {
                await stopRegion(region);
                return clusterOf(region).nodes;
              },
              startRegion: (region) => restoreRegion(region),
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
  }

  if (!network || !gateways.length) {
    unavailable['FAB-GW-04'] =
      "only with the bundled reference on kind: connections must go through each gateway Service as kube-proxy spreads them, which the harness reaches through NodePorts it publishes on loopback when it creates the clusters; a port-forward would always land on one pod";
  } else {
    const gw = gateways;
    observations['FAB-GW-04'] = {
      id: 'FAB-GW-04',
      disruptive: true,
      async run() {
        const peers: RealPeer[] = [];
        for (const org of network!.plan.orgs) {
          for (const p of org.peers) peers.push({ name: p.name, org: org.name, region: p.region, host: p.host });
        }
        const caOf = (org: string) => [network!.pki.orgs[org].tlsCa.certPem];
        const regionOfPeer = (peer: string) => peers.find((p) => p.name === peer)?.region ?? '';
        const kcOf = (region: string) => loadKubeConfig(kubeconfig, clusterOf(region).context);
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
  return { observations, unavailable };
}
