/**
 * The `docker` environment: the Corda hot-cold pair of the reference topology in containers — PostgreSQL, two
 * nodes (the stand-in, or a real Corda Enterprise image when one is present), HAProxy, on two networks of the
 * run — so that faults are real: a container stopped or paused, a node disconnected from the database network,
 * or partitioned from the database and the load balancer at once (see corda.ts for the layout and partition.ts
 * for the partition drill).
 *
 * Offline by design: images come from the local image store only (strategies.ts; `scripts/build-offline-images`
 * makes them from this machine's binaries), testcontainers runs without its reaper and without looking up the
 * host through a helper image, and nothing is pulled unless `HA_DOCKER_ALLOW_PULL=1`.
 *
 * Every container and network is labelled `ha-conformance.run=<runId>` (and `ha-conformance.owner=<host>:<pid>`)
 * and removed on stop, on a failed start, on SIGINT/SIGTERM (through `Resources`), and at process exit as a last
 * resort (synchronously, with the CLI). A run killed outright (SIGKILL) is cleaned up by the next start, which
 * removes everything labelled with a run whose owner process on this host is gone.
 *
 * Options: `variant` — the Corda variants of the table (../variants.ts) offered here; `settings` — the Corda pair's
 * keys (common/corda/settings.ts), with these defaults here: `cordaAddressBase` 127.21, `cordaSettleBoundMs`
 * 30000, `cordaFailoverToleranceMs` waitInterval + 6000 (see `dockerCordaDefaults`; the environment's check setting
 * `failoverToleranceMs`, named with its reason in the verdicts of CORDA-HA-02 and CORDA-LB-03); plus
 * `dockerObserverIntervalMs` (40). User flags (environment variables): `HA_DOCKER_POSTGRES_IMAGE`,
 * `HA_DOCKER_HAPROXY_IMAGE`, `HA_DOCKER_CORDA_IMAGE` (+ `HA_DOCKER_CORDA_DRIVERS`), `HA_DOCKER_ALLOW_PULL=1`.
 *
 * Observations: CORDA-HA-01, CORDA-HA-02, CORDA-LB-02, CORDA-LB-03 (drills/corda-drills.ts, unchanged) and
 * `CORDA-HA-01:partition` (partition.ts, judged by CORDA-HA-01's check).
 *
 * `start` runs in phases: the engine and the images (`chooseImages`), what dead runs left (`reapDeadRuns`), the
 * run's resources and their release (`runResources`), the pair (corda.ts), its descriptor (`writeDescriptor`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type Dockerode from 'dockerode';
import type { LiveEvidence } from '../../evidence/model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import type { Environment, StartedEnvironment } from '../types.ts';
import { BrokenError } from '../../errors.ts';
import { loadTarget } from '../../descriptor/load.ts';
import { collectLiveEvidence } from '../../evidence/live/collect.ts';
import { Resources, reapOrphans } from '../common/resources.ts';
import { CORDA_STAND_IN } from '../common/corda/stand-in.ts';
import { cordaVariantsOf } from '../common/corda/variant.ts';
import { dockerode, engineProblems, reap, reapSync } from './engine.ts';
import { resolveImages, type ImageChoice, type Role } from './strategies.ts';
import { startDockerCorda, type StartedDockerCorda } from './corda.ts';

export { PARTITION_KEY, PARTITION_JUDGE } from './partition.ts';

export interface DockerOptions {
  variant?: string;
  settings?: Record<string, unknown>;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface StartedDockerEnvironment extends StartedEnvironment {
  /** the Corda deployment: live target, fault injector, drill target, addresses, container ids */
  corda: StartedDockerCorda;
  images: Record<Role, ImageChoice>;
  timings: Record<string, number>;
}

/** The variants this environment offers (the Corda rows of ../variants.ts for docker), with what each breaks. */
export function dockerVariants(): Record<string, string> {
  return cordaVariantsOf('docker');
}

function userSpec(): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return `${uid}:${gid}`;
}

export interface DockerEnvironment extends Environment {
  start(): Promise<StartedDockerEnvironment>;
}

