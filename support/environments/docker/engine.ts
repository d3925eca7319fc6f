/**
 * The Docker side of the `docker` environment: the engine checks, testcontainers loaded the offline way, run
 * labels, the reaper of what dead runs left behind, networks with fixed subnets, and containers started with
 * several networks, fixed addresses and ports published on chosen loopback addresses.
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
import type { GenericContainer as GenericContainerType, StartedTestContainer, WaitStrategy } from 'testcontainers';
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

// -------------------------------------------------------------------------------------------------------------
// Networks

export interface RunNetwork {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  /** the address `.host` of the subnet (a /16 or /24 from Docker's own pools) */
  address(host: number): string;
}

/**
 * A user-defined bridge network with a subnet that Docker picked (so it is free) and then pinned, so containers
 * can have fixed addresses and get the same one back when they are reconnected after a partition. (Docker accepts
 * a fixed address only on a network whose subnet was given at creation.)
 */
export async function createNetwork(d: Dockerode, name: string, labels: Record<string, string>): Promise<RunNetwork> {
  const probe = await d.createNetwork({ Name: `${name}-probe`, Driver: 'bridge', Labels: labels, CheckDuplicate: true });
  let subnet: string | undefined;
  let gateway: string | undefined;
  try {
    const info = (await probe.inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> } };
    subnet = info.IPAM?.Config?.find((c) => c.Subnet && !c.Subnet.includes(':'))?.Subnet;
    gateway = info.IPAM?.Config?.find((c) => c.Subnet === subnet)?.Gateway;
  } finally {
    await probe.remove().catch(() => undefined);
  }
  if (!subnet) throw new BrokenError(`Docker gave the network ${name} no IPv4 subnet`);
  const net = await d.createNetwork({
    Name: name,
    Driver: 'bridge',
    Labels: labels,
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: subnet, ...(gateway ? { Gateway: gateway } : {}) }] },
  });
  const [base, bits] = subnet.split('/');
  const octets = base.split('.').map(Number);
  const prefix = Number(bits);
  if (octets.length !== 4 || prefix > 24) throw new BrokenError(`unexpected subnet ${subnet} for network ${name}`);
  return {
    name,
    id: net.id,
    subnet,
    gateway: gateway ?? `${octets[0]}.${octets[1]}.${octets[2]}.1`,
    // hosts are numbered inside the last octet of the first /24 of the subnet (.10, .11, ...), clear of the gateway
    address: (host: number) => `${octets[0]}.${octets[1]}.${octets[2]}.${host}`,
  };
}

// -------------------------------------------------------------------------------------------------------------
// Containers

export interface Attachment {
  network: RunNetwork;
  aliases: string[];
  ip: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** the first is attached at creation, the others before the container starts */
  networks: Attachment[];
  env?: Record<string, string>;
  user?: string;
  hostname?: string;
  entrypoint?: string[];
  cmd?: string[];
  binds?: Array<{ source: string; target: string; mode: 'ro' | 'rw' }>;
  /** /etc/hosts entries: name → address (resolved without Docker's DNS) */
  extraHosts?: Record<string, string>;
  /** path → tmpfs mount options */
  tmpfs?: Record<string, string>;
  /** container port → host address and port (0 = any free port) */
  publish?: Array<{ container: number; hostIp: string; hostPort: number }>;
  wait: WaitStrategy;
  startupTimeoutMs: number;
}

export interface RunningContainer {
  name: string;
  id: string;
  spec: ContainerSpec;
  started: StartedTestContainer;
  /** host port published for a container port */
  published(containerPort: number): number;
  handle: Dockerode.Container;
}

/**
 * Start one container with testcontainers. Its GenericContainer knows one network with aliases; this subclass
 * gives the endpoint a fixed address and attaches the other networks before start (no default bridge), and
 * publishes ports on a chosen host address.
 */
export async function startContainer(d: Dockerode, spec: ContainerSpec, track: (id: string) => void): Promise<RunningContainer> {
  const { GenericContainer } = await testcontainers();
  const [first, ...rest] = spec.networks;
  class RunContainer extends (GenericContainer as typeof GenericContainerType) {
    constructor() {
      super(spec.image);
      this.createOpts.ExposedPorts = Object.fromEntries((spec.publish ?? []).map((p) => [`${p.container}/tcp`, {}]));
      this.hostConfig.PortBindings = Object.fromEntries(
        (spec.publish ?? []).map((p) => [`${p.container}/tcp`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]]),
      );
      this.exposedPorts = (spec.publish ?? []).map((p) => p.container);
      this.createOpts.NetworkingConfig = {
        EndpointsConfig: { [first.network.name]: { Aliases: first.aliases, IPAMConfig: { IPv4Address: first.ip } } },
      };
    }

    protected override async containerCreated(id: string): Promise<void> {
      track(id);
      for (const a of rest) {
        await d.getNetwork(a.network.id).connect({ Container: id, EndpointConfig: { Aliases: a.aliases, IPAMConfig: { IPv4Address: a.ip } } });
      }
    }
  }
  let c = new RunContainer()
    .withName(spec.name)
    .withLabels(spec.labels)
    .withNetworkMode(first.network.name)
    .withWaitStrategy(spec.wait)
    .withStartupTimeout(spec.startupTimeoutMs)
    .withAutoRemove(false);
  if (spec.env) c = c.withEnvironment(spec.env);
  if (spec.user) c = c.withUser(spec.user);
  if (spec.hostname) c = c.withHostname(spec.hostname);
  if (spec.entrypoint) c = c.withEntrypoint(spec.entrypoint);
  if (spec.cmd) c = c.withCommand(spec.cmd);
  if (spec.binds?.length) c = c.withBindMounts(spec.binds);
  if (spec.tmpfs) c = c.withTmpFs(spec.tmpfs);
  if (spec.extraHosts) c = c.withExtraHosts(Object.entries(spec.extraHosts).map(([host, ipAddress]) => ({ host, ipAddress })));
  let started: StartedTestContainer;
  try {
    started = await c.start();
  } catch (err) {
    const logs = await containerLogs(d, spec.name).catch(() => '');
    throw new BrokenError(`container ${spec.name} (${spec.image}) did not start: ${(err as Error).message}${logs ? `\nits output:\n${logs}` : ''}`, { cause: err });
  }
  const handle = d.getContainer(started.getId());
  return {
    name: spec.name,
    id: started.getId(),
    spec,
    started,
    handle,
    published: (port) => started.getMappedPort(port),
  };
}

/** The last lines a container wrote (stdout and stderr), for error messages. */
export async function containerLogs(d: Dockerode, nameOrId: string, tail = 30): Promise<string> {
  const buf = (await d.getContainer(nameOrId).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
  // demultiplex Docker's 8-byte frame headers (no TTY)
  const out: string[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len).toString('utf8'));
    i += 8 + len;
  }
  return (out.length ? out.join('') : buf.toString('utf8')).trim();
}
