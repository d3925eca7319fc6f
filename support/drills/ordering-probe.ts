/**
 * How a drill looks at an ordering service: which member leads, how far each member's ledger is, and whether a
 * write commits. The FAB-ORD-03 drill is written once against `OrderingProbe`; two implementations speak to
 * what is really running:
 *
 * - `fabric`: a Fabric orderer's operations endpoint (`/metrics`, Prometheus text: `consensus_etcdraft_*`,
 *   `participation_*`) and its admin endpoint (`GET /participation/v1/channels/{channel}`). A committed write is
 *   a block number that increases, after the caller's `submit` sent a transaction (or while waiting for one).
 * - `etcd`: an etcd member (the same Raft library Fabric's etcdraft uses), as the embedded local environment
 *   runs it: `/metrics` (`etcd_server_is_leader`, `etcd_server_has_leader`, `etcd_network_active_peers`), the
 *   gRPC gateway's `/v3/maintenance/status` and `/v3/cluster/member/list`, and a key written through
 *   `/v3/kv/put` as "a new block". Height is the member's applied store revision, which moves by one per
 *   committed write on every member alike.
 *
 * Nothing here throws for an unreachable member: the state says so, because "no answer" is an observation.
 */
import { performance } from 'node:perf_hooks';
import { httpCall, type ClientTls } from './http-client.ts';
import { metricSamples, metricValue, parsePrometheus } from './prometheus.ts';

export interface MemberState {
  member: string;
  /** the member answered (its operations / metrics endpoint) */
  reachable: boolean;
  error?: string;
  /** the member says it leads (Fabric `consensus_etcdraft_is_leader`, etcd `etcd_server_is_leader`) */
  isLeader?: boolean;
  /** the member knows a leader (etcd `etcd_server_has_leader`; Fabric has no such metric) */
  hasLeader?: boolean;
  /** consenters in the member's view of the cluster */
  clusterSize?: number;
  /** members it is in touch with, itself included (etcd: live peer connections; Fabric: Raft's recent activity) */
  activeNodes?: number;
  /** its ledger height: Fabric block height of the channel; etcd applied revision */
  height?: number;
  /** channel participation: `consenter`, `follower`, `config-tracker`, `other` */
  consensusRelation?: string;
  /** channel participation: `active`, `onboarding`, `inactive`, `failed` */
  status?: string;
  /** implementation-specific facts (raft term, applied index, ...) for the evidence */
  extra?: Record<string, number | string>;
}

export interface WriteResult {
  ok: boolean;
  /** from the start of the attempt to the commit being seen, or to giving up */
  ms: number;
  error?: string;
  /** the member that acknowledged the commit */
  via?: string;
  /** the height after the commit */
  height?: number;
}

/** `leader` is one cheap request per member (for sampling every 50 ms); `full` adds height and membership. */
export type Detail = 'leader' | 'full';

export interface OrderingProbe {
  readonly kind: 'fabric' | 'etcd';
  /** the channel the probe watches (etcd: the channel the Raft cluster stands in for) */
  readonly channel: string;
  readonly members: string[];
  /** what one unit of height is, for reports */
  readonly heightMeaning: string;
  state(member: string, detail: Detail): Promise<MemberState>;
  /** commit one new entry through any of `through` and see it committed, within `timeoutMs` */
  write(through: string[], timeoutMs: number): Promise<WriteResult>;
}

export async function statesOf(probe: OrderingProbe, members: string[], detail: Detail): Promise<Record<string, MemberState>> {
  const all = await Promise.all(members.map((m) => probe.state(m, detail)));
  return Object.fromEntries(all.map((s) => [s.member, s]));
}

/**
 * Members that say they lead, and whether each can: a Raft leader that no longer reaches a majority of the
 * cluster (by its own count of active members) keeps saying so until its election timeout runs out, but it
 * commits nothing. `leader` is a claimant that reaches a majority (or whose reach is not reported); `stale`
 * lists the claimants that do not.
 */
