/**
 * The broadcast submitter against a real gRPC server: an in-process AtomicBroadcast service over TLS (server
 * certificate from our own CA, for the name org0-orderer1) that decodes each envelope and checks it the way an
 * orderer's message processor would — header types, channel, creator, tx id, signature and low S — before it
 * answers. Transport failures (wrong TLS name, nothing listening, a peer that never speaks) must reject, not hang.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { issueCA, issueLeaf, type IssuedCertificate } from '../../support/pki/issue.ts';
import { broadcastOnce, broadcastSubmitter, type BroadcastOptions } from '../../support/drills/fabric-broadcast.ts';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const CHANNEL = 'mychannel';
const MSP_ID = 'Org0MSP';

/** what the fake orderer answers once an envelope passed its checks */
let reply: { status: number; info: string } | 'silent' = { status: 200, info: '' };
const received: Array<{ txId: string; s: bigint; ok: boolean; problem?: string }> = [];

let tlsCA: IssuedCertificate;
let serverTls: IssuedCertificate;
let clientTls: IssuedCertificate;
let signer: IssuedCertificate;
let server: grpc.Server;
let port = 0;
let mtlsServer: grpc.Server;
let mtlsPort = 0;

/** r and s out of a strict DER ECDSA-Sig-Value */
function parseDerSignature(der: Uint8Array): { r: bigint; s: bigint } {
  const b = Buffer.from(der);
  assert.equal(b[0], 0x30, 'SEQUENCE');
  assert.equal(b[1], b.length - 2, 'SEQUENCE length');
  let at = 2;
  const int = (): bigint => {
    assert.equal(b[at], 0x02, 'INTEGER');
    const len = b[at + 1];
    const bytes = b.subarray(at + 2, at + 2 + len);
    assert.ok(!(bytes[0] & 0x80), 'INTEGER is positive');
    assert.ok(!(bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)), 'INTEGER is minimal');
    at += 2 + len;
    return BigInt(`0x${bytes.toString('hex')}`);
  };
  const r = int();
  const s = int();
  assert.equal(at, b.length, 'nothing after s');
  return { r, s };
}

/** The checks an orderer makes before ordering a transaction; throws a description of the first failure. */
function check(env: common.Envelope): { txId: string; s: bigint } {
  const payloadBytes = env.getPayload_asU8();
  const payload = common.Payload.deserializeBinary(payloadBytes);
  const header = payload.getHeader();
  assert.ok(header, 'payload has a header');
  const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  assert.equal(ch.getType(), common.HeaderType.ENDORSER_TRANSACTION, 'header type');
  assert.equal(ch.getChannelId(), CHANNEL, 'channel id');
  assert.equal(ch.getVersion(), 0, 'version');
  assert.equal(ch.getEpoch(), 0, 'epoch');
  const ts = ch.getTimestamp();
  assert.ok(ts, 'timestamp');
  const tsMs = ts.getSeconds() * 1000 + ts.getNanos() / 1e6;
  assert.ok(Math.abs(Date.now() - tsMs) < 60_000, `timestamp is now (${new Date(tsMs).toISOString()})`);

  const creator = sh.getCreator_asU8();
  const identity = msp.SerializedIdentity.deserializeBinary(creator);
  assert.equal(identity.getMspid(), MSP_ID, 'creator MSP');
  assert.equal(Buffer.from(identity.getIdBytes_asU8()).toString('utf8'), signer.certPem, 'creator certificate');
  const nonce = sh.getNonce_asU8();
  assert.equal(nonce.length, 24, 'nonce length');
  assert.equal(ch.getTxId(), createHash('sha256').update(nonce).update(creator).digest('hex'), 'tx id = SHA-256(nonce ‖ creator)');
  assert.match(Buffer.from(payload.getData_asU8()).toString('utf8'), /^ha-conformance drill write \d{4}-/, 'marker data');

  const signature = env.getSignature_asU8();
  const publicKey = new X509Certificate(signer.certPem).publicKey;
  assert.ok(verify('sha256', payloadBytes, { key: publicKey, dsaEncoding: 'der' }, signature), 'signature verifies with the creator key');
  const { s } = parseDerSignature(signature);
  assert.ok(s <= P256_N >> 1n, 'low S');
  return { txId: ch.getTxId(), s };
}

