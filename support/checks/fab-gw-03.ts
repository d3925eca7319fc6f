import { verdict, type Check } from './types.ts';
import { certCoversHost, isReachabilityError, names, normalizeHost, sansOf, summarize, peerOrgs } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-GW-03';

export const check: Check = {
  id: ID,
  title: "Every peer's TLS certificate names its own host and its organization's gateway Service",
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "Every peer's TLS server certificate carries, in its subject alternative names, its own host name and its " +
    "organization's gateway Service name, so that a client dialling the Service name verifies the certificate.",
  evidence: {
    static: "the peers' TLS certificates: SAN DNS names (and IPs)",
    live: 'a TLS handshake to the Service name with host name verification',
  },
  violation: 'a peer certificate without the Service name',
  sources: [cite(DOCS.k8sGateway, 'Application and TLS Configuration')],
  severity: 'critical',
  remediation:
    'Re-enroll the peer\'s TLS identity with its own host and the gateway Service name (and any domain-qualified alias ' +
    'clients use) in the CSR hosts, e.g. `fabric-ca-client enroll … --csr.hosts org1-peer1,org1-peer-gateway-svc`, ' +
    'or add them to the cert-manager Certificate\'s dnsNames, and restart the peer with the new certificate.',
  needs: ['fabric.orgs', 'fabric.certificates', 'live.handshakes'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { orgs } = found;
    const failures: string[] = [];
    const unjudged: string[] = [];
    const facts: Array<{ peer: string; required: string[]; sans: string[]; missing: string[] }> = [];
    const gatewayNames = new Set<string>();
    for (const org of orgs) {
      if (!org.gatewayService) {
        unjudged.push(`${org.name} names no gatewayService`);
        continue;
      }
      const gateways = [org.gatewayService, ...(org.gatewayAliases ?? [])];
      gateways.forEach((g) => gatewayNames.add(normalizeHost(g)));
      for (const p of org.peers) {
        if (!p.tlsCert) {
          unjudged.push(`no TLS certificate named for ${p.name}`);
          continue;
        }
        const required = [p.host, ...gateways];
        const missing = required.filter((h) => !certCoversHost(p.tlsCert!, h));
        facts.push({ peer: p.name, required, sans: sansOf(p.tlsCert), missing });
        if (missing.length) {
          failures.push(`${p.name}: TLS certificate SANs [${sansOf(p.tlsCert).join(', ')}] do not include ${names(missing)} (${p.tlsCert.source})`);
        }
      }
    }
    const handshakes = (evidence.live?.handshakes ?? []).filter((h) => gatewayNames.has(normalizeHost(h.name)));
    const unreachable: string[] = [];
    for (const h of handshakes) {
      if (h.verified) continue;
      if (isReachabilityError(h.error)) unreachable.push(`${h.name} (${h.address}): ${h.error}`);
      else {
        failures.push(
          `TLS handshake to ${h.name} (${h.address})${h.answeredBy ? `, answered by ${h.answeredBy},` : ''} failed host-name verification${h.error ? `: ${h.error}` : ''} (live)`,
        );
      }
    }
    const out = { peers: facts, handshakes, unjudged };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!facts.length && !handshakes.length) return verdict.skipped(ID, summarize(unjudged), out);
    if (!facts.length && unreachable.length === handshakes.length) {
      return verdict.broken(ID, `could not reach the gateway Services to verify their certificates: ${summarize(unreachable, 2)}`, out);
    }
    const verified = handshakes.filter((h) => h.verified);
    return verdict.passed(
      ID,
      `${facts.length} peer TLS certificates name their own host and their organization's gateway Service` +
        (verified.length ? `; ${verified.length} live handshakes to ${names([...new Set(verified.map((h) => h.name))])} verified by Service name` : '; no live handshakes') +
        (unreachable.length ? `; ${unreachable.length} handshakes could not connect` : '') +
        (unjudged.length ? `; not judged: ${summarize(unjudged, 2)}` : ''),
      out,
    );
  },
};
