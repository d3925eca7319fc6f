/**
 * The harness's local copy of what the observer (observer-server.ts, a container on the load-balancer network) sees:
 * for every Corda node, one loopback address of the harness with a listener per traffic port that is open exactly
 * while the observer finds that port of the node accepting connections inside the network.
 *
 * Why: the Corda sampler (drills/corda-sampler.ts) asks "does this node's port accept a TCP connection?" by
 * dialling `machine:port`. A node's container cannot be dialled honestly from the host: a port published through
 * Docker's userland proxy accepts every connection whether or not the node listens. So the sampler dials these
 * mirror addresses instead, and gets the observer's answer with its latency (one observer round, 20 ms by
 * default, plus the stream) — documented where the descriptor names them (`live.docker.mirror`).
 *
 * When the observer's stream is lost for longer than `staleMs`, every mirror port closes and the mirror says so
 * (`stale`): the harness then sees no node serving, and logs why, rather than repeating an old answer.
 */
import { request, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:net';
import { BrokenError } from '../../errors.ts';

export interface MirrorNode {
  name: string;
  /** the loopback address of the harness that mirrors this node */
  address: string;
  /** the node's address on the observer's network (what the observer dials) */
  target: string;
}

type PortState = Record<string, boolean>;

class MirrorPort {
  private server: Server | null = null;
  private chain: Promise<void> = Promise.resolve();
  private want = false;
  failure: string | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
  ) {}

  get open(): boolean {
    return this.server !== null;
  }

  set(open: boolean): Promise<void> {
    if (open === this.want) return this.chain;
    this.want = open;
    this.chain = this.chain.then(() => (this.want ? this.listen() : this.close()));
    return this.chain;
  }

  private listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    return new Promise((resolve) => {
      const server = createServer((s) => {
        // the sampler only connects; nothing is served
        s.on('error', () => undefined);
        s.destroy();
      });
      server.once('error', (err) => {
        this.failure = `mirror ${this.address}:${this.port}: ${(err as Error).message}`;
        resolve();
      });
      server.listen(this.port, this.address, () => {
        server.removeAllListeners('error');
        server.on('error', () => undefined);
        this.server = server;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  async shutdown(): Promise<void> {
    this.want = false;
    this.chain = this.chain.then(() => this.close());
    await this.chain;
  }
}

export interface PortMirrorOptions {
  /** host and port where the observer's HTTP service is published */
  observer: { host: string; port: number };
  ports: number[];
  intervalMs?: number;
  probeTimeoutMs?: number;
  /** close every mirror port when the stream has been silent this long (the observer writes at least once a second) */
  staleMs?: number;
  log?: (line: string) => void;
}

export class PortMirror {
  private readonly nodes = new Map<string, { node: MirrorNode; ports: Map<number, MirrorPort> }>();
  private response: IncomingMessage | null = null;
  private req: ReturnType<typeof request> | null = null;
  private closed = false;
  private lastSeen = 0;
  private staleTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private generation = 0;
  private waiters = new Set<() => void>();
  /** the observer's latest answer: node → port → accepts */
  latest: Record<string, PortState> = {};
  stale = true;

  constructor(private readonly o: PortMirrorOptions) {}

  private get log(): (line: string) => void {
    return this.o.log ?? (() => undefined);
  }

  names(): string[] {
    return [...this.nodes.keys()];
  }

  /** Mirror these nodes from now on (the observer's stream restarts with the new set). */
  async setNodes(nodes: MirrorNode[], boundMs = 5000): Promise<void> {
    for (const [name, entry] of [...this.nodes]) {
      if (!nodes.some((n) => n.name === name)) {
        this.nodes.delete(name);
        await Promise.all([...entry.ports.values()].map((p) => p.shutdown()));
      }
    }
    for (const node of nodes) {
      if (this.nodes.has(node.name)) continue;
      this.nodes.set(node.name, { node, ports: new Map(this.o.ports.map((p) => [p, new MirrorPort(node.address, p)])) });
    }
    this.connect();
    await this.fresh(boundMs);
  }

  /** Resolves once an answer covering every mirrored node has arrived (or throws at the bound). */
  private fresh(boundMs: number): Promise<void> {
    const covered = () => !this.stale && this.names().every((n) => n in this.latest);
    if (covered()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new BrokenError(`the observer at ${this.o.observer.host}:${this.o.observer.port} gave no answer for ${this.names().join(', ')} within ${boundMs} ms`));
      }, boundMs);
      const check = () => {
        if (!covered()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  private connect(): void {
    if (this.closed) return;
    const gen = ++this.generation;
    this.req?.destroy();
    this.response?.destroy();
    this.latest = {};
    const names = this.names();
    if (!names.length) return;
    const targets = [...this.nodes.values()].map(({ node }) => `${node.name}@${node.target}`);
    const path =
      `/watch?targets=${encodeURIComponent(targets.join(','))}&ports=${this.o.ports.join(',')}` +
      `&intervalMs=${this.o.intervalMs ?? 20}&timeoutMs=${this.o.probeTimeoutMs ?? 150}`;
    const req = request({ host: this.o.observer.host, port: this.o.observer.port, path, agent: false }, (res) => {
      if (gen !== this.generation) return res.destroy();
      this.response = res;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) this.apply(line, gen);
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => this.lost(gen, 'the stream ended'));
    });
    req.on('error', (err) => this.lost(gen, err.message));
    req.end();
    this.req = req;
    this.armStale();
  }

  private lost(gen: number, why: string): void {
    if (gen !== this.generation || this.closed) return;
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (gen === this.generation && !this.closed) {
        this.log(`observer stream lost (${why}); reconnecting`);
        this.connect();
      }
    }, 100);
  }

  private armStale(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      if (this.closed) return;
      if (!this.stale) this.log(`no answer from the observer for ${this.o.staleMs ?? 2500} ms: every mirrored port is closed until it answers again`);
      this.stale = true;
      for (const { ports } of this.nodes.values()) for (const p of ports.values()) void p.set(false);
    }, this.o.staleMs ?? 2500);
  }

  private apply(line: string, gen: number): void {
    let msg: { state?: Record<string, PortState> };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (gen !== this.generation || !msg.state) return;
    this.lastSeen = Date.now();
    this.stale = false;
    this.armStale();
    this.latest = msg.state;
    for (const [name, { ports }] of this.nodes) {
      const st = msg.state[name];
      for (const [port, mp] of ports) void mp.set(Boolean(st?.[String(port)]));
    }
    for (const w of [...this.waiters]) w();
  }

  /** Problems opening mirror listeners (an address already in use, say), for error messages. */
  failures(): string[] {
    return [...this.nodes.values()].flatMap(({ ports }) => [...ports.values()].map((p) => p.failure).filter((f): f is string => Boolean(f)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    if (this.staleTimer) clearTimeout(this.staleTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.req?.destroy();
    this.response?.destroy();
    await Promise.all([...this.nodes.values()].flatMap(({ ports }) => [...ports.values()].map((p) => p.shutdown())));
    this.nodes.clear();
  }
}
