/**
 * The Corda sampler: every `intervalMs` (≤ 50 ms by default) one `CordaSampleEvent` (evidence/model.ts) with
 * - per node, whether its own P2P, RPC and web ports accept a TCP connection (dialled on its machine address),
 * - the node the lease row names (one SELECT),
 * - who answers through the load balancer's address per traffic type: the local stand-ins name themselves (the
 *   P2P/RPC banner, the web body); a real deployment's nodes do not, so an observation's `routedProbe` learns only
 *   whether a backend answered, and the sample names it from its own evidence (`nameRouted`),
 * - the load balancer's own view of each backend (HAProxy `show stat`), as traffic → node → state.
 * Each probe has its own short timeout and the sampler launches on schedule even while a slow sample is in
 * flight, so the spacing of observations stays at the interval; `t` is the launch time of each sample.
 */
import type { CordaSampleEvent, LiveEvidence } from '../evidence/model.ts';
import { TimelineRecorder, startSampler, type EventBody, type Sampler } from './timeline-recorder.ts';
import { httpIdentity, readBanner, tcpAccepts, type Identity } from './corda-probes.ts';
import { isUp } from '../checks/corda-samples.ts';

export type Traffic = 'p2p' | 'rpc' | 'web';
export const TRAFFIC: Traffic[] = ['p2p', 'rpc', 'web'];

export type LeaseRow = NonNullable<LiveEvidence['leaseRow']>;

export interface CordaNodeEndpoint {
  /** descriptor name (`primary`, `backup`) or a duplicate's (`backup-duplicate`) */
  name: string;
  /** the machine address its ports are on */
  machine: string;
  /** what this node writes as `machine_name` in the lease row: `<baseDirectory>/<machineName>` */
  leaseName?: string;
  /** its `machineName` alone: names it when the base directory the node sees is not the one described */
  machineName?: string;
  /** its current process id, when known (tells apart two nodes that share a machine name) */
  pid?: number;
}

/** What the sampler looks at. Works for the local environment and for any deployment the harness can reach. */
export interface CordaLiveTarget {
  ports: Record<Traffic, number>;
  /** the nodes to probe directly, asked at every sample (a duplicate appears while it runs) */
  nodes(): CordaNodeEndpoint[];
  /** the load balancer's address, for the routed probes */
  lbAddress?: string;
  /** the load balancer's view: backend → server → state (HAProxy `show stat`) */
  lbStat?: () => Promise<Record<string, Record<string, string>>>;
  /** backend name → traffic type, for `lbStat` (servers are named after the nodes) */
  lbBackends?: Record<string, Traffic>;
  /** the load balancer's view already mapped: traffic → node → state (instead of `lbStat` + `lbBackends`) */
  lbView?: () => Promise<Partial<Record<Traffic, Record<string, string>>>>;
  /** the lease row, or null when there is none; throws when it cannot be read */
  readLease?: () => Promise<LeaseRow | null>;
  /** how a connection through the load balancer is made; default: ask the stand-ins who they are (`standInIdentity`) */
  routedProbe?: RoutedProbe;
}

/**
 * What one connection through the load balancer found: a backend answered (and said who it is, when it does),
 * nobody answered (refused, closed, or the load balancer's own error), or it cannot be told (silent until the
 * timeout: a backend that waits for the client, or a load balancer still trying one).
 */
export type RoutedAnswer = { answered: true; identity?: Identity } | { answered: false } | { answered: 'unknown' };

export type RoutedProbe = (traffic: Traffic, host: string, port: number, timeoutMs: number) => Promise<RoutedAnswer>;

/** The local stand-ins name themselves: a one-line JSON banner on P2P and RPC, the body of `GET /` on web. */
export const standInIdentity: RoutedProbe = async (traffic, host, port, timeoutMs) => {
  const id = traffic === 'web' ? await httpIdentity(host, port, timeoutMs) : await readBanner(host, port, timeoutMs);
  return id ? { answered: true, identity: id } : { answered: false };
};

export interface SampleTimeouts {
  /** direct TCP connect to a node's port */
  connectMs: number;
  /** a routed probe through the load balancer (connect + banner / response) */
  routedMs: number;
}

/**
 * A direct connect on loopback completes in the kernel, so 100 ms is plenty (and a late timer yields to pending
 * I/O first, see corda-probes.ts). A routed probe needs the load balancer and the node to be scheduled: on a
 * loaded machine that can take hundreds of ms, and "nobody answered" must not be a guess, so it waits 1.5 s.
 * The wait costs nothing when the answer is prompt; the sample keeps the launch time either way.
 */
