/**
 * X.509 certificates → `CertificateInfo`. Uses Node's `crypto.X509Certificate`, which reads the ECDSA P-256
 * certificates Fabric uses (node-forge cannot). Accepts PEM text (one or many certificates), base64 of PEM (the
 * way configtxlator JSON carries certificates), raw DER, and raw PEM bytes (the way protobuf fields carry them).
 *
 * Parsing is cached by content, and signature checks by (certificate, CA) pair, so the same certificate read
 * from twenty channel configurations costs one parse.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { InputError } from '../errors.ts';
import { readBytes, type InputBudget } from './input.ts';
import type { CertificateInfo } from './model.ts';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

interface Parsed {
  x509: X509Certificate;
  /** everything but `source` and `verifiedBy` */
  base: Omit<CertificateInfo, 'source' | 'verifiedBy'>;
}

/** A reader with its own caches; `collectStaticEvidence` makes one per run. */
export class CertificateReader {
  private readonly byDer = new Map<string, Parsed>();
  private readonly byFingerprint = new Map<string, X509Certificate>();
  private readonly verified = new Map<string, boolean>();
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly files = new Map<string, Promise<CertificateInfo[]>>();

  /** `budget` counts the certificate files read against the run's limits (docs/input-limits.md). */
  constructor(private readonly budget?: InputBudget) {}

  /** Read every certificate in a file (PEM with one or many certificates, or DER). Cached by path. */
  readFile(file: string): Promise<CertificateInfo[]> {
    let p = this.files.get(file);
    if (!p) {
      p = (async () => this.parse(await readBytes(file, 'certificate', { budget: this.budget }), file, ''))();
      this.files.set(file, p);
    }
    return p;
  }

  /**
   * Parse certificates from text or bytes. `source` names where they came from; with several certificates each
   * gets `source#<i>`. `file`/`field` name the place for an InputError (default: `source`, '').
   */
  parse(input: string | Uint8Array, source: string, field = '', file = source): CertificateInfo[] {
    const ders = toDerList(input, file, field);
    return ders.map((der, i) => this.fromDer(der, ders.length > 1 ? `${source}#${i}` : source, file, field));
  }

  /** Exactly one certificate (the first, when the input holds a chain). */
  parseOne(input: string | Uint8Array, source: string, field = '', file = source): CertificateInfo {
    return this.parse(input, source, field, file)[0];
  }

  private fromDer(der: Buffer, source: string, file: string, field: string): CertificateInfo {
    const key = der.toString('base64');
    let parsed = this.byDer.get(key);
    if (!parsed) {
      // a certificate whose structure parses can still hold an unreadable public key or extension: both are bad input
      try {
        const x509 = new X509Certificate(der);
        parsed = { x509, base: describe(x509, der) };
      } catch (err) {
        throw new InputError(file, field, `not a valid X.509 certificate (${errText(err)})`, { cause: err });
      }
      this.byDer.set(key, parsed);
      this.byFingerprint.set(parsed.base.fingerprint256, parsed.x509);
    }
    return { source, ...parsed.base };
  }

  /** The underlying X509Certificate of a certificate this reader parsed. */
  x509Of(cert: CertificateInfo): X509Certificate | undefined {
    return this.byFingerprint.get(cert.fingerprint256);
  }

  /** True when `ca` issued `cert` (issuer name matches and the signature verifies). Memoized. */
  issuedBy(cert: CertificateInfo, ca: CertificateInfo): boolean {
    const memo = `${cert.fingerprint256}|${ca.fingerprint256}`;
    const hit = this.verified.get(memo);
    if (hit !== undefined) return hit;
    const x = this.x509Of(cert);
    const c = this.x509Of(ca);
    let ok = false;
    if (x && c) {
      try {
        if (x.checkIssued(c)) {
          let key = this.publicKeys.get(ca.fingerprint256);
          if (!key) this.publicKeys.set(ca.fingerprint256, (key = c.publicKey));
          ok = x.verify(key);
        }
      } catch {
        ok = false;
      }
    }
    this.verified.set(memo, ok);
    return ok;
  }

