/**
 * The local pair's load balancer, as a service: HAProxy on the load balancer's address, in the hot-cold guide's
 * shape (common/corda/load-balancer.ts), with the variant's pools and web probe; and, where the variant's web
 * probe checks a machine agent, that agent on each machine (served by the harness, like a node exporter that is up
 * whatever Corda does: the stand-ins' own monitoring port would not do, since a cold node's process restarts after
 * every failed claim). The handle gives the load balancer's configuration file (its evidence) and its runtime API.
 */
import { createServer as createHttpServer } from 'node:http';
import type { CordaChanges } from '../../variants.ts';
import type { Resources } from '../../common/resources.ts';
import { startHaproxy, type RunningHaproxy } from '../../common/haproxy.ts';
import type { CordaPairSettings } from '../../common/corda/settings.ts';
import { cordaHaproxyConfig } from '../../common/corda/load-balancer.ts';
import { poolOf, webProbesMachineAgent } from '../../common/corda/variant.ts';

export interface PairMachine {
  name: string;
  role: 'primary' | 'backup';
  machine: string;
}

/** An HTTP endpoint on a machine that answers 200 whatever Corda does there. */
export async function startMachineAgent(resources: Resources, machine: string, port: number): Promise<void> {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ agent: 'machine', machine })}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, machine, () => resolve());
  });
  resources.onRelease(`machine agent ${machine}:${port}`, () => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
}

/** The machine agents the variant's web probe checks, if it does (before the load balancer, which probes them). */
export async function startMachineAgents(resources: Resources, s: CordaPairSettings, changes: CordaChanges, machines: readonly PairMachine[]): Promise<void> {
  if (!webProbesMachineAgent(changes)) return;
  for (const m of machines) await startMachineAgent(resources, m.machine, s.ports.agent);
}

/** HAProxy for the pair on `address`, its config and runtime socket in `dir`. */
export function startLoadBalancer(
  resources: Resources,
  dir: string,
  s: CordaPairSettings,
  changes: CordaChanges,
  address: string,
  machines: readonly PairMachine[],
): Promise<RunningHaproxy> {
  const members = poolOf(changes, machines).map((m) => ({ name: m.name, machine: m.machine }));
  const webCheckPort = webProbesMachineAgent(changes) ? s.ports.agent : undefined;
  return startHaproxy(resources, dir, 'corda-lb', cordaHaproxyConfig(s, { address, members, webCheckPort }));
}
