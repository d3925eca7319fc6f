/**
 * askRealPeer against a TLS endpoint and an operations endpoint on 127.0.0.1 that behave as a Fabric peer's do:
 * who answered (by certificate), whether the certificate names what was dialled, and the channel's ledger height
 * from `/metrics` after `/healthz`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { issueCA, issueLeaf, type IssuedCertificate } from '../../support/pki/issue.ts';
import { askRealPeer, openRealPeerConnection, peerOfCertificate, realGatewayClient, type RealPeer } from '../../support/drills/fabric-peer-probe.ts';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { createServer as createTcpServer, connect as tcpConnect, type Socket } from 'node:net';

let tlsCa: IssuedCertificate;
let otherCa: IssuedCertificate;
let grpc: TlsServer;
let ops: HttpServer;
let health = 200;
let metrics = '# TYPE ledger_blockchain_height gauge\nledger_blockchain_height{channel="mychannel"} 7\n';
const alpn: Array<string | false | null> = [];
let peers: RealPeer[];

const listen = (s: TlsServer | HttpServer) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
let grpcPort: number;

before(async () => {
  tlsCa = await issueCA({ commonName: 'org1-tls-ca', organization: 'org1', isCA: true });
  otherCa = await issueCA({ commonName: 'someone-else', isCA: true });
  const leaf = await issueLeaf(tlsCa, { commonName: 'org1-peer1', organization: 'org1', dnsNames: ['org1-peer1', 'org1-peer-gateway-svc'] });
  grpc = createTlsServer({ cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ['h2'] }, (s) => {
    alpn.push(s.alpnProtocol);
    s.end();
  });
  grpcPort = await listen(grpc);
  ops = createHttpServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(health, { 'content-type': 'application/json' });
      res.end(health === 200 ? '{"status":"OK"}' : '{"status":"Service Unavailable","failed_checks":[{"component":"docker"}]}');
    } else if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(metrics);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const opsPort = await listen(ops);
  peers = [
    { name: 'org1-peer1', org: 'org1', region: 'r1', host: 'org1-peer1', operations: `http://127.0.0.1:${opsPort}` },
    { name: 'org1-peer2', org: 'org1', region: 'r1', host: 'org1-peer2' },
  ];
});

after(async () => {
  await new Promise((r) => grpc.close(r));
  await new Promise((r) => ops.close(r));
});

const target = (name: string, ca = [tlsCa.certPem], port = grpcPort) => ({ name, address: '127.0.0.1', port, ca });

test('by its own name and through the gateway Service name: verified, the peer named by its certificate, the height read', async () => {
  for (const name of ['org1-peer1', 'org1-peer-gateway-svc']) {
    const r = await askRealPeer(target(name), peers, 'mychannel');
    assert.equal(r.answeredBy, 'org1-peer1');
    assert.equal(r.verified, true, r.error);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.answer, { channel: 'mychannel', height: 7 });
    assert.equal(r.info?.region, 'r1');
  }
  assert.ok(alpn.every((p) => p === 'h2'), 'offers h2 as a gRPC client does');
  // without a channel: just who answers
  const who = await askRealPeer(target('org1-peer1'), peers, undefined);
  assert.equal(who.answeredBy, 'org1-peer1');
  assert.equal(who.answer, undefined);
});

test('a certificate that does not name what was dialled, or a chain the org does not trust: the peer is named, the answer refused', async () => {
  const wrongName = await askRealPeer(target('org2-peer-gateway-svc'), peers, 'mychannel');
  assert.equal(wrongName.answeredBy, 'org1-peer1');
  assert.equal(wrongName.verified, false);
  assert.match(wrongName.error!, /org2-peer-gateway-svc/);
  const untrusted = await askRealPeer(target('org1-peer1', [otherCa.certPem]), peers, 'mychannel');
  assert.equal(untrusted.verified, false);
  assert.match(untrusted.error!, /not trusted by the organization's TLS CA/);
});

test('no ledger for the channel, an unhealthy peer, a peer without operations endpoint, nothing listening', async () => {
  const other = await askRealPeer(target('org1-peer1'), peers, 'otherchannel');
  assert.match(other.error!, /org1-peer1 reports no ledger for channel otherchannel/);
  health = 503;
  try {
    const sick = await askRealPeer(target('org1-peer1'), peers, 'mychannel');
    assert.match(sick.error!, /org1-peer1: \/healthz answered HTTP 503/);
  } finally {
    health = 200;
  }
  const noOps = await askRealPeer(target('org1-peer1'), [{ ...peers[0], operations: undefined }], 'mychannel');
  assert.match(noOps.error!, /no operations endpoint/);
  const closed = createTlsServer({});
  const port = await listen(closed);
  await new Promise((r) => closed.close(r));
  const none = await askRealPeer(target('org1-peer1', [tlsCa.certPem], port), peers, 'mychannel', 500);
  assert.equal(none.answeredBy, null);
  assert.match(none.error!, /ECONNREFUSED/);
  metrics = 'ledger_blockchain_height{channel="mychannel"} 9\n';
  assert.equal((await askRealPeer(target('org1-peer1'), peers, 'mychannel')).answer?.height, 9);
});

test('which peer answered: common name first, then a SAN', () => {
  assert.equal(peerOfCertificate(peers, 'org1-peer2', [])?.name, 'org1-peer2');
  assert.equal(peerOfCertificate(peers, 'peer0.org1.example.com', ['org1-peer2', 'org1-peer-gateway-svc'])?.name, 'org1-peer2');
  assert.equal(peerOfCertificate(peers, 'stranger', ['stranger']), undefined);
});

test('a kept connection (HTTP/2 over TLS, as gRPC): the peer named, PING answered; broken when the peer goes away or goes silent', async () => {
  const leaf = await issueLeaf(tlsCa, { commonName: 'org1-peer1', organization: 'org1', dnsNames: ['org1-peer1', 'org1-peer-gateway-svc'] });
  const sessions: ServerHttp2Session[] = [];
  const h2: Http2SecureServer = createSecureServer({ cert: leaf.certPem, key: leaf.keyPem, allowHTTP1: false });
  h2.on('session', (s) => sessions.push(s));
  const port = await new Promise<number>((r) => h2.listen(0, '127.0.0.1', () => r((h2.address() as AddressInfo).port)));
  // a relay that can go silent: it keeps both sockets but stops passing bytes (a peer gone without a FIN)
  let silent = false;
  const relayed: Socket[] = [];
  const relay = createTcpServer((c) => {
    const up = tcpConnect(port, '127.0.0.1');
    relayed.push(c, up);
    c.on('data', (d) => !silent && up.write(d));
    up.on('data', (d) => !silent && c.write(d));
    c.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  const relayPort = await new Promise<number>((r) => relay.listen(0, '127.0.0.1', () => r((relay.address() as AddressInfo).port)));
  try {
    const conn = await openRealPeerConnection(target('org1-peer-gateway-svc', [tlsCa.certPem], port), peers);
    assert.equal(conn.peer, 'org1-peer1');
    assert.equal(await conn.stillAnswers(1000), true);
    assert.equal(conn.isClosed(), false);
    for (const s of sessions) s.destroy();
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2000))]);
    assert.equal(conn.isClosed(), true, 'the peer closed it');
    assert.equal(await conn.stillAnswers(500), false);
    conn.close();

    const quiet = await openRealPeerConnection(target('org1-peer1', [tlsCa.certPem], relayPort), peers);
    assert.equal(await quiet.stillAnswers(1000), true);
    silent = true;
    assert.equal(await quiet.stillAnswers(300), false, 'no PING ACK: broken');
    quiet.close();

    // through the gateway client: new connections are handshakes naming the peer
    const client = realGatewayClient(peers);
    assert.equal((await client.ask(target('org1-peer-gateway-svc', [tlsCa.certPem], port), 1000)).answeredBy, 'org1-peer1');
    await assert.rejects(openRealPeerConnection(target('org1-peer1', [tlsCa.certPem], port), [peers[1]]), /none of the described peers/);
  } finally {
    for (const s of relayed) s.destroy();
    for (const s of sessions) s.destroy();
    await new Promise((r) => relay.close(r));
    await new Promise((r) => h2.close(r));
  }
});
