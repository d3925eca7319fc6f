import { verdict, type Check } from './types.ts';
import { harnessErrors, summarize } from './common.ts';
import { composedBound, cordaBounds, cordaFaults, describeServing, observedTraffic, portsOpen, servingNodes, cordaTimeline, toleranceTerm } from './corda-samples.ts';
import { againstBound, ratio } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-LB-03';

export const check: Check = {
  id: ID,
  title: 'Drill: when the hot node stops, the backup takes over and the load balancer routes to it within the bound, with no overlap',
  area: 'corda',
  kinds: ['drill'],
  guarantee:
    'Drill: when the hot node stops, the backup takes the lease once `waitInterval` has passed and the load ' +
    'balancer routes to it within `waitInterval` + probe interval × unhealthy threshold (plus a stated ' +
    'tolerance), with no moment where both are active. The measured failover time is reported.',
  evidence: {
    static: null,
    live: "the lease, connections and the load balancer's view, sampled through the switch",
  },
  violation: 'a backup that never takes over; an overlap',
  sources: [cite(DOCS.cordaHotCold, 'Configuring the load balancer'), cite(DOCS.cordaHotCold, 'Mutual exclusion')],
  drill: 'support/drills/corda-drills.ts',
  severity: 'critical',
  remediation:
    'Keep the backup running under a supervisor that restarts it after each failed lease claim, with mutual exclusion on ' +
    '(CORDA-CFG-01) and the shared database reachable from it (CORDA-DB-01); shorten waitInterval, the probe interval or ' +
    'the unhealthy threshold if the failover exceeds the budget (AWS classic defaults need ≈ 10 × 30 s).',
  needs: ['live.timelines.CORDA-LB-03'],
  evaluate(evidence) {
    const recorded = cordaTimeline(evidence, ID, 'drill');
    if ('verdict' in recorded) return recorded.verdict;
    const { tl, samples } = recorded;
    const params = cordaBounds(tl, evidence);
    const fault = cordaFaults(tl).find((f) => (f.action === 'stop' || f.action === 'kill' || f.action === 'partition') && (!params.hotNode || f.node === params.hotNode));
    if (!fault) return verdict.broken(ID, `the ${ID} timeline has no stop fault on the hot node: the drill did not inject it`, { samples: samples.length });
    const hot = params.hotNode ?? fault.node;
    const cold = params.coldNode ?? [...new Set(samples.flatMap((s) => Object.keys(s.nodes)))].find((n) => n !== hot);
    const missing = params.missing.filter((m) => !m.startsWith('updateInterval'));
    if (!cold || missing.length || !params.waitInterval || !params.probeBudget) {
      return verdict.broken(ID, !cold ? 'cannot tell which node is the cold one: no coldNode parameter and only one node sampled' : `cannot compute the bound: no ${missing.join(', no ')}`, {
        missing,
      });
    }
    const composed = composedBound([params.waitInterval, params.probeBudget, toleranceTerm(params.tolerance)]);
    const bound = composed.ms;
    const boundText = `bound ${composed.text}`;
    const t0 = fault.t;
    const types = observedTraffic(samples);
    if (!types.length) {
      return verdict.broken(ID, 'the samples carry no connections through the load balancer (routed): cannot see where it sends traffic', {
        samples: samples.length,
      });
    }
    const out: Record<string, unknown> = { hot, cold, faultAt: t0, boundMs: bound, bound: composed.text, traffic: types, samples: samples.length };

    const problems: string[] = [];
    const overlaps = samples.filter((s) => servingNodes(s).length > 1);
    if (overlaps.length) {
      out.overlaps = overlaps.slice(0, 10).map((s) => ({ t: s.t, nodes: servingNodes(s) }));
      problems.push(`at t=${overlaps[0].t} ms ${describeServing(overlaps[0])} accepted connections at once${overlaps.length > 1 ? ` (${overlaps.length} samples)` : ''}`);
    }
    // strictly before: a sample taken in the same millisecond as the fault may already see its effect
    const before = samples.filter((s) => s.t < t0);
    const lastBefore = before[before.length - 1];
    if (!lastBefore || !portsOpen(lastBefore.nodes[hot]).length || types.some((t) => lastBefore.routed?.[t] !== hot)) {
      if (problems.length) return verdict.failed(ID, summarize(problems), out);
      return verdict.broken(
        ID,
        `before the fault ${hot} was not the serving, routed node (last sample ${lastBefore ? `t=${lastBefore.t} ms: serving ${servingNodes(lastBefore).join(', ') || 'none'}` : 'missing'}): the drill has nothing to judge`,
        out,
      );
    }
    const after = samples.filter((s) => s.t > t0);
    const switched = after.find((s) => portsOpen(s.nodes[cold]).length > 0 && types.every((t) => s.routed?.[t] === cold));
    const lease = after.find((s) => s.leaseHolder === cold);
    if (lease) out.leaseTakenAfterMs = lease.t - t0;
    if (!switched) {
      const last = after[after.length - 1];
      const observed = last ? last.t - t0 : 0;
      out.observedMs = observed;
      if (problems.length) return verdict.failed(ID, summarize(problems), out);
      if (observed < bound) {
        return verdict.broken(ID, `the samples end ${observed} ms after ${hot} stopped, before the ${boundText}: cannot tell whether ${cold} takes over`, out);
      }
      const state = last
        ? `last sample t=${last.t} ms: ${cold} ${portsOpen(last.nodes[cold]).length ? 'serving' : 'not serving'}, routed ${types.map((t) => `${t}→${last.routed?.[t] ?? 'nobody'}`).join(', ')}`
        : 'no samples after the fault';
      return verdict.failed(ID, `${cold} never took over: ${observed} ms after ${hot} stopped (${boundText}; ${state})`, out);
    }
    const failover = switched.t - t0;
    out.failoverMs = failover;
    if (failover > bound) problems.push(`failover took ${againstBound(failover, bound, composed.text)}`);
    if (problems.length) return verdict.failed(ID, summarize(problems) + (failover <= bound ? `; failover in ${againstBound(failover, bound, composed.text)}` : ''), out);
    const errors = harnessErrors(tl);
    return verdict.passed(
      ID,
      `failover in ${againstBound(failover, bound, composed.text)}: ${cold} served and the load balancer routed ${types.join('/')} to it, ` +
        `with no moment where both were active` +
        (lease ? `; lease taken after ${lease.t - t0} ms (${ratio(lease.t - t0, bound)} of the bound)` : '') +
        (errors.length ? `; drill errors: ${summarize(errors, 1)}` : ''),
      out,
    );
  },
};
