/**
 * The phases of the docker pair's start-up, in order (`startDockerCorda` in corda.ts calls them):
 *
 * 1. `prepare`: settings (the docker defaults on top of the pair's), the variant's changes, a free address block
 *    for the mirrors and the load balancer, the run's two networks, the shared drive, the database secret;
 * 2. the database (database.ts) and the observer (observer.ts), in parallel;
 * 3. `startNodes`: the primary, until the observer sees it open P2P (or, where the variant makes the nodes refuse,
 *    until it refused), then the backup;
 * 4. the load balancer (load-balancer.ts), in front of the two nodes;
 * 5. `collect` (collect.ts): the live target, the fault injector and the drills, the steady state, the descriptor.
 */
import { chmod } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { BrokenError } from '../../errors.ts';
import { sleep } from '../../drills/timeline-recorder.ts';
import { cordaSettings } from '../common/corda/settings.ts';
import { createSharedDrive } from '../common/corda/layout.ts';
import { TRAFFIC } from '../common/corda/load-balancer.ts';
import { pickPairAddresses } from '../common/corda/addresses.ts';
import { cordaVariant, nodesRefuseToStart } from '../common/corda/variant.ts';
import { runLabels } from './engine.ts';
import { containerLogs, createNetwork } from './containers.ts';
import type { DockerObserver } from './observer.ts';
import { DockerNodeSet, exitsIn, startNode, type DockerCordaNode } from './node.ts';
import { DB_ALIAS, dockerCordaDefaults, dockerPasswordVariable, type DockerCordaOptions, type DockerCordaStart } from './pair.ts';

export async function prepare(o: DockerCordaOptions): Promise<DockerCordaStart> {
  const t0 = Date.now();
  const { resources, d, runId } = o;
  const { dockerObserverIntervalMs, ...cordaKeys } = o.settings;
  const s = cordaSettings(dockerCordaDefaults(cordaKeys));
  const addresses = await pickPairAddresses(s, TRAFFIC.map((t) => s.ports[t]));
  const [db, lb] = await Promise.all([
    createNetwork(d, `hac-${runId}-db`, runLabels(runId, 'network-database')),
    createNetwork(d, `hac-${runId}-lb`, runLabels(runId, 'network-load-balancer')),
  ]);
  const timings = { networksMs: Date.now() - t0 };
  const root = await resources.tempDir('docker-corda');
  const sharedDrive = await createSharedDrive(root);
  await chmod(sharedDrive, 0o777);
  const password = randomBytes(18).toString('base64url');
  const passwordVar = dockerPasswordVariable(runId);
  process.env[passwordVar] = password;
  resources.onRelease('docker corda password variable', () => {
    delete process.env[passwordVar];
  });
  let closed = false;
  return {
    o,
    t0,
    variant: cordaVariant('docker', o.variant),
    s,
    toleranceStated: cordaKeys.cordaFailoverToleranceMs !== undefined,
    observerIntervalMs: typeof dockerObserverIntervalMs === 'number' && dockerObserverIntervalMs > 0 ? dockerObserverIntervalMs : 40,
    realCorda: o.images.node.flavour === 'corda-enterprise',
    addresses,
    networks: { db, lb },
    root,
    sharedDrive,
    database: { user: `corda_${runId}`, password, passwordVar, jdbcUrl: `jdbc:postgresql://${DB_ALIAS}:5432/corda` },
    timings,
    unavailable: {},
    containers: {},
    alive: () => !closed,
    close: () => {
      closed = true;
    },
  };
}

export interface DockerPair {
  nodes: DockerNodeSet;
  primary: DockerCordaNode;
  backup: DockerCordaNode;
}

export async function startNodes(c: DockerCordaStart, observer: DockerObserver): Promise<DockerPair> {
  const nodes = new DockerNodeSet(c, observer.mirror);
  const t = Date.now();
  const primary = await nodes.add(await startNode(c, 'primary', 'primary'));
  await untilPrimaryHot(c, observer, primary, t);
  c.timings.primaryHotMs = Date.now() - t;
  const backup = await nodes.add(await startNode(c, 'backup', 'backup', primary.baseDirectory));
  return { nodes, primary, backup };
}

/** Until the observer sees the primary open P2P or, where the variant makes the nodes refuse, until it refused. */
async function untilPrimaryHot(c: DockerCordaStart, observer: DockerObserver, primary: DockerCordaNode, since: number): Promise<void> {
  const { s } = c;
  const refuses = nodesRefuseToStart(c.variant.changes);
  const bound = c.realCorda ? 180_000 : s.settleBoundMs;
  for (;;) {
    if (observer.mirror.latest.primary?.[String(s.ports.p2p)]) return;
    if (refuses && exitsIn(primary.stateDir) > 0) {
      c.o.log('docker corda: the primary refused to start, as the variant expects');
      return;
    }
    if (Date.now() - since > bound) {
      const out = await containerLogs(c.o.d, primary.container.id).catch(() => '');
      throw new BrokenError(`docker corda: the primary did not open its P2P port within ${bound} ms (seen from the observer):\n${out}`);
    }
    await sleep(50);
  }
}
