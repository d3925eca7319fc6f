/**
 * Issues ECDSA P-256 certificates the way a Fabric CA does, for fixtures, the
 * benchmark and the embedded local environment. Keys are generated fresh each time and, unless the caller
 * asks for them (the local environment needs them to serve TLS), never written anywhere. ECDSA certificate
 * signatures are made low-S (s <= n/2), as Fabric CA's are; see lowSCertificateDer.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { P256_ORDER, encodeTlv, encodeUnsignedInteger, lowS } from './ecdsa.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ecAlg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface IssuedCertificate {
  certPem: string;
  /** PKCS#8 PEM of the private key */
  keyPem: string;
  /** for signing further certificates (CAs only) */
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

export interface IssueOptions {
  commonName: string;
  organization?: string;
  /**
   * the subject's OU, e.g. a Fabric NodeOU role ("peer", "orderer", "admin", "client") that an MSP with NodeOUs
   * enabled classifies the identity by
   */
  organizationalUnit?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** hex serial; random when absent */
  serialNumber?: string;
  isCA?: boolean;
  /** TLS server+client usage (default true for leaves) */
  tls?: boolean;
}

/**
 * The subject as @peculiar/x509 reads it: RDNs separated by ", ", encoded in the order given (CN, OU, O), so the
 * certificate's subject reads back as `CN=…, OU=…, O=…`. Go's x509 collects OU values whatever the order.
 */
function name(o: IssueOptions): string {
  return [`CN=${o.commonName}`, o.organizationalUnit && `OU=${o.organizationalUnit}`, o.organization && `O=${o.organization}`].filter(Boolean).join(', ');
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function toPem(keys: CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ecAlg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

/** ecdsa-with-SHA256 (1.2.840.10045.4.3.2), the content octets of the OBJECT IDENTIFIER */
const ECDSA_WITH_SHA256 = Buffer.from('2a8648ce3d040302', 'hex');

interface Tlv {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the first content byte */
  contentStart: number;
  /** offset just past the content */
  end: number;
}

/** One DER TLV at `off` (single-byte tags, definite lengths: all a certificate's top level needs). */
function readTlv(der: Uint8Array, off: number, limit = der.length): Tlv {
  if (off + 2 > limit) throw new Error(`DER: truncated at ${off}`);
  const tag = der[off];
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER: multi-byte tag at ${off}`);
  let len = der[off + 1];
  let contentStart = off + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 4) throw new Error(`DER: unsupported length form at ${off}`);
    if (contentStart + count > limit) throw new Error(`DER: truncated length at ${off}`);
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + der[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + len;
  if (end > limit) throw new Error(`DER: element at ${off} overruns its container`);
  return { tag, start: off, contentStart, end };
}

/**
 * The DER of an ecdsa-with-SHA256 certificate signed with a P-256 key, its signature made low-S: when the
 * signature's s > n/2 it is replaced by n − s (an equally valid signature over the same tbsCertificate), as Fabric
 * CA's BCCSP signer produces them and Fabric's MSP would otherwise "sanitize" the certificate to. The
 * tbsCertificate and signatureAlgorithm bytes are copied unchanged. Returns `der` itself when there is nothing to
 * change: the signature algorithm is not ecdsa-with-SHA256, or s is already low. The caller vouches that the
 * signing key is on P-256 (the order used).
 */
export function lowSCertificateDer(der: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const cert = readTlv(der, 0);
  if (cert.tag !== 0x30 || cert.end !== der.length) throw new Error('DER: not a single Certificate SEQUENCE');
  const tbs = readTlv(der, cert.contentStart, cert.end);
  const alg = readTlv(der, tbs.end, cert.end);
  const sigValue = readTlv(der, alg.end, cert.end);
  if (tbs.tag !== 0x30 || alg.tag !== 0x30 || sigValue.tag !== 0x03 || sigValue.end !== cert.end) {
    throw new Error('DER: Certificate is not SEQUENCE { tbsCertificate, signatureAlgorithm, BIT STRING }');
  }
  const oid = readTlv(der, alg.contentStart, alg.end);
  if (oid.tag !== 0x06 || !Buffer.from(der.subarray(oid.contentStart, oid.end)).equals(ECDSA_WITH_SHA256)) return der;

  if (der[sigValue.contentStart] !== 0) throw new Error('DER: signature BIT STRING has unused bits');
  const sig = readTlv(der, sigValue.contentStart + 1, sigValue.end);
  if (sig.tag !== 0x30 || sig.end !== sigValue.end) throw new Error('DER: signatureValue is not an ECDSA-Sig-Value SEQUENCE');
  const r = readTlv(der, sig.contentStart, sig.end);
  const s = readTlv(der, r.end, sig.end);
  if (r.tag !== 0x02 || s.tag !== 0x02 || s.end !== sig.end || s.end === s.contentStart) {
    throw new Error('DER: ECDSA-Sig-Value is not SEQUENCE { INTEGER r, INTEGER s }');
  }
  if (der[s.contentStart] & 0x80) throw new Error('DER: negative ECDSA s');
  const sv = BigInt('0x' + Buffer.from(der.subarray(s.contentStart, s.end)).toString('hex'));
  if (sv === 0n || sv >= P256_ORDER) throw new Error('DER: ECDSA s out of range for P-256');
  if (lowS(sv) === sv) return der;

  const newSig = encodeTlv(0x30, Buffer.concat([der.subarray(r.start, r.end), encodeUnsignedInteger(lowS(sv))]));
  const newBitString = encodeTlv(0x03, Buffer.concat([Uint8Array.of(0), newSig]));
  return encodeTlv(0x30, Buffer.concat([der.subarray(tbs.start, tbs.end), der.subarray(alg.start, alg.end), newBitString]));
}

/** `cert` with a low-S signature when `signingKey` is a P-256 ECDSA key (re-parsed from the new DER); else as is. */
function withLowS(cert: x509.X509Certificate, signingKey: CryptoKey): x509.X509Certificate {
  const alg = signingKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') return cert;
  const der = new Uint8Array(cert.rawData);
  const normalized = lowSCertificateDer(der);
  return normalized === der ? cert : new x509.X509Certificate(normalized);
}

function validity(o: IssueOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = o.notBefore ?? new Date(Date.UTC(2025, 0, 1));
  const notAfter = o.notAfter ?? new Date(Date.UTC(2035, 0, 1));
  return { notBefore, notAfter };
}

/** A self-signed organization CA. */
export async function issueCA(o: IssueOptions): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const generated = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: o.serialNumber ?? randomSerial(),
    name: name(o),
    ...validity(o),
    keys,
    signingAlgorithm: ecAlg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const cert = withLowS(generated, keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys), keys, cert };
}

/** A certificate issued by `ca`. */
export async function issueLeaf(ca: IssuedCertificate, o: IssueOptions): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(Boolean(o.isCA), undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (o.tls !== false) {
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
  }
  const san = [
    ...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san));
  const generated = await x509.X509CertificateGenerator.create({
    serialNumber: o.serialNumber ?? randomSerial(),
    subject: name(o),
    issuer: ca.cert.subject,
    ...validity(o),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ecAlg,
    extensions,
  });
  const cert = withLowS(generated, ca.keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys), keys, cert };
}
