/**
 * The --live contract, proved through the real CLI against fake endpoints that record what reached them:
 * - Kubernetes: the API server and credentials come only from the kubeconfig and context the descriptor names,
 *   never from $KUBECONFIG or ~/.kube/config unless the descriptor says so; exec and auth-provider plugins run only
 *   with live.kubernetes.allowExecAuth;
 * - names are dialled only through live.hosts, or through the resolver with live.resolveNames (the database host
 *   too): a trap listening where "localhost" resolves is never reached otherwise;
 * - the PostgreSQL session is opened read-only (startup options), checked to be, and runs SELECTs only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { issueCA, issueLeaf, type IssuedCertificate } from '../../support/pki/issue.ts';
import { haValidateAsync, type AsyncCliResult } from '../helpers/cli.ts';
import { recordedRoutes, startFakeKubeApi, type FakeKubeApi } from '../fakes/kube-api-server.ts';
import { startFakePostgres, type FakePostgres } from '../fakes/postgres-server.ts';

const RECORDED = resolve(fileURLToPath(new URL('../recorded/kubernetes', import.meta.url)));
const NS = 'test-network';

let dir: string;
let home: string;
/** what the descriptor names */
let named: FakeKubeApi;
/** what $KUBECONFIG and ~/.kube/config name */
let ambient: FakeKubeApi;
let ambientKubeconfig: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hac-test-live-'));
  home = join(dir, 'home');
  named = await startFakeKubeApi();
  ambient = await startFakeKubeApi();
  for (const api of [named, ambient]) api.record('r1', recordedRoutes(RECORDED, { kubeProxy: 'ipvs', endpointSlices: true, namespace: NS }));
  await writeFile(join(dir, 'named.kubeconfig'), named.kubeconfig([{ name: 'ctx', prefix: 'r1' }]));
  ambientKubeconfig = join(dir, 'ambient.kubeconfig');
  await writeFile(ambientKubeconfig, ambient.kubeconfig([{ name: 'ctx', prefix: 'r1' }]));
  await mkdir(join(home, '.kube'), { recursive: true });
  await writeFile(join(home, '.kube', 'config'), ambient.kubeconfig([{ name: 'ctx', prefix: 'r1' }]));
});

