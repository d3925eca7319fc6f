/** Certificate identity rules shared by the ordering (FAB-ORD-06) and peer (FAB-PEER-02) checks. Pure. */
import type { CertificateInfo, Evidence } from '../evidence/model.ts';
import { hostPort, names, splitHostPort } from './common.ts';

export interface Holder {
  node: string;
  /** 'TLS', 'enrolment', or 'presented TLS' (live) */
  kind: string;
  cert: CertificateInfo;
}

export function certsOf(node: { name: string; tlsCert?: CertificateInfo; enrollmentCert?: CertificateInfo }): Holder[] {
  const out: Holder[] = [];
  if (node.tlsCert) out.push({ node: node.name, kind: 'TLS', cert: node.tlsCert });
  if (node.enrollmentCert) out.push({ node: node.name, kind: 'enrolment', cert: node.enrollmentCert });
  return out;
}

/** the certificate presented live on `host:port`, whatever spelling the collector used for the key */
export function presentedCert(evidence: Evidence, host: string, port: number): CertificateInfo | undefined {
  const presented = evidence.live?.presentedCerts;
  if (!presented) return undefined;
  const want = hostPort(host, port);
  for (const [key, cert] of Object.entries(presented)) {
    const hp = splitHostPort(key);
    if (hp?.port !== undefined && hostPort(hp.host, hp.port) === want) return cert;
  }
  return undefined;
}

function byKind(holders: Holder[]): Map<string, Holder[]> {
  const m = new Map<string, Holder[]>();
  for (const h of holders) m.set(h.kind, [...(m.get(h.kind) ?? []), h]);
  return m;
}

/** every certificate chains to one CA of the organization (per kind of certificate) */
export function issuerProblems(holders: Holder[], org: string, orgCas: CertificateInfo[]): string[] {
  const problems: string[] = [];
  const caSources = new Set(orgCas.map((c) => c.source));
  for (const h of holders) {
    if (h.cert.verifiedBy === null) {
      problems.push(`${h.node}: ${h.kind} certificate (${h.cert.source}) is not signed by any CA of ${org} (issuer ${h.cert.issuer})`);
    } else if (typeof h.cert.verifiedBy === 'string' && caSources.size && !caSources.has(h.cert.verifiedBy)) {
      problems.push(`${h.node}: ${h.kind} certificate (${h.cert.source}) is signed by ${h.cert.verifiedBy}, which is not a CA of ${org}`);
    }
  }
  for (const [kind, hs] of byKind(holders)) {
    const verified = hs.filter((h) => typeof h.cert.verifiedBy === 'string');
    const cas = new Set(verified.map((h) => h.cert.verifiedBy as string));
    if (cas.size > 1) {
      problems.push(
        `${kind} certificates of ${org} come from ${cas.size} different CAs: ${verified.map((h) => `${h.node} → ${h.cert.verifiedBy}`).join(', ')}`,
      );
    }
    const unverified = hs.filter((h) => h.cert.verifiedBy === undefined);
    const issuers = new Set(unverified.map((h) => h.cert.issuer));
    if (issuers.size > 1) {
      problems.push(
        `${kind} certificates of ${org} name ${issuers.size} different issuers (no CA given to verify against): ` +
          unverified.map((h) => `${h.node} → ${h.cert.issuer}`).join(', '),
      );
    }
  }
  return problems;
}

/** no two nodes hold the same certificate or key pair (per kind of certificate) */
export function distinctnessProblems(holders: Holder[]): string[] {
  const problems: string[] = [];
  for (const [kind, hs] of byKind(holders)) {
    const byFp = new Map<string, Holder[]>();
    for (const h of hs) byFp.set(h.cert.fingerprint256, [...(byFp.get(h.cert.fingerprint256) ?? []), h]);
    for (const [fp, group] of byFp) {
      const nodes = [...new Set(group.map((h) => h.node))];
      if (nodes.length > 1) {
        problems.push(`${names(nodes)} hold the same ${kind} certificate (serial ${group[0].cert.serialNumber}, SHA-256 ${fp.slice(0, 23)}…; ${group[0].cert.source})`);
      }
    }
    const byKey = new Map<string, Holder[]>();
    for (const h of hs) if (h.cert.publicKeyFingerprint) byKey.set(h.cert.publicKeyFingerprint, [...(byKey.get(h.cert.publicKeyFingerprint) ?? []), h]);
    for (const group of byKey.values()) {
      const nodes = [...new Set(group.map((h) => h.node))];
      const certs = new Set(group.map((h) => h.cert.fingerprint256));
      if (nodes.length > 1 && certs.size > 1) problems.push(`${names(nodes)} hold different ${kind} certificates over the same key pair`);
    }
  }
  return problems;
}
