import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { issueCA, issueLeaf, type IssuedCertificate } from '../../support/pki/issue.ts';
import { CertificateReader, certificateInfoFromX509 } from '../../support/evidence/certificates.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

describe('certificates', () => {
  let t: TmpDir;
  let ca: IssuedCertificate;
  let otherCa: IssuedCertificate;
  let leaf: IssuedCertificate;
  before(async () => {
    t = await tmp();
    ca = await issueCA({ commonName: 'ca.org1.example.com', organization: 'Org1' });
    otherCa = await issueCA({ commonName: 'ca.elsewhere' });
    leaf = await issueLeaf(ca, {
      commonName: 'org1-peer1',
      dnsNames: ['org1-peer1', 'org1-peer-gateway-svc'],
      ipAddresses: ['127.0.0.1', '::1'],
      notAfter: new Date(Date.UTC(2030, 5, 1)),
    });
  });
  after(() => t.remove());

  it('reads an ECDSA P-256 certificate: SANs, key, validity, fingerprints', async () => {
    const file = await t.write('peer1/tls.pem', leaf.certPem);
    const [c] = await new CertificateReader().readFile(file);
    assert.equal(c.source, file);
    assert.equal(c.subject, 'CN=org1-peer1');
    assert.equal(c.issuer, 'CN=ca.org1.example.com, O=Org1');
    assert.deepEqual(c.dnsNames, ['org1-peer1', 'org1-peer-gateway-svc']);
    assert.deepEqual(c.ipAddresses, ['127.0.0.1', '::1']);
    assert.equal(c.keyType, 'ec');
    assert.equal(c.curve, 'prime256v1');
    assert.equal(c.notBefore, '2025-01-01T00:00:00.000Z');
    assert.equal(c.notAfter, '2030-06-01T00:00:00.000Z');
    assert.equal(c.isCA, false);
    const x = new X509Certificate(leaf.certPem);
    assert.equal(c.fingerprint256, x.fingerprint256);
    assert.equal(c.serialNumber, x.serialNumber);
    assert.equal(c.publicKeyFingerprint, createHash('sha256').update(x.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
    assert.deepEqual(certificateInfoFromX509(x, file), c);
  });

  it('reads several certificates per file, base64 of PEM and DER, and computes verifiedBy', async () => {
    const reader = new CertificateReader();
    const bundle = await t.write('bundle.pem', ca.certPem + otherCa.certPem);
    const cas = await reader.readFile(bundle);
    assert.deepEqual(cas.map((c) => c.source), [`${bundle}#0`, `${bundle}#1`]);
    assert.ok(cas.every((c) => c.isCA));

    const fromB64 = reader.parseOne(Buffer.from(leaf.certPem).toString('base64'), 'channel:x#root');
    const fromDer = reader.parseOne(new Uint8Array(new X509Certificate(leaf.certPem).raw), 'der');
    const fromBytes = reader.parseOne(new Uint8Array(Buffer.from(leaf.certPem)), 'bytes');
    assert.equal(fromB64.fingerprint256, fromDer.fingerprint256);
    assert.equal(fromBytes.fingerprint256, fromDer.fingerprint256);

    assert.equal(reader.verifiedBy(fromB64, cas), `${bundle}#0`);
    assert.equal(reader.verifiedBy(fromB64, [cas[1]]), null);
    assert.equal(reader.withVerification(fromB64, []).verifiedBy, undefined);
    assert.equal(reader.withVerification(fromB64, [cas[1]]).verifiedBy, null);
  });

  it('skips private keys in a PEM bundle and never returns them', async () => {
    const reader = new CertificateReader();
    const certs = reader.parse(leaf.keyPem + leaf.certPem, 'with-key.pem');
    assert.equal(certs.length, 1);
    assert.ok(!JSON.stringify(certs).includes('PRIVATE'));
  });

  it('reports malformed PEM naming the file', async () => {
    const bad = await t.write('bad.pem', '-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n');
    let errors = await expectInputErrors(() => new CertificateReader().readFile(bad));
    assertError(errors, { file: bad, includes: ['malformed PEM'] });

    const garbage = await t.write('garbage.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    errors = await expectInputErrors(() => new CertificateReader().readFile(garbage));
    assertError(errors, { file: garbage, includes: ['not a valid X.509 certificate'] });

    const text = await t.write('text.pem', 'hello\n');
    errors = await expectInputErrors(() => new CertificateReader().readFile(text));
    assertError(errors, { file: text, includes: ['not a PEM certificate'] });

    const missing = t.path('missing.pem');
    errors = await expectInputErrors(() => new CertificateReader().readFile(missing));
    assertError(errors, { file: missing, includes: ['file not found'] });
  });
});
