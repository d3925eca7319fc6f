/**
 * What the kind environment needs before it starts anything: `kind`, a reachable Docker engine, the KIND node image
 * present locally (the harness never pulls), a deployment to apply (`planKindDeployment`: the user's descriptor,
 * manifests or deploy command, else the bundled reference) and, for the bundled reference, the Fabric images it
 * loads into the clusters. Each problem is one line saying what to do about it.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { errorMessage } from '../../errors.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { loadTarget } from '../../descriptor/load.ts';
import { FABRIC_IMAGES } from '../../reference/kubernetes.ts';
import { CommandError, type DockerCli, type KindCli } from './kind-cli.ts';
import { DEFAULT_REFERENCE_DIR, DOCKER_INSTALL_URL, KIND_INSTALL_URL, KIND_VERSION, type KindOptions } from './options.ts';

/** The deployment to put on the clusters: which manifests per region, or a command, and the descriptor to extend. */
export interface KindDeploymentPlan {
  kind: 'reference' | 'descriptor' | 'manifests' | 'command';
  base?: string;
  manifests: Record<string, string[]>;
  command?: string;
  regions: string[];
  /** ordering nodes per region, for sizing workers */
  orderers: Record<string, number>;
}

/** The command-line tools the environment drives, and the node image it wants. */
export interface KindTools {
  kind: KindCli;
  docker: DockerCli;
  wantedImage: string;
}

export interface KindPreflight {
  problems: string[];
  /** the node image as present locally */
  image?: string;
  plan?: KindDeploymentPlan;
}

export function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim() ?? s;
}

async function manifestsFromDir(dir: string, regions: string[] | undefined): Promise<Record<string, string[]>> {
  const subdirs = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const wanted = regions ?? subdirs.sort();
  return Object.fromEntries(wanted.map((r) => [r, [join(dir, r)]]));
}

/** The descriptor the deployment extends: the user's, else the bundled reference's (when no manifests or command). */
async function baseDescriptor(o: KindOptions): Promise<{ kind: KindDeploymentPlan['kind']; base?: string; descriptor?: TargetDescriptor; problems: string[] }> {
  const d = o.deployment ?? {};
  let base: string | undefined;
  let kind: KindDeploymentPlan['kind'] = 'reference';
  if (d.descriptor) {
    base = resolve(d.descriptor);
    kind = 'descriptor';
  } else if (!d.manifests && !d.command) {
    const ref = resolve(o.referenceDir ?? DEFAULT_REFERENCE_DIR);
    base = join(ref, 'target.yaml');
    if (!existsSync(base)) {
      return { kind, problems: [`the bundled reference deployment is missing (${base}): generate it with \`npm run fixtures\`, or name your own deployment (HA_KIND_TARGET, HA_KIND_MANIFESTS or HA_KIND_DEPLOY)`] };
    }
  }
  if (!base) return { kind, problems: [] };
  if (!existsSync(base)) return { kind, problems: [`the target descriptor ${base} does not exist (HA_KIND_TARGET)`] };
  try {
    return { kind, base, descriptor: await loadTarget(base, o.env ?? process.env), problems: [] };
  } catch (err) {
    return { kind, problems: [`the target descriptor ${base} cannot be used:\n${errorMessage(err)}`] };
  }
}

export async function planKindDeployment(o: KindOptions): Promise<{ plan?: KindDeploymentPlan; problems: string[] }> {
  const d = o.deployment ?? {};
  const found = await baseDescriptor(o);
  if (found.problems.length) return { problems: found.problems };
  const { base, descriptor } = found;
  let kind = found.kind;
  const problems: string[] = [];
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

async function checkKind(kind: KindCli): Promise<string[]> {
  try {
    await kind.version();
    return [];
  } catch (err) {
    const e = err as CommandError;
    if (e instanceof CommandError && e.code === null && /not found/.test(e.message)) {
      return [`kind is not installed (no \`${kind.bin}\` on PATH; KIND_BIN names another path): see ${KIND_INSTALL_URL} (tested with kind ${KIND_VERSION})`];
    }
    return [`kind (${kind.bin}) does not run: ${firstLine(errorMessage(err))}`];
  }
}

async function checkDocker(docker: DockerCli): Promise<string[]> {
  try {
    await docker.info();
    return [];
  } catch (err) {
    const e = err as CommandError;
    if (e instanceof CommandError && e.code === null && /not found/.test(e.message)) {
      return [`docker is not installed (no \`${docker.bin}\` on PATH; DOCKER_BIN names another path): see ${DOCKER_INSTALL_URL}`];
    }
    const why = e instanceof CommandError ? firstLine(e.stderr || e.message) : errorMessage(err);
    return [`the Docker engine is not reachable (\`${docker.bin} info\` failed: ${why}): start it (e.g. \`sudo systemctl start docker\`) or point DOCKER_HOST at it`];
  }
}

/** The node image as present locally: the digest-pinned reference, or its tag when loaded without a digest. */
async function nodeImage({ docker, wantedImage }: KindTools): Promise<{ image?: string; problems: string[] }> {
  try {
    if (await docker.imagePresent(wantedImage)) return { image: wantedImage, problems: [] };
    const tagOnly = wantedImage.split('@')[0];
    if (tagOnly !== wantedImage && (await docker.imagePresent(tagOnly))) return { image: tagOnly, problems: [] };
    return { problems: [`the KIND node image ${wantedImage} is not present locally, and the harness never pulls: \`docker pull ${wantedImage}\` (or set KIND_NODE_IMAGE to an image you have)`] };
  } catch (err) {
    return { problems: [`could not inspect the KIND node image ${wantedImage}: ${firstLine(errorMessage(err))}`] };
  }
}

/** The bundled reference runs real Fabric: its images must be here (they are loaded into the clusters). */
async function fabricImages(docker: DockerCli): Promise<string[]> {
  const problems: string[] = [];
  for (const fabricImage of Object.values(FABRIC_IMAGES)) {
    try {
      if (!(await docker.imagePresent(fabricImage))) {
        problems.push(`the Fabric image ${fabricImage} (bundled reference deployment) is not present locally, and the harness never pulls: \`docker pull ${fabricImage}\` (or deploy your own network: HA_KIND_TARGET, HA_KIND_MANIFESTS or HA_KIND_DEPLOY)`);
      }
    } catch (err) {
      problems.push(`could not inspect the Fabric image ${fabricImage}: ${firstLine(errorMessage(err))}`);
    }
  }
  return problems;
}

export async function kindPreflight(tools: KindTools, options: KindOptions): Promise<KindPreflight> {
  const problems = await checkKind(tools.kind);
  const docker = await checkDocker(tools.docker);
  problems.push(...docker);
  const engine = docker.length === 0;
  const node = engine ? await nodeImage(tools) : { problems: [] };
  problems.push(...node.problems);
  const planned = await planKindDeployment(options);
  problems.push(...planned.problems);
  if (engine && planned.plan?.kind === 'reference') problems.push(...(await fabricImages(tools.docker)));
  return { problems, image: node.image, plan: planned.plan };
}
