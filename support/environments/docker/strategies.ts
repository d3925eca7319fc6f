/**
 * Which image runs each role of the docker environment: an ordered list of strategies per role, each saying why it
 * does not apply (testcontainers-node's provider strategies, in spirit). Public images are used only when they
 * are already in the local image store; `HA_DOCKER_ALLOW_PULL=1` lets a configured public image be pulled, on a
 * machine that has a registry. Otherwise the offline images (images/) are used. Nothing here pulls.
 *
 * | role | strategies, in order |
 * |---|---|
 * | database | `HA_DOCKER_POSTGRES_IMAGE` or `postgres:16-alpine`, `postgres:16` · offline `ha-conformance/postgres` |
 * | load balancer | `HA_DOCKER_HAPROXY_IMAGE` or `haproxy:2.8-alpine`, `haproxy:2.8` · offline `ha-conformance/haproxy` |
 * | node | `HA_DOCKER_CORDA_IMAGE` or `corda/corda-enterprise:4.14-zulu-openjdk-alpine` (needs `HA_DOCKER_CORDA_DRIVERS`) · `corda/community:4.12-zulu-openjdk` (recognised, refused: no mutual exclusion) · offline `ha-conformance/node-standin` |
 * | observer | offline `ha-conformance/node-standin` (it carries the observer) |
 */
import { existsSync, readdirSync } from 'node:fs';
import { BUILD_HINT, IMAGE_REPOSITORY, type OfflineImageName } from './images/contract.ts';
import { imagePlan } from './images/plan.ts';
import { imagePresent, presentTags } from './images/build.ts';

export type Role = 'database' | 'loadBalancer' | 'node' | 'observer';
export const ROLES: Role[] = ['database', 'loadBalancer', 'node', 'observer'];
const ROLE_TEXT: Record<Role, string> = { database: 'the database', loadBalancer: 'the load balancer', node: 'the Corda nodes', observer: 'the observer' };

/** how a chosen image is run (entrypoint, readiness, paths differ between the offline and the public images) */
export type Flavour = 'offline-postgres' | 'public-postgres' | 'offline-haproxy' | 'public-haproxy' | 'stand-in' | 'corda-enterprise';

export interface ImageChoice {
  role: Role;
  image: string;
  flavour: Flavour;
  /** true when the image is not present and will be pulled (only with HA_DOCKER_ALLOW_PULL=1) */
  pull: boolean;
  /** the strategies tried before this one, with why each did not apply */
  skipped: Array<{ strategy: string; why: string }>;
}

export interface StrategyOptions {
  env?: NodeJS.ProcessEnv;
}

interface Candidate {
  strategy: string;
  image: string;
  flavour: Flavour;
  /** configured by the user: may be pulled when HA_DOCKER_ALLOW_PULL=1 */
  configured: boolean;
  /** why the image cannot serve even when present; undefined = it can */
  refuse?: () => string | undefined;
}

function allowPull(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes)$/i.test(env.HA_DOCKER_ALLOW_PULL ?? '');
}

function publicCandidates(role: Role, env: NodeJS.ProcessEnv): Candidate[] {
  const configured = (v: string | undefined, flavour: Flavour, strategy: string): Candidate[] =>
    v ? [{ strategy: `${strategy} (configured)`, image: v, flavour, configured: true }] : [];
  switch (role) {
    case 'database':
      return [
        ...configured(env.HA_DOCKER_POSTGRES_IMAGE, 'public-postgres', 'HA_DOCKER_POSTGRES_IMAGE'),
        ...['postgres:16-alpine', 'postgres:16'].map((image): Candidate => ({ strategy: `public image ${image}`, image, flavour: 'public-postgres', configured: false })),
      ];
    case 'loadBalancer':
      return [
        ...configured(env.HA_DOCKER_HAPROXY_IMAGE, 'public-haproxy', 'HA_DOCKER_HAPROXY_IMAGE'),
        ...['haproxy:2.8-alpine', 'haproxy:2.8'].map((image): Candidate => ({ strategy: `public image ${image}`, image, flavour: 'public-haproxy', configured: false })),
      ];
    case 'node': {
      const drivers = env.HA_DOCKER_CORDA_DRIVERS;
      const needsDriver = () =>
        drivers && existsSync(drivers) && readdirSync(drivers).some((f) => /^postgresql-.*\.jar$/.test(f))
          ? undefined
          : 'a real Corda node needs the PostgreSQL JDBC driver: set HA_DOCKER_CORDA_DRIVERS to a directory holding postgresql-<version>.jar';
      const enterprise = (image: string, strategy: string, isConfigured: boolean): Candidate => ({ strategy, image, flavour: 'corda-enterprise', configured: isConfigured, refuse: needsDriver });
      const community = /^corda\/community[:@]/;
      const list: Candidate[] = [];
      if (env.HA_DOCKER_CORDA_IMAGE) {
        const image = env.HA_DOCKER_CORDA_IMAGE;
        list.push(
          community.test(image)
            ? { strategy: 'HA_DOCKER_CORDA_IMAGE (configured)', image, flavour: 'corda-enterprise', configured: true, refuse: communityRefusal }
            : enterprise(image, 'HA_DOCKER_CORDA_IMAGE (configured)', true),
        );
      }
      list.push(enterprise('corda/corda-enterprise:4.14-zulu-openjdk-alpine', 'public image corda/corda-enterprise:4.14-zulu-openjdk-alpine', false));
      list.push({ strategy: 'public image corda/community:4.12-zulu-openjdk', image: 'corda/community:4.12-zulu-openjdk', flavour: 'corda-enterprise', configured: false, refuse: communityRefusal });
      return list;
    }
    case 'observer':
      return [];
  }
}

