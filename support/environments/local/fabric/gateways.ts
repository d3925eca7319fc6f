/**
 * Gateway Services: the local equivalent of a Kubernetes Service under kube-proxy ipvs. One HAProxy per region
 * (as kube-proxy runs per cluster) with, for each organization present there, a TCP frontend on the Service's
 * own address and the peer port, balancing round robin over that organization's peers in that region, with TCP
 * checks so a stopped peer leaves the rotation (as a pod leaves the endpoints once readiness fails).
 */
import { BrokenError } from '../../../errors.ts';
import { startHaproxy, type HaproxyConfig, type RunningHaproxy } from '../../shared/haproxy.ts';
import type { Resources } from '../../shared/resources.ts';
import type { GatewayPlan } from './topology.ts';

export class GatewayServices {
  private readonly running = new Map<string, RunningHaproxy>();
  /** set once the run is released: no HAProxy is (re)started after that */
  private retired = false;

  constructor(
    private readonly resources: Resources,
    private readonly dir: string,
    readonly gateways: GatewayPlan[],
    private readonly peerAddress: (peer: string) => { address: string; port: number },
    private readonly checkIntervalMs: number,
  ) {}

  regions(): string[] {
    return [...new Set(this.gateways.map((g) => g.region))];
  }

  private backend(g: GatewayPlan): string {
    return `svc_${g.org}`;
  }

  private config(region: string): HaproxyConfig {
    const here = this.gateways.filter((g) => g.region === region);
    return {
      frontends: here.map((g) => ({ name: `fe_${g.org}`, address: g.address, port: g.port, backend: this.backend(g) })),
      backends: here.map((g) => ({
        name: this.backend(g),
        balance: 'roundrobin' as const,
        check: { type: 'tcp' as const, interMs: this.checkIntervalMs, fall: 2, rise: 1 },
        servers: g.peers.map((p) => ({ name: p, ...this.peerAddress(p) })),
      })),
    };
  }

  isRunning(region: string): boolean {
    return Boolean(this.running.get(region)?.process.isRunning());
  }

  async startRegion(region: string): Promise<void> {
    if (this.retired) throw new BrokenError(`the gateway Services of ${region} are not restarted: the local environment is stopping`);
    if (this.isRunning(region)) return;
    const h = await startHaproxy(this.resources, this.dir, `gateways-${region}`, this.config(region));
    if (this.retired) {
      // released while it was starting: nothing may outlive the run
      await h.stop();
      throw new BrokenError(`the gateway Services of ${region} were stopped as they started: the local environment is stopping`);
    }
    this.running.set(region, h);
  }

  async stopRegion(region: string): Promise<void> {
    const h = this.running.get(region);
    if (!h) return;
    this.running.delete(region);
    await h.stop();
  }

  async start(): Promise<void> {
    await Promise.all(this.regions().map((r) => this.startRegion(r)));
  }

  /** Stop every region's HAProxy for good. */
  async stop(): Promise<void> {
    this.retired = true;
    await Promise.all(this.regions().map((r) => this.stopRegion(r)));
  }

  /** The gateway's own view of one of its peers (`UP`, `DOWN`, `UP 1/2`, …); undefined when not running. */
  async view(key: string, peer: string): Promise<string | undefined> {
    const g = this.gateways.find((x) => x.key === key);
    if (!g) throw new BrokenError(`no gateway Service ${key}`);
    const h = this.running.get(g.region);
    if (!h) return undefined;
    const stat = await h.showStat().catch(() => undefined);
    return stat?.[this.backend(g)]?.[peer];
  }

  /** Wait until the gateway holds each of `peers` in the wanted state. */
  async waitFor(key: string, peers: string[], want: 'UP' | 'DOWN', boundMs: number): Promise<void> {
    const deadline = Date.now() + boundMs;
    let last: Record<string, string | undefined> = {};
    while (Date.now() < deadline) {
      last = Object.fromEntries(await Promise.all(peers.map(async (p) => [p, await this.view(key, p)] as const)));
      if (peers.every((p) => last[p]?.startsWith(want))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new BrokenError(`gateway ${key} did not hold ${peers.join(', ')} ${want} within ${boundMs} ms (its view: ${JSON.stringify(last)})`);
  }
}
