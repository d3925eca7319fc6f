/**
 * The stand-in peer (peers.ts starts one per peer of the plan): a TLS server on its own loopback address and the
 * peer port, presenting its ECDSA certificate from its organization's TLS CA, and answering a line protocol with its
 * own name:
 *
 *   INFO\n            → {"peer","org","region","heights":{"mychannel":n}}
 *   QUERY <channel>\n → {"peer","org","channel","height"} or {"peer","error"} for a channel it has not joined
 *
 * A peer is stopped by closing its listener and every open connection (as a process exit would), so a client
 * holding a long-lived connection sees it break. Peers run inside the harness process: nothing to leak.
 *
 * Ledger heights start at the genesis block (1) and follow the ordering service: the part hands every running
 * peer the ordering service's committed height (`deliver`), as a peer's deliver client pulls new blocks. A stopped
 * peer misses blocks and catches up once it runs again; a peer marked `lagging` never receives any.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';

export interface PeerSpec {
  name: string;
  org: string;
  region: string;
  address: string;
  port: number;
  certPem: string;
  keyPem: string;
  channels: string[];
  /** receives no blocks from the ordering service (a broken deliver connection): its height stays behind */
  lagging?: boolean;
}

export class LocalPeer {
  private server: Server | undefined;
  private readonly sockets = new Set<TLSSocket>();
  /** set once the run is released: the peer never listens again */
  private retired = false;
  /** ledger height per channel: the genesis block */
  readonly heights: Record<string, number>;

  constructor(readonly spec: PeerSpec) {
    this.heights = Object.fromEntries(spec.channels.map((c) => [c, 1]));
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The ordering service committed up to `height`: a running peer that is not lagging takes the new blocks. */
  deliver(height: number): void {
    if (!this.running || this.spec.lagging) return;
    for (const c of Object.keys(this.heights)) if (height > this.heights[c]) this.heights[c] = height;
  }

  private answer(line: string): Record<string, unknown> {
    const [verb, arg] = line.trim().split(/\s+/, 2);
    const who = { peer: this.spec.name, org: this.spec.org };
    switch ((verb ?? '').toUpperCase()) {
      case 'INFO':
        return { ...who, region: this.spec.region, heights: this.heights };
      case 'QUERY':
        if (arg && arg in this.heights) return { ...who, channel: arg, height: this.heights[arg] };
        return { ...who, error: `channel ${arg ?? '(none)'} not joined by ${this.spec.name}` };
      default:
        return { ...who, error: `unknown request ${JSON.stringify(line.slice(0, 40))}` };
    }
  }

  async start(): Promise<void> {
    if (this.retired) throw new Error(`${this.spec.name} is not restarted: the local environment is stopping`);
    if (this.server) return;
    const server = createServer({ cert: this.spec.certPem, key: this.spec.keyPem, minVersion: 'TLSv1.2' }, (socket) => {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        if (buf.length > 4096) return socket.destroy();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          socket.write(`${JSON.stringify(this.answer(line))}\n`);
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // Health checks open and close TCP connections without a handshake: not an error worth a word.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.spec.port, this.spec.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    // released while it was starting: close again, nothing may outlive the run
    if (this.retired) await this.stop();
  }

  /** Stop for good (the run is released). */
  async retire(): Promise<void> {
    this.retired = true;
    await this.stop();
  }

  /** Close the listener and every connection, as a process exit would. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}
