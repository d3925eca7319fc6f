import { verdict, type Check } from './types.ts';
import { isRaft, majority, noFabric, names, summarize } from './common.ts';
import { settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-01';
const SIZE_METRICS = ['consensus_etcdraft_cluster_size'];

export const check: Check = {
  id: ID,
  title: 'A production ordering service has at least 5 Raft consenters',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'A production ordering service has at least 5 Raft consenters: in Raft a majority of the consenters forms ' +
    'the quorum, so three consenters tolerate the loss of only one node, and one or two tolerate none.',
  evidence: {
    static: "the consenter list of each channel's configuration (`Orderer` group, `ConsensusType` etcdraft metadata)",
    live: "`consensus_etcdraft_cluster_size` per channel, from each orderer's operations endpoint",
  },
  violation: 'a channel with 3 consenters',
  sources: [cite(DOCS.ordering, 'Setting up multiregion High Availability (HA) deployments for the ordering service')],
  severity: 'blocker',
  remediation:
    'Run at least five Raft ordering nodes and add every one of them to the consenter set of the system channel and ' +
    'of every application channel (channel config update of Orderer/ConsensusType metadata). Three consenters tolerate ' +
    'the loss of only one node; one or two tolerate none.',
  needs: ['fabric.channels', 'live.ordererMetrics'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = fabric.channels ?? [];
    const metrics = evidence.live?.ordererMetrics;
    const hasMetrics = metrics !== undefined && Object.keys(metrics).length > 0;
    if (!channels.length && !hasMetrics) {
      return verdict.skipped(ID, 'no channel configuration and no orderer metrics: cannot count the consenters');
    }
    const min = settingOf(evidence, 'minConsenters');
    const MIN = min.value;
    const minText = `minimum ${MIN}: ${min.origin}`;
    const problems: string[] = [];
    const staticFacts: Array<{ channel: string; consensusType: string; consenters: number; source: string }> = [];
    const notRaft: string[] = [];
    for (const ch of channels) {
      if (!isRaft(ch.consensusType)) {
        if (ch.consensusType.toLowerCase() === 'solo') {
          problems.push(`channel ${ch.name} uses solo consensus (${ch.source}): one orderer, no fault tolerance`);
        } else notRaft.push(`${ch.name} (${ch.consensusType})`);
        continue;
      }
      staticFacts.push({ channel: ch.name, consensusType: ch.consensusType || 'etcdraft', consenters: ch.consenters.length, source: ch.source });
      if (ch.consenters.length < MIN) {
        problems.push(
          `channel ${ch.name} has ${ch.consenters.length} consenters (${ch.source}); at least ${MIN} are needed (${minText}) ` +
            `(${ch.consenters.length} tolerate the loss of ${Math.max(0, ch.consenters.length - majority(ch.consenters.length))})`,
        );
      }
    }
    const liveFacts: Array<{ orderer: string; channel: string; clusterSize: number }> = [];
    if (hasMetrics) {
      for (const [orderer, byChannel] of Object.entries(metrics)) {
        for (const [channel, values] of Object.entries(byChannel)) {
          const key = SIZE_METRICS.find((m) => typeof values[m] === 'number');
          if (!key) continue;
          const size = values[key];
          liveFacts.push({ orderer, channel, clusterSize: size });
          if (size < MIN) problems.push(`orderer ${orderer} reports ${key}=${size} on channel ${channel} (live metrics); at least ${MIN} are needed (${minText})`);
        }
      }
    }
    const evidenceOut = { minConsenters: { value: MIN, origin: min.origin }, channels: staticFacts, live: liveFacts, notJudged: notRaft };
    if (problems.length) return verdict.failed(ID, summarize(problems), evidenceOut);
    if (!staticFacts.length && !liveFacts.length) {
      return verdict.skipped(
        ID,
        notRaft.length
          ? `no Raft channel to judge: ${names(notRaft)} (the guarantee is about Raft consenters)`
          : 'orderer metrics carry no consensus_etcdraft_cluster_size: cannot count the consenters',
        evidenceOut,
      );
    }
    const parts: string[] = [];
    if (staticFacts.length) {
      const counts = [...new Set(staticFacts.map((f) => f.consenters))].sort((a, b) => a - b);
      parts.push(`${counts.join('/')} on ${names(staticFacts.map((f) => f.channel))} (channel config)`);
    }
    if (liveFacts.length) {
      const sizes = [...new Set(liveFacts.map((f) => f.clusterSize))].sort((a, b) => a - b);
      const orderers = new Set(liveFacts.map((f) => f.orderer)).size;
      parts.push(`consensus_etcdraft_cluster_size ${sizes.join('/')} reported by ${orderers} orderers (live metrics)`);
    } else parts.push('no live orderer metrics');
    if (notRaft.length) parts.push(`not judged: ${names(notRaft)}`);
    return verdict.passed(ID, `at least ${MIN} consenters everywhere (${minText}): ${parts.join('; ')}`, evidenceOut);
  },
};
