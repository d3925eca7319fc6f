/**
 * The ordering service stand-in: one etcd member per ordering node (etcd runs the same Raft library Fabric's
 * etcdraft orderer uses), each on its own loopback address, data in the run's temp dir, with compressed Raft
 * timings. Members are stopped and started by the FAB-ORD-03 drill through `OrderingFaults`, and restarted one at a
 * time by the FAB-ORD-12 drill through `RestartFaults`. A member's data directory holds what an orderer's volume
 * does: its Raft write-ahead log (`member/wal`) and snapshots (`member/snap`).
 *
 * With `tls`, the members talk Raft over TLS on the cluster port as Fabric's consenters do: each serves its
 * ordering node's TLS certificate there (what a handshake to the consenter's host:port is shown, FAB-ORD-10) and
 * verifies the others' against the ordering organization's TLS CA. They do not authenticate each other by client
 * certificate: etcd would match a client's IP SANs against the connection's source address, and a loopback
 * connection comes from 127.0.0.1 whatever member makes it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import { signalAndSettle, type ManagedProcess, type Resources } from '../../common/resources.ts';
import { httpCall } from '../../../drills/http-client.ts';
import type { EtcdMemberEndpoints } from '../../../drills/ordering-probe.ts';
import type { OrderingFaults } from '../../../drills/fabric-region-loss.ts';
import type { RestartFaults } from '../../../drills/fabric-restart.ts';
import { EtcdApi } from './etcd-api.ts';
import { ORDERER_CLIENT_PORT, ORDERER_CLUSTER_PORT, ORDERER_METRICS_PORT } from './topology.ts';

export const ETCD_MISSING =
  'etcd is not installed: install it with `apt-get install -y etcd-server` (Debian) to run the Fabric ordering service stand-in';

export function etcdBinary(): string | null {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return p;
    } catch {
      /* try next */
    }
  }
  return null;
}

export interface EtcdMemberSpec {
  name: string;
  region: string;
  address: string;
  /** PEM files for Raft over TLS on the cluster port: the node's certificate and key, the CA to verify the others by */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export interface EtcdClusterOptions {
  heartbeatMs: number;
  electionTimeoutMs: number;
  /** how a member is stopped when the drill takes its region down */
  stopSignal: 'SIGTERM' | 'SIGKILL' | 'SIGSTOP';
  log: (line: string) => void;
}

export class EtcdCluster {
  private readonly procs = new Map<string, ManagedProcess>();
  private readonly frozen = new Set<string>();
  /** members whose data directory was set aside by a restart that wipes it (a broken variant), to repair later */
  private readonly wiped = new Set<string>();
  private readonly bin: string;
  /** set once the run is released: no member is (re)started after that */
  private retired = false;
  /** the members' gRPC gateway: member list, leader hand-over, committed revision */
  readonly api: EtcdApi;

  constructor(
    private readonly resources: Resources,
    private readonly dir: string,
    readonly members: EtcdMemberSpec[],
    private readonly o: EtcdClusterOptions,
  ) {
    const bin = etcdBinary();
    if (!bin) throw new BrokenError(ETCD_MISSING);
    this.bin = bin;
    const urls = members.map((m) => ({ name: m.name, client: this.endpoints(m.name).client, peer: this.endpoints(m.name).peer }));
    this.api = new EtcdApi(urls, (name) => this.isRunning(name), o.heartbeatMs);
  }

  endpoints(name: string): EtcdMemberEndpoints & { peer: string } {
    const m = this.member(name);
    return {
      client: `http://${m.address}:${ORDERER_CLIENT_PORT}`,
      metrics: `http://${m.address}:${ORDERER_METRICS_PORT}`,
      peer: `${m.tls ? 'https' : 'http'}://${m.address}:${ORDERER_CLUSTER_PORT}`,
    };
  }

  private member(name: string): EtcdMemberSpec {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  }

  /** where a member keeps its WAL and snapshots */
  dataDir(name: string): string {
    return join(this.dir, this.member(name).name);
  }

