import { verdict, type Check } from './types.ts';
import { channelOrgOf, hostPort, names, summarize, peerOrgs } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-04';

export const check: Check = {
  id: ID,
  title: 'Every redundant peer is an anchor peer of its organization on every channel',
  area: 'fabric',
  kinds: ['static'],
  guarantee:
    'Every redundant peer is an anchor peer of its organization on every channel, so that gossip, service ' +
    'discovery and private data across organizations continue when one peer is down.',
  evidence: {
    static: "`AnchorPeers` of each organization's group in each channel configuration",
    live: null,
  },
  violation: 'an organization with two peers and one anchor peer',
  sources: [
    cite(DOCS.peers, "Step one: Create the peer organization's CA and metadata in cluster one"),
    cite(DOCS.peers, 'Step four: Create new peers in cluster two and three and join a channel'),
  ],
  severity: 'critical',
  remediation:
    'Add each peer of the organization (host and port as other organizations reach it) to the AnchorPeers value of the ' +
    'organization\'s group in every channel it belongs to (channel config update, or "configure anchor peers" in the ' +
    'console), so gossip, service discovery and private data continue when one peer is unavailable.',
  needs: ['fabric.orgs', 'fabric.channels'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { fabric, orgs } = found;
    const channels = (fabric.channels ?? []).filter((c) => !c.isSystemChannel);
    if (!channels.length) return verdict.skipped(ID, 'no application channel configuration: cannot see anchor peers');
    const problems: string[] = [];
    const facts: Array<{ channel: string; org: string; anchors: string[]; missing: string[] }> = [];
    let pairs = 0;
    let anchors = 0;
    for (const ch of channels) {
      for (const org of orgs) {
        const group = channelOrgOf(ch, org);
        if (!group) continue;
        const listed = group.anchorPeers.map((a) => hostPort(a.host, a.port));
        const missing = org.peers.filter((p) => !listed.includes(hostPort(p.host, p.port)));
        pairs++;
        anchors += org.peers.length - missing.length;
        facts.push({ channel: ch.name, org: org.name, anchors: listed, missing: missing.map((p) => hostPort(p.host, p.port)) });
        if (missing.length) {
          problems.push(
            `channel ${ch.name}: ${org.name} anchor peers [${listed.join(', ')}] miss ${names(missing.map((p) => `${p.name} (${hostPort(p.host, p.port)})`))} (${ch.source})`,
          );
        }
      }
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    if (!pairs) {
      return verdict.skipped(ID, `none of ${names(orgs.map((o) => o.name))} is a member of ${names(channels.map((c) => c.name))} in the channel config`, facts);
    }
    return verdict.passed(
      ID,
      `${anchors} anchor peer entries over ${pairs} organization/channel pairs (${names(channels.map((c) => c.name))}): every peer of each member organization is an anchor peer`,
      facts,
    );
  },
};
