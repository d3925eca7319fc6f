/**
 * What the harness asks the etcd members through their gRPC gateway (JSON over HTTP on the client port): the member
 * list and the leader, the committed revision (the stand-in's ledger height, one per write), the leadership hand-over
 * before the FAB-ORD-12 drill kills a member, and the membership change that repairs a member that lost its data.
 */
import { BrokenError } from '../../../errors.ts';
import { httpCall } from '../../../drills/http-client.ts';

export interface EtcdApiMember {
  name: string;
  /** the client URL (gRPC gateway) */
  client: string;
  /** the peer URL, as the member list shows it */
  peer: string;
}

export class EtcdApi {
  constructor(
    private readonly members: readonly EtcdApiMember[],
    /** whether a member runs (not stopped, not frozen): only those are asked */
    private readonly isRunning: (name: string) => boolean,
    private readonly heartbeatMs: number,
  ) {}

  private member(name: string): EtcdApiMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  }

  /** One call to a member's gRPC gateway; the parsed answer, or an Error naming the URL. */
  async call<T>(name: string, path: string, body: unknown = {}): Promise<T> {
    const url = `${this.member(name).client}${path}`;
    const a = await httpCall(url, { method: 'POST', body: JSON.stringify(body), timeoutMs: 1000 });
    const parsed = JSON.parse(a.body) as T & { error?: string; message?: string };
    if (a.status !== 200 || parsed.error) throw new Error(`${url}: ${parsed.message ?? parsed.error ?? `HTTP ${a.status}`}`);
    return parsed;
  }

  /** The revision the cluster has committed, from the first member that answers; undefined when none does. */
  async committedRevision(): Promise<number | undefined> {
    for (const m of this.members) {
      try {
        const a = await httpCall(`${m.client}/v3/maintenance/status`, { method: 'POST', body: '{}', timeoutMs: 500 });
        const revision = Number((JSON.parse(a.body) as { header?: { revision?: string } }).header?.revision);
        if (a.status === 200 && Number.isFinite(revision)) return revision;
      } catch {
        /* a stopped member: ask the next */
      }
    }
    return undefined;
  }

  /** member name → etcd member ID (as the gateway prints it), and the leader's ID, from a running member other than `not` */
  async view(not?: string): Promise<{ ids: Record<string, string>; leader?: string; asked: string }> {
    for (const m of this.members.filter((x) => x.name !== not && this.isRunning(x.name))) {
      try {
        const list = await this.call<{ members?: Array<{ ID?: string; name?: string; peerURLs?: string[] }> }>(m.name, '/v3/cluster/member/list');
        const status = await this.call<{ leader?: string }>(m.name, '/v3/maintenance/status');
        const ids: Record<string, string> = {};
        for (const x of list.members ?? []) {
          const named = this.members.find((y) => y.name === x.name || (x.peerURLs ?? []).includes(y.peer));
          if (named && x.ID) ids[named.name] = x.ID;
        }
        return { ids, leader: status.leader, asked: m.name };
      } catch {
        /* ask the next */
      }
    }
    throw new BrokenError('no running etcd member answered for the member list');
  }

  /**
   * Make `name` a follower: if it leads, hand leadership to another member (etcd's move-leader) and wait until it
   * has applied the new leader's first entry, so the new leader knows how far its log goes. A follower that then loses
   * its log is told a commit index beyond it on the first heartbeat, as in Fabric issue 3639.
   */
  async makeFollower(name: string, boundMs = 5000): Promise<void> {
    const deadline = Date.now() + boundMs;
    let { ids, leader } = await this.view();
    if (leader !== ids[name]) return;
    const target = Object.entries(ids).find(([n]) => n !== name && this.isRunning(n));
    if (!target) return;
    await this.call(name, '/v3/maintenance/transfer-leadership', { targetID: target[1] });
    while (Date.now() < deadline) {
      ({ ids, leader } = await this.view());
      const own = await this.call<{ leader?: string; raftIndex?: string }>(name, '/v3/maintenance/status').catch(() => undefined);
      const led = leader ? Object.entries(ids).find(([, id]) => id === leader)?.[0] : undefined;
      const theirs = led ? await this.call<{ raftIndex?: string }>(led, '/v3/maintenance/status').catch(() => undefined) : undefined;
      if (led && led !== name && own && own.leader === leader && Number(own.raftIndex) >= Number(theirs?.raftIndex)) {
        // one heartbeat more, for its acknowledgement to reach the leader
        await new Promise((r) => setTimeout(r, 2 * this.heartbeatMs));
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new BrokenError(`etcd member ${name} kept the leadership for ${boundMs} ms after it was asked to hand it over`);
  }

  /** Remove `name` from the cluster (when it is a member) and add it again under a new member ID, as an operator does. */
  async replaceMember(name: string): Promise<void> {
    const { ids, asked } = await this.view(name);
    if (ids[name]) await this.call(asked, '/v3/cluster/member/remove', { ID: ids[name] });
    await this.call(asked, '/v3/cluster/member/add', { peerURLs: [this.member(name).peer] });
  }
}
