/**
 * What the kind environment's drills work with: the run's clusters and region controls, the descriptor, the bundled
 * reference when it is the deployment, and the port-forwards a drill opens (closed when it ends, and by the
 * environment on stop).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import type { Observation } from '../../drills/observation.ts';
import { loadKubeConfig } from '../../evidence/kubernetes/api.ts';
import type { GeneratedDeployment } from '../../reference/generate.ts';
import type { RegionControl } from './clusters.ts';
import type { GatewayPlacement } from './fabric-network.ts';
import type { KindOptions } from './options.ts';
import { openForward, type Forward } from './port-forward.ts';

export interface KindDrillContext {
  /** the drills' options */
  drill: NonNullable<KindOptions['drill']>;
  descriptor: TargetDescriptor;
  regions: string[];
  kubeconfig: string;
  namespace: string;
  log: (line: string) => void;
  /** every port-forward open, so the environment closes what a drill left on stop */
  forwards: Forward[];
  control: RegionControl;
  /** the bundled reference generated for the run (absent for a deployment of the user's own) */
  network?: GeneratedDeployment;
  gateways: GatewayPlacement[];
  /** gateway → loopback port its NodePort twin is published on */
  hostPorts: Record<string, number>;
}

export type KindObservations = { observations: Record<string, Observation>; unavailable: Record<string, string> };

/** The port-forwards one drill opens, closed (and forgotten by the environment) when it ends. */
export function forwardScope(ctx: KindDrillContext): { open(region: string, service: string, port: number): Promise<Forward>; close(): Promise<void> } {
  const opened: Forward[] = [];
  return {
    async open(region, service, port) {
      const c = ctx.control.clusterOf(region);
      const kubeConfig = (): KubeConfig => loadKubeConfig(ctx.kubeconfig, c.context);
      const f = await openForward({ kubeConfig, namespace: ctx.namespace, service, port }, (line) => ctx.log(`${region}: ${line}`));
      opened.push(f);
      ctx.forwards.push(f);
      return f;
    },
    async close() {
      for (const f of opened.splice(0)) {
        const i = ctx.forwards.indexOf(f);
        if (i >= 0) ctx.forwards.splice(i, 1);
        await f.close();
      }
    },
  };
}

/** The nodes the descriptor places in a region, and the names of those it does not place. */
export function claimed<T extends { name: string; region?: string }>(nodes: T[]): Array<T & { region: string }> {
  return nodes.filter((n): n is T & { region: string } => n.region !== undefined);
}
export function unplaced(nodes: Array<{ name: string; region?: string }>): string[] {
  return nodes.filter((n) => n.region === undefined).map((n) => n.name);
}
