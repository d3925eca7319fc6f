/**
 * The docker pair's load balancer, as a service: HAProxy in a container on the lb network (alias `corda-lb`), in
 * the hot-cold guide's shape (common/corda/load-balancer.ts) with the variant's pools and web probe — where the
 * variant's web probe checks a machine agent, the stand-in's monitoring endpoint plays it (open on hot and cold
 * nodes alike). Its traffic ports are published on the harness's load-balancer address, its runtime API (a TCP
 * socket) on the host's 127.0.0.1. The handle gives the config file (its evidence) and the runtime API's view.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderConfig, parseShowStat, runtimeApi } from '../common/haproxy.ts';
import { TRAFFIC, cordaHaproxyConfig } from '../common/corda/load-balancer.ts';
import { poolOf, webProbesMachineAgent } from '../common/corda/variant.ts';
import { IN_IMAGE } from './images/contract.ts';
import { runLabels, testcontainers } from './engine.ts';
import { startContainer, type RunningContainer } from './containers.ts';
import type { DockerCordaNode } from './node.ts';
import { HOST, LB_ALIAS, STATS_PORT, type DockerCordaStart } from './pair.ts';

export interface DockerLoadBalancer {
  container: RunningContainer;
  configFile: string;
  /** the host port its runtime API is published on (127.0.0.1) */
  statsPort: number;
  /** backend → server → status, from its runtime API */
  showStat(): Promise<Record<string, Record<string, string>>>;
}

/** The HAProxy configuration, in a directory of its own that the container mounts read-only. */
async function writeConfig(c: DockerCordaStart, pair: readonly DockerCordaNode[]): Promise<{ dir: string; file: string }> {
  const { s } = c;
  const dir = join(c.root, 'lb');
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const members = poolOf(c.variant.changes, pair).map((n) => ({ name: n.name, machine: n.machine }));
  const webCheckPort = webProbesMachineAgent(c.variant.changes) ? s.ports.monitoring : undefined;
  const file = join(dir, 'haproxy.cfg');
  await writeFile(
    file,
    `# The load balancer of docker run ${c.o.runId}: HAProxy in a container on the lb network; its runtime API is a TCP\n` +
      `# socket, published on the host's 127.0.0.1 only.\n` +
      renderConfig(cordaHaproxyConfig(s, { address: '0.0.0.0', members, webCheckPort }), `ipv4@0.0.0.0:${STATS_PORT}`),
    { mode: 0o644 },
  );
  return { dir, file };
}

export async function startLoadBalancer(c: DockerCordaStart, pair: readonly DockerCordaNode[]): Promise<DockerLoadBalancer> {
  const { o, s } = c;
  const { Wait } = await testcontainers();
  const t = Date.now();
  const config = await writeConfig(c, pair);
  const choice = o.images.loadBalancer;
  const lb = c.networks.lb;
  const container = await startContainer(
    o.d,
    {
      name: `hac-${o.runId}-lb`,
      image: choice.image,
      labels: runLabels(o.runId, 'load-balancer'),
      networks: [{ network: lb, aliases: [LB_ALIAS], ip: lb.address(HOST.lb) }],
      extraHosts: Object.fromEntries(pair.map((n) => [n.name, n.lbIp])),
      binds: [{ source: config.dir, target: '/usr/local/etc/haproxy', mode: 'ro' }],
      ...(choice.flavour === 'public-haproxy' ? { cmd: ['haproxy', '-W', '-db', '-f', IN_IMAGE.haproxyConfig] } : {}),
      publish: [
        ...TRAFFIC.map((traffic) => ({ container: s.ports[traffic], hostIp: c.addresses.lb, hostPort: s.ports[traffic] })),
        { container: STATS_PORT, hostIp: '127.0.0.1', hostPort: 0 },
      ],
      wait: Wait.forLogMessage('Loading success.'),
      startupTimeoutMs: 15_000,
    },
    o.track,
  );
  c.containers.loadBalancer = container.id;
  const statsPort = container.published(STATS_PORT);
  c.timings.loadBalancerMs = Date.now() - t;
  return {
    container,
    configFile: config.file,
    statsPort,
    showStat: async () => parseShowStat(await runtimeApi({ host: '127.0.0.1', port: statsPort }, 'show stat', 1000)),
  };
}
