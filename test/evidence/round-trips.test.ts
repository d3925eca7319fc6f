/**
 * FAB-ORD-07's evidence from what the ordering nodes measure themselves — Fabric's cluster_comm_msg_send_time on
 * an operations endpoint (recorded format), the etcd stand-in's peer round trip (recorded from etcd 3.4.23) — or
 * from an operator's measurement file; skipped with what is missing when there is none. And the gateway peer
 * named by the certificate it presents.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadTarget } from '../../support/descriptor/load.ts';
import { collectRoundTrips, startRoundTrips, ETCD_METHOD, FABRIC_METHOD } from '../../support/evidence/live/round-trips.ts';
import { peerPresenting } from '../../support/evidence/live/collect.ts';
import { collectEvidence } from '../../support/validate.ts';
import { byId, evaluateCheck } from '../../support/checks/catalogue.ts';
import { InputErrors } from '../../support/errors.ts';
import type { CertificateInfo, LiveEvidence } from '../../support/evidence/model.ts';
import { recordingHttp, type HttpRecord } from '../fakes/recording-endpoints.ts';
import { haValidate, repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const env = { ...process.env, CORDA_DB_PASSWORD: 'fixture-db-secret-DO-NOT-LEAK' };
const recorded = (f: string) => readFile(join(repoRoot, 'test', 'recorded', f), 'utf8');
const tmp = await mkdtemp(join(tmpdir(), 'ha-round-trips-test-'));
const servers: HttpRecord[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

/** An overlay of the reference descriptor with these fields added. */
async function overlay(name: string, doc: Record<string, unknown>): Promise<string> {
  const file = join(tmp, `${name}.yaml`);
  await writeFile(file, stringify({ extends: reference, name, ...doc }));
  return file;
}

/** a metrics server on 127.0.0.1 answering with the bodies in turn (the last one again once they run out) */
async function metricsServer(bodies: string[]): Promise<{ url: string; server: HttpRecord }> {
  let n = 0;
  for (let i = 0; i < 20; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      const server = await recordingHttp('127.0.0.1', port, () => bodies[Math.min(n++, bodies.length - 1)]);
      servers.push(server);
      return { url: `http://127.0.0.1:${port}`, server };
    } catch {
      /* taken: try another */
    }
  }
  throw new Error('no free port for a metrics server');
}

async function judge(file: string, live: Partial<LiveEvidence>) {
  const d = await loadTarget(file, env);
  return evaluateCheck(byId('FAB-ORD-07')!, await collectEvidence(d, live));
}

