/**
 * # The gateway Services
 *
 * The local equivalent of a Kubernetes Service under kube-proxy ipvs. `startGatewayServices` starts one HAProxy per
 * region (as kube-proxy runs per cluster) with, for each organization present there, a TCP frontend on the Service's
 * own address and the peer port, balancing round robin over the organization's peers in that region (or those the
 * variant keeps: `changes.topology.gatewayBackends`), with TCP checks so a stopped peer leaves the rotation (as a pod
 * leaves the endpoints once readiness fails); and it waits until every Service holds its peers UP. The started
 * handle stops and starts a region's Services (FAB-PEER-05), shows a Service's own view of a peer (FAB-GW-04), gives
 * the Services' live evidence (a handshake by each of the Service's names from its own region, naming the peer whose
 * certificate answered) and stops them all. Without HAProxy the part starts none (and says why).
 *
 * Real Fabric peers behind the same frontends change nothing here: HAProxy balances TCP over whatever listens on the
 * peers' addresses. A real Service (and kube-proxy's spread) is what the kind environment runs.
 */
import { BrokenError } from '../../../errors.ts';
import { startHaproxy, type HaproxyConfig, type RunningHaproxy } from '../../common/haproxy.ts';
import type { Resources } from '../../common/resources.ts';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { gatewayHandshake, type KnownPeer } from '../../../evidence/live/collect.ts';
import type { GatewayPlan } from './addresses.ts';
import type { NameResolver } from './names.ts';

/** An organization as its gateway Services' evidence needs it. */
export interface GatewayOrg {
  name: string;
  /** its CA certificates (PEM) */
  ca: string[];
  /** the Service name and its aliases */
  names: string[];
  /** its peers, to name the one whose certificate answered */
  peers: KnownPeer[];
}

export interface GatewayServicesSpec {
  /** where the HAProxy configurations go */
  dir: string;
  gateways: GatewayPlan[];
  /** where a peer listens */
  peerAddress: (peer: string) => { address: string; port: number };
  /** HAProxy's TCP check interval, ms */
  checkIntervalMs: number;
  /** how long start-up waits for every Service to hold its peers UP, ms */
  viewBoundMs: number;
  orgs: GatewayOrg[];
  resolver: NameResolver;
}

/** Start every region's gateway Services and wait until each holds its peers UP. */
export async function startGatewayServices(resources: Resources, spec: GatewayServicesSpec): Promise<GatewayServices> {
  const services = new GatewayServices(resources, spec);
  resources.onRelease('fabric gateway Services', () => services.stop());
  await services.start();
  for (const g of spec.gateways) await services.waitFor(g.key, g.peers, 'UP', spec.viewBoundMs);
  return services;
}

export class GatewayServices {
  private readonly running = new Map<string, RunningHaproxy>();
  /** set once the run is released: no HAProxy is (re)started after that */
  private retired = false;

  readonly gateways: readonly GatewayPlan[];

  constructor(
    private readonly resources: Resources,
    private readonly spec: GatewayServicesSpec,
  ) {
    this.gateways = spec.gateways;
  }

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
        check: { type: 'tcp' as const, interMs: this.spec.checkIntervalMs, fall: 2, rise: 1 },
        servers: g.peers.map((p) => ({ name: p, ...this.spec.peerAddress(p) })),
      })),
    };
  }

  isRunning(region: string): boolean {
    return Boolean(this.running.get(region)?.process.isRunning());
  }

  async startRegion(region: string): Promise<void> {
    if (this.retired) throw new BrokenError(`the gateway Services of ${region} are not restarted: the local environment is stopping`);
    if (this.isRunning(region)) return;
    const h = await startHaproxy(this.resources, this.spec.dir, `gateways-${region}`, this.config(region));
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

  /**
   * Every gateway Service by each of its names, from its own region; as many handshakes as it has peers, so round
   * robin brings every peer's certificate before the client at least once. The peer that answered is the one whose
   * certificate was presented.
   */
  async evidence(): Promise<Partial<LiveEvidence>> {
    const handshakes: NonNullable<LiveEvidence['handshakes']> = [];
    const jobs = this.gateways.map(async (g) => {
      const org = this.spec.orgs.find((o) => o.name === g.org);
      if (!org) return;
      for (const name of org.names) {
        const address = this.spec.resolver.resolve(name, g.region);
        for (let i = 0; i < Math.max(1, g.peers.length); i++) {
          handshakes.push(await gatewayHandshake({ name, address, port: g.port, ca: org.ca, peers: org.peers, timeoutMs: 2000 }));
        }
      }
    });
    await Promise.all(jobs);
    return { handshakes };
  }
}