  /**
   * The `source` of the CA that verifies `cert`, or null. `chain` may hold intermediates (e.g. the rest of the
   * certificate's own file): a certificate verified by an intermediate that a CA verifies counts as that CA's.
   */
  verifiedBy(cert: CertificateInfo, cas: CertificateInfo[], chain: CertificateInfo[] = []): string | null {
    for (const ca of cas) if (this.issuedBy(cert, ca)) return ca.source;
    for (const mid of chain) {
      if (mid.fingerprint256 === cert.fingerprint256 || !mid.isCA) continue;
      if (!this.issuedBy(cert, mid)) continue;
      for (const ca of cas) if (this.issuedBy(mid, ca)) return ca.source;
    }
    return null;
  }

  /** A copy of `cert` with `verifiedBy` set (left undefined when no CA was given). */
  withVerification(cert: CertificateInfo, cas: CertificateInfo[], chain: CertificateInfo[] = []): CertificateInfo {
    if (cas.length === 0) return cert;
    return { ...cert, verifiedBy: this.verifiedBy(cert, cas, chain) };
  }
}

const defaultReader = new CertificateReader();

/** Parse certificates with a shared default reader (see `CertificateReader.parse`). */
export function parseCertificates(input: string | Uint8Array, source: string, field = '', file = source): CertificateInfo[] {
  return defaultReader.parse(input, source, field, file);
}

/** A `CertificateInfo` for an already parsed certificate (e.g. one presented on a TLS handshake). */
export function certificateInfoFromX509(x: X509Certificate, source: string): CertificateInfo {
  return { source, ...describe(x) };
}

// ---------------------------------------------------------------------------------------------------------------

function errText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

/** Decode the input into DER certificates; an InputError when there is none or one is malformed. */
function toDerList(input: string | Uint8Array, file: string, field: string): Buffer[] {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes.length > 0 && bytes[0] === 0x30) return [Buffer.from(bytes)]; // DER: an ASN.1 SEQUENCE
    text = bytes.toString('utf8');
  }
  let trimmed = text.trim();
  if (trimmed === '') throw new InputError(file, field, 'empty: expected a PEM certificate');
  if (!trimmed.includes('-----BEGIN')) {
    // base64 of PEM (configtxlator JSON) or base64 of DER
    const compact = trimmed.replace(/\s+/g, '');
    if (/^[A-Za-z0-9+/]+=*$/.test(compact)) {
      const decoded = Buffer.from(compact, 'base64');
      const asText = decoded.toString('utf8');
      if (asText.includes('-----BEGIN')) trimmed = asText;
      else if (decoded[0] === 0x30) return [decoded];
    }
  }
  const ders: Buffer[] = [];
  let sawBegin = false;
  for (const m of trimmed.matchAll(PEM_BLOCK)) {
    sawBegin = true;
    if (m[1] !== 'CERTIFICATE' && m[1] !== 'TRUSTED CERTIFICATE') continue; // keys and CSRs are skipped, never kept
    const body = m[2].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+=*$/.test(body)) {
      throw new InputError(file, field, `malformed PEM: certificate block ${ders.length + 1} is not valid base64`);
    }
    ders.push(Buffer.from(body, 'base64'));
  }
  if (ders.length === 0) {
    if (trimmed.includes('-----BEGIN') && !sawBegin) {
      throw new InputError(file, field, 'malformed PEM: a BEGIN line without a matching END line');
    }
    throw new InputError(file, field, sawBegin ? 'no CERTIFICATE block in the PEM input' : 'not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line)');
  }
  return ders;
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function toIso(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

/** Split Node's `subjectAltName` ("DNS:a, DNS:b, IP Address:1.2.3.4"), honouring quoted entries. */
export function parseSubjectAltName(san: string | undefined): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  if (!san) return { dnsNames, ipAddresses };
  const entries: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < san.length; i++) {
    const ch = san[i];
    if (ch === '"') {
      quoted = !quoted;
      continue;
    }
    if (ch === '\\' && quoted && i + 1 < san.length) {
      cur += san[++i];
      continue;
    }
    if (ch === ',' && !quoted) {
      entries.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) entries.push(cur.trim());
  for (const e of entries) {
    if (e.startsWith('DNS:')) dnsNames.push(e.slice(4));
    else if (e.startsWith('IP Address:')) ipAddresses.push(normalizeIp(e.slice(11)));
  }
  return { dnsNames, ipAddresses };
}

