import type { FabricOrgInfo, NodeConfigInfo, PeerInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { names, peerOrgs, summarize, unique } from './common.ts';
import { boolOf } from '../evidence/fabric/node-config.ts';
import { settingOf } from '../evidence/settings.ts';
import { settingText, unconfigured, valueText, viewBasis, viewsOf } from './fabric-config.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-06';

const ELECTION = 'peer.gossip.useLeaderElection';
const LEADER = 'peer.gossip.orgLeader';
const EXTERNAL = 'peer.gossip.externalEndpoint';

interface Gossip {
  peer: PeerInfo;
  view: NodeConfigInfo;
  election?: boolean;
  leader?: boolean;
}

/** The static part: each peer's gossip settings, and who pulls blocks in each region of each organization. */
function judgeGossip(orgs: FabricOrgInfo[], views: NodeConfigInfo[], failures: string[], notJudged: string[]): { pullers: Record<string, string[]>; external: number } {
  const pullers: Record<string, string[]> = {};
  let external = 0;
  for (const org of orgs) {
    const gossip: Gossip[] = [];
    for (const p of org.peers) {
      for (const view of views.filter((v) => v.node === p.name)) {
        const g: Gossip = { peer: p, view };
        for (const [key, field] of [[ELECTION, 'election'], [LEADER, 'leader']] as const) {
          const v = view.values[key];
          if (!v || v.value === null) continue;
          const b = boolOf(v.value);
          if (b === undefined) failures.push(`${valueText(view, key)} is not a boolean Fabric reads (it reads it as false)`);
          g[field] = b ?? false;
        }
        if (g.election === true && g.leader === true) {
          failures.push(
            `${p.name}: useLeaderElection and orgLeader are both true (${valueText(view, ELECTION)}; ${valueText(view, LEADER)}): the peer refuses to start`,
          );
        }
        if (org.gatewayService) {
          const ep = view.values[EXTERNAL];
          if (ep && ep.value === null) notJudged.push(`${p.name} externalEndpoint (${ep.source})`);
          else if (!ep || typeof ep.value !== 'string' || ep.value.trim() === '') {
            failures.push(
              `${p.name} is behind gateway Service ${org.gatewayService} but publishes no externalEndpoint (${ep ? valueText(view, EXTERNAL) : 'not set'}): ` +
                'other organizations and service discovery do not see it, so no gateway selects it to endorse',
            );
          } else external++;
        }
        gossip.push(g);
      }
    }
    // each region where the organization has peers needs one that pulls blocks from the ordering service: a static
    // leader, or a peer taking part in the election (a region of stand-by peers waits for a leader elsewhere)
    const regions = unique(org.peers.map((p) => p.region ?? 'an unknown region'));
    for (const region of regions) {
      const here = org.peers.filter((p) => (p.region ?? 'an unknown region') === region);
      const known = gossip.filter((g) => here.includes(g.peer) && g.election !== undefined && g.leader !== undefined);
      const pulling = unique(known.filter((g) => g.leader === true || g.election === true).map((g) => g.peer.name));
      const unknown = here.filter((p) => !known.some((g) => g.peer === p)).map((p) => p.name);
      pullers[`${org.name}@${region}`] = pulling;
      if (pulling.length) continue;
      if (unknown.length) {
        notJudged.push(`who pulls blocks for ${org.name} in ${region} (gossip settings unknown for ${names(unknown, 3)})`);
        continue;
      }
      const stated = unique(known.map((g) => `${g.peer.name}: ${settingText(g.view, ELECTION)}, ${settingText(g.view, LEADER)}`));
      failures.push(
        `${org.name} in ${region}: no peer pulls blocks from the ordering service (${summarize(stated, 2)}): with leader election off at least one ` +
          'peer must be an org leader, and these depend on one in another region',
      );
    }
  }
  return { pullers, external };
}

export const check: Check = {
  id: ID,
  title: 'Gossip is configured for HA, and the peers behind one gateway Service stay at one height',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'Gossip is configured for high availability: no peer sets both useLeaderElection and orgLeader; with leader ' +
    'election off, every region where an organization has peers has a peer that is an org leader (pulls blocks from ' +
    'the ordering service itself); every peer behind a gateway Service publishes an externalEndpoint, so service ' +
    'discovery and the gateway can use it. Live: the ledger heights of the peers behind one gateway Service are ' +
    'within a bound of each other (default 2 blocks).',
  evidence: {
    static: "each peer's gossip settings (container env, mounted core.yaml, Fabric's sampleconfig defaults; or the file the descriptor names)",
    live: 'the ledger height of every peer per channel, grouped by the gateway Service (organization and region) it is behind',
  },
  violation: 'a peer behind the gateway Service without CORE_PEER_GOSSIP_EXTERNALENDPOINT; a peer lagging the others behind its gateway',
  sources: [
    cite(DOCS.gossip, 'Static leader election'),
    cite(DOCS.gossip, 'External and internal endpoints'),
    cite(DOCS.peerChecklist, 'gossip'),
    cite(DOCS.externalEndpoint, 'Description'),
    cite(DOCS.operatorExternalEndpoint, 'Description'),
  ],
  severity: 'critical',
  remediation:
    'Keep Fabric 2.x\'s defaults (useLeaderElection false, orgLeader true on every peer: each pulls blocks itself) or ' +
    'turn election on for all peers; never both true. Set CORE_PEER_GOSSIP_EXTERNALENDPOINT (peer.gossip.externalEndpoint) ' +
    'to the host:port other organizations reach each peer at. A peer whose height lags the others behind its gateway ' +
    'Service: check its connection to the ordering service and its disk, and take it out of the Service (or out of ' +
    'discovery) until it has caught up.',
  needs: ['fabric.orgs', 'live.peerHeights'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { fabric, orgs } = found;
    const views = viewsOf(fabric, 'peer');
    const heights = evidence.live?.peerHeights ?? {};
    const hasHeights = Object.keys(heights).length > 0;
    if (!views.length && !hasHeights) {
      return verdict.skipped(
        ID,
        'no peer configuration (no Kubernetes manifests show the peers and the descriptor names no config files) and no live ledger heights: nothing to judge',
      );
    }
    const failures: string[] = [];
    const notJudged: string[] = [];
    const parts: string[] = [];
    let gossip: ReturnType<typeof judgeGossip> | undefined;
    if (views.length) {
      gossip = judgeGossip(orgs, views, failures, notJudged);
      const missing = unconfigured(fabric, 'peer');
      if (missing.length) notJudged.push(`gossip settings of ${names(missing, 4)} (no configuration evidence)`);
      const regions = Object.entries(gossip.pullers).filter(([, p]) => p.length);
      if (regions.length || gossip.external) {
        parts.push(
          (regions.length ? `a peer pulling blocks in each of ${regions.length} organization regions (${names(regions.map(([k, p]) => `${k}: ${p.length}`), 4)})` : '') +
            (regions.length && gossip.external ? '; ' : '') +
            (gossip.external ? `externalEndpoint published by the ${gossip.external} peers behind gateway Services` : '') +
            ` (${viewBasis(views)})`,
        );
      }
    }

    // live: the heights of the peers behind each gateway Service (an organization's peers in one region)
    const spread = settingOf(evidence, 'maxGatewayHeightSpread');
    const groups: Array<{ gateway: string; channel: string; heights: Record<string, number>; spread: number }> = [];
    if (hasHeights) {
      for (const org of orgs.filter((o) => o.gatewayService)) {
        for (const region of unique(org.peers.map((p) => p.region ?? 'an unknown region'))) {
          const behind = org.peers.filter((p) => (p.region ?? 'an unknown region') === region && heights[p.name]);
          const channels = unique(behind.flatMap((p) => Object.keys(heights[p.name])));
          for (const channel of channels) {
            const hs = Object.fromEntries(behind.filter((p) => typeof heights[p.name][channel] === 'number').map((p) => [p.name, heights[p.name][channel]]));
            const values = Object.values(hs);
            if (values.length < 2) continue;
            const top = Math.max(...values);
            const g = { gateway: `${org.gatewayService} in ${region}`, channel, heights: hs, spread: top - Math.min(...values) };
            groups.push(g);
            if (g.spread > spread.value) {
              const behindBy = Object.entries(hs).filter(([, h]) => top - h > spread.value).map(([p, h]) => `${p} at ${h}, ${top - h} behind`);
              failures.push(`${g.gateway}, channel ${channel}: ${names(behindBy, 3)} (top ${top}); spread ${g.spread} blocks, bound ${spread.text}`);
            }
          }
        }
      }
      const by = evidence.live?.peerHeightMethod;
      if (groups.length) {
        const worst = groups.reduce((a, b) => (b.spread > a.spread ? b : a));
        parts.push(`ledger heights behind ${unique(groups.map((g) => g.gateway)).length} gateway Services within ${spread.text} (largest spread ${worst.spread} blocks, ${worst.gateway}, ${worst.channel}${by ? `; ${by}` : '; live'})`);
      } else notJudged.push('live heights: no gateway Service has two peers reporting one channel');
    }
    const out = {
      ...(gossip ? { pullers: gossip.pullers } : {}),
      heights: groups,
      maxGatewayHeightSpread: spread.value,
      maxGatewayHeightSpreadOrigin: spread.origin,
      notJudged,
    };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!parts.length) {
      // there was peer configuration (or heights) to read, and none of it could be
      return verdict.broken(ID, `could not read what FAB-PEER-06 judges: ${summarize([...unique(views.flatMap((v) => v.problems)), ...notJudged], 3)}`, out);
    }
    return verdict.passed(ID, `${parts.join('; ')}${notJudged.length ? `; not judged: ${summarize(notJudged, 3)}` : ''}`, out);
  },
};
