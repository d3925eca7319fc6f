/**
 * The observer, as a service: the node-standin image running observer-server.ts in its own container on the lb
 * network (it dials the nodes there, as the load balancer does), its HTTP port published on the host's 127.0.0.1,
 * and the harness's mirror of what it sees (mirror.ts): per node, a loopback address whose ports are open exactly
 * while the node's are. The handle gives the published address, the mirror, and `stop`.
 */
import { TRAFFIC } from '../common/corda/load-balancer.ts';
import { IN_IMAGE } from './images/contract.ts';
import { runLabels, testcontainers } from './engine.ts';
import { startContainer, type RunningContainer } from './containers.ts';
import { PortMirror } from './mirror.ts';
import { HOST, OBSERVER_PORT, type DockerCordaStart } from './pair.ts';

export interface DockerObserver {
  container: RunningContainer;
  /** the host port its HTTP service is published on (127.0.0.1) */
  port: number;
  mirror: PortMirror;
  stop(): Promise<void>;
}

export async function startObserver(c: DockerCordaStart): Promise<DockerObserver> {
  const { o, s } = c;
  const { Wait } = await testcontainers();
  const container = await startContainer(
    o.d,
    {
      name: `hac-${o.runId}-observer`,
      image: o.images.observer.image,
      labels: runLabels(o.runId, 'observer'),
      networks: [{ network: c.networks.lb, aliases: ['observer'], ip: c.networks.lb.address(HOST.observer) }],
      user: o.user,
      entrypoint: [IN_IMAGE.node, IN_IMAGE.observer, '--port', String(OBSERVER_PORT)],
      publish: [{ container: OBSERVER_PORT, hostIp: '127.0.0.1', hostPort: 0 }],
      wait: Wait.forLogMessage('observer listening'),
      startupTimeoutMs: 15_000,
    },
    o.track,
  );
  c.containers.observer = container.id;
  const port = container.published(OBSERVER_PORT);
  const mirror = new PortMirror({
    observer: { host: '127.0.0.1', port },
    ports: TRAFFIC.map((t) => s.ports[t]),
    intervalMs: c.observerIntervalMs,
    log: (l) => o.log(`docker corda: ${l}`),
  });
  o.resources.onRelease('docker corda port mirror', () => mirror.close());
  return { container, port, mirror, stop: () => mirror.close() };
}