  private args(m: EtcdMemberSpec, state: 'new' | 'existing'): string[] {
    const ep = this.endpoints(m.name);
    const cluster = this.members.map((x) => `${x.name}=${this.endpoints(x.name).peer}`).join(',');
    return [
      '--name', m.name,
      '--data-dir', this.dataDir(m.name),
      '--listen-peer-urls', ep.peer,
      '--initial-advertise-peer-urls', ep.peer,
      '--listen-client-urls', ep.client,
      '--advertise-client-urls', ep.client,
      '--listen-metrics-urls', ep.metrics,
      '--initial-cluster', cluster,
      // a member started again joins the existing cluster: with its data it rejoins from its WAL (the flag is then
      // ignored); without it, it starts an empty Raft log the leader's commit index is beyond, as an orderer does
      '--initial-cluster-state', state,
      '--initial-cluster-token', `ha-conformance-${this.resources.runId}`,
      // the repair after a wiping restart removes and adds a member at once, not after etcd's 5 s health window
      '--strict-reconfig-check=false',
      '--heartbeat-interval', String(this.o.heartbeatMs),
      '--election-timeout', String(this.o.electionTimeoutMs),
      '--logger', 'zap',
      '--log-outputs', 'stderr',
      '--log-level', 'warn',
      ...(m.tls ? ['--peer-cert-file', m.tls.certFile, '--peer-key-file', m.tls.keyFile, '--peer-trusted-ca-file', m.tls.caFile] : []),
    ];
  }

  isRunning(name: string): boolean {
    return Boolean(this.procs.get(name)?.isRunning()) && !this.frozen.has(name);
  }

  private spawn(m: EtcdMemberSpec): ManagedProcess {
    if (this.retired) throw new BrokenError(`etcd member ${m.name} is not restarted: the local environment is stopping`);
    const state = this.procs.has(m.name) ? 'existing' : 'new';
    const p = this.resources.spawn(`etcd ${m.name}`, this.bin, this.args(m, state), { cwd: this.dir });
    this.procs.set(m.name, p);
    return p;
  }

