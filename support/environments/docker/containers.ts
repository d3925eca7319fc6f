/**
 * The run's networks and containers: user-defined bridge networks with pinned subnets (so containers keep fixed
 * addresses, also after a reconnect), and containers started with testcontainers on several networks at once,
 * with fixed addresses and ports published on chosen loopback addresses. Nothing here pulls an image.
 */
import type Dockerode from 'dockerode';
import type { GenericContainer as GenericContainerType, StartedTestContainer, WaitStrategy } from 'testcontainers';
import { BrokenError } from '../../errors.ts';
import { testcontainers } from './engine.ts';


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

/** A catch handler that lets the Docker API's answers of these status codes pass (already stopped, gone, ...). */
export function ignoreStatus(codes: number[]): (err: { statusCode?: number; message?: string }) => void {
  return (err) => {
    if (err.statusCode !== undefined && codes.includes(err.statusCode)) return;
    throw err;
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
