/**
 * `ha-validate --live --observe` against recording fake endpoints: a hot-cold pair (the hot node's P2P a TLS
 * server, RPC a silent TCP server, web an HTTP server; the cold node's ports closed), a load balancer in TCP mode
 * in front of it, HAProxy's runtime API, a PostgreSQL server holding the lease row, Fabric ordering nodes (TLS,
 * and operations endpoints serving cluster_comm_msg_send_time) and peers behind a gateway Service (TLS).
 *
 * What the operator sees: CORDA-HA-01, CORDA-LB-02 and FAB-ORD-07 judged from the window, with its samples and
 * largest gap. What the target sees: connections, TLS handshakes (no application byte after them), GETs, the
 * lease SELECT on a read-only session, and `show stat` — nothing else. Ctrl-C ends the window early.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { haValidateArgv, repoRoot } from '../helpers/cli.ts';
import { childEnv, runNode } from '../helpers/cucumber-run.ts';
import { startFakes, type Fakes } from '../fakes/recording-deployment.ts';

const PASSWORD = 'fake-db-password-NEVER-SHOWN';
const bytes = (bufs: Buffer[]) => bufs.reduce((n, b) => n + b.length, 0);

/** TLS records in a byte stream: content type (22 = handshake) and, for handshake records, the message type (1 = ClientHello) */
function tlsRecords(b: Buffer): Array<{ type: number; handshake?: number }> {
  const out: Array<{ type: number; handshake?: number }> = [];
  for (let i = 0; i + 5 <= b.length; ) {
    const type = b[i];
    const len = b.readUInt16BE(i + 3);
    out.push({ type, ...(type === 22 ? { handshake: b[i + 5] } : {}) });
    i += 5 + len;
  }
  return out;
}

interface Result {
  id: string;
  status: string;
  message: string;
  evidence: Record<string, unknown>;
}

