/**
 * Every certificate a run's evidence holds, once per place it was found, with the role it plays and the node or
 * organization it belongs to: what `ha-validate serve` exposes as
 * `ha_conformance_certificate_expiry_timestamp_seconds{subject,role,node,source}`, so an expiry alert needs no
 * check of its own.
 *
 * | role | where | node |
 * |---|---|---|
 * | `orderer-tls`, `orderer-enrollment` | the files the descriptor names for an ordering node | the node |
 * | `peer-tls`, `peer-enrollment` | the files the descriptor names for a peer | the peer |
 * | `ca` | the CA files of an ordering or peer organization (every certificate of a chain file) | the organization |
 * | `consenter-server-tls`, `consenter-client-tls` | the consenters of each channel configuration | the ordering node at that address, else `host:port` |
 * | `msp-root-ca` | the MSP root certificates of each organization in each channel configuration | the organization |
 * | `presented-tls` | certificates presented on live TLS handshakes (`--live`) | the node dialled, else `host:port` |
 */
import { consenterName, findOrderer } from '../checks/common.ts';
import type { CertificateInfo, Evidence } from '../evidence/model.ts';

export interface CertificateEntry {
  subject: string;
  issuer: string;
  role: string;
  node: string;
  source: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

export function certificatesOf(evidence: Evidence): CertificateEntry[] {
  const out: CertificateEntry[] = [];
  const seen = new Set<string>();
  const add = (cert: CertificateInfo | undefined, role: string, node: string) => {
    if (!cert) return;
    const key = `${cert.subject}\u0000${role}\u0000${node}\u0000${cert.source}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ subject: cert.subject, issuer: cert.issuer, role, node, source: cert.source, notBefore: cert.notBefore, notAfter: cert.notAfter, fingerprint256: cert.fingerprint256 });
  };
  const fabric = evidence.fabric;
  if (fabric) {
    for (const o of fabric.orderers) {
      add(o.tlsCert, 'orderer-tls', o.name);
      add(o.enrollmentCert, 'orderer-enrollment', o.name);
    }
    for (const org of fabric.orgs) {
      for (const p of org.peers) {
        add(p.tlsCert, 'peer-tls', p.name);
        add(p.enrollmentCert, 'peer-enrollment', p.name);
      }
    }
    for (const org of [...fabric.orderingOrgs, ...fabric.orgs]) for (const ca of org.cas) add(ca, 'ca', org.name);
    for (const ch of fabric.channels) {
      for (const c of ch.consenters) {
        const node = findOrderer(fabric.orderers, c)?.name ?? consenterName(c);
        add(c.serverTlsCert, 'consenter-server-tls', node);
        add(c.clientTlsCert, 'consenter-client-tls', node);
      }
      for (const org of [...ch.ordererOrgs, ...ch.applicationOrgs]) for (const root of org.rootCerts) add(root, 'msp-root-ca', org.name);
    }
  }
  for (const [dialled, cert] of Object.entries(evidence.live.presentedCerts ?? {})) {
    const node = fabric ? [...fabric.orderers, ...fabric.orgs.flatMap((o) => o.peers)].find((n) => `${n.host}:${n.port}` === dialled)?.name : undefined;
    add(cert, 'presented-tls', node ?? dialled);
  }
  return out;
}