export function leadershipOf(states: Record<string, MemberState>): { leader: string | null; stale: string[] } {
  const claims = Object.values(states)
    .filter((s) => s.reachable && s.isLeader)
    .sort((a, b) => a.member.localeCompare(b.member));
  const reaches = (s: MemberState) => s.activeNodes === undefined || s.clusterSize === undefined || s.activeNodes >= Math.floor(s.clusterSize / 2) + 1;
  return { leader: claims.find(reaches)?.member ?? null, stale: claims.filter((s) => !reaches(s)).map((s) => s.member) };
}

/** The member that leads among these states (see `leadershipOf`); null when none does. */
export function leaderOf(states: Record<string, MemberState>): string | null {
  return leadershipOf(states).leader;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : (e?.message ?? String(err));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
// Fabric

export interface FabricOrdererEndpoints {
  /** operations endpoint base URL, e.g. https://org0-orderer1:8443 */
  operations: string;
  /** admin endpoint base URL (channel participation API), e.g. https://org0-orderer1:9443 */
  admin?: string;
  /**
   * The name this node's TLS certificates are verified against, when the URLs reach it by another address (a
   * port-forward on 127.0.0.1): overrides `servername` of `operationsTls` and `adminTls` for this node.
   */
  servername?: string;
}

export interface FabricProbeOptions {
  channel: string;
  members: Record<string, FabricOrdererEndpoints>;
  operationsTls?: ClientTls;
  /** the admin endpoint wants mutual TLS in a real deployment */
  adminTls?: ClientTls;
  /** per request (default 1000 ms) */
  requestTimeoutMs?: number;
  /** submits a transaction on the channel through the caller's client; without it `write` waits for a block */
  submit?: () => Promise<void>;
  pollIntervalMs?: number;
}

function withName(tls: ClientTls | undefined, servername: string | undefined): ClientTls | undefined {
  return tls && servername ? { ...tls, servername } : tls;
}

const PARTICIPATION_STATUS: Record<number, string> = { 0: 'inactive', 1: 'active', 2: 'onboarding', 3: 'failed' };
const CONSENSUS_RELATION: Record<number, string> = { 0: 'other', 1: 'consenter', 2: 'follower', 3: 'config-tracker' };

export function fabricOrderingProbe(o: FabricProbeOptions): OrderingProbe {
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const pollMs = o.pollIntervalMs ?? 50;
  const channel = o.channel;

  async function state(member: string, detail: Detail): Promise<MemberState> {
    const ep = o.members[member];
    if (!ep) return { member, reachable: false, error: `unknown ordering node ${member}` };
    const url = `${ep.operations.replace(/\/$/, '')}/metrics`;
    let text: string;
    try {
      const a = await httpCall(url, { timeoutMs, tls: withName(o.operationsTls, ep.servername) });
      if (a.status !== 200) return { member, reachable: false, error: `${url} answered HTTP ${a.status}` };
      text = a.body;
    } catch (err) {
      return { member, reachable: false, error: `${url}: ${describe(err)}` };
    }
    const samples = parsePrometheus(text);
    const ch = { channel };
    const isLeader = metricValue(samples, 'consensus_etcdraft_is_leader', ch);
    const committed = metricValue(samples, 'consensus_etcdraft_committed_block_number', ch);
    const relation = metricValue(samples, 'participation_consensus_relation', ch);
    const status = metricValue(samples, 'participation_status', ch);
    const s: MemberState = {
      member,
      reachable: true,
      isLeader: isLeader === undefined ? undefined : isLeader === 1,
      clusterSize: metricValue(samples, 'consensus_etcdraft_cluster_size', ch),
      activeNodes: metricValue(samples, 'consensus_etcdraft_active_nodes', ch),
      // block numbers start at 0: the height is the last block number + 1
      height: committed === undefined ? metricValue(samples, 'ledger_blockchain_height', ch) : committed + 1,
      consensusRelation: relation === undefined ? undefined : CONSENSUS_RELATION[relation],
      status: status === undefined ? undefined : PARTICIPATION_STATUS[status],
      extra: {},
    };
    const leaderChanges = metricValue(samples, 'consensus_etcdraft_leader_changes', ch);
    if (leaderChanges !== undefined) s.extra!.leaderChanges = leaderChanges;
    if (committed !== undefined) s.extra!.committedBlockNumber = committed;
    if (detail === 'full' && ep.admin) {
      const purl = `${ep.admin.replace(/\/$/, '')}/participation/v1/channels/${encodeURIComponent(channel)}`;
      try {
        const a = await httpCall(purl, { timeoutMs, tls: withName(o.adminTls, ep.servername) });
        if (a.status === 200) {
          const info = JSON.parse(a.body) as { consensusRelation?: string; status?: string; height?: number };
          if (typeof info.height === 'number') s.height = info.height;
          if (info.consensusRelation) s.consensusRelation = info.consensusRelation;
          if (info.status) s.status = info.status;
        } else if (a.status === 404) {
          s.consensusRelation = 'none';
          s.error = `${purl}: HTTP 404 (the node has not joined channel ${channel})`;
        } else {
          s.error = `${purl} answered HTTP ${a.status}`;
        }
      } catch (err) {
        s.error = `${purl}: ${describe(err)}`;
      }
    }
    return s;
  }

  async function heightOf(members: string[]): Promise<{ top: number | undefined; by: Record<string, number> }> {
    const states = await Promise.all(members.map((m) => state(m, 'full')));
    const by: Record<string, number> = {};
    for (const s of states) if (s.height !== undefined) by[s.member] = s.height;
    const values = Object.values(by);
    return { top: values.length ? Math.max(...values) : undefined, by };
  }

  return {
    kind: 'fabric',
    channel,
    members: Object.keys(o.members),
    heightMeaning: `block height of channel ${channel}`,
    state,
    async write(through, timeout) {
      const t0 = performance.now();
      const elapsed = () => Math.round(performance.now() - t0);
      const before = await heightOf(through);
      if (before.top === undefined) return { ok: false, ms: elapsed(), error: `none of ${through.join(', ')} reports a height for channel ${channel}` };
      if (o.submit) {
        try {
          await Promise.race([
            o.submit(),
            sleep(timeout).then(() => {
              throw new Error(`the transaction was not accepted within ${timeout} ms`);
            }),
          ]);
        } catch (err) {
          return { ok: false, ms: elapsed(), error: `submitting a transaction on ${channel}: ${describe(err)}` };
        }
      }
      while (elapsed() < timeout) {
        const now = await heightOf(through);
        const grown = Object.entries(now.by).find(([, h]) => h > before.top!);
        if (grown) return { ok: true, ms: elapsed(), via: grown[0], height: grown[1] };
        await sleep(pollMs);
      }
      return {
        ok: false,
        ms: elapsed(),
        error: `no new block on channel ${channel} within ${timeout} ms (height stayed at ${before.top} on ${through.join(', ')})`,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// etcd

export interface EtcdMemberEndpoints {
  /** client URL (gRPC gateway), e.g. http://127.1.7.11:7050 */
  client: string;
  /** metrics URL base, e.g. http://127.1.7.11:8443 (etcd `--listen-metrics-urls`) */
  metrics: string;
}

export interface EtcdProbeOptions {
  /** the channel the cluster stands in for, for labels */
  channel: string;
  members: Record<string, EtcdMemberEndpoints>;
  requestTimeoutMs?: number;
  /** prefix of the keys `write` puts (default `ha-conformance/blocks/`) */
  keyPrefix?: string;
}

interface EtcdStatus {
  header?: { member_id?: string; revision?: string; raft_term?: string };
  leader?: string;
  raftIndex?: string;
  raftTerm?: string;
  raftAppliedIndex?: string;
  errors?: string[];
}

interface EtcdMemberList {
  header?: { member_id?: string };
  members?: Array<{ ID?: string; name?: string; isLearner?: boolean }>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

export function etcdOrderingProbe(o: EtcdProbeOptions): OrderingProbe {
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const prefix = o.keyPrefix ?? 'ha-conformance/blocks/';
  let writes = 0;

  async function post<T>(member: string, path: string, body: unknown, timeout = timeoutMs): Promise<T> {
    const url = `${o.members[member].client.replace(/\/$/, '')}${path}`;
    const a = await httpCall(url, { method: 'POST', body: JSON.stringify(body), timeoutMs: timeout });
    let parsed: unknown;
    try {
      parsed = JSON.parse(a.body);
    } catch {
      throw new Error(`${url} answered HTTP ${a.status} with a body that is not JSON: ${a.body.slice(0, 200)}`);
    }
    const err = parsed as { error?: string; message?: string };
    if (a.status !== 200 || err.error) throw new Error(`${url}: ${err.message ?? err.error ?? `HTTP ${a.status}`}`);
    return parsed as T;
  }

  async function state(member: string, detail: Detail): Promise<MemberState> {
    const ep = o.members[member];
    if (!ep) return { member, reachable: false, error: `unknown etcd member ${member}` };
    const url = `${ep.metrics.replace(/\/$/, '')}/metrics`;
    let samples;
    try {
      const a = await httpCall(url, { timeoutMs });
      if (a.status !== 200) return { member, reachable: false, error: `${url} answered HTTP ${a.status}` };
      samples = parsePrometheus(a.body);
    } catch (err) {
      return { member, reachable: false, error: `${url}: ${describe(err)}` };
    }
    const isLeader = metricValue(samples, 'etcd_server_is_leader');
    const hasLeader = metricValue(samples, 'etcd_server_has_leader');
    // one series per other member, 1 while the connection to it is up
    const peers = metricSamples(samples, 'etcd_network_active_peers');
    const s: MemberState = {
      member,
      reachable: true,
      isLeader: isLeader === undefined ? undefined : isLeader === 1,
      hasLeader: hasLeader === undefined ? undefined : hasLeader === 1,
      activeNodes: peers.filter((x) => x.value === 1).length + 1,
      clusterSize: peers.length ? peers.length + 1 : undefined,
      extra: {},
    };
    const leaderChanges = metricValue(samples, 'etcd_server_leader_changes_seen_total');
    if (leaderChanges !== undefined) s.extra!.leaderChanges = leaderChanges;
    if (detail === 'full') {
      try {
        const [status, list] = await Promise.all([
          post<EtcdStatus>(member, '/v3/maintenance/status', {}),
          post<EtcdMemberList>(member, '/v3/cluster/member/list', {}),
        ]);
        s.height = Number(status.header?.revision);
        s.extra!.raftAppliedIndex = Number(status.raftAppliedIndex ?? status.raftIndex);
        s.extra!.raftTerm = Number(status.raftTerm ?? status.header?.raft_term);
        const self = list.members?.find((m) => m.ID === status.header?.member_id);
        s.clusterSize = (list.members ?? []).filter((m) => !m.isLearner).length;
        s.consensusRelation = !self ? 'other' : self.isLearner ? 'follower' : 'consenter';
        s.status = status.errors?.length ? 'inactive' : 'active';
        if (status.errors?.length) s.error = status.errors.join('; ');
      } catch (err) {
        s.error = describe(err);
      }
    }
    return s;
  }

  return {
    kind: 'etcd',
    channel: o.channel,
    members: Object.keys(o.members),
    heightMeaning: 'etcd store revision (one per committed write)',
    state,
    async write(through, timeout) {
      const t0 = performance.now();
      const elapsed = () => Math.round(performance.now() - t0);
      const key = `${prefix}${o.channel}/${Date.now()}-${++writes}`;
      const errors: string[] = [];
      // A follower forwards the proposal to the leader; try the next member only when one refuses the connection.
      for (const member of through) {
        const left = timeout - elapsed();
        if (left <= 0) break;
        try {
          const r = await post<{ header?: { revision?: string } }>(member, '/v3/kv/put', { key: b64(key), value: b64(new Date().toISOString()) }, left);
          return { ok: true, ms: elapsed(), via: member, height: Number(r.header?.revision) };
        } catch (err) {
          errors.push(`${member}: ${describe(err)}`);
          if (!/ECONNREFUSED|ECONNRESET/.test(describe(err))) break;
        }
      }
      return { ok: false, ms: elapsed(), error: errors.join('; ') || `no attempt possible within ${timeout} ms` };
    },
  };
}
