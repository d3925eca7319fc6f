import type { PeerQueryEvent, RegionFaultEvent, RestoreEvent } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { harnessErrors, names, noFabric, noTimeline, summarize, timelineOf, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-05';

export const check: Check = {
  id: ID,
  title: 'Drill: with one region down, each organization still answers through its remaining peers',
  area: 'fabric',
  kinds: ['drill'],
  guarantee: 'Drill: with one region down, each organization still endorses and answers through its remaining peers.',
  evidence: {
    static: null,
    live:
      'a channel query answered by a peer of each organization, through its gateway Services and peer names, ' +
      'with each region down in turn',
  },
  violation: 'an organization whose peers were all in the lost region',
  sources: [
    cite(DOCS.peers, 'Step four: Create new peers in cluster two and three and join a channel'),
    cite(DOCS.peers, 'Setting up multiregion High Availability (HA) deployments for peers'),
  ],
  drill: 'support/drills/fabric-peer-region-loss.ts',
  severity: 'critical',
  remediation:
    'Give every organization peers in at least two regions (FAB-PEER-01), joined to the same channels with the same ' +
    'smart contracts (FAB-PEER-03), and let clients discover or connect to peers of every region (anchor peers, ' +
    'connection profiles with peers of each region).',
  needs: ['live.timelines.FAB-PEER-05'],
  evaluate(evidence) {
    const tl = timelineOf(evidence, ID);
    if (!tl) return evidence.fabric ? noTimeline(ID, 'drill') : noFabric(ID);
    if (!tl.events?.length) return verdict.broken(ID, `the ${ID} timeline recorded no events: the drill did not run`, { startedAt: tl.startedAt });
    const events = [...tl.events].sort((a, b) => a.t - b.t);
    const faults = events.filter((e) => e.kind === 'fault' && e.action === 'stop-region') as RegionFaultEvent[];
    const paramOrgs = Array.isArray(tl.params?.orgs) ? (tl.params.orgs as unknown[]).map(String) : [];
    const orgs = paramOrgs.length ? paramOrgs : (evidence.fabric?.orgs ?? []).map((o) => o.name);
    const peerRegion = new Map((evidence.fabric?.orgs ?? []).flatMap((o) => o.peers.map((p) => [p.name, p.region] as const)));
    const failures: string[] = [];
    const brokenReasons: string[] = [];
    const facts: Array<{ region: string; answers: Record<string, string | null> }> = [];

    for (const f of faults) {
      const restore = events.find((e) => e.kind === 'restore' && e.region === f.region && e.t >= f.t) as RestoreEvent | undefined;
      const end = restore?.t ?? Number.POSITIVE_INFINITY;
      const queries = events.filter((e) => e.kind === 'query' && e.region === f.region && e.t >= f.t && e.t <= end) as PeerQueryEvent[];
      const answers: Record<string, string | null> = {};
      const queriedOrgs = unique([...orgs, ...queries.map((q) => q.org)]);
      for (const org of queriedOrgs) {
        const qs = queries.filter((q) => q.org === org);
        if (!qs.length) {
          brokenReasons.push(`no query was made for ${org} while region ${f.region} was down`);
          continue;
        }
        const ok = qs.find((q) => q.ok && q.peer);
        answers[org] = ok?.peer ?? null;
        if (!ok) {
          const err = qs.map((q) => q.error).find(Boolean);
          failures.push(err?.startsWith('with region') ? err : `with region ${f.region} down, no peer of ${org} answered a query${err ? `: ${err}` : ''}`);
        } else if ((typeof ok.peerRegion === 'string' ? ok.peerRegion : peerRegion.get(ok.peer!)) === f.region) {
          brokenReasons.push(`with region ${f.region} down, ${org} was answered by ${ok.peer}, which is in that region: the region was not really down`);
        }
      }
      facts.push({ region: f.region, answers });
      if (!restore) brokenReasons.push(`region ${f.region} was not restored in the timeline`);
    }
    const expected = Array.isArray(tl.params?.regions) ? (tl.params.regions as unknown[]).map(String) : [];
    const missing = expected.filter((r) => !faults.some((f) => f.region === r));
    const errors = harnessErrors(tl);
    const out = { regions: facts, notDrilled: missing, harnessErrors: errors };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!faults.length) return verdict.broken(ID, `the ${ID} timeline has no stop-region fault`, out);
    if (missing.length) brokenReasons.push(`the drill did not stop region${missing.length > 1 ? 's' : ''} ${names(missing)}`);
    if (errors.length) brokenReasons.push(`the drill recorded errors: ${summarize(errors, 2)}`);
    if (brokenReasons.length) return verdict.broken(ID, summarize(brokenReasons), out);
    return verdict.passed(
      ID,
      facts
        .map((r) => `with region ${r.region} down: ${Object.entries(r.answers).map(([o, p]) => `${o} answered by ${p}`).join(', ')}`)
        .join('; '),
      out,
    );
  },
};