export const DEFAULT_TIMEOUTS: SampleTimeouts = { connectMs: 100, routedMs: 1500 };

/** Samples in flight at once: a routed probe may wait its whole timeout while the launches go on. */
const MAX_IN_FLIGHT = 64;

/**
 * The node a lease row names: by `<baseDirectory>/<machineName>` and pid, then by that name; then by the
 * `machineName` at the end of the row's (a node may see its base directory under another path than the one
 * described, e.g. /opt/corda in a container); the raw machine name otherwise.
 */
export function leaseHolderOf(row: LeaseRow | null, nodes: CordaNodeEndpoint[]): string | null {
  if (!row) return null;
  const byName = nodes.filter((n) => n.leaseName === row.machineName);
  const byPid = byName.find((n) => n.pid !== undefined && String(n.pid) === row.pid);
  const found = byPid ?? byName[0];
  if (found) return found.name;
  const bySuffix = nodes.filter((n) => n.machineName && (row.machineName === n.machineName || row.machineName.endsWith(`/${n.machineName}`)));
  return bySuffix.length === 1 ? bySuffix[0].name : row.machineName;
}

function answeredBy(id: Identity | null, nodes: CordaNodeEndpoint[]): string | null {
  if (!id) return null;
  const byMachine = nodes.find((n) => n.machine === id.machine);
  return byMachine?.name ?? String(id.machine ?? 'unknown');
}

/** A sample before the recorder stamps it; `leaseError` / `lbError` say why a part was not read. */
export type CordaSampleBody = Pick<CordaSampleEvent, 'kind' | 'nodes' | 'leaseHolder' | 'routed' | 'lbView'> & { leaseError?: string; lbError?: string };

/** One sample (without the timestamps, which the recorder adds). Never throws: a part it cannot read is left out. */
export async function sampleCorda(target: CordaLiveTarget, timeouts: SampleTimeouts = DEFAULT_TIMEOUTS): Promise<CordaSampleBody> {
  const nodes = target.nodes();
  const direct = Promise.all(
    nodes.map(async (n) => {
      const [p2p, rpc, web] = await Promise.all(TRAFFIC.map((t) => tcpAccepts(n.machine, target.ports[t], timeouts.connectMs)));
      return [n.name, { p2p, rpc, web }] as const;
    }),
  );
  const lease = target.readLease
    ? target.readLease().then(
        (row) => ({ holder: leaseHolderOf(row, nodes) }),
        (err: unknown) => ({ error: (err as Error).message ?? String(err) }),
      )
    : Promise.resolve(undefined);
  const lb = target.lbAddress;
  const probe = target.routedProbe ?? standInIdentity;
  const routedAnswers = lb
    ? Promise.all(TRAFFIC.map((t) => probe(t, lb, target.ports[t], timeouts.routedMs).then((a) => [t, a] as const)))
    : Promise.resolve(undefined);
  const view = target.lbView
    ? target.lbView().then(
        (v) => ({ view: v as Record<string, Record<string, string>> }),
        (err: unknown) => ({ error: (err as Error).message ?? String(err) }),
      )
    : target.lbStat
    ? target.lbStat().then(
        (stat) => {
          const out: Record<string, Record<string, string>> = {};
          for (const [backend, traffic] of Object.entries(target.lbBackends ?? {})) if (stat[backend]) out[traffic] = { ...stat[backend] };
          return { view: out };
        },
        (err: unknown) => ({ error: (err as Error).message ?? String(err) }),
      )
    : Promise.resolve(undefined);
  const [nodeResults, leaseResult, answers, viewResult] = await Promise.all([direct, lease, routedAnswers, view]);
  const body: CordaSampleBody = { kind: 'sample', nodes: Object.fromEntries(nodeResults) };
  if (leaseResult && 'holder' in leaseResult) body.leaseHolder = leaseResult.holder;
  else if (leaseResult) body.leaseError = leaseResult.error;
  if (viewResult && 'view' in viewResult) body.lbView = viewResult.view;
  else if (viewResult) body.lbError = viewResult.error;
  if (answers) {
    const routed: NonNullable<CordaSampleBody['routed']> = {};
    for (const [t, a] of answers) {
      const who = a.answered === true ? (a.identity ? answeredBy(a.identity, nodes) : nameRouted(t, body)) : a.answered === false ? null : undefined;
      if (who !== undefined) routed[t] = who;
    }
    body.routed = routed;
  }
  return body;
}

