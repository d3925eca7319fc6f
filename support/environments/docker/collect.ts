/**
 * The last phase of the docker pair's start-up: what the drills sample (the live target: node mirrors, the load
 * balancer's published ports and runtime API, the lease row) and inject (the fault injector), the steady state it
 * hands over in, the descriptor of what was started, and its live evidence.
 */
import type { LiveEvidence } from '../../evidence/model.ts';
import { BrokenError } from '../../errors.ts';
import { CordaSampling, type CordaLiveTarget } from '../../drills/corda-sampler.ts';
import { cordaObservations, cordaDrillTarget, type CordaDrillTarget } from '../../drills/corda-drills.ts';
import type { Observation } from '../../drills/observation.ts';
import { TimelineRecorder } from '../../drills/timeline-recorder.ts';
import { cordaDescriptorSection } from '../common/corda/layout.ts';
import { BACKEND, TRAFFIC, type Traffic } from '../common/corda/load-balancer.ts';
import { driveMarker, sharedDriveEvidence } from '../common/corda/database.ts';
import { settlesInto } from '../common/corda/variant.ts';
import { IN_IMAGE } from './images/contract.ts';
import { containerLogs } from './containers.ts';
import { partitionObservation } from './partition.ts';
import type { DockerDatabase } from './database.ts';
import type { DockerObserver } from './observer.ts';
import type { DockerLoadBalancer } from './load-balancer.ts';
import type { DockerPair } from './phases.ts';
import { dockerFaults } from './faults.ts';
import { LB_ALIAS, type DockerCordaStart } from './pair.ts';
import type { StartedDockerCorda } from './corda.ts';

const REAL_CORDA_UNTOLD =
  'with a real Corda image the harness cannot tell which node answered through the load balancer (the nodes do not name themselves on P2P, RPC or web); only the stand-in image shows it';

function liveTarget(c: DockerCordaStart, db: DockerDatabase, lb: DockerLoadBalancer, pair: DockerPair): CordaLiveTarget {
  const { s } = c;
  return {
    ports: { p2p: s.ports.p2p, rpc: s.ports.rpc, web: s.ports.web },
    nodes: () => pair.nodes.endpoints(),
    // a real node does not name itself on P2P/RPC/web, so "who answered" cannot be told through the load balancer
    lbAddress: c.realCorda ? undefined : c.addresses.lb,
    lbStat: () => lb.showStat(),
    lbBackends: Object.fromEntries(TRAFFIC.map((t) => [BACKEND[t], t])) as Record<string, Traffic>,
    readLease: () => db.readLease(),
  };
}

/** Wait for the steady state before handing over: one hot node, routed (or what the variant settles into). */
async function handOverSteady(c: DockerCordaStart, live: CordaLiveTarget, drillTarget: CordaDrillTarget, pair: DockerPair): Promise<void> {
  const { s } = c;
  const settled = drillTarget.settled!;
  const t = Date.now();
  const probe = new CordaSampling(new TimelineRecorder('docker corda start-up'), live, s.sampleIntervalMs, drillTarget.timeouts);
  probe.start();
  const steady = await probe.waitFor(settled.test, c.realCorda ? 180_000 : s.settleBoundMs, settled.consecutive);
  await probe.stop();
  c.timings.steadyMs = Date.now() - t;
  c.timings.totalMs = Date.now() - c.t0;
  if (steady) return;
  const msg = `docker corda: not steady within ${s.settleBoundMs} ms after start (last sample: ${JSON.stringify(probe.latest ?? null)})`;
  if (!c.variant.name) {
    const outs = await Promise.all([pair.primary, pair.backup].map(async (n) => `${n.name}:\n${await containerLogs(c.o.d, n.container.id).catch(() => '')}`));
    throw new BrokenError(`${msg}\n${outs.join('\n')}`);
  }
  c.o.log(msg);
}

function descriptorOf(c: DockerCordaStart, db: DockerDatabase, observer: DockerObserver, lb: DockerLoadBalancer, pair: DockerPair): Record<string, unknown> {
  const { s, addresses, networks, database } = c;
  const images = Object.fromEntries(Object.entries(c.o.images).map(([role, i]) => [role, { image: i.image, flavour: i.flavour, skipped: i.skipped }]));
  return {
    corda: cordaDescriptorSection({
      nodes: [pair.primary, pair.backup],
      lbAddress: LB_ALIAS,
      lbConfigFile: lb.configFile,
      database: { url: database.jdbcUrl, user: database.user },
      ports: s.ports,
      passwordVar: database.passwordVar,
    }),
    live: {
      hosts: { [LB_ALIAS]: addresses.lb, primary: addresses.primary, backup: addresses.backup },
      database: { host: '127.0.0.1', port: db.port, database: 'corda', user: database.user, password: `\${${database.passwordVar}}` },
      loadBalancerAdmin: `tcp://127.0.0.1:${lb.statsPort}`,
      docker: {
        runId: c.o.runId,
        networks: { database: { name: networks.db.name, subnet: networks.db.subnet }, loadBalancer: { name: networks.lb.name, subnet: networks.lb.subnet } },
        containers: { ...c.containers },
        images,
        published: {
          database: `127.0.0.1:${db.port}`,
          loadBalancer: TRAFFIC.map((t) => `${addresses.lb}:${s.ports[t]}`),
          runtimeApi: `127.0.0.1:${lb.statsPort}`,
          observer: `127.0.0.1:${observer.port}`,
        },
        mirror: {
          note: 'which ports of each node accept connections, as the observer container sees them on the lb network, mirrored on these loopback addresses of the harness',
          primary: addresses.primary,
          backup: addresses.backup,
        },
      },
    },
  };
}

