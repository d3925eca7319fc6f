import type { ExistingConnectionEvent, GatewayConnectEvent, TimelineEvent } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { harnessErrors, names, noFabric, noTimeline, summarize, timelineOf, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-GW-04';

interface StopPeerEvent extends TimelineEvent {
  kind: 'fault';
  action: 'stop-peer';
  peer: string;
  gateway: string;
}

interface GatewayFacts {
  gateway: string;
  peers: string[];
  before: Record<string, number>;
  beforeFailed: number;
  stopped?: string;
  after: Record<string, number>;
  afterFailed: number;
  existing: Array<{ peer: string; broke: boolean; reconnectedTo: string | null }>;
}

function tally(events: GatewayConnectEvent[]): { by: Record<string, number>; failed: GatewayConnectEvent[] } {
  const by: Record<string, number> = {};
  const failed: GatewayConnectEvent[] = [];
  for (const e of events) {
    if (e.answeredBy && !e.error) by[e.answeredBy] = (by[e.answeredBy] ?? 0) + 1;
    else failed.push(e);
  }
  return { by, failed };
}

export const check: Check = {
  id: ID,
  title: 'Drill: new connections through the gateway Service spread over the peers and reach a working peer when one stops',
  area: 'fabric',
  kinds: ['drill'],
  guarantee:
    "Drill: new connections through the gateway Service are spread over the organization's peers, and when one " +
    'peer stops a new connection reaches a working peer. An existing long-lived gRPC connection is not moved ' +
    'to another peer: that is expected, and the report says so.',
  evidence: {
    static: null,
    live: 'which peer answered each of N new connections, before and after stopping one',
  },
  violation: 'a Service whose only endpoint was the stopped peer',
  sources: [cite(DOCS.k8sGateway, 'Summary'), cite(DOCS.k8sGateway, 'High Availability')],
  drill: 'support/drills/fabric-gateway-spread.ts',
  severity: 'normal',
  remediation:
    'Make the gateway Service select at least two ready peers of the organization (FAB-GW-01), run kube-proxy in ipvs ' +
    'mode (FAB-GW-02) and give the peers readiness probes so a stopped peer leaves the endpoints. Clients must reconnect ' +
    'after an error: an existing long-lived gRPC connection is not moved to another peer.',
  needs: ['live.timelines.FAB-GW-04'],
  evaluate(evidence) {
    const tl = timelineOf(evidence, ID);
    if (!tl) return evidence.fabric ? noTimeline(ID, 'drill') : noFabric(ID);
    if (!tl.events?.length) return verdict.broken(ID, `the ${ID} timeline recorded no events: the drill did not run`, { startedAt: tl.startedAt });
    const events = [...tl.events].sort((a, b) => a.t - b.t);
    const connects = events.filter((e) => e.kind === 'connect') as GatewayConnectEvent[];
    const stops = events.filter((e) => e.kind === 'fault' && e.action === 'stop-peer') as StopPeerEvent[];
    const existing = events.filter((e) => e.kind === 'existing') as ExistingConnectionEvent[];
    const paramGateways = (tl.params?.gateways && typeof tl.params.gateways === 'object' ? tl.params.gateways : {}) as Record<string, unknown>;
    const gateways = unique([...Object.keys(paramGateways), ...connects.map((c) => c.gateway), ...stops.map((s) => s.gateway)]);
    const failures: string[] = [];
    const brokenReasons: string[] = [];
    const facts: GatewayFacts[] = [];
    const summary: string[] = [];
    const existingNotes: string[] = [];

    for (const gw of gateways) {
      const peers = Array.isArray(paramGateways[gw]) ? (paramGateways[gw] as unknown[]).map(String) : [];
      const mine = connects.filter((c) => c.gateway === gw);
      const where = mine[0] ? `gateway ${gw} (${mine[0].org}, ${mine[0].region})` : `gateway ${gw}`;
      const stop = stops.find((s) => s.gateway === gw);
      const before = tally(mine.filter((c) => c.phase === 'before'));
      const after = tally(mine.filter((c) => c.phase === 'after'));
      const fact: GatewayFacts = {
        gateway: gw,
        peers,
        before: before.by,
        beforeFailed: before.failed.length,
        stopped: stop?.peer,
        after: after.by,
        afterFailed: after.failed.length,
        existing: existing.filter((e) => e.gateway === gw).map((e) => ({ peer: e.peer, broke: e.broke, reconnectedTo: e.reconnectedTo })),
      };
      facts.push(fact);
      const beforeTotal = mine.filter((c) => c.phase === 'before').length;
      const afterTotal = mine.filter((c) => c.phase === 'after').length;
      const reached = Object.keys(before.by);
      const ofPeers = peers.length ? ` of its ${peers.length} peers` : '';

      if (!beforeTotal) brokenReasons.push(`${where}: no connections were made before the stop`);
      else if (!reached.length) {
        failures.push(`${where}: none of ${beforeTotal} new connections before the stop succeeded${before.failed[0]?.error ? `: ${before.failed[0].error}` : ''}`);
      } else if (reached.length < 2) {
        failures.push(`${where}: all ${beforeTotal - before.failed.length} successful new connections before the stop reached ${reached[0]}: not spread${ofPeers ? ` over its ${peers.length} peers` : ''}`);
      }
      if (!stop) {
        brokenReasons.push(`${where}: no peer was stopped`);
        continue;
      }
      if (!afterTotal) {
        brokenReasons.push(`${where}: no connections were made after ${stop.peer} stopped`);
        continue;
      }
      if (after.failed.length) {
        failures.push(
          `${where}: after ${stop.peer} stopped, ${after.failed.length} of ${afterTotal} new connections failed${after.failed[0].error ? `: ${after.failed[0].error}` : ''}`,
        );
      }
      const toStopped = after.by[stop.peer] ?? 0;
      if (toStopped) failures.push(`${where}: after ${stop.peer} stopped, ${toStopped} of ${afterTotal} new connections were answered by it`);
      for (const e of fact.existing) existingNotes.push(e.broke ? 'broke' : 'stayed open');
      summary.push(
        `${gw}: ${beforeTotal} connections reached ${reached.length}${ofPeers} (${names(reached.sort())}); after ${stop.peer} stopped ` +
          `${afterTotal - after.failed.length}/${afterTotal} reached ${names(Object.keys(after.by).sort())}`,
      );
    }
    const errors = harnessErrors(tl);
    const out = { gateways: facts, harnessErrors: errors };
    const allExisting = facts.flatMap((f) => f.existing);
    const reconnected = allExisting.filter((e) => e.reconnectedTo).length;
    const note = allExisting.length
      ? ` As expected, ${allExisting.length} existing long-lived connection${allExisting.length > 1 ? 's' : ''} to the stopped peers ` +
        `(${names(unique(allExisting.map((e) => e.peer)), 4)}) ${unique(existingNotes).join(' or ')} and ${allExisting.length > 1 ? 'were' : 'was'} not re-balanced` +
        `${reconnected ? `; ${reconnected} reconnect${reconnected > 1 ? 's' : ''} through the Service reached a working peer` : ''}.`
      : ' An existing long-lived gRPC connection is not re-balanced by the Service (not observed in this run).';
    if (failures.length) return verdict.failed(ID, summarize(failures) + '.' + note, out);
    if (!gateways.length) return verdict.broken(ID, `the ${ID} timeline has no gateway connections or faults`, out);
    if (errors.length) brokenReasons.push(`the drill recorded errors: ${summarize(errors, 2)}`);
    if (brokenReasons.length) return verdict.broken(ID, summarize(brokenReasons), out);
    return verdict.passed(ID, `${summary.join('; ')}.${note}`, out);
  },
};