/** The engine must answer and every role must have an image; each choice is logged with what was skipped and why. */
async function chooseImages(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Record<Role, ImageChoice>> {
  const engine = await engineProblems(env);
  if (engine.length) throw new BrokenError(engine.join('\n'));
  const resolution = await resolveImages({ env });
  if (resolution.problems.length) throw new BrokenError(resolution.problems.join('\n'));
  const images = resolution.choices as Record<Role, ImageChoice>;
  for (const c of Object.values(images)) {
    log(`docker: ${c.role} runs ${c.image}${c.pull ? ' (to be pulled: HA_DOCKER_ALLOW_PULL=1)' : ''}${c.skipped.length ? ` — skipped: ${c.skipped.map((x) => `${x.strategy}: ${x.why}`).join('; ')}` : ''}`);
  }
  return images;
}

/** Remove what runs whose harness process is gone left: containers, networks, volumes, temp dirs. */
async function reapDeadRuns(d: Dockerode, log: (line: string) => void): Promise<void> {
  const reaped = await reap(d, 'dead');
  const dirs = await reapOrphans();
  if (reaped.containers.length || reaped.networks.length || reaped.volumes.length || dirs.dirs.length) {
    log(`docker: removed what interrupted runs left: ${[...reaped.containers, ...reaped.networks, ...reaped.volumes, ...dirs.dirs].join(', ')}`);
  }
}

/**
 * The run's resources: on release (stop, failure, Ctrl-C) everything labelled with the run is removed, and at
 * process exit, if release never ran, the CLI removes it synchronously. `track` records a container whose
 * creation is under way when a stop or a signal comes: it is waited for, then removed by label.
 */
function runResources(d: Dockerode): { resources: Resources; track: (id: string) => void } {
  const resources = new Resources();
  const runId = resources.runId;
  const tracked = new Set<string>();
  let released = false;
  resources.onRelease(`docker resources of run ${runId}`, async () => {
    await reap(d, { runId });
    released = true;
  });
  const atExit = () => {
    if (!released) reapSync(runId);
  };
  process.once('exit', atExit);
  resources.onRelease('docker exit hook', () => {
    process.off('exit', atExit);
  });
  return { resources, track: (id) => tracked.add(id) };
}

/** The target descriptor of the pair, written to a temp dir of the run, and loaded as any descriptor is. */
async function writeDescriptor(resources: Resources, corda: StartedDockerCorda, variant: string | undefined): Promise<{ file: string; descriptor: TargetDescriptor }> {
  const dir = await resources.tempDir('docker-target');
  const file = join(dir, 'target.yaml');
  const doc: Record<string, unknown> = {
    apiVersion: 'ha-conformance/v1',
    name: variant ? `docker-${variant}` : 'docker-reference',
    disposable: true,
    ...corda.descriptor,
  };
  (doc.live as Record<string, unknown>).runId = resources.runId;
  await writeFile(file, stringify(doc));
  return { file, descriptor: await loadTarget(file, process.env) };
}

function startedEnvironment(
  corda: StartedDockerCorda,
  target: { file: string; descriptor: TargetDescriptor },
  images: Record<Role, ImageChoice>,
  timings: Record<string, number>,
  release: () => Promise<void>,
  log: (line: string) => void,
): StartedDockerEnvironment {
  const { descriptor } = target;
  let stopped = false;
  return {
    name: 'docker',
    runId: corda.runId,
    descriptorFile: target.file,
    descriptor,
    disposable: true,
    observations: corda.observations,
    unavailable: corda.unavailable,
    settings: corda.checkSettings,
    standIns: images.node.flavour === 'corda-enterprise' ? {} : { corda: CORDA_STAND_IN },
    corda,
    images,
    timings,
    async collectLive(): Promise<Partial<LiveEvidence>> {
      const generic = await collectLiveEvidence(descriptor);
      return { ...generic, ...(await corda.collectLive()) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await corda.stop().catch((err: Error) => log(`docker: stopping the Corda part: ${err.message}`));
      await release();
    },
  };
}

export function dockerEnvironment(options: DockerOptions = {}): DockerEnvironment {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const variants = dockerVariants();
  return {
    name: 'docker',
    async preflight() {
      const problems: string[] = [];
      if (options.variant && !(options.variant in variants)) {
        problems.push(`unknown docker variant "${options.variant}"; known: ${Object.keys(variants).join(', ')}`);
      }
      const engine = await engineProblems(env);
      problems.push(...engine);
      if (!engine.length) problems.push(...(await resolveImages({ env })).problems);
      return problems;
    },
    async start(): Promise<StartedDockerEnvironment> {
      const t0 = Date.now();
      const images = await chooseImages(env, log);
      const timings: Record<string, number> = { imagesMs: Date.now() - t0 };
      const d = await dockerode();
      await reapDeadRuns(d, log);
      const { resources, track } = runResources(d);
      let corda: StartedDockerCorda | undefined;
      try {
        const settings = options.settings ?? {};
        corda = await startDockerCorda({ runId: resources.runId, resources, d, images, variant: options.variant, settings, log, track, user: userSpec() });
        Object.assign(timings, corda.timings);
        const target = await writeDescriptor(resources, corda, options.variant);
        timings.startMs = Date.now() - t0;
        return startedEnvironment(corda, target, images, timings, () => resources.releaseAll(), log);
      } catch (err) {
        await corda?.stop().catch(() => undefined);
        await resources.releaseAll().catch((e: Error) => log(`docker: cleanup after a failed start: ${e.message}`));
        throw err;
      }
    },
  };
}
