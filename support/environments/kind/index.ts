/**
 * The `kind` environment: one KIND cluster per region (`hac-<runId>-<region>`, kube-proxy in ipvs mode, workers
 * labelled with region and zone), a deployment applied to each — the user's (a target descriptor naming
 * manifests, a manifests directory, or a deploy command) or the bundled reference (`fixtures/reference/k8s/`) —
 * readiness waits with progress lines, and a target descriptor written for what was started, whose regions name
 * the KIND context and kubeconfig so evidence is read live from the Kubernetes API.
 *
 * The bundled reference is generated afresh for each run with its own PKI and made to run across clusters by
 * `fabric-network.ts` (identities as Secrets, genesis block, cross-region names, join Job); the Fabric images are
 * loaded into each cluster (`kind load docker-image`).
 *
 * Faults: a region is lost by `docker stop` of its cluster's node containers and comes back with `docker start`
 * (FAB-ORD-03, through the `fabric` ordering probe against each orderer's operations and admin endpoints,
 * reached by API port-forward, with blocks made by a broadcast; FAB-PEER-05, asking each organization's gateway
 * Services and peers through port-forwards with `askRealPeer`; FAB-GW-04, connecting through each gateway Service's
 * NodePort twin published on loopback by the cluster config, a peer stopped by scaling its Deployment). Every cluster created is deleted on stop, on a failure part-way through start
 * and on Ctrl-C (`Resources.onRelease`, registered before the cluster is created).
 *
 * Nothing here pulls an image: preflight checks the node image is present and hands kind that reference.
 *
 * `start` checks what it needs (preflight.ts), then runs the phases of phases.ts in order — prepare, the bundled
 * reference, the clusters (clusters.ts), the deployment, the descriptor — and collects the started environment: the
 * region controls, the drills (drills.ts, ordering-drills.ts, peer-drills.ts) and the live Kubernetes evidence.
 */
import { BrokenError, errorMessage } from '../../errors.ts';
import type { KubernetesClusterInfo } from '../../evidence/model.ts';
import type { Environment, StartedEnvironment } from '../types.ts';
import { Resources } from '../common/resources.ts';
import { DockerCli, KindCli } from './kind-cli.ts';
import type { KindCluster } from './clusters.ts';
import { DEFAULT_NODE_IMAGE, KIND_VERSION, type KindOptions } from './options.ts';
import { firstLine, kindPreflight, type KindTools } from './preflight.ts';
import { collect, createRegionClusters, deploy, generateReference, prepare, writeDescriptor } from './phases.ts';

export interface StartedKindEnvironment extends StartedEnvironment {
  readonly kubeconfig: string;
  readonly clusters: Record<string, KindCluster>;
  /** region loss: `docker stop` of the region's node containers */
  stopRegion(region: string): Promise<void>;
  /** `docker start` of them, and the kubeconfig re-exported; with `waitMs`, until its nodes are Ready again */
  restoreRegion(region: string, o?: { waitMs?: number }): Promise<void>;
  /** live Kubernetes evidence of every region, from the API (origin 'api') */
  collectKubernetes(): Promise<KubernetesClusterInfo[]>;
}

export interface KindEnvironment extends Environment {
  readonly name: 'kind';
  start(): Promise<StartedKindEnvironment>;
}

async function start(tools: KindTools, options: KindOptions, log: (line: string) => void): Promise<StartedKindEnvironment> {
  const pre = await kindPreflight(tools, options);
  if (pre.problems.length || !pre.plan || !pre.image) {
    throw new BrokenError(`the kind environment cannot start here:\n${pre.problems.map((p) => `- ${p}`).join('\n')}`);
  }
  const version = await tools.kind.version().catch(() => '');
  if (version && !version.includes(`kind ${KIND_VERSION} `)) {
    log(`${version.split(' ').slice(0, 2).join(' ')} is not ${KIND_VERSION}, the release this profile is tested with: the node image must be one built for your release (KIND_NODE_IMAGE)`);
  }
  const resources = new Resources(options.runId);
  try {
    const run = await prepare(tools, options, { plan: pre.plan, image: pre.image }, resources);
    const ref = await generateReference(run);
    const clusters = await createRegionClusters(run, ref);
    await deploy(run, ref, clusters);
    const written = await writeDescriptor(run, clusters);
    return collect(run, ref, clusters, written);
  } catch (err) {
    log(`the kind environment failed to start: ${firstLine(errorMessage(err))}; deleting what it created`);
    await resources.releaseAll().catch((e) => log(errorMessage(e)));
    throw err;
  }
}

export function kindEnvironment(options: KindOptions = {}): KindEnvironment {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const tools: KindTools = {
    kind: new KindCli({ env, log }),
    docker: new DockerCli({ env }),
    wantedImage: options.nodeImage ?? env.KIND_NODE_IMAGE ?? DEFAULT_NODE_IMAGE,
  };
  return {
    name: 'kind',
    preflight: async () => (await kindPreflight(tools, options)).problems,
    start: () => start(tools, options, log),
  };
}
