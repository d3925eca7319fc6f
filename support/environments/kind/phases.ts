/**
 * The phases of the kind environment's start-up, in order (`start` in index.ts calls them):
 *
 * 1. `prepare`: the preflight's plan and node image, the timeouts, clusters of earlier runs reaped, the run's dir
 *    and kubeconfig, the drills' port-forwards closed on release;
 * 2. `generateReference`: the bundled reference generated afresh for the run (its own PKI, keys only in memory and
 *    in the clusters' Secrets), and a free loopback port for each gateway Service's NodePort twin;
 * 3. `createRegionClusters` (clusters.ts): one cluster per region, one after the other, then their nodes Ready;
 * 4. `deploy`: per region, the deploy command, or the manifests (with, for the bundled reference, the Fabric images
 *    loaded and what makes it run across clusters: fabric-network.ts), until ready (readiness.ts);
 * 5. `writeDescriptor`: the target descriptor of what runs, its regions naming the KIND contexts;
 * 6. `collect`: the region controls, the drills (drills.ts), the live Kubernetes evidence, stop.
 *
 * Each phase takes what the earlier ones made; everything is released through the run's `Resources`, on stop and on
 * a failure in any phase.
 */
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import type { LiveEvidence } from '../../evidence/model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import type { Resources } from '../common/resources.ts';
import { loadTarget } from '../../descriptor/load.ts';
import { collectKubernetesApiEvidence, loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import { freePort } from '../common/ports.ts';
import { generateDeployment, type GeneratedDeployment } from '../../reference/generate.ts';
import { channelSpec } from '../../reference/channels.ts';
import { FABRIC_IMAGES } from '../../reference/kubernetes.ts';
import { encodeChannelConfigBlock } from '../../reference/channel-config-encode.ts';
import { runCommand } from './kind-cli.ts';
import { applyManifests, readManifestObjects } from './deploy.ts';
import { waitForNodes, waitForReady } from './readiness.ts';
import type { Forward } from './port-forward.ts';
import { gatewayPlacements, regionNetworkObjects, type GatewayPlacement } from './fabric-network.ts';
import { createCluster, reapOrphanClusters, regionControl, type KindCluster, type RegionControl } from './clusters.ts';
import { kindObservations } from './drills.ts';
import type { KindDeploymentPlan, KindTools } from './preflight.ts';
import type { KindOptions } from './options.ts';
import type { StartedKindEnvironment } from './index.ts';

/** What every phase works in. */
export interface KindStart {
  options: KindOptions;
  tools: KindTools;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  plan: KindDeploymentPlan;
  /** the node image as present locally */
  image: string;
  namespace: string;
  timeouts: Required<NonNullable<KindOptions['timeouts']>>;
  resources: Resources;
  runId: string;
  dir: string;
  kubeconfig: string;
  /** every port-forward open, closed on release */
  forwards: Forward[];
}

export async function prepare(tools: KindTools, options: KindOptions, pre: { plan: KindDeploymentPlan; image: string }, resources: Resources): Promise<KindStart> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  if (options.reapOrphans !== false) await reapOrphanClusters(tools.kind, log);
  const dir = await resources.tempDir('kind');
  const forwards: Forward[] = [];
  resources.onRelease('close port-forwards', async () => {
    await Promise.all(forwards.splice(0).map((f) => f.close()));
  });
  return {
    options,
    tools,
    env,
    log,
    plan: pre.plan,
    image: pre.image,
    namespace: options.namespace ?? 'test-network',
    timeouts: { createMs: 10 * 60_000, nodesMs: 3 * 60_000, readyMs: 5 * 60_000, commandMs: 20 * 60_000, ...options.timeouts },
    resources,
    runId: resources.runId,
    dir,
    kubeconfig: join(dir, 'kubeconfig'),
    forwards,
  };
}

/** The bundled reference as run here, when it is the deployment: the generated network and its gateway Services' host ports. */
export interface ReferenceNetwork {
  network?: GeneratedDeployment;
  gateways: GatewayPlacement[];
  /** gateway → the loopback port its NodePort twin is published on (FAB-GW-04) */
  hostPorts: Record<string, number>;
}