describe('ha-validate --live --observe against recording endpoints', () => {
  let f: Fakes;
  before(async () => {
    f = await startFakes();
  });
  after(async () => {
    await Promise.all(f.all.map((c) => c.close()));
    await rm(f.dir, { recursive: true, force: true });
  });

  test('judges CORDA-HA-01, CORDA-LB-02 and FAB-ORD-07 from the window, and only connects, handshakes, SELECTs and GETs', async (t) => {
    const t0 = Date.now();
    // spawned, not spawnSync: the fakes answer from this process's event loop
    const r = await runNode([...haValidateArgv, '--target', f.descriptor, '--live', '--observe', '2s', '--format', 'json'], { FAKE_DB_PASSWORD: PASSWORD }, 120_000);
    t.diagnostic(`ha-validate --live --observe 2s: ${Date.now() - t0} ms, exit ${r.code}`);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { results: Result[]; observations: Array<Record<string, unknown>> };
    const byId = new Map(report.results.map((x) => [x.id, x]));
    for (const id of ['CORDA-HA-01', 'CORDA-LB-02', 'FAB-ORD-07']) {
      const v = byId.get(id)!;
      t.diagnostic(`${id} ${v.status}: ${v.message}`);
      assert.equal(v.status, 'passed', `${id}: ${v.message}`);
    }
    assert.match(byId.get('CORDA-HA-01')!.message, /observation window 2 s, nothing injected: \d+ samples over \d+ ms \([\d.]+\/s\), largest gap \d+ ms/);
    assert.match(byId.get('CORDA-HA-01')!.message, /held the lease in all \d+ samples/);
    assert.match(byId.get('CORDA-LB-02')!.message, /p2p\/web through the load balancer reached the active node/, 'RPC is silent: it cannot be told, so it is not judged');
    assert.match(byId.get('CORDA-LB-02')!.message, /held the active node UP and the other DOWN for p2p\/rpc\/web/);
    assert.match(byId.get('FAB-ORD-07')!.message, /max 20 ms; bound 100 ms .*ordering nodes' own measurement: Fabric's cluster_comm_msg_send_time/);
    const [o] = report.observations;
    assert.equal(o.windowMs, 2000);
    assert.equal(o.endedBy, 'window');
    assert.ok((o.samples as number) >= 5 && typeof o.maxGapMs === 'number', JSON.stringify(o));
    t.diagnostic(`observation: ${JSON.stringify(o)}`);
    assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), 'the database password leaked');

    // What reached the target.
    assert.ok(f.primaryRpc.connections > 0, 'the hot node’s RPC port was connected to');
    assert.equal(bytes(f.primaryRpc.received), 0, 'nothing written to the RPC port');
    assert.equal(bytes(f.lb.rpc.received), 0, 'nothing written to RPC through the load balancer');
    assert.ok(f.primaryP2p.connections > 0, 'P2P: direct connects, and connections through the load balancer');
    assert.equal(bytes(f.primaryP2p.received), 0, 'no application byte on P2P');
    // through the load balancer, P2P got a TLS ClientHello and nothing else (the server's hello is the answer)
    const records = tlsRecords(Buffer.concat(f.lb.p2p.received));
    assert.ok(records.length > 0, 'P2P through the load balancer was offered a TLS handshake');
    assert.deepEqual([...new Set(records.map((r) => `${r.type}/${r.handshake}`))], ['22/1'], 'TLS handshake records carrying a ClientHello, only');
    assert.ok(f.primaryWeb.requests.length > 0);
    assert.deepEqual([...new Set(f.primaryWeb.requests.map((q) => `${q.method} ${q.url} ${q.bodyBytes}`))], ['GET / 0'], 'web: GET / only');
    assert.ok(f.api.commands.length > 0);
    assert.deepEqual([...new Set(f.api.commands)], ['show stat'], 'runtime API: show stat only');
    assert.ok(f.pg.startups.length >= 1);
    for (const s of f.pg.startups) assert.match(s.options ?? '', /default_transaction_read_only=on/, 'a read-only session');
    const pgKinds = new Set(f.pg.messages.map((m) => (m.type === 'Q' ? `Q ${m.sql!.trim().split(/\s+/)[0].toUpperCase()}` : m.type)));
    assert.deepEqual([...pgKinds].sort(), ['Q SELECT', 'X'], `PostgreSQL messages: ${[...pgKinds].join(', ')}`);
    for (const fake of [...f.orderers, ...f.peers, f.gateway]) {
      assert.ok(fake.hellos.length > 0, 'a TLS handshake');
      for (const h of fake.hellos) assert.deepEqual(h.alpn, ['h2'], 'offered h2, as a gRPC client does');
      assert.equal(bytes(fake.received), 0, 'nothing sent after the handshake');
    }
    assert.deepEqual([...new Set(f.gateway.hellos.map((h) => h.servername))], ['org1-peer-gateway-svc'], 'the gateway dialled by its Service name');
    // the round-trip counters, and the release the node runs (FAB-CAP-01)
    for (const op of f.operations) assert.deepEqual([...new Set(op.requests.map((q) => `${q.method} ${q.url} ${q.bodyBytes}`))].sort(), ['GET /metrics 0', 'GET /version 0']);
  });

  test('Ctrl-C ends the window early: the report says so and judges what was seen', async (t) => {
    const child = spawn(process.execPath, [...haValidateArgv, '--target', f.descriptor, '--live', '--observe', '5m', '--format', 'json', '--only', 'CORDA-HA-01'], {
      cwd: repoRoot,
      env: childEnv({ FAKE_DB_PASSWORD: PASSWORD }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // the window is under way once it says so and samples have come in
      for (let waited = 0; !/observing/.test(stderr) || f.api.commands.length < 3; waited += 100) {
        if (waited > 60_000 || child.exitCode !== null) throw new Error(`the window did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      t.diagnostic(`exit ${code} ${Date.now() - t0} ms after SIGINT`);
      assert.equal(code, 0, stderr);
      const report = JSON.parse(stdout) as { results: Result[]; observations: Array<Record<string, unknown>> };
      const [o] = report.observations;
      assert.equal(o.endedBy, 'signal');
      assert.ok((o.observedMs as number) < 60_000, `observed ${o.observedMs} ms of 5 min`);
      const ha01 = report.results.find((x) => x.id === 'CORDA-HA-01')!;
      assert.equal(ha01.status, 'passed', ha01.message);
      assert.match(ha01.message, /observation window 300 s \(ended early after [\d.]+ s\)/);
      assert.match(stderr, /ending the observation window early/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
