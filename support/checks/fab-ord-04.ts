import { verdict, type Check } from './types.ts';
import { consenterName, findOrderer, hostPort, names, noFabric, summarize } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-04';

export const check: Check = {
  id: ID,
  title: 'Every deployed ordering node is a consenter of every channel, and every consenter is a deployed node',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'The consenter set is complete and has no ghosts: every deployed ordering node is a consenter of the ' +
    'system channel (where one exists) and of every application channel ("Requires attention" in the IBM ' +
    'console means deployed but not a consenter), and every consenter is a deployed node.',
  evidence: {
    static: 'the deployed ordering nodes compared with the consenters of each channel',
    live: "the channel participation API: each node's `consensusRelation` is `consenter` and its `status` is `active`",
  },
  violation: 'a fifth node deployed but never added to a channel; a consenter without a deployed node',
  sources: [
    cite(DOCS.ordering, 'Add the `OS2-Region1` node to the orderer system channel'),
    cite(DOCS.ordering, 'Update the ordering service in Region 1, Region 2, and Region 3.'),
  ],
  severity: 'critical',
  remediation:
    'Add each deployed ordering node to the consenter set of the system channel (where one exists) and of every ' +
    'application channel ("Add node to ordering service" in the console, or a channel config update of ' +
    'Orderer/ConsensusType), and join it through the channel participation API. Remove consenters that no longer have ' +
    'a running node: a ghost consenter counts against the quorum.',
  needs: ['fabric.orderers', 'fabric.channels', 'live.participation'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const orderers = fabric.orderers ?? [];
    const channels = (fabric.channels ?? []).filter((c) => c.consenters.length > 0);
    if (!orderers.length) return verdict.skipped(ID, 'no ordering nodes in the descriptor: cannot compare deployed nodes with consenters');
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with consenters: cannot see the consenter sets');
    const problems: string[] = [];
    const facts: Array<{ channel: string; system: boolean; notConsenters: string[]; ghosts: string[] }> = [];
    for (const ch of channels) {
      const keys = new Set(ch.consenters.map((c) => hostPort(c.host, c.port)));
      const notConsenters = orderers.filter((o) => !keys.has(hostPort(o.host, o.port))).map((o) => o.name);
      const ghosts = ch.consenters.filter((c) => !findOrderer(orderers, c)).map(consenterName);
      facts.push({ channel: ch.name, system: ch.isSystemChannel, notConsenters, ghosts });
      const kind = ch.isSystemChannel ? 'system channel' : 'channel';
      for (const o of notConsenters) {
        const node = orderers.find((x) => x.name === o)!;
        problems.push(
          `${o} (${hostPort(node.host, node.port)}, region ${node.region ?? 'unknown'}) is deployed but not a consenter of ${kind} ${ch.name} ("Requires attention"; ${ch.source})`,
        );
      }
      for (const g of ghosts) problems.push(`${kind} ${ch.name}: consenter ${g} has no deployed ordering node in the descriptor (${ch.source})`);
    }

    const participation = evidence.live?.participation;
    const liveFacts: Array<{ orderer: string; channel: string; consensusRelation?: string; status?: string }> = [];
    const unseen: string[] = [];
    if (participation && Object.keys(participation).length) {
      for (const o of orderers) {
        const byChannel = participation[o.name];
        if (!byChannel) {
          unseen.push(o.name);
          continue;
        }
        for (const ch of channels) {
          const info = byChannel[ch.name];
          liveFacts.push({ orderer: o.name, channel: ch.name, consensusRelation: info?.consensusRelation, status: info?.status });
          if (!info) problems.push(`${o.name} has not joined channel ${ch.name} (channel participation API)`);
          else if (info.consensusRelation !== 'consenter' || info.status !== 'active') {
            problems.push(
              `${o.name} on channel ${ch.name} is ${info.consensusRelation}/${info.status} (channel participation API), not consenter/active`,
            );
          }
        }
      }
    }
    const out = { orderers: orderers.map((o) => ({ name: o.name, address: hostPort(o.host, o.port), region: o.region })), channels: facts, live: liveFacts, liveUnseen: unseen };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    const live = liveFacts.length
      ? `; participation API: consenter/active on every channel${unseen.length ? ` (not read for ${names(unseen)})` : ''}`
      : '; no live participation evidence';
    return verdict.passed(
      ID,
      `${orderers.length} deployed ordering nodes = the consenters of ${names(channels.map((c) => c.name))} (channel config), no ghosts${live}`,
      out,
    );
  },
};
