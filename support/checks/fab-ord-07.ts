import { verdict, type Check } from './types.ts';
import { crossRegionTrips, names, noFabric, summarize, unique } from './common.ts';
import { ratio, settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-07';

export const check: Check = {
  id: ID,
  title: 'Round trips between ordering nodes of different regions stay under the bound',
  area: 'fabric',
  kinds: ['live'],
  guarantee:
    'Regions are close enough for consensus: the round trip between ordering nodes of different regions stays ' +
    'under a bound (default 100 ms, configurable).',
  evidence: {
    static: null,
    live: 'round trips measured between ordering nodes of different regions',
  },
  violation: 'a far region (a delay injected on its links)',
  sources: [cite(DOCS.ordering, 'Before you begin')],
  severity: 'normal',
  remediation:
    'Choose regions that are geographically close (the IBM guide advises against mixing e.g. Tokyo, Australia and the ' +
    'United States); move the ordering nodes of the far region closer, or raise the bound (settings.maxRoundTripMs) only ' +
    'together with the Raft tick/election settings so heartbeats do not time out.',
  needs: ['live.roundTrips'],
  evaluate(evidence) {
    if (!evidence.fabric) return noFabric(ID);
    const trips = crossRegionTrips(evidence);
    if (!trips.length) {
      const why = evidence.live?.unobserved?.[ID];
      return verdict.skipped(
        ID,
        why ?? "no measured round trips between ordering nodes of different regions: FAB-ORD-07 is judged live only (ha-validate --live), from the ordering nodes' own measurement or an operator's measurement file",
      );
    }
    const setting = settingOf(evidence, 'maxRoundTripMs');
    const bound = setting.value;
    const unmeasured = trips.filter((r) => typeof r.ms !== 'number' || !Number.isFinite(r.ms) || r.ms < 0);
    const measured = trips.filter((r) => !unmeasured.includes(r));
    const slow = measured.filter((r) => r.ms > bound).sort((a, b) => b.ms - a.ms);
    const method = evidence.live?.roundTripMethod;
    const by = method ? ` (from ${method})` : '';
    const out = { boundMs: bound, boundOrigin: setting.origin, ...(method ? { measuredBy: method } : {}), roundTrips: trips };
    if (slow.length) {
      return verdict.failed(
        ID,
        summarize(slow.map((r) => `${r.from} (${r.fromRegion}) → ${r.to} (${r.toRegion}): ${r.ms} ms, ${ratio(r.ms, bound)} of the bound`)) +
          `; bound ${setting.text}` + (method ? by : ' (measured round trips)'),
        out,
      );
    }
    if (!measured.length) {
      return verdict.broken(ID, `no round trip between regions could be measured: ${summarize(unmeasured.map((r) => `${r.from} → ${r.to}`))}`, out);
    }
    const pairs = unique(measured.map((r) => [r.fromRegion, r.toRegion].sort().join('↔')));
    const regions = unique(evidence.fabric.orderers.map((o) => o.region).filter((r): r is string => r !== undefined)).sort();
    const expected: string[] = [];
    for (let i = 0; i < regions.length; i++) for (let j = i + 1; j < regions.length; j++) expected.push(`${regions[i]}↔${regions[j]}`);
    const missing = expected.filter((p) => !pairs.includes(p));
    const max = Math.max(...measured.map((r) => r.ms));
    return verdict.passed(
      ID,
      `${measured.length} cross-region round trips between ordering nodes (${names(pairs)}): max ${max} ms; bound ${setting.text}; ${ratio(max, bound)} of the bound` +
        (missing.length ? `; region pairs not measured: ${names(missing)}` : '') +
        (unmeasured.length ? `; ${unmeasured.length} could not be measured` : '') +
        by,
      out,
    );
  },
};