export async function generateReference(run: KindStart): Promise<ReferenceNetwork> {
  if (run.plan.kind !== 'reference') return { gateways: [], hostPorts: {} };
  const network = await generateDeployment(join(run.dir, 'reference'));
  run.plan.base = network.descriptorFile;
  const generated = await loadTarget(network.descriptorFile, run.env);
  for (const r of generated.regions) run.plan.manifests[r.name] = (r.kubernetes?.manifests ?? []).map((m) => resolve(network.dir, m));
  run.log(`the bundled reference deployment, generated for run ${run.runId} with a fresh PKI: ${network.dir}`);
  const gateways = gatewayPlacements(network.plan);
  const hostPorts: Record<string, number> = {};
  for (const g of gateways) hostPorts[g.gateway] = await freePort('127.0.0.1');
  return { network, gateways, hostPorts };
}

export async function createRegionClusters(run: KindStart, ref: ReferenceNetwork): Promise<Record<string, KindCluster>> {
  const clusters: Record<string, KindCluster> = {};
  // One after the other: each is several containers booting systemd and a control plane.
  for (const [subnetIndex, region] of run.plan.regions.entries()) {
    clusters[region] = await createCluster(run.resources, run.tools.kind, run.log, {
      runId: run.runId,
      region,
      workers: run.options.workers ?? Math.max(3, run.plan.orderers[region] ?? 0),
      subnetIndex,
      portMappings: ref.gateways.filter((g) => g.region === region).map((g) => ({ containerPort: g.nodePort, hostPort: ref.hostPorts[g.gateway] })),
      dir: run.dir,
      kubeconfig: run.kubeconfig,
      image: run.image,
      createMs: run.timeouts.createMs,
    });
  }
  for (const region of run.plan.regions) {
    const c = clusters[region];
    await waitForNodes({ kc: loadKubeConfig(run.kubeconfig, c.context), region, context: c.context, timeoutMs: run.timeouts.nodesMs, log: run.log, expected: c.nodes.length });
  }
  return clusters;
}

/** Run the deploy command in a region, with what it needs to know in its environment. */
async function deployByCommand(run: KindStart, c: KindCluster): Promise<void> {
  run.log(`${c.region}: running the deploy command: ${run.plan.command}`);
  await runCommand('sh', ['-c', run.plan.command!], {
    timeoutMs: run.timeouts.commandMs,
    env: { ...run.env, KUBECONFIG: run.kubeconfig, HA_KUBE_CONTEXT: c.context, HA_REGION: c.region, HA_KIND_CLUSTER: c.name, HA_NAMESPACE: run.namespace, HA_RUN_ID: run.runId },
    onStdoutLine: (l) => run.log(`${c.region}: deploy: ${l}`),
    onStderrLine: (l) => run.log(`${c.region}: deploy: ${l}`),
  });
}

/** Apply a region's manifests (and, for the bundled reference, the Fabric images and the run's own objects) until ready. */
async function deployManifests(run: KindStart, c: KindCluster, network: GeneratedDeployment | undefined, extra: (region: string) => Record<string, unknown>[]): Promise<void> {
  const { region } = c;
  const kc = loadKubeConfig(run.kubeconfig, c.context);
  const objects = await readManifestObjects(run.plan.manifests[region] ?? []);
  if (network) {
    const images = Object.values(FABRIC_IMAGES);
    run.log(`${region}: loading ${images.join(', ')} into ${c.name}`);
    await run.tools.kind.loadImages(images, c.name);
    objects.push(...extra(region).map((object) => ({ object, source: `run ${run.runId}: identities, genesis block, cross-region names, join Job` })));
  }
  run.log(`${region}: applying ${objects.length} objects from ${(run.plan.manifests[region] ?? []).join(', ')}${network ? " and the run's own" : ''}`);
  const applied = await applyManifests(objects, { kc, region, context: c.context, log: run.log, defaultNamespace: run.namespace });
  await waitForReady(applied, { kc, region, context: c.context, timeoutMs: run.timeouts.readyMs, log: run.log });
}

