import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { issueCA, issueLeaf, lowSCertificateDer, type IssuedCertificate } from '../../support/pki/issue.ts';
import { P256_ORDER } from '../../support/pki/ecdsa.ts';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N / 2n;

/** A DER TLV: tag, the whole element's bytes and its content (independent of the walker under test). */
interface Tlv {
  tag: number;
  raw: Buffer;
  content: Buffer;
}
function tlv(buf: Buffer, off = 0): Tlv {
  const tag = buf[off];
  let len = buf[off + 1];
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = buf.readUIntBE(off + 2, n);
    hdr += n;
  }
  return { tag, raw: buf.subarray(off, off + hdr + len), content: buf.subarray(off + hdr, off + hdr + len) };
}
function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.content.length; ) {
    const c = tlv(t.content, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

interface Parts {
  tbs: Buffer;
  alg: Buffer;
  r: bigint;
  s: bigint;
  rRaw: Buffer;
  sRaw: Buffer;
}
function parts(der: Uint8Array | ArrayBuffer): Parts {
  const buf = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der));
  const cert = tlv(buf);
  assert.equal(cert.tag, 0x30);
  assert.equal(cert.raw.length, buf.length, 'nothing after the Certificate');
  const [tbs, alg, sigValue, ...rest] = children(cert);
  assert.equal(rest.length, 0);
  assert.equal(sigValue.tag, 0x03);
  assert.equal(sigValue.content[0], 0, 'no unused bits');
  const sig = tlv(sigValue.content, 1);
  assert.equal(sig.raw.length, sigValue.content.length - 1);
  const [r, s, ...more] = children(sig);
  assert.equal(more.length, 0);
  for (const i of [r, s]) {
    assert.equal(i.tag, 0x02);
    assert.equal(i.content[0] & 0x80, 0, 'positive INTEGER');
    if (i.content.length > 1) assert.ok(i.content[0] !== 0 || i.content[1] & 0x80, 'minimal INTEGER encoding');
  }
  const int = (t: Tlv) => BigInt('0x' + t.content.toString('hex'));
  return { tbs: tbs.raw, alg: alg.raw, r: int(r), s: int(s), rRaw: r.raw, sRaw: s.raw };
}

function der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The IssuedCertificate's PEM, cert object and key all describe the same (normalized) certificate. */
function assertConsistent(c: IssuedCertificate): X509Certificate {
  const node = new X509Certificate(c.certPem);
  assert.deepEqual(der(c.certPem), Buffer.from(c.cert.rawData));
  assert.deepEqual(node.raw, Buffer.from(c.cert.rawData));
  const fromKey = createPublicKey(c.keyPem).export({ type: 'spki', format: 'der' });
  assert.deepEqual(node.publicKey.export({ type: 'spki', format: 'der' }), fromKey);
  assert.deepEqual(Buffer.from(c.cert.publicKey.rawData), fromKey);
  return node;
}

function assertLowS(c: IssuedCertificate): void {
  const { s, r } = parts(c.cert.rawData);
  assert.ok(r > 0n && r < N);
  assert.ok(s > 0n && s <= HALF_N, `S must be low: ${s.toString(16)}`);
}

