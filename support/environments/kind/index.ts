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
 */
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { BrokenError, errorMessage } from '../../errors.ts';
import type { KubernetesClusterInfo, LiveEvidence } from '../../evidence/model.ts';
import type { TargetDescriptor } from '../../target/types.ts';
import type { Environment, StartedEnvironment } from '../types.ts';
import { Resources, TEMP_PREFIX } from '../shared/resources.ts';
import { loadTarget } from '../../target/load.ts';
import { collectKubernetesApiEvidence, loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import type { OrderingProbe } from '../../drills/ordering-probe.ts';
import { freePort } from '../shared/ports.ts';
import { generateDeployment, type GeneratedDeployment } from '../../fixtures/generate.ts';
import { channelSpec } from '../../fixtures/channels.ts';
import { FABRIC_IMAGES } from '../../fixtures/kubernetes.ts';
import { encodeChannelConfigBlock } from '../../evidence/fabric/channel-config-encode.ts';
import { CommandError, DockerCli, KindCli, runCommand } from './kind-cli.ts';
import { clusterConfig, contextName, parseClusterName, renderClusterConfig } from './cluster-config.ts';
import { applyManifests, readManifestObjects, waitForNodes, waitForReady } from './deploy.ts';
import type { Forward } from './port-forward.ts';
import { gatewayPlacements, regionNetworkObjects } from './fabric-network.ts';
import { kindObservations } from './drills.ts';

/** The kind release this profile is tested against, and the node image built for it (from its release notes). */
export const KIND_VERSION = 'v0.29.0';
export const DEFAULT_NODE_IMAGE = 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f';
export const KIND_INSTALL_URL = 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation';
export const DOCKER_INSTALL_URL = 'https://docs.docker.com/engine/install/';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_REFERENCE_DIR = join(REPO_ROOT, 'fixtures', 'reference');

export interface KindDeployment {
  /**
   * A target descriptor of the deployment: its regions' `kubernetes.manifests` are applied (unless `manifests`
   * or `command` says otherwise) and it is the base (`extends`) of the descriptor written for the run.
   */
  descriptor?: string;
  /** manifests: one directory holding a sub-directory per region, or files/directories per region */
  manifests?: string | Record<string, string[]>;
  /**
   * A shell command run once per region after its cluster is up, with KUBECONFIG, HA_KUBE_CONTEXT, HA_REGION,
   * HA_KIND_CLUSTER, HA_NAMESPACE and HA_RUN_ID set. It deploys and waits for readiness itself.
   */
  command?: string;
}

export interface KindOptions {
  /** regions (default: the descriptor's, else r1, r2, r3) */
  regions?: string[];
  /** workers per region (default: 3, or the region's ordering nodes when more) */
  workers?: number;
  /** the node image (default `KIND_NODE_IMAGE`, else the image kind v0.29.0 was released with) */
  nodeImage?: string;
  /** the user's deployment; the bundled reference when absent */
  deployment?: KindDeployment;
  /** where the bundled reference lives (default `fixtures/reference`) */
  referenceDir?: string;
  /** namespace the evidence is read from (default `test-network`, as in fabric-samples test-network-k8s) */
  namespace?: string;
  timeouts?: {
    /** `kind create cluster`, per cluster (default 10 min) */
    createMs?: number;
    /** nodes Ready after creation (default 3 min) */
    nodesMs?: number;
    /** workloads ready after apply, per region (default 5 min) */
    readyMs?: number;
    /** the deploy command, per region (default 20 min) */
    commandMs?: number;
  };
  /** FAB-ORD-03 drill on kind */
  drill?: {
    /** how long the FAB-ORD-03 drill waits for a leader after each fault (default: the bound it is judged by) */
    boundMs?: number;
    catchUpBoundMs?: number;
    sampleIntervalMs?: number;
    /** orderer ports reached by port-forward (defaults 8443 and 9443, as in fabric-samples) and their scheme */
    operationsPort?: number;
    adminPort?: number;
    scheme?: 'http' | 'https';
    /** another way to look at the ordering service (TLS-secured endpoints, a test); replaces the port-forwarded `fabric` probe */
    probe?: OrderingProbe;
    /** FAB-ORD-12: how long a restarted ordering node may take to come back and catch up (default: the bound it is judged by) */
    restartBoundMs?: number;
    /** FAB-PEER-05: how long each organization's query may keep trying with a region down (default 60 s) */
    peerQueryBoundMs?: number;
    /** FAB-PEER-05: how long a region's peers may take to answer again after it returns (default 5 min) */
    peerRestoreBoundMs?: number;
    /** the peers' operations port (default 9443, as in fabric-samples), reached by port-forward */
    peerOperationsPort?: number;
    /** FAB-GW-04: new connections per gateway before and after the stop (default 12) */
    gatewayConnections?: number;
    /** FAB-GW-04: how long the Service's endpoints may take to drop a stopped peer and take it back (default 2 min) */
    gatewayViewBoundMs?: number;
    /** FAB-GW-04: how long an open connection to the stopped peer may take to break (default 35 s: the pod's grace period and more) */
    gatewayBreakWindowMs?: number;
  };
  /** `docker stop --time` when a region is lost (default 0: the region goes away at once) */
  stopGraceSeconds?: number;
  /** delete clusters `hac-<runId>-*` whose harness process is gone (default true) */
  reapOrphans?: boolean;
  runId?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, got "${v}"`);
  return n;
}

/**
 * Options from the environment, for the Cucumber `kind` profile: HA_KIND_REGIONS (r1,r2,r3), HA_KIND_WORKERS,
 * KIND_NODE_IMAGE, HA_KIND_TARGET (descriptor), HA_KIND_MANIFESTS (directory with one sub-directory per region),
 * HA_KIND_DEPLOY (command), HA_KIND_NAMESPACE, HA_KIND_READY_TIMEOUT (seconds), HA_KIND_DRILL_BOUND_MS.
 */
export function kindOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, log?: (line: string) => void): KindOptions {
  const deployment: KindDeployment = {};
  if (env.HA_KIND_TARGET) deployment.descriptor = resolve(env.HA_KIND_TARGET);
  if (env.HA_KIND_MANIFESTS) deployment.manifests = resolve(env.HA_KIND_MANIFESTS);
  if (env.HA_KIND_DEPLOY) deployment.command = env.HA_KIND_DEPLOY;
  const ready = num(env.HA_KIND_READY_TIMEOUT, 'HA_KIND_READY_TIMEOUT');
  const bound = num(env.HA_KIND_DRILL_BOUND_MS, 'HA_KIND_DRILL_BOUND_MS');
  return {
    regions: env.HA_KIND_REGIONS ? env.HA_KIND_REGIONS.split(',').map((r) => r.trim()).filter(Boolean) : undefined,
    workers: num(env.HA_KIND_WORKERS, 'HA_KIND_WORKERS'),
    nodeImage: env.KIND_NODE_IMAGE || undefined,
    deployment: Object.keys(deployment).length ? deployment : undefined,
    namespace: env.HA_KIND_NAMESPACE || undefined,
    timeouts: ready ? { readyMs: ready * 1000 } : undefined,
    drill: bound ? { boundMs: bound } : undefined,
    env,
    log,
  };
}

export interface KindCluster {
  region: string;
  name: string;
  context: string;
  configFile: string;
  /** node container names (`kind get nodes`) */
  nodes: string[];
}

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

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim() ?? s;
}

/** The deployment plan: which manifests per region, or a command, and the descriptor to extend. */
interface DeploymentPlan {
  kind: 'reference' | 'descriptor' | 'manifests' | 'command';
  base?: string;
  manifests: Record<string, string[]>;
  command?: string;
  regions: string[];
  /** ordering nodes per region, for sizing workers */
  orderers: Record<string, number>;
}

async function manifestsFromDir(dir: string, regions: string[] | undefined): Promise<Record<string, string[]>> {
  const subdirs = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const wanted = regions ?? subdirs.sort();
  return Object.fromEntries(wanted.map((r) => [r, [join(dir, r)]]));
}

async function planDeployment(o: KindOptions): Promise<{ plan?: DeploymentPlan; problems: string[] }> {
  const d = o.deployment ?? {};
  const problems: string[] = [];
  let base: string | undefined;
  let descriptor: TargetDescriptor | undefined;
  let kind: DeploymentPlan['kind'] = 'reference';
  if (d.descriptor) {
    base = resolve(d.descriptor);
    kind = 'descriptor';
  } else if (!d.manifests && !d.command) {
    const ref = resolve(o.referenceDir ?? DEFAULT_REFERENCE_DIR);
    base = join(ref, 'target.yaml');
    if (!existsSync(base)) {
      problems.push(`the bundled reference deployment is missing (${base}): generate it with \`npm run fixtures\`, or name your own deployment (HA_KIND_TARGET, HA_KIND_MANIFESTS or HA_KIND_DEPLOY)`);
      return { problems };
    }
  }
  if (base) {
    if (!existsSync(base)) return { problems: [`the target descriptor ${base} does not exist (HA_KIND_TARGET)`] };
    try {
      descriptor = await loadTarget(base, o.env ?? process.env);
    } catch (err) {
      return { problems: [`the target descriptor ${base} cannot be used:\n${errorMessage(err)}`] };
    }
  }
  const regions = o.regions ?? (descriptor?.regions.length ? descriptor.regions.map((r) => r.name) : ['r1', 'r2', 'r3']);
  if (kind === 'reference' && descriptor) {
    const own = descriptor.regions.map((r) => r.name);
    if (own.join(',') !== regions.join(',')) {
      problems.push(`the bundled reference deployment has regions ${own.join(', ')}, not ${regions.join(', ')} (HA_KIND_REGIONS): leave HA_KIND_REGIONS unset, or deploy your own network`);
    }
  }
  const orderers: Record<string, number> = {};
  for (const n of descriptor?.fabric?.ordering.flatMap((g) => g.nodes) ?? []) if (n.region !== undefined) orderers[n.region] = (orderers[n.region] ?? 0) + 1;
  let manifests: Record<string, string[]> = {};
  if (d.command) {
    kind = 'command';
  } else if (d.manifests) {
    kind = 'manifests';
    if (typeof d.manifests === 'string') {
      if (!existsSync(d.manifests)) return { problems: [`the manifests directory ${d.manifests} does not exist (HA_KIND_MANIFESTS)`] };
      manifests = await manifestsFromDir(d.manifests, regions);
    } else manifests = d.manifests;
  } else if (descriptor) {
    for (const r of descriptor.regions) manifests[r.name] = (r.kubernetes?.manifests ?? []).map((m) => resolve(dirname(base!), m));
  }
  if (kind !== 'command') {
    for (const r of regions) {
      const paths = manifests[r] ?? [];
      if (!paths.length) problems.push(`no manifests for region ${r}${base ? ` in ${base}` : ''}`);
      for (const p of paths) if (!existsSync(p)) problems.push(`the manifests of region ${r} are missing: ${p}`);
    }
  }
  return { plan: { kind, base, manifests, command: d.command, regions, orderers }, problems };
}