function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return ip;
  }
}

/** A DER TLV at `off`: where its content starts and where it ends. */
function tlv(der: Buffer, off: number): { tag: number; start: number; end: number } {
  const tag = der[off];
  let len = der[off + 1];
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  const end = start + len;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, start, end };
}

const KEY_OIDS: Record<string, string> = { '2a8648ce3d0201': 'ec', '2a864886f70d010101': 'rsa', '2a864886f70d01010a': 'rsa-pss', '2b6570': 'ed25519', '2b6571': 'ed448' };
const CURVE_OIDS: Record<string, string> = { '2a8648ce3d030107': 'prime256v1', '2b81040022': 'secp384r1', '2b81040023': 'secp521r1', '2b8104000a': 'secp256k1' };

/**
 * The SubjectPublicKeyInfo of a DER certificate, with the key type and curve its algorithm names — read straight
 * from the DER, which is much cheaper than materialising a KeyObject and exporting it (this runs for every
 * certificate of a 200-peer deployment).
 */
function spkiOf(der: Buffer): { spki: Buffer; keyType?: string; curve?: string } | undefined {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    let off = tbs.start;
    let field = tlv(der, off);
    if (field.tag === 0xa0) {
      off = field.end;
      field = tlv(der, off);
    }
    // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
    for (let i = 0; i < 5; i++) {
      off = field.end;
      field = tlv(der, off);
    }
    if (field.tag !== 0x30) return undefined;
    const spki = der.subarray(off, field.end);
    const alg = tlv(der, field.start);
    const oid = tlv(der, alg.start);
    const out: { spki: Buffer; keyType?: string; curve?: string } = { spki, keyType: KEY_OIDS[der.subarray(oid.start, oid.end).toString('hex')] };
    if (out.keyType === 'ec' && oid.end < alg.end) {
      const param = tlv(der, oid.end);
      if (param.tag === 0x06) out.curve = CURVE_OIDS[der.subarray(param.start, param.end).toString('hex')];
    }
    return out;
  } catch {
    return undefined;
  }
}

function describe(x: X509Certificate, der: Buffer = x.raw): Omit<CertificateInfo, 'source' | 'verifiedBy'> {
  const parsed = spkiOf(der);
  let spki = parsed?.spki;
  let keyType = parsed?.keyType;
  let curve = parsed?.curve;
  if (!spki || !keyType || (keyType === 'ec' && !curve)) {
    const pk = x.publicKey;
    spki = pk.export({ type: 'spki', format: 'der' });
    keyType = pk.asymmetricKeyType ?? 'unknown';
    curve = pk.asymmetricKeyDetails?.namedCurve;
  }
  const { dnsNames, ipAddresses } = parseSubjectAltName(x.subjectAltName);
  const info: Omit<CertificateInfo, 'source' | 'verifiedBy'> = {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    serialNumber: x.serialNumber,
    fingerprint256: x.fingerprint256,
    publicKeyFingerprint: createHash('sha256').update(spki).digest('hex'),
    keyType,
    dnsNames,
    ipAddresses,
    notBefore: toIso(x.validFrom),
    notAfter: toIso(x.validTo),
    isCA: x.ca,
  };
  if (curve) info.curve = curve;
  return info;
}