  /** until the member serves its metrics (it is up; it may not have a leader yet) */
  private async waitServing(name: string, boundMs: number): Promise<void> {
    const p = this.procs.get(name)!;
    const deadline = Date.now() + boundMs;
    const url = `${this.endpoints(name).metrics}/metrics`;
    while (Date.now() < deadline) {
      if (!p.isRunning()) throw new BrokenError(`etcd member ${name} exited at start:\n${p.output()}`);
      const ok = await httpCall(url, { timeoutMs: 500 }).then((a) => a.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new BrokenError(`etcd member ${name} did not serve ${url} within ${boundMs} ms:\n${p.output()}`);
  }

  /** Start every member and wait until the cluster has a leader. */
  async start(boundMs = 20000): Promise<void> {
    await Promise.all(this.members.map((m) => mkdir(join(this.dir, m.name), { recursive: true, mode: 0o700 })));
    for (const m of this.members) this.spawn(m);
    await Promise.all(this.members.map((m) => this.waitServing(m.name, boundMs)));
    const deadline = Date.now() + boundMs;
    while (Date.now() < deadline) {
      const leaders = await Promise.all(
        this.members.map((m) =>
          httpCall(`${this.endpoints(m.name).metrics}/metrics`, { timeoutMs: 500 }).then(
            (a) => /^etcd_server_is_leader 1$/m.test(a.body),
            () => false,
          ),
        ),
      );
      if (leaders.some(Boolean)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const logs = this.members.map((m) => `--- ${m.name}:\n${this.procs.get(m.name)?.output().split('\n').slice(-5).join('\n') ?? ''}`);
    throw new BrokenError(`the ${this.members.length} etcd members elected no leader within ${boundMs} ms\n${logs.join('\n')}`);
  }

  async stopMembers(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const p = this.procs.get(name);
        if (!p?.isRunning()) return;
        if (this.o.stopSignal === 'SIGSTOP') {
          if (p.child.pid) await signalAndSettle(p.child.pid, 'SIGSTOP');
          this.frozen.add(name);
        } else if (this.o.stopSignal === 'SIGKILL') {
          p.kill('SIGKILL');
          await p.exited;
        } else {
          await this.resources.stopProcess(p);
        }
      }),
    );
  }

  async startMembers(names: string[], boundMs = 10000): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const p = this.procs.get(name);
        if (this.frozen.has(name) && p?.isRunning()) {
          if (p.child.pid) await signalAndSettle(p.child.pid, 'SIGCONT');
          this.frozen.delete(name);
          return;
        }
        this.frozen.delete(name);
        if (p?.isRunning()) return;
        this.spawn(this.member(name));
        await this.waitServing(name, boundMs);
      }),
    );
  }

  faults(): OrderingFaults {
    return {
      method: this.o.stopSignal === 'SIGTERM' ? 'SIGTERM (graceful stop)' : this.o.stopSignal === 'SIGKILL' ? 'SIGKILL (crash)' : 'SIGSTOP (frozen)',
      stop: (names) => this.stopMembers(names),
      start: (names) => this.startMembers(names),
    };
  }

  /**
   * FAB-ORD-12: a follower killed (a crash) and started again with its data directory (a member that leads hands its
   * leadership over first, so the restart is a follower's, as in Fabric issue 3639). With `wipe` naming it (the
   * `orderer-ephemeral-volume` variant), it starts with an empty directory instead, as a pod whose volume is an
   * emptyDir does: it is told a commit index its empty log does not have, and panics.
   */
  restartFaults(wipe: readonly string[] = []): RestartFaults {
    return {
      method: wipe.length
        ? `killed as a follower (SIGKILL), then started again; ${wipe.join(', ')} with an empty data directory (as on an emptyDir volume)`
        : 'killed as a follower (SIGKILL), then started again with its data directory',
      stop: async (name) => {
        const p = this.procs.get(name);
        if (!p?.isRunning()) return;
        await this.api.makeFollower(name);
        p.kill('SIGKILL');
        await p.exited;
      },
      start: async (name) => {
        if (wipe.includes(name) && !this.wiped.has(name)) {
          await rm(this.dataDir(name), { recursive: true, force: true });
          await mkdir(this.dataDir(name), { recursive: true, mode: 0o700 });
          this.wiped.add(name);
        }
        await this.startMembers([name]);
      },
      exited: (name) => {
        const p = this.procs.get(name);
        if (!p || p.isRunning()) return undefined;
        // its last words: Raft's panic when its log is gone
        const lines = p.output(200).split('\n').filter(Boolean);
        const why =
          lines.find((l) => /tocommit/.test(l)) ?? lines.find((l) => /"level":"(panic|fatal)"|^panic:/.test(l)) ?? lines.at(-1) ?? 'no output';
        return `etcd exited: ${why.replace(/^.*"msg":"([^"]*)".*$/, '$1').slice(0, 300)}`;
      },
    };
  }

  /**
   * Make whole a member that lost its data, as an operator does: remove it from the cluster, add it again (a new
   * member ID), and start it on an empty directory; it then catches up from the others.
   */
  async repairWiped(boundMs = 10000): Promise<void> {
    for (const name of [...this.wiped]) {
      const p = this.procs.get(name);
      if (p?.isRunning()) {
        p.kill('SIGKILL');
        await p.exited;
      }
      await this.api.replaceMember(name);
      await rm(this.dataDir(name), { recursive: true, force: true });
      await mkdir(this.dataDir(name), { recursive: true, mode: 0o700 });
      this.wiped.delete(name);
      await this.startMembers([name], boundMs);
    }
  }

  /** Stop every member for good. */
  async stop(): Promise<void> {
    this.retired = true;
    await Promise.all([...this.procs.values()].map((p) => this.resources.stopProcess(p)));
  }
}