const service: orderer.IAtomicBroadcastServer = {
  broadcast(call) {
    call.on('data', (env: common.Envelope) => {
      const answer = new orderer.BroadcastResponse();
      try {
        const { txId, s } = check(env);
        received.push({ txId, s, ok: true });
        if (reply === 'silent') return;
        answer.setStatus(reply.status as 200);
        answer.setInfo(reply.info);
      } catch (err) {
        const problem = (err as Error).message;
        received.push({ txId: '', s: 0n, ok: false, problem });
        answer.setStatus(common.Status.BAD_REQUEST);
        answer.setInfo(problem);
      }
      call.write(answer);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
  deliver(call) {
    call.end();
  },
};

async function startServer(credentials: grpc.ServerCredentials): Promise<{ server: grpc.Server; port: number }> {
  const s = new grpc.Server();
  s.addService(orderer.AtomicBroadcastService, service);
  const p = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { server: s, port: p };
}

async function stopServer(s: grpc.Server | undefined): Promise<void> {
  if (!s) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      s.forceShutdown();
      resolve();
    }, 2000);
    s.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

before(async () => {
  tlsCA = await issueCA({ commonName: 'tlsca.org0', organization: 'org0' });
  serverTls = await issueLeaf(tlsCA, { commonName: 'org0-orderer1', dnsNames: ['org0-orderer1'] });
  clientTls = await issueLeaf(tlsCA, { commonName: 'org0-admin-client' });
  const signCA = await issueCA({ commonName: 'ca.org0', organization: 'org0' });
  signer = await issueLeaf(signCA, { commonName: 'Admin@org0', tls: false });

  const keyCert = [{ cert_chain: Buffer.from(serverTls.certPem), private_key: Buffer.from(serverTls.keyPem) }];
  ({ server, port } = await startServer(grpc.ServerCredentials.createSsl(null, keyCert, false)));
  ({ server: mtlsServer, port: mtlsPort } = await startServer(grpc.ServerCredentials.createSsl(Buffer.from(tlsCA.certPem), keyCert, true)));
});

after(async () => {
  await stopServer(server);
  await stopServer(mtlsServer);
});

function options(over: Partial<BroadcastOptions> = {}): BroadcastOptions {
  return {
    address: `127.0.0.1:${port}`,
    servername: 'org0-orderer1',
    tlsRootCertPem: tlsCA.certPem,
    channel: CHANNEL,
    mspId: MSP_ID,
    signerCertPem: signer.certPem,
    signerKeyPem: signer.keyPem,
    timeoutMs: 5000,
    ...over,
  };
}

test('the orderer accepts the envelope: headers, creator, tx id, signature and low S check out (50 signatures)', async () => {
  reply = { status: 200, info: '' };
  received.length = 0;
  for (let i = 0; i < 50; i++) {
    const result = await broadcastOnce(options());
    assert.deepEqual(result, { status: 200, info: '' }, `broadcast ${i}: ${result.info}`);
  }
  assert.equal(received.length, 50);
  assert.deepEqual(received.filter((r) => !r.ok), []);
  assert.equal(new Set(received.map((r) => r.txId)).size, 50, 'every transaction has its own id');
});

test('broadcastSubmitter resolves on SUCCESS, with options given lazily', async () => {
  reply = { status: 200, info: '' };
  received.length = 0;
  await broadcastSubmitter(async () => options())();
  assert.equal(received.length, 1);
  assert.ok(received[0].ok, received[0].problem);
});

test('mutual TLS: the client certificate is presented when given', async () => {
  reply = { status: 200, info: '' };
  const mtls = options({ address: `127.0.0.1:${mtlsPort}`, clientCertPem: clientTls.certPem, clientKeyPem: clientTls.keyPem });
  assert.deepEqual(await broadcastOnce(mtls), { status: 200, info: '' });
  await assert.rejects(broadcastOnce(options({ address: `127.0.0.1:${mtlsPort}` })), (err: Error) => {
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${mtlsPort}`));
    return true;
  });
  await assert.rejects(broadcastOnce({ ...mtls, clientKeyPem: undefined }), /both clientCertPem and clientKeyPem/);
});

test('a refusal is returned by broadcastOnce and thrown by broadcastSubmitter, naming status and info', async () => {
  reply = { status: common.Status.SERVICE_UNAVAILABLE, info: 'no Raft leader' };
  assert.deepEqual(await broadcastOnce(options()), { status: 503, info: 'no Raft leader' });
  await assert.rejects(broadcastSubmitter(options())(), (err: Error) => {
    assert.match(err.message, /status 503 SERVICE_UNAVAILABLE: no Raft leader/);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /org0-orderer1/);
    return true;
  });
});

test('a wrong TLS server name rejects with the TLS error, not a hang', async () => {
  reply = { status: 200, info: '' };
  const started = Date.now();
  await assert.rejects(broadcastOnce(options({ servername: 'org1-orderer1', timeoutMs: 8000 })), (err: Error) => {
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, /TLS name org1-orderer1/);
    assert.match(err.message, /altnames|certificate|TLS|SSL/i);
    assert.doesNotMatch(err.message, /no response within/);
    return true;
  });
  assert.ok(Date.now() - started < 8000, 'failed before the timeout');
});

test('a TLS root that did not issue the server certificate rejects', async () => {
  const otherCA = await issueCA({ commonName: 'tlsca.other' });
  await assert.rejects(broadcastOnce(options({ tlsRootCertPem: otherCA.certPem })), /certificate|TLS|SSL/i);
});

test('nothing listening rejects within the timeout', async () => {
  const free = await new Promise<number>((resolve) => {
    const probe = createTcpServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as { port: number }).port;
      probe.close(() => resolve(p));
    });
  });
  const started = Date.now();
  await assert.rejects(broadcastOnce(options({ address: `127.0.0.1:${free}`, timeoutMs: 3000 })), (err: Error) => {
    assert.match(err.message, new RegExp(`orderer broadcast to 127\\.0\\.0\\.1:${free} \\(TLS name org0-orderer1`));
    return true;
  });
  assert.ok(Date.now() - started < 3500, `rejected after ${Date.now() - started} ms`);
});

test('a peer that accepts the connection and never speaks rejects at the timeout', async () => {
  const sockets = new Set<Socket>();
  const blackHole: TcpServer = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const hole = (blackHole.address() as { port: number }).port;
  try {
    const started = Date.now();
    await assert.rejects(broadcastOnce(options({ address: `127.0.0.1:${hole}`, timeoutMs: 1000 })), (err: Error) => {
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${hole}`));
      assert.match(err.message, /no response within 1000 ms|DEADLINE_EXCEEDED/);
      return true;
    });
    assert.ok(Date.now() - started < 2500, `rejected after ${Date.now() - started} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => blackHole.close(() => r()));
  }
});

test('an orderer that takes the envelope and never answers rejects at the timeout', async () => {
  reply = 'silent';
  const started = Date.now();
  await assert.rejects(broadcastOnce(options({ timeoutMs: 1000 })), /no response within 1000 ms|DEADLINE_EXCEEDED/);
  assert.ok(Date.now() - started < 2500);
  reply = { status: 200, info: '' };
});

test('a signer key that is not EC P-256 is refused before dialling', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await assert.rejects(broadcastOnce(options({ signerKeyPem: rsa })), /expected an EC P-256 key, got rsa/);
});