/** The database's evidence, and the shared drive through the nodes' own mounts: written in the primary's container, read in the backup's. */
async function collectLive(c: DockerCordaStart, db: DockerDatabase, pair: DockerPair): Promise<Partial<LiveEvidence>> {
  const { primary, backup } = pair;
  const marker = `${IN_IMAGE.baseDirectory}/artemis/${driveMarker()}`;
  const inPrimary = (cmd: string) => primary.container.started.exec(['/bin/sh', '-c', cmd]);
  let wrote = false;
  return {
    ...(await db.evidence()),
    sharedDrive: await sharedDriveEvidence({
      wroteThrough: `${primary.container.name}:${marker}`,
      readThrough: `${backup.container.name}:${marker}`,
      source: `bind mount ${c.sharedDrive} at ${IN_IMAGE.baseDirectory}/artemis in both node containers`,
      write: async (token) => {
        wrote = (await inPrimary(`printf %s ${token} > ${marker}`).catch(() => ({ exitCode: 1 }))).exitCode === 0;
      },
      read: async () => {
        if (!wrote) return undefined;
        const r = await backup.container.started.exec(['/bin/sh', '-c', `cat ${marker}`]).catch(() => undefined);
        return r?.exitCode === 0 ? r.output.trim() : undefined;
      },
      remove: async () => {
        await inPrimary(`rm -f ${marker}`).catch(() => undefined);
      },
    }),
  };
}

export async function collect(c: DockerCordaStart, db: DockerDatabase, observer: DockerObserver, lb: DockerLoadBalancer, pair: DockerPair): Promise<StartedDockerCorda> {
  const { s, addresses } = c;
  const live = liveTarget(c, db, lb, pair);
  if (c.realCorda) for (const id of ['CORDA-LB-02', 'CORDA-LB-03']) c.unavailable[id] = REAL_CORDA_UNTOLD;
  const faults = dockerFaults(c, pair.nodes);
  const withLb = Boolean(live.lbAddress);
  const drillTarget = cordaDrillTarget(s, settlesInto(c.variant.changes), {
    live,
    faults,
    bothMayServe: true,
    // `docker start` of a stopped node, then the stand-in's start-up
    startAllowanceMs: c.realCorda ? 120_000 : 4000,
    // through the load balancer a probe crosses Docker's userland proxy and HAProxy: a little more time than locally
    timeouts: { connectMs: 100, routedMs: 750 },
  });
  const stop = async () => {
    if (!c.alive()) return;
    c.close();
    await observer.stop();
    await db.close();
  };
  await handOverSteady(c, live, drillTarget, pair);
  c.o.log(
    `docker corda: ready in ${c.timings.totalMs} ms${c.variant.name ? ` (variant ${c.variant.name})` : ''}: load balancer ${addresses.lb}:${s.ports.p2p}-${s.ports.web}, ` +
      `node mirrors ${addresses.primary} / ${addresses.backup}, database 127.0.0.1:${db.port}, runtime API 127.0.0.1:${lb.statsPort}`,
  );
  const observations: Record<string, Observation> = {
    ...cordaObservations(drillTarget),
    ...(withLb ? { [partitionObservation.key]: partitionObservation.create(drillTarget, faults, { networks: [c.networks.db.name, c.networks.lb.name] }) } : {}),
  };
  if (!withLb) c.unavailable[partitionObservation.key] = c.unavailable['CORDA-LB-03'] ?? 'no load balancer';
  return {
    runId: c.o.runId,
    variant: c.variant.name,
    settings: s,
    descriptor: descriptorOf(c, db, observer, lb, pair),
    checkSettings: {
      failoverToleranceMs: {
        value: s.failoverToleranceMs,
        why: c.toleranceStated
          ? 'cordaFailoverToleranceMs of the docker settings'
          : 'containers: waitInterval + 6000 ms, since a fault goes through the Docker API (0.3-2 s on a busy machine) and is counted from the moment it is recorded',
      },
    },
    collectLive: () => collectLive(c, db, pair),
    observations,
    unavailable: c.unavailable,
    live,
    faults,
    drillTarget,
    timings: c.timings,
    addresses: { primary: addresses.primary, backup: addresses.backup, 'backup-duplicate': addresses.duplicate, lb: addresses.lb },
    containers: c.containers,
    stop,
  };
}
