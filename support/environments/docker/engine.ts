/**
 * The Docker side of the `docker` environment: the engine checks, testcontainers loaded the offline way, run
 * labels, and the reaper of what dead runs left behind. The run's networks and containers: containers.ts.
 *
 * testcontainers is imported only after `TESTCONTAINERS_RYUK_DISABLED=true` (its reaper image cannot be pulled
 * here, so the harness removes its own containers by run label) and `TESTCONTAINERS_HOST_OVERRIDE=localhost`
 * (otherwise it pulls `alpine` to find the host's address) are set. Nothing in this module pulls an image:
 * callers check `imagePresent` first (images/build.ts), and testcontainers pulls only what is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { BrokenError } from '../../errors.ts';

const exec = promisify(execFile);

export const RUN_LABEL = 'ha-conformance.run';
export const OWNER_LABEL = 'ha-conformance.owner';
export const ROLE_LABEL = 'ha-conformance.role';

export const DOCKER_CLI_MISSING = 'the docker CLI is not installed: install Docker (Debian: `apt-get install -y docker.io`)';
export const ENGINE_HINT = 'start it: `sudo dockerd > /tmp/dockerd.log 2>&1 &` (or `sudo systemctl start docker`)';

/** `<host>:<pid>` of this harness process: the reaper removes a run's resources once that process is gone */
export function ownerLabel(): string {
  return `${hostname()}:${process.pid}`;
}

export function runLabels(runId: string, role: string): Record<string, string> {
  return { [RUN_LABEL]: runId, [OWNER_LABEL]: ownerLabel(), [ROLE_LABEL]: role };
}

/** One line per problem: the CLI, then the engine. [] when both are there. Never hangs (10 s bound). */
export async function engineProblems(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  try {
    await exec('docker', ['--version'], { timeout: 5000, env });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [DOCKER_CLI_MISSING];
    return [`the docker CLI does not run (\`docker --version\`: ${firstLine(err)})`];
  }
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000, env });
    return [];
  } catch (err) {
    const e = err as { killed?: boolean };
    return [`the Docker engine is not reachable (\`docker info\` ${e.killed ? 'did not answer within 10 s' : `failed: ${firstLine(err)}`}): ${ENGINE_HINT}`];
  }
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr || e.message || String(err)).trim();
  return text.split('\n').find((l) => l.trim())?.trim() ?? text;
}

type Testcontainers = typeof import('testcontainers');
let tc: Promise<Testcontainers> | undefined;

/** testcontainers, loaded with the offline settings in place. */
export function testcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE = 'localhost';
  tc ??= import('testcontainers');
  return tc;
}

export async function dockerode(): Promise<Dockerode> {
  const { getContainerRuntimeClient } = await testcontainers();
  try {
    return (await getContainerRuntimeClient()).container.dockerode;
  } catch (err) {
    throw new BrokenError(`testcontainers cannot reach the Docker engine (${(err as Error).message}): ${ENGINE_HINT}`, { cause: err });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** true when the owner label names a process of this host that is gone */
function ownerGone(owner: string | undefined): boolean {
  if (!owner) return false;
  const i = owner.lastIndexOf(':');
  if (i < 0 || owner.slice(0, i) !== hostname()) return false;
  const pid = Number(owner.slice(i + 1));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid);
}

export interface Reaped {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/**
 * Remove containers, networks and volumes labelled `ha-conformance.run`, either of one run (`runId`), or of every
 * run whose harness process on this host is gone (`docker ps -a --filter label=ha-conformance.run`, then the
 * owner label). Runs of other hosts and of live processes are never touched.
 */
export async function reap(d: Dockerode, which: { runId: string } | 'dead'): Promise<Reaped> {
  const filter = { label: [which === 'dead' ? RUN_LABEL : `${RUN_LABEL}=${which.runId}`] };
  const mine = (labels: Record<string, string> | undefined) => which !== 'dead' || ownerGone(labels?.[OWNER_LABEL]);
  const out: Reaped = { containers: [], networks: [], volumes: [] };
  const containers = await d.listContainers({ all: true, filters: filter });
  await Promise.all(
    containers
      .filter((c) => mine(c.Labels))
      .map(async (c) => {
        await d
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .then(() => out.containers.push(c.Names?.[0]?.replace(/^\//, '') ?? c.Id))
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404) throw err;
          });
      }),
  );
  const networks = await d.listNetworks({ filters: filter });
  for (const n of networks.filter((x) => mine(x.Labels))) {
    await d
      .getNetwork(n.Id)
      .remove()
      .then(() => out.networks.push(n.Name))
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
  const volumes = (await d.listVolumes({ filters: filter })).Volumes ?? [];
  for (const v of volumes.filter((x) => mine(x.Labels ?? undefined))) {
    await d
      .getVolume(v.Name)
      .remove()
      .then(() => out.volumes.push(v.Name))
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  }
  return out;
}

/** What is left of a run, by label (for leak checks). */
export async function leftovers(runId: string): Promise<Reaped> {
  const d = await dockerode();
  const filter = { label: [`${RUN_LABEL}=${runId}`] };
  return {
    containers: (await d.listContainers({ all: true, filters: filter })).map((c) => c.Names?.[0] ?? c.Id),
    networks: (await d.listNetworks({ filters: filter })).map((n) => n.Name),
    volumes: ((await d.listVolumes({ filters: filter })).Volumes ?? []).map((v) => v.Name),
  };
}

/** Last resort at process exit (synchronous): remove the run's containers and networks with the CLI. */
export function reapSync(runId: string): void {
  const filter = `label=${RUN_LABEL}=${runId}`;
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', filter], { encoding: 'utf8', timeout: 10_000 }).stdout?.split('\n').filter(Boolean) ?? [];
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 20_000 });
  const nets = spawnSync('docker', ['network', 'ls', '-q', '--filter', filter], { encoding: 'utf8', timeout: 10_000 }).stdout?.split('\n').filter(Boolean) ?? [];
  if (nets.length) spawnSync('docker', ['network', 'rm', ...nets], { stdio: 'ignore', timeout: 10_000 });
}
