/**
 * One KIND cluster per region: `hac-<runId>-<region>`, created one after the other (each is several containers
 * booting systemd and a control plane), kube-proxy in ipvs mode, workers labelled with region and zone, and each
 * gateway Service's NodePort twin published on a loopback port of this host; deleted on stop, on a failure
 * part-way through and on Ctrl-C (the release is registered before the cluster is created). A region is lost by
 * `docker stop` of its node containers and comes back with `docker start`. Clusters a harness process left behind
 * are found by their name and deleted.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../errors.ts';
import { loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import { TEMP_PREFIX, type Resources } from '../common/resources.ts';
import { clusterConfig, contextName, parseClusterName, renderClusterConfig, type ClusterConfigOptions } from './cluster-config.ts';
import type { DockerCli, KindCli } from './kind-cli.ts';
import { firstLine } from './preflight.ts';
import { waitForNodes } from './readiness.ts';

export interface KindCluster {
  region: string;
  name: string;
  context: string;
  configFile: string;
  /** node container names (`kind get nodes`) */
  nodes: string[];
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

/** Delete the clusters of earlier runs whose harness is gone. */
export async function reapOrphanClusters(kind: KindCli, log: (line: string) => void): Promise<void> {
  const orphans = await orphanClusters(await kind.getClusters().catch(() => [] as string[]));
  for (const name of orphans) {
    log(`deleting KIND cluster ${name}, left by an earlier run whose harness is gone`);
    await kind.deleteCluster(name).catch((err) => log(`could not delete ${name}: ${firstLine(errorMessage(err))}`));
  }
}

export interface ClusterSpec extends ClusterConfigOptions {
  /** where its config file goes */
  dir: string;
  kubeconfig: string;
  image: string;
  createMs: number;
}

/** Create one region's cluster (its deletion registered first) and return it once `kind` says it is up. */
export async function createCluster(resources: Resources, kind: KindCli, log: (line: string) => void, spec: ClusterSpec): Promise<KindCluster> {
  const { region, workers, image, kubeconfig } = spec;
  const name = clusterConfig(spec).name;
  const configFile = join(spec.dir, `kind-config-${region}.yaml`);
  await writeFile(configFile, renderClusterConfig(spec));
  // Registered before creating: a creation that fails half-way still leaves something to delete.
  resources.onRelease(`kind delete cluster --name ${name}`, async () => {
    log(`${region}: deleting KIND cluster ${name}`);
    await kind.deleteCluster(name, { kubeconfig });
  });
  log(`${region}: creating KIND cluster ${name} (1 control plane, ${workers} workers in zones ${region}-a…, kube-proxy ipvs, image ${image})`);
  const t = Date.now();
  await kind.createCluster({ name, configFile, image, wait: '120s', kubeconfig }, spec.createMs);
  const nodes = await kind.getNodes(name);
  log(`${region}: cluster ${name} created in ${Math.round((Date.now() - t) / 1000)} s (nodes ${nodes.join(', ')})`);
  return { region, name, context: contextName(name), configFile, nodes };
}

/** Losing and restoring a region: its node containers stopped and started again. */
export interface RegionControl {
  readonly graceSeconds: number;
  readonly stoppedRegions: ReadonlySet<string>;
  clusterOf(region: string): KindCluster;
  /** region loss: `docker stop` of the region's node containers */
  stopRegion(region: string): Promise<void>;
  /** `docker start` of them, and the kubeconfig re-exported; with `waitMs`, until its nodes are Ready again */
  restoreRegion(region: string, o?: { waitMs?: number }): Promise<void>;
}

export function regionControl(
  tools: { kind: KindCli; docker: DockerCli },
  clusters: Record<string, KindCluster>,
  kubeconfig: string,
  log: (line: string) => void,
  graceSeconds: number,
): RegionControl {
  const stoppedRegions = new Set<string>();
  const clusterOf = (region: string): KindCluster => {
    const c = clusters[region];
    if (!c) throw new Error(`no KIND cluster for region ${region}; regions: ${Object.keys(clusters).join(', ')}`);
    return c;
  };
  return {
    graceSeconds,
    stoppedRegions,
    clusterOf,
    async stopRegion(region) {
      const c = clusterOf(region);
      log(`${region}: region loss: docker stop of ${c.nodes.join(', ')}`);
      stoppedRegions.add(region);
      await tools.docker.stop(c.nodes, { graceSeconds });
    },
    async restoreRegion(region, o = {}) {
      const c = clusterOf(region);
      log(`${region}: region restore: docker start of ${c.nodes.join(', ')}`);
      await tools.docker.start(c.nodes);
      stoppedRegions.delete(region);
      // The API server's host port is fixed at creation; export again in case the address changed.
      await tools.kind.exportKubeconfig(c.name, kubeconfig);
      if (o.waitMs) {
        await waitForNodes({ kc: loadKubeConfig(kubeconfig, c.context), region, context: c.context, timeoutMs: o.waitMs, log, expected: c.nodes.length });
      }
    },
  };
}