describe('issued ECDSA P-256 certificates carry low-S signatures', () => {
  it('exports the P-256 order', () => {
    assert.equal(P256_ORDER, N);
  });

  it('CAs: low-S, self-signature verifies, content as asked', async () => {
    for (let i = 0; i < 60; i++) {
      const serial = `7${i.toString(16).padStart(3, '0')}abcdef0123456789`;
      const ca = await issueCA({ commonName: `ca${i}.example.com`, organization: `Org${i}`, serialNumber: serial, isCA: true });
      assertLowS(ca);
      const node = assertConsistent(ca);
      assert.ok(node.verify(node.publicKey), 'self-signature verifies');
      assert.ok(node.checkIssued(node));
      assert.ok(await ca.cert.verify({ signatureOnly: true }), '@peculiar/x509 verifies it too');
      assert.equal(node.ca, true);
      assert.equal(node.serialNumber.toLowerCase(), serial);
      assert.equal(ca.cert.serialNumber, serial);
      assert.equal(node.subject, `CN=ca${i}.example.com\nO=Org${i}`);
      assert.equal(node.issuer, node.subject);
      assert.equal(ca.cert.subject, `CN=ca${i}.example.com, O=Org${i}`);
      assert.equal(node.validFrom, 'Jan  1 00:00:00 2025 GMT');
      assert.equal(node.validTo, 'Jan  1 00:00:00 2035 GMT');
    }
  });

  it('leaves: low-S, CA→leaf chain verifies, serial/subject/SANs as asked', async () => {
    const cas = [
      await issueCA({ commonName: 'ca.org1', organization: 'Org1' }),
      await issueCA({ commonName: 'tlsca.org2', organization: 'Org2' }),
      await issueCA({ commonName: 'ca.org3' }),
    ];
    for (let i = 0; i < 60; i++) {
      const ca = cas[i % cas.length];
      const caNode = new X509Certificate(ca.certPem);
      const serial = `1${i.toString(16).padStart(3, '0')}00ff`;
      const dnsNames = [`peer${i}.org1`, `peer${i}-svc`];
      const ipAddresses = i % 2 ? ['127.0.0.1', '::1'] : [];
      const leaf = await issueLeaf(ca, {
        commonName: `peer${i}`,
        organization: 'Org1',
        organizationalUnit: i % 3 ? 'peer' : 'client',
        dnsNames,
        ipAddresses,
        serialNumber: serial,
        tls: i % 4 !== 0,
      });
      assertLowS(leaf);
      const node = assertConsistent(leaf);
      assert.ok(node.verify(caNode.publicKey), 'the CA signature verifies with the issuer key');
      assert.ok(!node.verify(node.publicKey), 'and not with the leaf own key');
      assert.ok(node.checkIssued(caNode), 'CA→leaf chain');
      assert.ok(await leaf.cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }));
      const chain = await new x509.X509ChainBuilder({ certificates: [ca.cert] }).build(leaf.cert);
      assert.equal(chain.length, 2);
      assert.ok(chain[1].equal(ca.cert));
      assert.equal(node.ca, false);
      assert.equal(leaf.cert.serialNumber, serial);
      assert.equal(node.serialNumber.toLowerCase(), serial);
      assert.equal(node.subject, `CN=peer${i}\nOU=${i % 3 ? 'peer' : 'client'}\nO=Org1`);
      assert.equal(node.issuer, caNode.subject);
      const expectedSan = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((a) => `IP Address:${a === '::1' ? '0:0:0:0:0:0:0:1' : a}`)];
      assert.deepEqual(node.subjectAltName?.split(', '), expectedSan);
      if (i % 4 !== 0) assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      else assert.equal(node.keyUsage, undefined);
    }
  });

  it('lowSCertificateDer: a high-S certificate becomes n − s, with tbsCertificate, algorithm and r byte-identical', async () => {
    const ec = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const keys = (await webcrypto.subtle.generateKey(ec, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    let highs = 0;
    let lows = 0;
    for (let i = 0; i < 400 && (highs < 5 || lows < 5); i++) {
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=raw',
        notBefore: new Date(Date.UTC(2025, 0, 1)),
        notAfter: new Date(Date.UTC(2035, 0, 1)),
        keys,
        signingAlgorithm: ec,
      });
      const before = new Uint8Array(cert.rawData);
      const p = parts(before);
      const after = lowSCertificateDer(before);
      if (p.s <= HALF_N) {
        lows++;
        assert.equal(after, before, 'a low-S certificate is returned as is');
        continue;
      }
      highs++;
      assert.notEqual(after, before);
      const q = parts(after);
      assert.deepEqual(q.tbs, p.tbs, 'tbsCertificate byte-identical');
      assert.deepEqual(q.alg, p.alg, 'signatureAlgorithm byte-identical');
      assert.deepEqual(q.rRaw, p.rRaw, 'r byte-identical');
      assert.equal(q.s, N - p.s);
      assert.ok(q.s <= HALF_N);
      const nodeBefore = new X509Certificate(Buffer.from(before));
      const nodeAfter = new X509Certificate(Buffer.from(after));
      assert.ok(nodeBefore.verify(nodeBefore.publicKey));
      assert.ok(nodeAfter.verify(nodeAfter.publicKey), 'the normalized signature verifies');
      assert.notEqual(nodeAfter.fingerprint256, nodeBefore.fingerprint256);
      assert.equal(lowSCertificateDer(after), after, 'idempotent');
      const reparsed = new x509.X509Certificate(after);
      assert.equal(reparsed.subject, 'CN=raw');
      assert.ok(await reparsed.verify({ signatureOnly: true }));
    }
    assert.ok(highs >= 5 && lows >= 5, `saw ${highs} high-S and ${lows} low-S signatures`);
  });

  it('leaves an RSA-signed certificate untouched, and it still verifies', async () => {
    const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
    const keys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '02',
      name: 'CN=rsa',
      notBefore: new Date(Date.UTC(2025, 0, 1)),
      notAfter: new Date(Date.UTC(2035, 0, 1)),
      keys,
      signingAlgorithm: rsa,
    });
    const before = new Uint8Array(cert.rawData);
    const copy = Uint8Array.from(before);
    assert.equal(lowSCertificateDer(before), before);
    assert.deepEqual(before, copy);
    const node = new X509Certificate(Buffer.from(before));
    assert.ok(node.verify(node.publicKey));
    assert.equal(node.publicKey.asymmetricKeyType, 'rsa');
  });

  it('rejects DER that is not a certificate', () => {
    assert.throws(() => lowSCertificateDer(Uint8Array.of(0x30, 0x05, 0x02, 0x01)), /DER/);
    assert.throws(() => lowSCertificateDer(Uint8Array.of(0x04, 0x00)), /DER/);
  });
});