after(async () => {
  await Promise.all([named.close(), ambient.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** The CLI with an ambient kubeconfig everywhere a Kubernetes client would look for one. */
function live(target: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<AsyncCliResult> {
  return haValidateAsync(['--target', target, '--live', '--format', 'json'], { env: { KUBECONFIG: ambientKubeconfig, HOME: home, ...extraEnv }, killAfterMs: 60_000 });
}

async function descriptor(name: string, doc: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, YAML.stringify({ name, ...doc }));
  return file;
}

const region = (kubernetes: Record<string, unknown>) => ({ regions: [{ name: 'r1', kubernetes }] });

describe('--live reads Kubernetes only where the descriptor says', () => {
  test('the kubeconfig the region names is used, not $KUBECONFIG or ~/.kube/config', async () => {
    const f = await descriptor('named', { ...region({ context: 'ctx', kubeconfig: 'named.kubeconfig' }), live: { namespace: NS } });
    named.requests.length = 0;
    ambient.requests.length = 0;
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.notEqual(r.code, 3, r.stderr);
    assert.ok(named.requests.length > 0, 'the named API server was read');
    assert.equal(ambient.requests.length, 0, `the ambient API server was reached: ${ambient.requests.map((q) => q.path).join(', ')}`);
  });

  test('a context without a kubeconfig is bad input, and nothing is dialled', async () => {
    const f = await descriptor('no-kubeconfig', { ...region({ context: 'ctx' }), live: { namespace: NS } });
    ambient.requests.length = 0;
    const r = await live(f);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no-kubeconfig\.yaml \(field regions\[0\]\.kubernetes\.kubeconfig\)/);
    assert.match(r.stderr, /ambientKubeconfig/);
    assert.equal(ambient.requests.length, 0);
  });

  test('live.kubernetes.ambientKubeconfig: true lets such a context use $KUBECONFIG', async () => {
    const f = await descriptor('ambient', { ...region({ context: 'ctx' }), live: { namespace: NS, kubernetes: { ambientKubeconfig: true } } });
    ambient.requests.length = 0;
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.ok(ambient.requests.length > 0, 'the opted-in ambient kubeconfig was used');
  });

  /** a kubeconfig whose user runs a plugin: a script that leaves a marker file and prints a token */
  async function pluginKubeconfig(kind: 'exec' | 'auth-provider'): Promise<{ file: string; marker: string }> {
    const marker = join(dir, `${kind}-ran`);
    await rm(marker, { force: true });
    const script = join(dir, `${kind}-plugin.sh`);
    await writeFile(
      script,
      `#!/bin/sh\ntouch '${marker}'\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0ken"}}'\n`,
    );
    await chmod(script, 0o755);
    const doc = YAML.parse(named.kubeconfig([{ name: 'ctx', prefix: 'r1' }])) as { users: Array<{ user: Record<string, unknown> }> };
    doc.users[0].user =
      kind === 'exec'
        ? { ...doc.users[0].user, exec: { apiVersion: 'client.authentication.k8s.io/v1', command: script, interactiveMode: 'Never' } }
        : { ...doc.users[0].user, 'auth-provider': { name: 'gcp', config: { 'cmd-path': script, 'cmd-args': 'config config-helper --format=json' } } };
    const file = join(dir, `${kind}.kubeconfig`);
    await writeFile(file, YAML.stringify(doc));
    return { file, marker };
  }

  for (const kind of ['exec', 'auth-provider'] as const) {
    test(`a kubeconfig ${kind} plugin is refused unless live.kubernetes.allowExecAuth, and never runs`, async () => {
      const { file, marker } = await pluginKubeconfig(kind);
      const f = await descriptor(`${kind}-refused`, { ...region({ context: 'ctx', kubeconfig: file }), live: { namespace: NS } });
      named.requests.length = 0;
      const r = await live(f);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, new RegExp(`users\\["ctx"\\]\\.${kind}`));
      assert.match(r.stderr, /allowExecAuth/);
      assert.equal(existsSync(marker), false, 'the plugin ran');
      assert.equal(named.requests.length, 0);
    });
  }

  test('with live.kubernetes.allowExecAuth: true an exec plugin runs', async () => {
    const { file, marker } = await pluginKubeconfig('exec');
    const f = await descriptor('exec-allowed', { ...region({ context: 'ctx', kubeconfig: file }), live: { namespace: NS, kubernetes: { allowExecAuth: true } } });
    named.requests.length = 0;
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.equal(existsSync(marker), true, 'the opted-in plugin ran');
    assert.ok(named.requests.length > 0);
  });
});

describe('--live dials names only through live.hosts or with live.resolveNames', () => {
  let ca: IssuedCertificate;
  /** where "localhost" resolves: reached only if a name is resolved */
  let trap: { server: TlsServer; port: number; connections: number };
  /** where live.hosts points */
  let mapped: { server: TlsServer; port: number; connections: number };
  let trapDb: FakePostgres;
  let mappedDb: FakePostgres;
  let caFile: string;

  async function tlsServer(host: string, port = 0): Promise<{ server: TlsServer; port: number; connections: number }> {
    const leaf = await issueLeaf(ca, { commonName: 'peer', dnsNames: ['localhost', 'peer.example'] });
    const state = { server: createTlsServer({ key: leaf.keyPem, cert: leaf.certPem }), port: 0, connections: 0 };
    state.server.on('connection', (s: Socket) => {
      state.connections++;
      s.on('error', () => undefined);
    });
    state.server.on('tlsClientError', () => undefined);
    await new Promise<void>((res) => state.server.listen(port, host, () => res()));
    state.port = (state.server.address() as AddressInfo).port;
    return state;
  }

  before(async () => {
    ca = await issueCA({ commonName: 'org1-ca' });
    caFile = join(dir, 'org1-ca.pem');
    await writeFile(caFile, ca.certPem);
    trap = await tlsServer('127.0.0.1');
    mapped = await tlsServer('127.0.0.3', trap.port).catch(() => tlsServer('127.0.0.3'));
    trapDb = await startFakePostgres('127.0.0.1');
    mappedDb = await startFakePostgres('127.0.0.3');
  });

  after(async () => {
    for (const s of [trap, mapped]) await new Promise<void>((res) => s.server.close(() => res()));
    await Promise.all([trapDb.close(), mappedDb.close()]);
  });

  const fabric = (peers: Array<{ name: string; host: string; port: number }>) => ({
    regions: [{ name: 'r1' }],
    fabric: { organizations: [{ name: 'org1', mspId: 'Org1MSP', ca: [caFile], peers: peers.map((p) => ({ ...p, region: 'r1' })) }] },
  });

  test('a peer whose name live.hosts does not map is not dialled; a mapped one is', async () => {
    trap.connections = 0;
    mapped.connections = 0;
    const f = await descriptor('tls-hosts', {
      ...fabric([
        { name: 'p1', host: 'localhost', port: trap.port },
        { name: 'p2', host: 'peer.example', port: mapped.port },
      ]),
      live: { hosts: { 'peer.example': '127.0.0.3' } },
    });
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.notEqual(r.code, 3, r.stderr);
    assert.equal(trap.connections, 0, 'a name was resolved although resolveNames is off');
    assert.ok(mapped.connections > 0, 'the mapped peer was dialled');
  });

  test('with live.resolveNames: true the name is resolved and dialled', async () => {
    trap.connections = 0;
    const f = await descriptor('tls-resolve', { ...fabric([{ name: 'p1', host: 'localhost', port: trap.port }]), live: { resolveNames: true } });
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.ok(trap.connections > 0, 'resolveNames lets the name be resolved');
  });

  test('the database host is a name like any other: unmapped, it is bad input and nothing is dialled', async () => {
    const before = trapDb.connections.length;
    const f = await descriptor('db-name', { live: { database: { host: 'localhost', port: trapDb.port, database: 'corda', user: 'corda', password: 'db-secret-VALUE' } } });
    const r = await live(f);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /db-name\.yaml \(field live\.database\.host\)/);
    assert.match(r.stderr, /live\.hosts|resolveNames/);
    assert.equal(trapDb.connections.length, before, 'the database name was resolved and dialled');
    assert.doesNotMatch(r.stderr + r.stdout, /db-secret-VALUE/);
  });

  test('a mapped database is read in a read-only session, with SELECTs only', async () => {
    mappedDb.connections.length = 0;
    const f = await descriptor('db-mapped', {
      live: { hosts: { 'db.internal': '127.0.0.3' }, database: { host: 'db.internal', port: mappedDb.port, database: 'corda', user: 'corda', password: 'db-secret-VALUE' } },
    });
    const r = await live(f);
    assert.notEqual(r.code, 2, r.stderr);
    assert.equal(mappedDb.connections.length, 1);
    const c = mappedDb.connections[0];
    assert.match(c.parameters.options ?? '', /-c default_transaction_read_only=on/, 'the session was opened read-only');
    assert.equal(c.parameters.user, 'corda');
    assert.ok(c.queries.length >= 2, `queries: ${c.queries.join(' | ')}`);
    for (const q of c.queries) assert.match(q, /^\s*SELECT\b/i, `a statement other than SELECT reached the database: ${q}`);
    assert.ok(c.queries.some((q) => /node_mutual_exclusion/.test(q)), 'the lease row was read');
    assert.doesNotMatch(r.stderr + r.stdout, /db-secret-VALUE/);
  });

  test('a session that is not read-only (a pooler dropping the options) is closed before the lease is read', async () => {
    const pooler = await startFakePostgres('127.0.0.3', { ignoreOptions: true });
    try {
      const f = await descriptor('db-pooler', {
        live: { hosts: { 'db.internal': '127.0.0.3' }, database: { host: 'db.internal', port: pooler.port, database: 'corda', user: 'corda' } },
      });
      const r = await live(f);
      assert.notEqual(r.code, 2, r.stderr);
      assert.equal(pooler.connections.length, 1);
      assert.deepEqual(
        pooler.connections[0].queries.filter((q) => /node_mutual_exclusion/.test(q)),
        [],
        'the lease table was read in a session that could write',
      );
    } finally {
      await pooler.close();
    }
  });
});