export async function deploy(run: KindStart, ref: ReferenceNetwork, clusters: Record<string, KindCluster>): Promise<void> {
  const { network } = ref;
  const nodeAddresses: Record<string, string[]> = {};
  if (network) {
    for (const region of run.plan.regions) {
      const workers = clusters[region].nodes.filter((n) => n.includes('-worker'));
      nodeAddresses[region] = await Promise.all(workers.map((n) => run.tools.docker.containerAddress(n, 'kind')));
    }
  }
  const genesis = network ? Object.fromEntries(network.plan.channels.map((ch) => [ch, encodeChannelConfigBlock(channelSpec(network.plan, network.pki, ch))])) : {};
  const extra = (region: string) => (network ? regionNetworkObjects({ plan: network.plan, pki: network.pki, genesis, region, nodeAddresses, namespace: run.namespace }) : []);
  for (const region of run.plan.regions) {
    if (run.plan.kind === 'command') await deployByCommand(run, clusters[region]);
    else await deployManifests(run, clusters[region], network, extra);
  }
}

export async function writeDescriptor(run: KindStart, clusters: Record<string, KindCluster>): Promise<{ descriptorFile: string; descriptor: TargetDescriptor }> {
  const { plan, kubeconfig, runId } = run;
  const descriptorFile = join(run.dir, 'target.yaml');
  const doc: Record<string, unknown> = {
    apiVersion: 'ha-conformance/v1',
    name: `kind-${plan.base ? basename(dirname(plan.base)) : 'deployment'}`,
    ...(plan.base ? { extends: plan.base } : {}),
    disposable: true,
    // Live evidence comes from the API of each context; manifests would describe a placement KIND did not make.
    regions: plan.regions.map((r) => ({
      name: r,
      kubernetes: { manifests: [], kindConfig: clusters[r].configFile, context: clusters[r].context, kubeconfig },
    })),
    live: {
      runId,
      kind: { kubeconfig, namespace: run.namespace, clusters: Object.fromEntries(plan.regions.map((r) => [r, clusters[r].name])) },
    },
  };
  await writeFile(descriptorFile, `# Written by the kind environment for run ${runId}; removed when the run ends.\n` + YAML.stringify(doc, { lineWidth: 0 }));
  return { descriptorFile, descriptor: await loadTarget(descriptorFile, run.env) };
}

export function collect(
  run: KindStart,
  ref: ReferenceNetwork,
  clusters: Record<string, KindCluster>,
  written: { descriptorFile: string; descriptor: TargetDescriptor },
): StartedKindEnvironment {
  const { log, kubeconfig, namespace, plan } = run;
  const control: RegionControl = regionControl(run.tools, clusters, kubeconfig, log, run.options.stopGraceSeconds ?? 0);
  // A region stopped by a drill that was interrupted still gets deleted with its cluster; nothing to undo first.
  const { observations, unavailable } = kindObservations({
    drill: run.options.drill ?? {},
    descriptor: written.descriptor,
    regions: plan.regions,
    kubeconfig,
    namespace,
    log,
    forwards: run.forwards,
    control,
    ...ref,
  });
  let stopped = false;
  return {
    name: 'kind',
    runId: run.runId,
    ...written,
    disposable: true,
    kubeconfig,
    clusters,
    observations,
    unavailable,
    stopRegion: control.stopRegion,
    restoreRegion: control.restoreRegion,
    async collectLive(): Promise<Partial<LiveEvidence>> {
      // Kubernetes evidence is not a LiveEvidence field: it is read through collectKubernetes() / the descriptor's
      // contexts. The TLS and lease collectors need addresses a KIND cluster does not expose.
      return {};
    },
    collectKubernetes: () => Promise.all(plan.regions.map((r) => collectKubernetesApiEvidence(r, { kubeconfig, context: clusters[r].context, namespace }))),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (control.stoppedRegions.size) log(`regions still stopped at the end: ${[...control.stoppedRegions].join(', ')} (deleted with their clusters)`);
      await run.resources.releaseAll();
    },
  };
}