/**
 * The node that answered a connection through the load balancer, from the sample's own evidence: the one node
 * whose port for that traffic accepts connections; among several, the one the load balancer holds UP. Undefined
 * when that does not single one out (the sample cannot say which answered), 'unknown' when no described node
 * has the port open (something else answered).
 */
export function nameRouted(t: Traffic, s: Pick<CordaSampleEvent, 'nodes' | 'lbView'>): string | undefined {
  const open = Object.entries(s.nodes).filter(([, p]) => p[t]).map(([n]) => n);
  if (open.length === 1) return open[0];
  if (!open.length) return 'unknown';
  const up = open.filter((n) => isUp(s.lbView?.[t]?.[n]));
  return up.length === 1 ? up[0] : undefined;
}

/** The node that is hot and alone: serves all three ports, no other node serves any, and the lease names it. */
export function soleHotNode(s: CordaSampleEvent): string | null {
  const serving = Object.entries(s.nodes).filter(([, p]) => p.p2p || p.rpc || p.web);
  if (serving.length !== 1) return null;
  const [name, p] = serving[0];
  if (!(p.p2p && p.rpc && p.web)) return null;
  if (s.leaseHolder !== undefined && s.leaseHolder !== name) return null;
  return name;
}

/** Steady state: one node hot and alone, and (with a load balancer) every traffic type routed to it. */
export function steadyHot(s: CordaSampleEvent, withLb: boolean): string | null {
  const hot = soleHotNode(s);
  if (!hot) return null;
  if (withLb && !(s.routed?.p2p === hot && s.routed?.rpc === hot && s.routed?.web === hot)) return null;
  return hot;
}

type Waiter = { pred: (s: CordaSampleEvent) => boolean; need: number; run: number; resolve: (s: CordaSampleEvent | undefined) => void };

/** A running sampler whose samples land in a recorder, with a way to wait for a condition on them. */
export class CordaSampling {
  private sampler: Sampler | null = null;
  private stopped = false;
  private readonly waiters = new Set<Waiter>();
  /** the most recently completed sample */
  latest: CordaSampleEvent | undefined;

  constructor(
    readonly recorder: TimelineRecorder,
    private readonly target: CordaLiveTarget,
    private readonly intervalMs: number,
    private readonly timeouts: SampleTimeouts = DEFAULT_TIMEOUTS,
  ) {}

  start(): void {
    if (this.sampler) return;
    this.stopped = false;
    this.launch();
  }

  /** Stop launching samples and wait for those in flight; waiters stay. `resume()` goes on. */
  async pause(): Promise<void> {
    const s = this.sampler;
    this.sampler = null;
    if (s) await s.stop();
  }

  resume(): void {
    if (!this.sampler && !this.stopped) this.launch();
  }

  private launch(): void {
    this.sampler = startSampler(this.recorder, this.intervalMs, async (t) => {
      const body = await sampleCorda(this.target, this.timeouts);
      const event = this.recorder.record<CordaSampleEvent>(body as EventBody<CordaSampleEvent>, t);
      if (!this.latest || event.t >= this.latest.t) this.latest = event;
      for (const w of [...this.waiters]) {
        w.run = w.pred(event) ? w.run + 1 : 0;
        if (w.run >= w.need) {
          this.waiters.delete(w);
          w.resolve(event);
        }
      }
    }, MAX_IN_FLIGHT);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const s = this.sampler;
    this.sampler = null;
    if (s) await s.stop();
    for (const w of this.waiters) w.resolve(undefined);
    this.waiters.clear();
  }

  /**
   * Resolves with the sample that made `pred` hold for `consecutive` samples in a row, or undefined when
   * `boundMs` passes first (or the sampler stops).
   */
  waitFor(pred: (s: CordaSampleEvent) => boolean, boundMs: number, consecutive = 1): Promise<CordaSampleEvent | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(undefined);
      }, boundMs);
      const w: Waiter = {
        pred,
        need: consecutive,
        run: 0,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      this.waiters.add(w);
    });
  }

  /** Wait for the first sample that completes from now on. */
  next(boundMs = 2000): Promise<CordaSampleEvent | undefined> {
    return this.waitFor(() => true, boundMs);
  }
}