/** Clusters this harness named whose run has no live harness process (its temp dirs name the owner's pid). */
export async function orphanClusters(names: string[]): Promise<string[]> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  return names.filter((n) => {
    const parsed = parseClusterName(n);
    if (!parsed) return false;
    const owners = entries
      .map((e) => new RegExp(`^${TEMP_PREFIX}${parsed.runId}-(\\d+)-`).exec(e))
      .filter((m): m is RegExpExecArray => Boolean(m))
      .map((m) => Number(m[1]));
    return !owners.some(alive);
  });
}

export function kindEnvironment(options: KindOptions = {}): KindEnvironment {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const kind = new KindCli({ env, log });
  const docker = new DockerCli({ env });
  const wantedImage = options.nodeImage ?? env.KIND_NODE_IMAGE ?? DEFAULT_NODE_IMAGE;

  /** the image reference present locally (the digest-pinned one, or its tag when loaded without a digest) */
  async function localImage(): Promise<string | undefined> {
    if (await docker.imagePresent(wantedImage)) return wantedImage;
    const tagOnly = wantedImage.split('@')[0];
    if (tagOnly !== wantedImage && (await docker.imagePresent(tagOnly))) return tagOnly;
    return undefined;
  }

  async function preflight(): Promise<{ problems: string[]; image?: string; plan?: DeploymentPlan }> {
    const problems: string[] = [];
    try {
      await kind.version();
    } catch (err) {
      const e = err as CommandError;
      if (e instanceof CommandError && e.code === null && /not found/.test(e.message)) {
        problems.push(`kind is not installed (no \`${kind.bin}\` on PATH; KIND_BIN names another path): see ${KIND_INSTALL_URL} (tested with kind ${KIND_VERSION})`);
      } else problems.push(`kind (${kind.bin}) does not run: ${firstLine(errorMessage(err))}`);
    }
    let image: string | undefined;
    let engine = false;
    try {
      await docker.info();
      engine = true;
    } catch (err) {
      const e = err as CommandError;
      if (e instanceof CommandError && e.code === null && /not found/.test(e.message)) {
        problems.push(`docker is not installed (no \`${docker.bin}\` on PATH; DOCKER_BIN names another path): see ${DOCKER_INSTALL_URL}`);
      } else {
        const why = e instanceof CommandError ? firstLine(e.stderr || e.message) : errorMessage(err);
        problems.push(`the Docker engine is not reachable (\`${docker.bin} info\` failed: ${why}): start it (e.g. \`sudo systemctl start docker\`) or point DOCKER_HOST at it`);
      }
    }
    if (engine) {
      try {
        image = await localImage();
        if (!image) {
          problems.push(`the KIND node image ${wantedImage} is not present locally, and the harness never pulls: \`docker pull ${wantedImage}\` (or set KIND_NODE_IMAGE to an image you have)`);
        }
      } catch (err) {
        problems.push(`could not inspect the KIND node image ${wantedImage}: ${firstLine(errorMessage(err))}`);
      }
    }
    const planned = await planDeployment(options);
    problems.push(...planned.problems);
    if (engine && planned.plan?.kind === 'reference') {
      // the bundled reference runs real Fabric: its images must be here (they are loaded into the clusters)
      for (const fabricImage of Object.values(FABRIC_IMAGES)) {
        try {
          if (!(await docker.imagePresent(fabricImage))) {
            problems.push(`the Fabric image ${fabricImage} (bundled reference deployment) is not present locally, and the harness never pulls: \`docker pull ${fabricImage}\` (or deploy your own network: HA_KIND_TARGET, HA_KIND_MANIFESTS or HA_KIND_DEPLOY)`);
          }
        } catch (err) {
          problems.push(`could not inspect the Fabric image ${fabricImage}: ${firstLine(errorMessage(err))}`);
        }
      }
    }
    return { problems, image, plan: planned.plan };
  }

  return {
    name: 'kind',
    async preflight() {
      return (await preflight()).problems;
    },
    async start(): Promise<StartedKindEnvironment> {
      const pre = await preflight();
      if (pre.problems.length || !pre.plan || !pre.image) {
        throw new BrokenError(`the kind environment cannot start here:\n${pre.problems.map((p) => `- ${p}`).join('\n')}`);
      }
      const plan = pre.plan;
      const image = pre.image;
      const version = await kind.version().catch(() => '');
      if (version && !version.includes(`kind ${KIND_VERSION} `)) {
        log(`${version.split(' ').slice(0, 2).join(' ')} is not ${KIND_VERSION}, the release this profile is tested with: the node image must be one built for your release (KIND_NODE_IMAGE)`);
      }
      const namespace = options.namespace ?? 'test-network';
      const timeouts = { createMs: 10 * 60_000, nodesMs: 3 * 60_000, readyMs: 5 * 60_000, commandMs: 20 * 60_000, ...options.timeouts };
      const resources = new Resources(options.runId);
      const runId = resources.runId;
      const clusters: Record<string, KindCluster> = {};
      const forwards: Forward[] = [];
      try {
        if (options.reapOrphans !== false) {
          const orphans = await orphanClusters(await kind.getClusters().catch(() => [] as string[]));
          for (const name of orphans) {
            log(`deleting KIND cluster ${name}, left by an earlier run whose harness is gone`);
            await kind.deleteCluster(name).catch((err) => log(`could not delete ${name}: ${firstLine(errorMessage(err))}`));
          }
        }
        const dir = await resources.tempDir('kind');
        const kubeconfig = join(dir, 'kubeconfig');
        resources.onRelease('close port-forwards', async () => {
          await Promise.all(forwards.splice(0).map((f) => f.close()));
        });

        // The bundled reference: generated afresh for the run (its own PKI, keys only in memory and in the
        // clusters' Secrets), with what makes it run across clusters (fabric-network.ts).
        let network: GeneratedDeployment | undefined;
        if (plan.kind === 'reference') {
          network = await generateDeployment(join(dir, 'reference'));
          plan.base = network.descriptorFile;
          const generated = await loadTarget(network.descriptorFile, env);
          for (const r of generated.regions) plan.manifests[r.name] = (r.kubernetes?.manifests ?? []).map((m) => resolve(network!.dir, m));
          log(`the bundled reference deployment, generated for run ${runId} with a fresh PKI: ${network.dir}`);
        }
        // each gateway Service's NodePort twin, published on a free loopback port of this host (FAB-GW-04)
        const gateways = network ? gatewayPlacements(network.plan) : [];
        const hostPorts: Record<string, number> = {};
        for (const g of gateways) hostPorts[g.gateway] = await freePort('127.0.0.1');

        // Clusters one after the other: each is several containers booting systemd and a control plane.
        for (const [subnetIndex, region] of plan.regions.entries()) {
          const workers = options.workers ?? Math.max(3, plan.orderers[region] ?? 0);
          const portMappings = gateways.filter((g) => g.region === region).map((g) => ({ containerPort: g.nodePort, hostPort: hostPorts[g.gateway] }));
          const config = clusterConfig({ runId, region, workers, subnetIndex, portMappings });
          const configFile = join(dir, `kind-config-${region}.yaml`);
          await writeFile(configFile, renderClusterConfig({ runId, region, workers, subnetIndex, portMappings }));
          const name = config.name;
          // Registered before creating: a creation that fails half-way still leaves something to delete.
          resources.onRelease(`kind delete cluster --name ${name}`, async () => {
            log(`${region}: deleting KIND cluster ${name}`);
            await kind.deleteCluster(name, { kubeconfig });
          });
          log(`${region}: creating KIND cluster ${name} (1 control plane, ${workers} workers in zones ${region}-a…, kube-proxy ipvs, image ${image})`);
          const t = Date.now();
          await kind.createCluster({ name, configFile, image, wait: '120s', kubeconfig }, timeouts.createMs);
          const nodes = await kind.getNodes(name);
          clusters[region] = { region, name, context: contextName(name), configFile, nodes };
          log(`${region}: cluster ${name} created in ${Math.round((Date.now() - t) / 1000)} s (nodes ${nodes.join(', ')})`);
        }

        for (const region of plan.regions) {
          const c = clusters[region];
          await waitForNodes({ kc: loadKubeConfig(kubeconfig, c.context), region, context: c.context, timeoutMs: timeouts.nodesMs, log, expected: c.nodes.length });
        }

        const nodeAddresses: Record<string, string[]> = {};
        if (network) {
          for (const region of plan.regions) {
            const workers = clusters[region].nodes.filter((n) => n.includes('-worker'));
            nodeAddresses[region] = await Promise.all(workers.map((n) => docker.containerAddress(n, 'kind')));
          }
        }
        const genesis = network
          ? Object.fromEntries(network.plan.channels.map((ch) => [ch, encodeChannelConfigBlock(channelSpec(network!.plan, network!.pki, ch))]))
          : {};

        for (const region of plan.regions) {
          const c = clusters[region];
          const kc = loadKubeConfig(kubeconfig, c.context);
          if (plan.kind === 'command') {
            log(`${region}: running the deploy command: ${plan.command}`);
            await runCommand('sh', ['-c', plan.command!], {
              timeoutMs: timeouts.commandMs,
              env: {
                ...env,
                KUBECONFIG: kubeconfig,
                HA_KUBE_CONTEXT: c.context,
                HA_REGION: region,
                HA_KIND_CLUSTER: c.name,
                HA_NAMESPACE: namespace,
                HA_RUN_ID: runId,
              },
              onStdoutLine: (l) => log(`${region}: deploy: ${l}`),
              onStderrLine: (l) => log(`${region}: deploy: ${l}`),
            });
          } else {
            const objects = await readManifestObjects(plan.manifests[region] ?? []);
            if (network) {
              const images = Object.values(FABRIC_IMAGES);
              log(`${region}: loading ${images.join(', ')} into ${c.name}`);
              await kind.loadImages(images, c.name);
              const extra = regionNetworkObjects({ plan: network.plan, pki: network.pki, genesis, region, nodeAddresses, namespace });
              objects.push(...extra.map((object) => ({ object, source: `run ${runId}: identities, genesis block, cross-region names, join Job` })));
            }
            log(`${region}: applying ${objects.length} objects from ${(plan.manifests[region] ?? []).join(', ')}${network ? ' and the run\'s own' : ''}`);
            const applied = await applyManifests(objects, { kc, region, context: c.context, log, defaultNamespace: namespace });
            await waitForReady(applied, { kc, region, context: c.context, timeoutMs: timeouts.readyMs, log });
          }
        }

        const descriptorFile = join(dir, 'target.yaml');
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
            kind: { kubeconfig, namespace, clusters: Object.fromEntries(plan.regions.map((r) => [r, clusters[r].name])) },
          },
        };
        await writeFile(
          descriptorFile,
          `# Written by the kind environment for run ${runId}; removed when the run ends.\n` + YAML.stringify(doc, { lineWidth: 0 }),
        );
        const descriptor = await loadTarget(descriptorFile, env);

        const graceSeconds = options.stopGraceSeconds ?? 0;
        const stoppedRegions = new Set<string>();
        const clusterOf = (region: string): KindCluster => {
          const c = clusters[region];
          if (!c) throw new Error(`no KIND cluster for region ${region}; regions: ${Object.keys(clusters).join(', ')}`);
          return c;
        };
        const stopRegion = async (region: string) => {
          const c = clusterOf(region);
          log(`${region}: region loss: docker stop of ${c.nodes.join(', ')}`);
          stoppedRegions.add(region);
          await docker.stop(c.nodes, { graceSeconds });
        };
        const restoreRegion = async (region: string, o: { waitMs?: number } = {}) => {
          const c = clusterOf(region);
          log(`${region}: region restore: docker start of ${c.nodes.join(', ')}`);
          await docker.start(c.nodes);
          stoppedRegions.delete(region);
          // The API server's host port is fixed at creation; export again in case the address changed.
          await kind.exportKubeconfig(c.name, kubeconfig);
          if (o.waitMs) {
            await waitForNodes({ kc: loadKubeConfig(kubeconfig, c.context), region, context: c.context, timeoutMs: o.waitMs, log, expected: c.nodes.length });
          }
        };
        // A region stopped by a drill that was interrupted still gets deleted with its cluster; nothing to undo first.

        const { observations, unavailable } = kindObservations({
          options,
          descriptor,
          regions: plan.regions,
          kubeconfig,
          namespace,
          log,
          clusterOf,
          forwards,
          stopRegion,
          restoreRegion,
          stoppedRegions,
          graceSeconds,
          network,
          gateways,
          hostPorts,
        });

        let stopped = false;
        const started: StartedKindEnvironment = {
          name: 'kind',
          runId,
          descriptorFile,
          descriptor,
          disposable: true,
          kubeconfig,
          clusters,
          observations,
          unavailable,
          stopRegion,
          restoreRegion,
          async collectLive(): Promise<Partial<LiveEvidence>> {
            // Kubernetes evidence is not a LiveEvidence field: it is read through collectKubernetes() / the
            // descriptor's contexts. The TLS and lease collectors need addresses a KIND cluster does not expose.
            return {};
          },
          async collectKubernetes() {
            return Promise.all(
              plan.regions.map((r) => collectKubernetesApiEvidence(r, { kubeconfig, context: clusters[r].context, namespace })),
            );
          },
          async stop() {
            if (stopped) return;
            stopped = true;
            if (stoppedRegions.size) log(`regions still stopped at the end: ${[...stoppedRegions].join(', ')} (deleted with their clusters)`);
            await resources.releaseAll();
          },
        };
        return started;
      } catch (err) {
        log(`the kind environment failed to start: ${firstLine(errorMessage(err))}; deleting what it created`);
        await resources.releaseAll().catch((e) => log(errorMessage(e)));
        throw err;
      }
    },
  };
}
