import { verdict, type Check } from './types.ts';
import {
  certCoversHost,
  consenterName,
  isReachabilityError,
  names,
  noFabric,
  normalizeHost,
  sansOf,
  summarize,
  unique,
} from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-09';

export const check: Check = {
  id: ID,
  title: "Every consenter's server TLS certificate names the host the channel config tells other orderers to dial",
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "Every consenter's server TLS certificate names the host the channel configuration tells the other " +
    "orderers to dial (the consenter entry's `host`), so that connections between orderers verify.",
  evidence: {
    static: "the consenter's `host` compared with the subject alternative names of its `server_tls_cert`",
    live: 'a TLS handshake to the consenter by that host name',
  },
  violation: 'a consenter listed as `org0-orderer3` whose certificate names only `orderer3.example.com`',
  sources: [cite(DOCS.certificateRenewal, 'Discussion'), cite(DOCS.raftCertificateHost, 'Description')],
  severity: 'critical',
  remediation:
    'Re-issue the consenter\'s TLS certificate with the consenter host of the channel config among its subject ' +
    'alternative names (fabric-ca-client enroll --csr.hosts <host>,…), or change the consenter entry\'s host to a name ' +
    'the certificate carries; then update server_tls_cert/client_tls_cert in every channel config.',
  needs: ['fabric.channels', 'fabric.certificates', 'live.handshakes'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = (fabric.channels ?? []).filter((c) => c.consenters.length > 0);
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with consenters');
    const failures: string[] = [];
    const facts: Array<{ channel: string; consenter: string; sans?: string[]; ok?: boolean }> = [];
    let judged = 0;
    const missingCert: string[] = [];
    for (const ch of channels) {
      for (const c of ch.consenters) {
        const name = consenterName(c);
        const cert = c.serverTlsCert;
        if (!cert) {
          missingCert.push(`${ch.name}/${name}`);
          facts.push({ channel: ch.name, consenter: name });
          continue;
        }
        judged++;
        const ok = certCoversHost(cert, c.host);
        facts.push({ channel: ch.name, consenter: name, sans: sansOf(cert), ok });
        if (!ok) {
          failures.push(
            `channel ${ch.name}: consenter ${name} server certificate SANs [${sansOf(cert).join(', ')}] do not include ${c.host} (${cert.source})`,
          );
        }
      }
    }
    const hosts = new Set(channels.flatMap((ch) => ch.consenters.map((c) => normalizeHost(c.host))));
    const handshakes = (evidence.live?.handshakes ?? []).filter((h) => hosts.has(normalizeHost(h.name)));
    const unreachable: string[] = [];
    for (const h of handshakes) {
      if (h.verified) continue;
      if (isReachabilityError(h.error)) unreachable.push(`${h.name} (${h.address}): ${h.error}`);
      else failures.push(`TLS handshake to consenter ${h.name} (${h.address}) failed host-name verification${h.error ? `: ${h.error}` : ''} (live)`);
    }
    const out = { consenters: facts, handshakes };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!judged && !handshakes.length) {
      return verdict.skipped(ID, 'no consenter carries a server_tls_cert in the channel config and no live handshake was made: cannot compare', out);
    }
    if (!judged && unreachable.length === handshakes.length) {
      return verdict.broken(ID, `could not reach the consenters to verify their host names: ${summarize(unreachable, 2)}`, out);
    }
    const verified = handshakes.filter((h) => h.verified).length;
    return verdict.passed(
      ID,
      `${judged} consenter entries on ${names(channels.map((c) => c.name))}: each server certificate names its consenter host` +
        (handshakes.length ? `; ${verified} live handshakes by host name verified` : '; no live handshakes') +
        (unreachable.length ? `; ${unreachable.length} consenters could not be reached live` : '') +
        (missingCert.length ? `; no server_tls_cert for ${names(unique(missingCert), 4)}` : ''),
      out,
    );
  },
};
