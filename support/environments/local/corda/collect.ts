/**
 * The last phase of the local Corda part's start-up: what the drills sample (the live target) and inject (the
 * fault injector), the steady state it hands over in, the descriptor of what was started, and its live evidence.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { BrokenError } from '../../../errors.ts';
import { LeaseReader } from '../../../evidence/live/lease.ts';
import { CordaSampling, type CordaLiveTarget } from '../../../drills/corda-sampler.ts';
import { cordaObservations, cordaDrillTarget, type CordaDrillTarget } from '../../../drills/corda-drills.ts';
import { TimelineRecorder } from '../../../drills/timeline-recorder.ts';
import type { RunningHaproxy } from '../../common/haproxy.ts';
import { cordaDescriptorSection } from '../../common/corda/layout.ts';
import { BACKEND, TRAFFIC, type Traffic } from '../../common/corda/load-balancer.ts';
import { driveMarker, sharedDriveEvidence } from '../../common/corda/database.ts';
import { settlesInto } from '../../common/corda/variant.ts';
import { failoverTolerance } from '../../common/corda/settings.ts';
import type { StartedCordaPart } from './index.ts';
import type { CordaStart, LocalPair, SharedDatabase } from './phases.ts';
import { localFaults } from './faults.ts';

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}

/** What the drills sample: the nodes' machines, the load balancer and its own view, the lease row. */
function liveTarget(c: CordaStart, lb: RunningHaproxy | undefined, pair: LocalPair, lease: LeaseReader): CordaLiveTarget {
  const { s } = c;
  return {
    ports: { p2p: s.ports.p2p, rpc: s.ports.rpc, web: s.ports.web },
    nodes: () => pair.nodes.endpoints(),
    lbAddress: lb ? c.addresses.lb : undefined,
    lbStat: lb ? () => lb.showStat() : undefined,
    lbBackends: Object.fromEntries(TRAFFIC.map((t) => [BACKEND[t], t])) as Record<string, Traffic>,
    readLease: () => lease.read(),
  };
}

/** Wait for the steady state before handing over: one hot node, routed (or what the variant settles into). */
async function handOverSteady(c: CordaStart, live: CordaLiveTarget, drillTarget: CordaDrillTarget, pair: LocalPair, stop: () => Promise<void>): Promise<void> {
  const { s } = c;
  const settled = drillTarget.settled!;
  const t = Date.now();
  const probe = new CordaSampling(new TimelineRecorder('corda start-up'), live, s.sampleIntervalMs);
  probe.start();
  const steady = await probe.waitFor(settled.test, s.startBoundMs, settled.consecutive);
  await probe.stop();
  c.timings.steadyMs = Date.now() - t;
  c.timings.totalMs = Date.now() - c.t0;
  if (steady) return;
  const msg = `corda: not steady within ${s.startBoundMs} ms after start (last sample: ${JSON.stringify(probe.latest ?? null)})`;
  if (!c.variant.name) {
    await stop();
    throw new BrokenError(`${msg}\nprimary: ${pair.primary.sup.output()}\nbackup: ${pair.backup.sup.output()}`);
  }
  c.log(msg);
}

/** The descriptor sections of what was started (the password as a `${VAR}` reference). */
function descriptorOf(c: CordaStart, d: SharedDatabase, lb: RunningHaproxy | undefined, pair: LocalPair): Record<string, unknown> {
  const { db } = d;
  const a = c.addresses;
  return {
    corda: cordaDescriptorSection({
      nodes: [pair.primary, pair.backup],
      lbAddress: a.lb,
      lbConfigFile: lb?.configFile,
      database: { url: d.jdbcUrl, user: db.user },
      ports: c.s.ports,
      passwordVar: d.passwordVar,
    }),
    live: {
      hosts: { 'corda-lb': a.lb, 'corda-primary': a.primary, 'corda-backup': a.backup },
      database: { host: db.host, port: db.port, database: db.database, user: db.user, password: `\${${d.passwordVar}}` },
      ...(lb ? { loadBalancerAdmin: lb.socketPath } : {}),
    },
  };
}

/** The database's evidence, and a file written through the primary's artemis directory looked for through the backup's. */
async function collectLive(d: SharedDatabase, pair: LocalPair): Promise<Partial<LiveEvidence>> {
  const { primary, backup } = pair;
  const marker = driveMarker();
  const wroteThrough = join(primary.baseDirectory, 'artemis', marker);
  const readThrough = join(backup.baseDirectory, 'artemis', marker);
  return {
    ...(await d.db.evidence()),
    sharedDrive: await sharedDriveEvidence({
      wroteThrough,
      readThrough,
      source: `${primary.baseDirectory}/artemis → ${backup.baseDirectory}/artemis`,
      write: (token) => writeFile(wroteThrough, token),
      read: () => readFile(readThrough, 'utf8').catch(() => undefined),
      remove: () => rm(wroteThrough, { force: true }),
    }),
  };
}

export async function collect(c: CordaStart, d: SharedDatabase, lb: RunningHaproxy | undefined, pair: LocalPair): Promise<StartedCordaPart> {
  const { resources, s, timings } = c;
  const alive = () => !c.abort.signal.aborted;
  // The harness's own session for the lease row (straight to the server, never through a node's relay).
  const lease = new LeaseReader(() => d.db.connect(5000), () => new BrokenError('the Corda environment is stopped'));
  const live = liveTarget(c, lb, pair, lease);
  const faults = localFaults(pair.nodes, pair.duplicate, c.root, alive);
  const drillTarget = cordaDrillTarget(s, settlesInto(c.variant.changes), { live, faults, startAllowanceMs: 5000, signal: c.abort.signal });
  const stop = once(async () => {
    c.abort.abort();
    await Promise.all(pair.nodes.all().map((n) => n.sup.close()));
    if (lb) await lb.stop();
    await d.relays.stop();
    await lease.close();
    await d.db.stop();
    delete process.env[d.passwordVar];
  });
  // Registered after the pieces it stops, so that on release (stop, failure, Ctrl-C) it runs before them and
  // nothing new starts once release has begun.
  resources.onRelease('corda part', stop);
  await handOverSteady(c, live, drillTarget, pair, stop);
  const a = c.addresses;
  c.log(`corda: ready in ${timings.totalMs} ms${c.variant.name ? ` (variant ${c.variant.name})` : ''}: primary ${a.primary}, backup ${a.backup}, load balancer ${lb ? a.lb : 'none'}`);
  return {
    runId: resources.runId,
    variant: c.variant.name,
    settings: s,
    descriptor: descriptorOf(c, d, lb, pair),
    checkSettings: {
      failoverToleranceMs: {
        value: failoverTolerance(s, timings.primaryHotMs),
        why: s.failoverToleranceSet
          ? 'cordaFailoverToleranceMs of the local settings'
          : `one restart cycle of a stand-in node (backoff + 2 × its start-up, measured ${timings.primaryHotMs} ms at start, + waitInterval), at least waitInterval + 4000 ms`,
      },
    },
    collectLive: () => collectLive(d, pair),
    observations: cordaObservations(drillTarget),
    unavailable: c.unavailable,
    stop,
    live,
    faults,
    drillTarget,
    timings,
    addresses: { primary: a.primary, backup: a.backup, 'backup-duplicate': a.duplicate, lb: a.lb },
  };
}