const communityRefusal = () =>
  'open-source Corda has no mutual-exclusion lease (enterpriseConfiguration is Corda Enterprise only): a pair of community nodes would both go active, so it cannot be the hot-cold reference';

const OFFLINE: Record<Role, { image: OfflineImageName; flavour: Flavour }> = {
  database: { image: 'postgres', flavour: 'offline-postgres' },
  loadBalancer: { image: 'haproxy', flavour: 'offline-haproxy' },
  node: { image: 'node-standin', flavour: 'stand-in' },
  observer: { image: 'node-standin', flavour: 'stand-in' },
};

/** Why the offline image of a role is not usable (not built, or built from other inputs), or undefined. */
async function offlineProblem(name: OfflineImageName, ref: string): Promise<string | undefined> {
  if (await imagePresent(ref)) return undefined;
  const others = await presentTags(name).catch(() => [] as string[]);
  return others.length
    ? `${IMAGE_REPOSITORY[name]} is out of date (present: ${others.join(', ')}; the current sources make ${ref}): ${BUILD_HINT}`
    : `${ref} is not built: ${BUILD_HINT}`;
}

export interface Resolution {
  choices: Partial<Record<Role, ImageChoice>>;
  /** one line per role without an image */
  problems: string[];
}

/** Pick an image for every role. Checks the local image store only; never pulls. */
export async function resolveImages(options: StrategyOptions = {}): Promise<Resolution> {
  const env = options.env ?? process.env;
  const pull = allowPull(env);
  const resolveRole = async (role: Role): Promise<{ choice?: ImageChoice; problem?: string }> => {
    const skipped: ImageChoice['skipped'] = [];
    const candidates = publicCandidates(role, env);
    const present = await Promise.all(candidates.map((c) => imagePresent(c.image)));
    for (const [i, c] of candidates.entries()) {
      if (!present[i] && !(c.configured && pull)) {
        skipped.push({ strategy: c.strategy, why: `${c.image} is not in the local image store${c.configured ? ' (pulling is off: HA_DOCKER_ALLOW_PULL=1 allows it)' : ''}` });
        continue;
      }
      const refusal = c.refuse?.();
      if (refusal) {
        skipped.push({ strategy: c.strategy, why: refusal });
        continue;
      }
      return { choice: { role, image: c.image, flavour: c.flavour, pull: !present[i], skipped } };
    }
    const off = OFFLINE[role];
    let plan;
    try {
      plan = await imagePlan(off.image);
    } catch (err) {
      return { problem: `the offline image ${IMAGE_REPOSITORY[off.image]} cannot be made here (${(err as Error).message})` };
    }
    const problem = await offlineProblem(off.image, plan.ref);
    if (problem) return { problem };
    return { choice: { role, image: plan.ref, flavour: off.flavour, pull: false, skipped } };
  };
  const results = await Promise.all(ROLES.map(resolveRole));
  const choices: Partial<Record<Role, ImageChoice>> = {};
  // one line per missing image, naming every role that needs it
  const byProblem = new Map<string, string[]>();
  results.forEach((r, i) => {
    if (r.choice) choices[ROLES[i]] = r.choice;
    else if (r.problem) byProblem.set(r.problem, [...(byProblem.get(r.problem) ?? []), ROLE_TEXT[ROLES[i]]]);
  });
  const problems = [...byProblem].map(([problem, roles]) => `no image for ${roles.join(' and ')}: ${problem}`);
  return { choices, problems };
}
