/**
 * Issues ECDSA P-256 certificates the way a Fabric CA does (and RSA ones on request), for fixtures, the
 * benchmark and the embedded local environment. Keys are generated fresh each time and, unless the caller
 * asks for them (the local environment needs them to serve TLS), never written anywhere.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

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

function name(o: IssueOptions): string {
  return `CN=${o.commonName}${o.organization ? `, O=${o.organization}` : ''}`;
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

function validity(o: IssueOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = o.notBefore ?? new Date(Date.UTC(2025, 0, 1));
  const notAfter = o.notAfter ?? new Date(Date.UTC(2035, 0, 1));
  return { notBefore, notAfter };
}

/** A self-signed organization CA. */
export async function issueCA(o: IssueOptions): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
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
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: o.serialNumber ?? randomSerial(),
    subject: name(o),
    issuer: ca.cert.subject,
    ...validity(o),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ecAlg,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys), keys, cert };
}
