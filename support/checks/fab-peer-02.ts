import { verdict, type Check } from './types.ts';
import { certFacts, names, summarize, peerOrgs } from './common.ts';
import { certsOf, distinctnessProblems, issuerProblems, presentedCert, type Holder } from './identity.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-02';

export const check: Check = {
  id: ID,
  title: 'Redundant peers are one organization: same MSP ID, certificates from the one organization CA',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'Redundant peers are one organization: the same MSP ID, and certificates chaining to the same organization ' +
    'CA (the CA and the MSP imported into the other regions, not created anew).',
  evidence: {
    static: 'MSP IDs and certificate chains of the peers',
    live: 'the certificates the peers present',
  },
  violation: 'a peer whose certificate comes from a second CA',
  sources: [
    cite(DOCS.peers, 'Step three: Import the metadata and identities in to cluster two and three'),
    cite(DOCS.peers, 'Step four: Create new peers in cluster two and three and join a channel'),
  ],
  severity: 'critical',
  remediation:
    'Import the organization\'s CA and MSP definition (exported from the first cluster) into the other regions\' consoles ' +
    'instead of creating new ones, and re-enroll the peers whose certificates come from another CA with the organization CA; ' +
    'every peer of the organization must use its MSP ID.',
  needs: ['fabric.orgs', 'fabric.certificates', 'live.presentedCerts'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { orgs } = found;
    const problems: string[] = [];
    const facts: Record<string, unknown> = {};
    let certs = 0;
    let presented = 0;
    for (const org of orgs) {
      for (const p of org.peers) {
        if (p.mspId !== org.mspId) problems.push(`${p.name}: MSP ID ${p.mspId}, but organization ${org.name} is ${org.mspId}`);
      }
      const holders: Holder[] = org.peers.flatMap(certsOf);
      for (const p of org.peers) {
        const cert = presentedCert(evidence, p.host, p.port);
        if (cert) {
          holders.push({ node: p.name, kind: 'presented TLS', cert });
          presented++;
        }
      }
      certs += holders.length;
      facts[org.name] = {
        mspId: org.mspId,
        cas: org.cas.map((c) => c.source),
        peers: org.peers.map((p) => ({ name: p.name, mspId: p.mspId })),
        certificates: holders.map((h) => ({ node: h.node, kind: h.kind, ...certFacts(h.cert) })),
      };
      problems.push(...issuerProblems(holders, org.name, org.cas), ...distinctnessProblems(holders));
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    const peers = orgs.reduce((n, o) => n + o.peers.length, 0);
    if (!certs) {
      return verdict.skipped(
        ID,
        `MSP IDs agree for ${peers} peers, but no peer certificates were named or presented: cannot check that they chain to the organization CA`,
        facts,
      );
    }
    return verdict.passed(
      ID,
      `${peers} peers of ${names(orgs.map((o) => o.name))}: one MSP ID per organization and ${certs} certificates, each signed by ` +
        `the organization's CA and none shared` + (presented ? `; ${presented} presented live` : '; no live presented certificates'),
      facts,
    );
  },
};