describe('FAB-ORD-07 from Fabric orderers: cluster_comm_msg_send_time on the operations endpoint', () => {
  test('over a window: the mean of the messages sent in between, per remote node of another region, channels added up', async () => {
    const { url, server } = await metricsServer([await recorded('fabric/orderer1-metrics-cluster-comm.prom'), await recorded('fabric/orderer1-metrics-cluster-comm-later.prom')]);
    const file = await overlay('fabric-window', {
      fabric: { ordering: [{ name: 'org0', mspId: 'Org0MSP', nodes: [{ name: 'org0-orderer1', region: 'r1', host: 'org0-orderer1', port: 6050, operations: url.replace('127.0.0.1', 'org0-orderer1') }] }] },
      live: { hosts: { 'org0-orderer1': '127.0.0.1' } },
    });
    const d = await loadTarget(file, env);
    const window = await startRoundTrips(d);
    const live = await window.finish();
    assert.equal(live.roundTripMethod, FABRIC_METHOD);
    assert.deepEqual(
      live.roundTrips!.map((r) => [r.from, r.to, r.fromRegion, r.toRegion, r.ms]),
      [
        ['org0-orderer1', 'org0-orderer3', 'r1', 'r2', 18],
        ['org0-orderer1', 'org0-orderer4', 'r1', 'r3', 60],
      ],
      'org0-orderer2 is in r1 too: not a round trip between regions',
    );
    assert.match(live.roundTrips![1].source!, /org0-orderer1 operations \/metrics: cluster_comm_msg_send_time\{host="org0-orderer4:6050"\}: mean of 20 observations in the window/);
    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`), ['GET /metrics', 'GET /metrics']);
    const v = await judge(file, { ...live, timelines: {} });
    assert.equal(v.status, 'passed', v.message);
    assert.match(v.message, /max 60 ms; bound 100 ms \(default\); 0\.60 of the bound.*from the ordering nodes' own measurement: Fabric's cluster_comm_msg_send_time/);
    const strict = await overlay('fabric-window-strict', { extends: file, settings: { maxRoundTripMs: 50 } });
    const failed = await judge(strict, { ...live, timelines: {} });
    assert.equal(failed.status, 'failed', failed.message);
    assert.match(failed.message, /org0-orderer1 \(r1\) → org0-orderer4 \(r3\): 60 ms, 1\.20 of the bound; bound 50 ms/);
  });

  test('one reading (ha-validate --live): the means since the orderer started', async () => {
    const { url } = await metricsServer([await recorded('fabric/orderer1-metrics-cluster-comm.prom')]);
    const fabric = { ordering: [{ name: 'org0', mspId: 'Org0MSP', nodes: [{ name: 'org0-orderer1', region: 'r1', host: 'org0-orderer1', port: 6050, operations: url }] }] };
    // an IP written in the static part is dialled only when the live section names it
    const unlisted = await collectRoundTrips(await loadTarget(await overlay('fabric-once-unlisted', { fabric }), env));
    assert.match(unlisted.unobserved!['FAB-ORD-07'], /org0-orderer1: 127\.0\.0\.1 is not an address the descriptor's live section lets the harness dial/);
    const file = await overlay('fabric-once', { fabric, live: { hosts: { 'org0-orderer1': '127.0.0.1' } } });
    const live = await collectRoundTrips(await loadTarget(file, env));
    assert.deepEqual(live.roundTrips!.map((r) => [r.to, r.ms]), [['org0-orderer3', 18], ['org0-orderer4', 24]]);
    assert.match(live.roundTrips![0].source!, /mean of 80 observations since the node started/);
  });

  test('an operations endpoint that does not answer says so in the skip reason', async () => {
    const file = await overlay('fabric-down', {
      fabric: { ordering: [{ name: 'org0', mspId: 'Org0MSP', nodes: [{ name: 'org0-orderer1', region: 'r1', host: 'org0-orderer1', port: 6050, operations: 'http://org0-orderer1:1' }] }] },
      live: { hosts: { 'org0-orderer1': '127.0.0.1' } },
    });
    const live = await collectRoundTrips(await loadTarget(file, env));
    const v = await judge(file, { ...live, timelines: {} });
    assert.equal(v.status, 'skipped');
    assert.match(v.message, /no round trip between ordering nodes of different regions from the ordering nodes' own measurement.*org0-orderer1: .*ECONNREFUSED/);
  });
});

describe('FAB-ORD-07 from the etcd stand-in: etcd_network_peer_round_trip_time_seconds', () => {
  test("each member's own round trip to each peer of another region, members known by etcd_server_id, labelled as the stand-in's", async () => {
    const members: Record<string, { region: string; metrics: string }> = {};
    for (const [i, region] of [[1, 'r1'], [2, 'r1'], [3, 'r2']] as const) {
      members[`org0-orderer${i}`] = { region, metrics: (await metricsServer([await recorded(`etcd/org0-orderer${i}-metrics-round-trip.prom`)])).url };
    }
    const file = await overlay('etcd', { live: { fabricOrdering: { standIn: 'etcd', members } } });
    const live = await collectRoundTrips(await loadTarget(file, env));
    assert.equal(live.roundTripMethod, ETCD_METHOD);
    assert.deepEqual(
      live.roundTrips!.map((r) => `${r.from}→${r.to}`),
      ['org0-orderer1→org0-orderer3', 'org0-orderer2→org0-orderer3', 'org0-orderer3→org0-orderer1', 'org0-orderer3→org0-orderer2'],
    );
    // org0-orderer1's figure for org0-orderer3 (member ID 686c8b89cd4651d): sum 0.000685345 s over 2 observations
    assert.equal(live.roundTrips![0].ms, 0.343);
    for (const r of live.roundTrips!) assert.match(r.source!, /etcd_network_peer_round_trip_time_seconds/);
    const v = await judge(file, { ...live, timelines: {} });
    assert.equal(v.status, 'passed', v.message);
    assert.match(v.message, /from the etcd stand-in's own measurement/);
  });
});

describe("FAB-ORD-07 from an operator's measurement file (fabric.roundTripMeasurements)", () => {
  test('the figures and how they were measured reach the verdict', async () => {
    const measured = join(tmp, 'round-trips.yaml');
    await writeFile(
      measured,
      stringify({
        measuredBy: 'ping between the orderer pods, 20 probes per pair, median',
        measuredAt: '2026-05-01T10:00:00Z',
        roundTrips: [
          { from: 'org0-orderer1', to: 'org0-orderer3', ms: 23.5 },
          { from: 'org0-orderer1', to: 'org0-orderer4', ms: 131 },
          { from: 'org0-orderer3', to: 'org0-orderer4', ms: 40 },
        ],
      }),
    );
    const file = await overlay('measured', { fabric: { roundTripMeasurements: measured } });
    const live = await collectRoundTrips(await loadTarget(file, env));
    assert.match(live.roundTripMethod!, /the operator's measurement file .*round-trips\.yaml \(ping between the orderer pods, 20 probes per pair, median, measured 2026-05-01T10:00:00Z\)/);
    const v = await judge(file, { ...live, timelines: {} });
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org0-orderer1 \(r1\) → org0-orderer4 \(r3\): 131 ms, 1\.31 of the bound; bound 100 ms \(default\) \(from the operator's measurement file/);
  });

  test('a bad file is bad input: every problem named by file and field, exit 2 from ha-validate --live', async () => {
    const measured = join(tmp, 'bad-round-trips.yaml');
    await writeFile(measured, stringify({ roundTrips: [{ from: 'org0-orderer9', to: 'org0-orderer3', ms: -1 }, 'nonsense'] }));
    const file = await overlay('measured-bad', { fabric: { roundTripMeasurements: measured } });
    await assert.rejects(collectRoundTrips(await loadTarget(file, env)), (err: unknown) => {
      assert.ok(err instanceof InputErrors);
      const text = err.errors.map((e) => e.message).join('\n');
      assert.match(text, /bad-round-trips\.yaml \(field measuredBy\): must say how the figures were measured/);
      assert.match(text, /\(field roundTrips\[0\]\.from\): "org0-orderer9" is not an ordering node of the descriptor/);
      assert.match(text, /\(field roundTrips\[0\]\.ms\): must be a number of milliseconds ≥ 0, got -1/);
      assert.match(text, /\(field roundTrips\[1\]\): must be a mapping/);
      return true;
    });
    const r = haValidate(['--target', file, '--live', '--only', 'FAB-ORD-07'], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-round-trips\.yaml \(field roundTrips\[0\]\.from\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    const missing = await overlay('measured-missing', { fabric: { roundTripMeasurements: 'no-such-file.yaml' } });
    const m = haValidate(['--target', missing, '--only', 'FAB-ORD-07'], env);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /field fabric\.roundTripMeasurements/);
  });
});

test('without an operations endpoint, a stand-in or a file, FAB-ORD-07 is skipped saying what is missing', async () => {
  const live = await collectRoundTrips(await loadTarget(reference, env));
  assert.equal(live.roundTrips, undefined);
  const v = await judge(reference, { ...live, timelines: {} });
  assert.equal(v.status, 'skipped');
  assert.match(v.message, /no ordering node has an operations endpoint \(fabric\.ordering\[\]\.nodes\[\]\.operations\).*no measurement file is named \(fabric\.roundTripMeasurements\)/);
});

test('the peer behind a gateway Service is the one whose certificate was presented: by fingerprint, else by its own host among the SANs', () => {
  const cert = (fingerprint256: string, dnsNames: string[]) => ({ fingerprint256, dnsNames }) as unknown as CertificateInfo;
  const peers = [
    { name: 'org1-peer1', host: 'org1-peer1', fingerprint256: 'AA:01' },
    { name: 'org1-peer2', host: 'org1-peer2', fingerprint256: 'AA:02' },
  ];
  assert.equal(peerPresenting(cert('AA:02', ['org1-peer1', 'svc']), peers), 'org1-peer2', 'the fingerprint decides');
  assert.equal(peerPresenting(cert('BB', ['ORG1-PEER1', 'svc']), peers), 'org1-peer1', 'else its own host name');
  assert.equal(peerPresenting(cert('BB', ['org1-peer1', 'org1-peer2']), peers), undefined, 'a certificate naming both names no one');
  assert.equal(peerPresenting(cert('BB', ['svc']), peers), undefined);
  assert.equal(peerPresenting(undefined, peers), undefined);
});
