import { verdict, type Check } from './types.ts';
import { names, orgIsMember, summarize, unique, peerOrgs } from './common.ts';
import { settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-03';

export const check: Check = {
  id: ID,
  title: 'Redundant peers are joined to the same channels and their ledgers stay in sync',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee: 'Redundant peers are joined to the same channels and their ledgers stay in sync.',
  evidence: {
    static: 'the channel membership of each peer',
    live: 'ledger heights within a bound of each other',
  },
  violation: 'a peer missing from a channel, or lagging behind the others',
  sources: [cite(DOCS.peers, 'Step four: Create new peers in cluster two and three and join a channel')],
  severity: 'critical',
  remediation:
    'Join every peer of the organization to each channel the organization belongs to (peer channel join / the console\'s ' +
    '"Join channel"), install the same smart contracts on it, and investigate a lagging peer (gossip, anchor peers, ' +
    'ordering service connectivity, disk) until its height is within the bound (settings.maxLedgerLag).',
  needs: ['fabric.orgs', 'fabric.channels', 'live.peerHeights'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { fabric, orgs } = found;
    const heights = evidence.live?.peerHeights;
    const hasHeights = heights !== undefined && Object.keys(heights).length > 0;
    const problems: string[] = [];
    const facts: Array<{ org: string; expected: string[]; peers: Record<string, string[] | null> }> = [];
    let staticJudged = 0;
    const unknownPeers: string[] = [];

    for (const org of orgs) {
      const fromConfig = (fabric.channels ?? []).filter((ch) => !ch.isSystemChannel && orgIsMember(ch, org)).map((ch) => ch.name);
      const declared = org.peers.filter((p) => Array.isArray(p.channels));
      const expected = unique([...fromConfig, ...declared.flatMap((p) => p.channels!)]).sort();
      facts.push({ org: org.name, expected, peers: Object.fromEntries(org.peers.map((p) => [p.name, p.channels ?? null])) });
      for (const p of org.peers) {
        if (!Array.isArray(p.channels)) {
          unknownPeers.push(p.name);
          continue;
        }
        staticJudged++;
        const missing = expected.filter((c) => !p.channels!.includes(c));
        for (const c of missing) {
          const why = fromConfig.includes(c) ? `${org.name} is a member of ${c} (channel config)` : `other peers of ${org.name} have joined it`;
          problems.push(`${p.name} has not joined channel ${c}: ${why} (descriptor peer channels)`);
        }
      }
      if (hasHeights) {
        for (const p of org.peers) {
          const h = heights[p.name];
          if (!h) continue;
          for (const c of expected) if (h[c] === undefined) problems.push(`${p.name} reports no ledger for channel ${c} (live heights): not joined`);
        }
      }
    }

    const lagSetting = settingOf(evidence, 'maxLedgerLag');
    const lag = lagSetting.value;
    const liveFacts: Record<string, Record<string, number>> = {};
    if (hasHeights) {
      const byChannel = new Map<string, Array<[string, number]>>();
      for (const [peer, chans] of Object.entries(heights)) {
        for (const [ch, h] of Object.entries(chans)) if (typeof h === 'number') byChannel.set(ch, [...(byChannel.get(ch) ?? []), [peer, h]]);
      }
      for (const [ch, list] of byChannel) {
        liveFacts[ch] = Object.fromEntries(list);
        const top = list.reduce((a, b) => (b[1] > a[1] ? b : a));
        for (const [peer, h] of list) {
          if (top[1] - h > lag) problems.push(`channel ${ch}: ${peer} at height ${h}, ${top[1] - h} blocks behind ${top[0]} (${top[1]}); bound ${lagSetting.text}`);
        }
      }
    }
    const out = { organizations: facts, heights: liveFacts, maxLedgerLag: lag, maxLedgerLagOrigin: lagSetting.origin };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (!staticJudged && !hasHeights) {
      return verdict.skipped(ID, 'the descriptor lists no channels for the peers and no live ledger heights were read: cannot compare channel membership', out);
    }
    const parts: string[] = [];
    if (staticJudged) parts.push(`${staticJudged} peers each joined to every channel of their organization (descriptor, channel config)`);
    if (hasHeights) {
      const spreads = Object.entries(liveFacts).map(([ch, hs]) => `${ch} ${Math.max(...Object.values(hs)) - Math.min(...Object.values(hs))}`);
      parts.push(`ledger heights within ${lagSetting.text} (spread per channel: ${names(spreads)}; live)`);
    } else parts.push('no live ledger heights');
    if (unknownPeers.length) parts.push(`channels unknown for ${names(unknownPeers)}`);
    return verdict.passed(ID, parts.join('; '), out);
  },
};
