/**
 * The ordering probe against recorded responses: Fabric orderer operations metrics and channel participation
 * (test/recorded/fabric), and etcd members (test/recorded/etcd), served by a local HTTP server. The FAB-ORD-03
 * drill then runs against the fabric probe on a simulated ordering service built from the same recordings, to
 * show the drill is written once against the interface.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdOrderingProbe, fabricOrderingProbe, leaderOf, leadershipOf, statesOf } from '../../support/drills/ordering-probe.ts';
import { runRegionLossDrill } from '../../support/drills/fabric-region-loss.ts';

const here = dirname(fileURLToPath(import.meta.url));
const recorded = (kind: 'fabric' | 'etcd', file: string) => readFileSync(join(here, '..', 'recorded', kind, file), 'utf8');

type Route = { status: number; body: string } | ((body: string) => { status: number; body: string });
const routes = new Map<string, Route>();
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const r = routes.get(`${req.method} ${req.url}`);
      const answer = typeof r === 'function' ? r(body) : r;
      if (!answer) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      res.writeHead(answer.status, { 'content-type': answer.body.startsWith('{') ? 'application/json' : 'text/plain; version=0.0.4' }).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function serveFabric(): void {
  routes.clear();
  routes.set('GET /o1/ops/metrics', { status: 200, body: recorded('fabric', 'orderer1-metrics.prom') });
  routes.set('GET /o2/ops/metrics', { status: 200, body: recorded('fabric', 'orderer2-metrics.prom') });
  routes.set('GET /o4/ops/metrics', { status: 200, body: recorded('fabric', 'orderer4-metrics-onboarding.prom') });
  routes.set('GET /o5/ops/metrics', { status: 500, body: 'internal error\n' });
  routes.set('GET /o1/admin/participation/v1/channels/mychannel', { status: 200, body: recorded('fabric', 'orderer1-participation-mychannel.json') });
  routes.set('GET /o2/admin/participation/v1/channels/mychannel', { status: 200, body: recorded('fabric', 'orderer2-participation-mychannel.json') });
  routes.set('GET /o4/admin/participation/v1/channels/mychannel', { status: 200, body: recorded('fabric', 'orderer4-participation-mychannel.json') });
  routes.set('GET /o2/admin/participation/v1/channels/otherchannel', { status: 404, body: recorded('fabric', 'participation-channel-not-found.json') });
}

function fabricMembers() {
  const ep = (n: string) => ({ operations: `${base}/${n}/ops`, admin: `${base}/${n}/admin` });
  return {
    'org0-orderer1': ep('o1'),
    'org0-orderer2': ep('o2'),
    'org0-orderer4': ep('o4'),
    'org0-orderer5': ep('o5'),
    // nothing listens there: a stopped node
    'org0-orderer3': { operations: 'http://127.0.0.1:1', admin: 'http://127.0.0.1:1' },
  };
}

test('fabric probe: leader view from consensus_etcdraft_* of the probed channel only', async () => {
  serveFabric();
  const probe = fabricOrderingProbe({ channel: 'mychannel', members: fabricMembers() });
  const s1 = await probe.state('org0-orderer1', 'leader');
  assert.equal(s1.reachable, true);
  assert.equal(s1.isLeader, true);
  assert.equal(s1.clusterSize, 5);
  assert.equal(s1.activeNodes, 5);
  assert.equal(s1.height, 8, 'committed block 7 → height 8');
  assert.equal(s1.consensusRelation, 'consenter');
  assert.equal(s1.status, 'active');
  const other = fabricOrderingProbe({ channel: 'otherchannel', members: fabricMembers() });
  const o1 = await other.state('org0-orderer1', 'leader');
  assert.equal(o1.isLeader, false);
  assert.equal(o1.clusterSize, 3);
  assert.equal(o1.height, 3);
  const states = await statesOf(probe, ['org0-orderer1', 'org0-orderer2', 'org0-orderer3'], 'leader');
  assert.equal(leaderOf(states), 'org0-orderer1');
  assert.equal(leaderOf({ 'org0-orderer2': states['org0-orderer2'] }), null);
});

test('fabric probe: participation API height, relation and status; a 404 is a channel not joined', async () => {
  serveFabric();
  const probe = fabricOrderingProbe({ channel: 'mychannel', members: fabricMembers() });
  const s4 = await probe.state('org0-orderer4', 'full');
  assert.deepEqual([s4.consensusRelation, s4.status, s4.height], ['follower', 'onboarding', 4]);
  const other = fabricOrderingProbe({ channel: 'otherchannel', members: fabricMembers() });
  const s2 = await other.state('org0-orderer2', 'full');
  assert.equal(s2.consensusRelation, 'none');
  assert.match(s2.error ?? '', /404.*not joined channel otherchannel/);
});

test('fabric probe: an unreachable or failing operations endpoint is an observation, not an exception', async () => {
  serveFabric();
  const probe = fabricOrderingProbe({ channel: 'mychannel', members: fabricMembers(), requestTimeoutMs: 500 });
  const s3 = await probe.state('org0-orderer3', 'leader');
  assert.equal(s3.reachable, false);
  assert.match(s3.error ?? '', /ECONNREFUSED/);
  const s5 = await probe.state('org0-orderer5', 'leader');
  assert.equal(s5.reachable, false);
  assert.match(s5.error ?? '', /HTTP 500/);
});

test('fabric probe: a committed write is a block number that grows after the submit', async () => {
  serveFabric();
  const probe = fabricOrderingProbe({
    channel: 'mychannel',
    members: fabricMembers(),
    pollIntervalMs: 20,
    submit: async () => {
      // the orderer cuts a block a moment after the transaction arrives
      setTimeout(() => {
        routes.set('GET /o1/ops/metrics', { status: 200, body: recorded('fabric', 'orderer1-metrics-after-commit.prom') });
        routes.set('GET /o1/admin/participation/v1/channels/mychannel', { status: 200, body: recorded('fabric', 'orderer1-participation-mychannel-after-commit.json') });
      }, 60);
    },
  });
  const w = await probe.write(['org0-orderer1', 'org0-orderer2'], 2000);
  assert.equal(w.ok, true, w.error);
  assert.equal(w.via, 'org0-orderer1');
  assert.equal(w.height, 9);

  serveFabric();
  const stuck = fabricOrderingProbe({ channel: 'mychannel', members: fabricMembers(), pollIntervalMs: 20, submit: async () => undefined });
  const w2 = await stuck.write(['org0-orderer1', 'org0-orderer2'], 300);
  assert.equal(w2.ok, false);
  assert.match(w2.error ?? '', /no new block on channel mychannel within 300 ms \(height stayed at 8/);
});

test('a leader claim without a majority of active members is stale, not a leader', () => {
  const claim = (member: string, activeNodes?: number, clusterSize?: number) => ({ member, reachable: true, isLeader: true, activeNodes, clusterSize });
  assert.deepEqual(leadershipOf({ a: claim('a', 2, 5) }), { leader: null, stale: ['a'] });
  assert.deepEqual(leadershipOf({ a: claim('a', 3, 5) }), { leader: 'a', stale: [] });
  assert.deepEqual(leadershipOf({ a: claim('a') }), { leader: 'a', stale: [] }, 'reach not reported: the claim stands');
  assert.deepEqual(leadershipOf({ a: claim('a', 1, 3), b: claim('b', 2, 3) }), { leader: 'b', stale: ['a'] });
});

function serveEtcd(leaderless = false): void {
  routes.clear();
  for (const n of [1, 2, 3]) {
    const metrics = leaderless && n === 1 ? 'org0-orderer1-metrics-no-leader.prom' : `org0-orderer${n}-metrics.prom`;
    const status = leaderless && n === 1 ? 'org0-orderer1-status-no-leader.json' : `org0-orderer${n}-status.json`;
    routes.set(`GET /e${n}/metrics`, { status: 200, body: recorded('etcd', metrics) });
    routes.set(`POST /e${n}/v3/maintenance/status`, { status: 200, body: recorded('etcd', status) });
    routes.set(`POST /e${n}/v3/cluster/member/list`, { status: 200, body: recorded('etcd', 'member-list.json') });
    routes.set(
      `POST /e${n}/v3/kv/put`,
      leaderless ? { status: 500, body: recorded('etcd', 'kv-put-no-leader.json') } : { status: 200, body: recorded('etcd', 'kv-put.json') },
    );
  }
}

function etcdMembers() {
  return Object.fromEntries([1, 2, 3].map((n) => [`org0-orderer${n}`, { client: `${base}/e${n}`, metrics: `${base}/e${n}` }]));
}

test('etcd probe: leader, active peers, revision as height and membership from recorded etcd 3.4 answers', async () => {
  serveEtcd();
  const probe = etcdOrderingProbe({ channel: 'mychannel', members: etcdMembers() });
  const states = await statesOf(probe, ['org0-orderer1', 'org0-orderer2', 'org0-orderer3'], 'full');
  assert.equal(leaderOf(states), 'org0-orderer1');
  const s2 = states['org0-orderer2'];
  assert.deepEqual(
    [states['org0-orderer1'].activeNodes, states['org0-orderer1'].clusterSize],
    [3, 3],
    'the leader reaches every member',
  );
  assert.deepEqual(
    [s2.isLeader, s2.hasLeader, s2.activeNodes, s2.height, s2.clusterSize, s2.consensusRelation, s2.status],
    [false, true, 3, 2, 3, 'consenter', 'active'],
  );
  assert.equal(s2.extra?.raftAppliedIndex, 9);
  const w = await probe.write(['org0-orderer2'], 1000);
  assert.deepEqual([w.ok, w.via, w.height], [true, 'org0-orderer2', 2]);
});

test('etcd probe: without a leader the member says so, and a write reports what etcd answered', async () => {
  serveEtcd(true);
  const probe = etcdOrderingProbe({ channel: 'mychannel', members: etcdMembers() });
  const s1 = await probe.state('org0-orderer1', 'full');
  assert.deepEqual([s1.isLeader, s1.hasLeader, s1.activeNodes, s1.status], [false, false, 1, 'inactive']);
  assert.match(s1.error ?? '', /etcdserver: no leader/);
  const w = await probe.write(['org0-orderer1'], 1000);
  assert.equal(w.ok, false);
  assert.match(w.error ?? '', /org0-orderer1: .*context deadline exceeded/);
});

test('the FAB-ORD-03 drill runs unchanged against the fabric probe (simulated orderers from the recordings)', async () => {
  // Three orderers, one per region; the simulator renders the recorded metrics with each node's live state.
  const template = recorded('fabric', 'orderer2-metrics.prom');
  const nodes: Record<string, { up: boolean; block: number }> = { o1: { up: true, block: 7 }, o2: { up: true, block: 7 }, o3: { up: true, block: 7 } };
  let leader: string | null = 'o1';
  const render = (n: string) =>
    template
      .replace(/^consensus_etcdraft_is_leader\{channel="mychannel"\} \d+$/m, `consensus_etcdraft_is_leader{channel="mychannel"} ${leader === n ? 1 : 0}`)
      .replace(/^consensus_etcdraft_committed_block_number\{channel="mychannel"\} \d+$/m, `consensus_etcdraft_committed_block_number{channel="mychannel"} ${nodes[n].block}`);
  routes.clear();
  for (const n of Object.keys(nodes)) {
    routes.set(`GET /${n}/ops/metrics`, () => (nodes[n].up ? { status: 200, body: render(n) } : { status: 503, body: 'down\n' }));
  }
  const upNodes = () => Object.keys(nodes).filter((n) => nodes[n].up);
  const members = Object.fromEntries(Object.keys(nodes).map((n) => [n, { operations: `${base}/${n}/ops` }]));
  const probe = fabricOrderingProbe({
    channel: 'mychannel',
    members,
    pollIntervalMs: 20,
    submit: async () => {
      if (upNodes().length >= 2) for (const n of upNodes()) nodes[n].block += 1;
    },
  });
  const tl = await runRegionLossDrill({
    probe,
    regions: { r1: ['o1'], r2: ['o2'], r3: ['o3'] },
    horizonMs: 1000,
    sampleIntervalMs: 20,
    catchUpBoundMs: 1000,
    faults: {
      method: 'simulated',
      stop: async (ms) => {
        for (const m of ms) nodes[m].up = false;
        if (leader && !nodes[leader].up) setTimeout(() => (leader = upNodes()[0] ?? null), 100);
      },
      start: async (ms) => {
        const top = Math.max(...Object.values(nodes).map((x) => x.block));
        for (const m of ms) Object.assign(nodes[m], { up: true, block: top });
      },
    },
  });
  assert.deepEqual(tl.params.regions, ['r1', 'r2', 'r3']);
  assert.equal(tl.params.probe, 'fabric');
  for (const region of ['r1', 'r2', 'r3']) {
    const fault = tl.events.find((e) => e.kind === 'fault' && e.region === region)!;
    assert.deepEqual(fault.members, ['o1', 'o2', 'o3']);
    const samples = tl.events.filter((e) => e.kind === 'sample' && e.region === region);
    assert.ok(samples.length >= 2, `samples for ${region}`);
    const write = tl.events.find((e) => e.kind === 'write' && e.region === region)!;
    assert.equal(write.ok, true, String(write.error));
    const catchUp = tl.events.find((e) => e.kind === 'catch-up' && e.region === region)!;
    assert.equal(catchUp.caughtUp, true);
  }
  assert.deepEqual(tl.events.filter((e) => e.kind === 'error'), []);
  const gaps = tl.events.filter((e) => e.kind === 'sample' && e.region === 'r1').map((e, i, a) => (i ? e.t - a[i - 1].t : 0));
  assert.ok(Math.max(...gaps) <= 100, `samples launched every 20 ms (largest gap ${Math.max(...gaps)} ms)`);
});
