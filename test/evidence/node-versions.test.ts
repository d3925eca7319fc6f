/**
 * FAB-CAP-01's live evidence: `GET /version` on each node's operations endpoint (recorded answers in Fabric's
 * format), dialled only where the descriptor's live section lets the harness connect, and judged together with
 * the image tags of the manifests.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadTarget } from '../../support/descriptor/load.ts';
import { collectNodeVersions, versionAnswer } from '../../support/evidence/live/versions.ts';
import { collectEvidence } from '../../support/validate.ts';
import { byId, evaluateCheck } from '../../support/checks/catalogue.ts';
import type { LiveEvidence } from '../../support/evidence/model.ts';
import { recordingHttpOnFreePort, type HttpRecord } from '../fakes/recording-endpoints.ts';
import { repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const env = { ...process.env, CORDA_DB_PASSWORD: 'fixture-db-secret-DO-NOT-LEAK' };
const recorded = (f: string) => readFile(join(repoRoot, 'test', 'recorded', 'fabric', f), 'utf8');
const tmp = await mkdtemp(join(tmpdir(), 'ha-node-versions-test-'));
const servers: HttpRecord[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

/** an operations endpoint on 127.0.0.1 answering every path with `body` */
async function operationsServer(body: string): Promise<{ port: number; server: HttpRecord }> {
  const endpoint = await recordingHttpOnFreePort('127.0.0.1', body);
  servers.push(endpoint.server);
  return endpoint;
}

/** the reference with operations endpoints for some nodes, reachable by name through live.hosts */
async function overlay(name: string, ops: { orderer1?: string; peer?: string }, live: Record<string, unknown> = { hosts: { 'org0-orderer1': '127.0.0.1', 'org2-peer3': '127.0.0.1' } }): Promise<string> {
  const file = join(tmp, `${name}.yaml`);
  const doc: Record<string, unknown> = { extends: reference, name, live };
  // an overlay list merges by name: name only the nodes that get an endpoint
  doc.fabric = {
    ...(ops.orderer1 ? { ordering: [{ name: 'org0', nodes: [{ name: 'org0-orderer1', operations: ops.orderer1 }] }] } : {}),
    ...(ops.peer ? { organizations: [{ name: 'org2', peers: [{ name: 'org2-peer3', operations: ops.peer }] }] } : {}),
  };
  await writeFile(file, stringify(doc));
  return file;
}

async function judge(file: string, live: Partial<LiveEvidence>) {
  const d = await loadTarget(file, env);
  return evaluateCheck(byId('FAB-CAP-01')!, await collectEvidence(d, live));
}

describe('FAB-CAP-01 from GET /version on the operations endpoints', () => {
  test('reads each node\'s answer; the live version is judged before the image tag', async () => {
    const orderer = await operationsServer(await recorded('orderer1-version.json'));
    const peer = await operationsServer(await recorded('peer-version-2.4.9.json'));
    const file = await overlay('versions', { orderer1: `http://org0-orderer1:${orderer.port}`, peer: `http://org2-peer3:${peer.port}` });
    const live = await collectNodeVersions(await loadTarget(file, env));
    assert.deepEqual(live.nodeVersions, {
      'org0-orderer1': { version: '2.5.12', commitSha: '4f5a7c1', source: `http://org0-orderer1:${orderer.port}/version` },
      'org2-peer3': { version: '2.4.9', commitSha: 'bd8e0b5', source: `http://org2-peer3:${peer.port}/version` },
    });
    assert.deepEqual([...orderer.server.requests, ...peer.server.requests].map((r) => `${r.method} ${r.url} ${r.bodyBytes}`), ['GET /version 0', 'GET /version 0']);
    // the manifests say 2.5.12 for every node; org2-peer3 says it runs 2.4.9, and what runs is what counts
    const v = await judge(file, live);
    assert.equal(v.status, 'failed', v.message);
    assert.match(v.message, /^org2-peer3 \(peer\) runs Fabric 2\.4\.9 \(live GET \/version: "2\.4\.9" \(http:\/\/org2-peer3:\d+\/version\)\) but channel mychannel: application capability V2_5 needs 2\.5\.0 or later/);
  });

  test('passes with a 2.5 answer and image tags for the others, and says which is which', async () => {
    const orderer = await operationsServer(await recorded('orderer1-version.json'));
    const file = await overlay('versions-ok', { orderer1: `http://org0-orderer1:${orderer.port}` });
    const v = await judge(file, await collectNodeVersions(await loadTarget(file, env)));
    assert.equal(v.status, 'passed', v.message);
    assert.match(v.message, /13 nodes .*versions: 1 from live GET \/version, 12 from image tags/);
  });

  test('dials only where the live section says, and records why a node was not read', async () => {
    const orderer = await operationsServer(await recorded('orderer1-version.json'));
    const file = await overlay('versions-unlisted', { orderer1: `http://org0-orderer1:${orderer.port}` }, {});
    const live = await collectNodeVersions(await loadTarget(file, env));
    assert.match(live.nodeVersions!['org0-orderer1'].error!, /org0-orderer1 is not an address the descriptor's live section lets the harness dial/);
    assert.equal(orderer.server.requests.length, 0);
    const down = await overlay('versions-down', { orderer1: 'http://org0-orderer1:1' });
    assert.match((await collectNodeVersions(await loadTarget(down, env))).nodeVersions!['org0-orderer1'].error!, /ECONNREFUSED/);
  });

  test('without any operations endpoint, says what is missing; odd answers are errors, not versions', async () => {
    const live = await collectNodeVersions(await loadTarget(reference, env));
    assert.match(live.unobserved!['FAB-CAP-01'], /no Fabric node of the descriptor has an operations endpoint/);
    assert.match(versionAnswer('<html>', 'u').error!, /not the JSON of GET \/version/);
    assert.match(versionAnswer('{"CommitSHA":"abc"}', 'u').error!, /without a Version/);
  });
});
