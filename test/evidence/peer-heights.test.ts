/**
 * The peers' ledger heights as `ha-validate --live` reads them: each peer's own `ledger_blockchain_height` on its
 * operations endpoint, only where the descriptor's live section lets the harness dial; FAB-PEER-06 judges the
 * heights of the peers behind one gateway Service from them.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadTarget } from '../../support/descriptor/load.ts';
import { collectPeerHeights, PEER_HEIGHT_METHOD } from '../../support/evidence/live/peer-heights.ts';
import { collectEvidence } from '../../support/validate.ts';
import { byId, evaluateCheck } from '../../support/checks/catalogue.ts';
import { recordingHttpOnFreePort, type HttpRecord } from '../fakes/recording-endpoints.ts';
import { repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const env = { ...process.env, CORDA_DB_PASSWORD: 'fixture-db-secret-DO-NOT-LEAK' };
const tmp = await mkdtemp(join(tmpdir(), 'ha-peer-heights-test-'));
const servers: HttpRecord[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

/** a peer's operations endpoint on 127.0.0.1 reporting this height of mychannel */
async function peerMetrics(height: number): Promise<{ port: number; server: HttpRecord }> {
  const body = `# HELP ledger_blockchain_height Height of the chain in blocks.\n# TYPE ledger_blockchain_height gauge\nledger_blockchain_height{channel="mychannel"} ${height}\nledger_transaction_count{channel="mychannel"} 7\n`;
  const endpoint = await recordingHttpOnFreePort('127.0.0.1', body);
  servers.push(endpoint.server);
  return endpoint;
}

test("the peers' own heights, read where the live section allows, and FAB-PEER-06 judging those behind one gateway Service", async () => {
  const p1 = await peerMetrics(40);
  const p2 = await peerMetrics(31);
  const p3 = await peerMetrics(40);
  const file = join(tmp, 'heights.yaml');
  await writeFile(
    file,
    stringify({
      extends: reference,
      name: 'heights',
      fabric: {
        organizations: [
          {
            name: 'org1',
            peers: [
              { name: 'org1-peer1', operations: `http://org1-peer1:${p1.port}` },
              { name: 'org1-peer2', operations: `http://org1-peer2:${p2.port}` },
              // not in live.hosts: never dialled
              { name: 'org1-peer3', operations: `http://org1-peer3:${p3.port}` },
            ],
          },
        ],
      },
      live: { hosts: { 'org1-peer1': '127.0.0.1', 'org1-peer2': '127.0.0.1' } },
    }),
  );
  const d = await loadTarget(file, env);
  const live = await collectPeerHeights(d);
  assert.deepEqual(live.peerHeights, { 'org1-peer1': { mychannel: 40 }, 'org1-peer2': { mychannel: 31 } });
  assert.equal(live.peerHeightMethod, PEER_HEIGHT_METHOD);
  for (const s of [p1, p2]) assert.deepEqual([...new Set(s.server.requests.map((q) => `${q.method} ${q.url}`))], ['GET /metrics']);
  assert.deepEqual(p3.server.requests, [], 'a peer the live section does not name is not dialled');

  const v = evaluateCheck(byId('FAB-PEER-06')!, await collectEvidence(d, live));
  assert.equal(v.status, 'failed', v.message);
  assert.match(v.message, /org1-peer-gateway-svc in r1, channel mychannel: org1-peer2 at 31, 9 behind \(top 40\); spread 9 blocks, bound 2 blocks \(default\)/);
});
