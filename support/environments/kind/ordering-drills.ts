/**
 * The ordering service's drills on kind:
 *
 * - FAB-ORD-03: each region with ordering nodes lost in turn (its KIND node containers stopped); the ordering probe
 *   reaches every orderer's operations and admin endpoints by port-forward (mutual TLS as the ordering org's admin on
 *   the bundled reference) and makes blocks by broadcasting through an orderer of a region still up;
 * - FAB-ORD-12: one ordering node of each region restarted (its pod deleted; its StatefulSet starts it again on the
 *   same claim), watched with the same probe until its channel height (participation API) is the others' again.
 */
import { loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import type { OrderingNodeSpec } from '../../descriptor/types.ts';
import { plannedSetting, type Observation } from '../../drills/observation.ts';
import { fabricOrderingProbe, type FabricOrdererEndpoints, type OrderingProbe } from '../../drills/ordering-probe.ts';
import { runRegionLossDrill, type OrderingFaults } from '../../drills/fabric-region-loss.ts';
import { runRestartDrill } from '../../drills/fabric-restart.ts';
import { broadcastSubmitter } from '../../drills/fabric-broadcast.ts';
import type { ClientTls } from '../../drills/http-client.ts';
import { claimed, forwardScope, unplaced, type KindDrillContext, type KindObservations } from './drill-context.ts';
import { deletePodBehind } from './peer-control.ts';
import type { Forward } from './port-forward.ts';

type PlacedOrderer = OrderingNodeSpec & { region: string };
type Scope = ReturnType<typeof forwardScope>;

/**
 * How the ordering drills see the ordering service. The bundled reference: plain-HTTP operations, the admin endpoint
 * with mutual TLS as the ordering org's admin, and blocks made by broadcasting through a live ordering node. Another
 * deployment: HA_KIND_* / options say the scheme; without a submitter the drill waits for blocks its traffic makes.
 */
async function orderingProbe(ctx: KindDrillContext, nodes: PlacedOrderer[], scope: Scope, isUp: (n: PlacedOrderer) => boolean): Promise<OrderingProbe> {
  const d = ctx.drill;
  const { network, descriptor } = ctx;
  const members: Record<string, FabricOrdererEndpoints> = {};
  const general: Record<string, Forward> = {};
  const ordOrg = network?.plan.ordering.name;
  const ordPki = ordOrg ? network!.pki.orgs[ordOrg] : undefined;
  const adminTls: ClientTls | undefined = ordPki?.admin ? { ca: [ordPki.tlsCa.certPem], cert: ordPki.admin.tls.certPem, key: ordPki.admin.tls.keyPem } : undefined;
  const opsScheme = d.scheme ?? 'http';
  const adminScheme = d.scheme ?? (adminTls ? 'https' : 'http');
  for (const n of d.probe ? [] : nodes) {
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
          const live = nodes.find((n) => isUp(n) && general[n.name]);
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
}

/** FAB-ORD-03: a region lost, through the `docker stop` of its node containers. */
function regionLoss(ctx: KindDrillContext, nodes: PlacedOrderer[], byRegion: Record<string, string[]>): Observation {
  const d = ctx.drill;
  const { control, descriptor } = ctx;
  const regionsOfMembers = (members: string[]) => [...new Set(members.map((m) => nodes.find((n) => n.name === m)?.region).filter((r): r is string => Boolean(r)))];
  const faults: OrderingFaults = {
    method: `docker stop --time ${control.graceSeconds} of the region's KIND node containers`,
    async stop(members) {
      for (const r of regionsOfMembers(members)) await control.stopRegion(r);
    },
    async start(members) {
      for (const r of regionsOfMembers(members)) await control.restoreRegion(r);
    },
  };
  return {
    id: 'FAB-ORD-03',
    disruptive: true,
    async run(context) {
      const scope = forwardScope(ctx);
      try {
        return await runRegionLossDrill({
          probe: await orderingProbe(ctx, nodes, scope, (n) => !control.stoppedRegions.has(n.region)),
          faults,
          regions: byRegion,
          // how long to wait for a leader: the option, else the bound the drill will be judged by
          horizonMs: d.boundMs ?? plannedSetting('leaderElectionBoundMs', context, descriptor.settings),
          sampleIntervalMs: d.sampleIntervalMs ?? 50,
          catchUpBoundMs: d.catchUpBoundMs ?? 5 * 60_000,
        });
      } finally {
        await scope.close();
      }
    },
  };
}

/** FAB-ORD-12: one ordering node per region restarted with its volume: its pod deleted, its StatefulSet starts it again on the same claim. */
function restart(ctx: KindDrillContext, nodes: PlacedOrderer[], byRegion: Record<string, string[]>): Observation {
  const d = ctx.drill;
  const { descriptor, kubeconfig, namespace, control, log } = ctx;
  return {
    id: 'FAB-ORD-12',
    disruptive: true,
    async run(context) {
      const scope = forwardScope(ctx);
      const restarting = new Set<string>();
      try {
        return await runRestartDrill({
          probe: await orderingProbe(ctx, nodes, scope, (n) => !restarting.has(n.name)),
          faults: {
            method: 'pod deleted: its StatefulSet starts it again with the same claim',
            async stop(member) {
              const n = nodes.find((x) => x.name === member)!;
              restarting.add(member);
              const pod = await deletePodBehind(loadKubeConfig(kubeconfig, control.clusterOf(n.region).context), namespace, n.name);
              log(`${n.region}: restarting ordering node ${member} (pod ${pod} deleted)`);
            },
            // the controller starts the pod again by itself: nothing to do but stop routing around it
            async start(member) {
              restarting.delete(member);
            },
          },
          regions: byRegion,
          horizonMs: d.restartBoundMs ?? plannedSetting('restartCatchUpBoundMs', context, descriptor.settings),
          sampleIntervalMs: d.sampleIntervalMs ?? 50,
          steadyBoundMs: d.catchUpBoundMs ?? 5 * 60_000,
        });
      } finally {
        await scope.close();
      }
    },
  };
}

export function orderingObservations(ctx: KindDrillContext): KindObservations {
  const all = ctx.descriptor.fabric?.ordering.flatMap((g) => g.nodes) ?? [];
  let why: string | undefined;
  if (!all.length) why = 'the deployment names no ordering nodes in its descriptor, so there is nothing to drill';
  else if (unplaced(all).length) why = `the drill reaches each ordering node through its region's cluster, and the descriptor names no region for ${unplaced(all).join(', ')}`;
  if (why) return { observations: {}, unavailable: { 'FAB-ORD-03': why, 'FAB-ORD-12': why } };
  const nodes = claimed(all);
  const byRegion: Record<string, string[]> = {};
  for (const r of ctx.regions) {
    const m = nodes.filter((n) => n.region === r).map((n) => n.name);
    if (m.length) byRegion[r] = m;
  }
  return { observations: { 'FAB-ORD-03': regionLoss(ctx, nodes, byRegion), 'FAB-ORD-12': restart(ctx, nodes, byRegion) }, unavailable: {} };
}
