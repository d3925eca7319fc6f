import { verdict, type Check } from './types.ts';
import { certFacts, names, noFabric, summarize } from './common.ts';
import { certsOf, distinctnessProblems, issuerProblems, presentedCert, type Holder } from './identity.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-06';

export const check: Check = {
  id: ID,
  title: 'Ordering nodes of an organization hold their own certificates, all issued by the one organization CA',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'All ordering nodes of the organization hold identities issued by the one organization CA (created once, ' +
    'imported into the other regions), and each holds its own certificate: an enroll ID may be reused, a ' +
    'certificate may not.',
  evidence: {
    static: 'the TLS and enrollment certificates: issuer chain, serial numbers, public keys',
    live: 'the certificates the ordering nodes present on their cluster port',
  },
  violation: 'two consenters with the same certificate; a certificate from another CA',
  sources: [
    cite(DOCS.ordering, 'Use your CA to register identities'),
    cite(DOCS.ordering, 'Setting up multiregion High Availability (HA) deployments for the ordering service'),
  ],
  severity: 'critical',
  remediation:
    'Enroll every ordering node against the organization\'s CA (and TLS CA) imported into each region, never a CA ' +
    'created anew in another region; enroll each node separately so it gets its own certificate and key (the enroll ID ' +
    'may be reused, the certificate may not), then update the consenter entries with the new TLS certificates.',
  needs: ['fabric.orderers', 'fabric.certificates', 'live.presentedCerts'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const orderers = fabric.orderers ?? [];
    if (!orderers.length) return verdict.skipped(ID, 'no ordering nodes in the descriptor');
    const orgs = [...new Set(orderers.map((o) => o.org))];
    const problems: string[] = [];
    const facts: Record<string, unknown[]> = {};
    let judged = 0;
    let presented = 0;
    for (const org of orgs) {
      const nodes = orderers.filter((o) => o.org === org);
      const cas = (fabric.orderingOrgs ?? []).find((x) => x.name === org)?.cas ?? [];
      const holders: Holder[] = nodes.flatMap(certsOf);
      for (const n of nodes) {
        const cert = presentedCert(evidence, n.host, n.port);
        if (cert) {
          holders.push({ node: n.name, kind: 'presented TLS', cert });
          presented++;
        }
      }
      judged += holders.length;
      facts[org] = holders.map((h) => ({ node: h.node, kind: h.kind, ...certFacts(h.cert) }));
      problems.push(...issuerProblems(holders, org, cas), ...distinctnessProblems(holders));
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    if (!judged) {
      return verdict.skipped(ID, 'no ordering node certificates: the descriptor names no tlsCert/enrollmentCert and none were presented live', facts);
    }
    const verifiedAll = Object.values(facts).flat().every((f) => typeof (f as { verifiedBy?: unknown }).verifiedBy === 'string');
    return verdict.passed(
      ID,
      `${judged} certificates of ${orderers.length} ordering nodes (${names(orgs)}): all distinct, one issuing CA per kind ` +
        `(${verifiedAll ? 'signatures verified against the organization CAs' : 'by issuer name where no CA was given'})` +
        (presented ? `; ${presented} presented live on the cluster port` : '; no live presented certificates'),
      facts,
    );
  },
};
