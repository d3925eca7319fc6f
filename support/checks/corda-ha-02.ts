import { verdict, type Check } from './types.ts';
import { harnessErrors, summarize } from './common.ts';
import { composedBound, cordaBounds, cordaFaults, portsOpen, cordaTimeline, toleranceTerm } from './corda-samples.ts';
import { againstBound } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-HA-02';

export const check: Check = {
  id: ID,
  title: 'The active node stops serving when it loses its database connection',
  area: 'corda',
  kinds: ['drill'],
  guarantee: 'The active node stops serving when it loses its database connection.',
  evidence: {
    static: null,
    live: "connections refused after the node's database connection is cut",
  },
  violation: 'a node that keeps serving without its lease',
  sources: [cite(DOCS.cordaHotCold, 'Mutual exclusion')],
  drill: 'support/drills/corda-drills.ts',
  severity: 'critical',
  remediation:
    'Turn mutual exclusion on (CORDA-CFG-01): the lease refresh every updateInterval is what makes a node exit on ' +
    '"Database connection down". Keep updateInterval short enough for the failover budget and make sure the process ' +
    'supervisor does not restart the node with a stale configuration that has mutual exclusion off.',
  needs: ['live.timelines.CORDA-HA-02'],
  evaluate(evidence) {
    const recorded = cordaTimeline(evidence, ID, 'drill');
    if ('verdict' in recorded) return recorded.verdict;
    const { tl, samples } = recorded;
    const fault = cordaFaults(tl).find((f) => f.action === 'cut-database');
    if (!fault) return verdict.broken(ID, `the ${ID} timeline has no cut-database fault: the drill did not inject it`, { samples: samples.length });
    const b = cordaBounds(tl, evidence);
    if (!b.updateInterval) {
      return verdict.broken(ID, `cannot compute the bound: ${b.missing.find((m) => m.startsWith('updateInterval'))}`, { missing: b.missing });
    }
    // a node notices a lost connection at its next lease refresh, and gives up at the one after
    const composed = composedBound([{ ms: 2 * b.updateInterval.ms, text: `2 × ${b.updateInterval.text}` }, toleranceTerm(b.tolerance)]);
    const bound = composed.ms;
    const boundText = `bound ${composed.text}`;
    const x = fault.node;
    const t0 = fault.t;
    const restore = tl.events.find((e) => e.kind === 'restore' && e.t >= t0);
    const end = restore?.t ?? Number.POSITIVE_INFINITY;
    const before = samples.filter((s) => s.t <= t0);
    const lastBefore = before[before.length - 1];
    const out: Record<string, unknown> = { node: x, faultAt: t0, boundMs: bound, bound: composed.text, samples: samples.length };
    if (!lastBefore || !portsOpen(lastBefore.nodes[x]).length) {
      return verdict.broken(ID, `${x} was not serving in the last sample before its database was cut: the drill has nothing to judge`, out);
    }
    const after = samples.filter((s) => s.t > t0 && s.t <= end);
    const closed = after.find((s) => s.nodes[x] !== undefined && portsOpen(s.nodes[x]).length === 0);
    if (!closed) {
      const last = after[after.length - 1];
      const observed = last ? last.t - t0 : 0;
      out.observedMs = observed;
      if (observed < bound) {
        return verdict.broken(ID, `the samples end ${observed} ms after the database of ${x} was cut, before the ${boundText}: cannot tell`, out);
      }
      return verdict.failed(
        ID,
        `${x} still accepted connections (${portsOpen(last.nodes[x]).join('/')}) ${observed} ms after its database was cut (${boundText}): it keeps serving without its lease`,
        out,
      );
    }
    const stopMs = closed.t - t0;
    out.stoppedAfterMs = stopMs;
    const problems: string[] = [];
    if (stopMs > bound) problems.push(`${x} stopped accepting connections only after ${againstBound(stopMs, bound, composed.text)}, counted from the cut of its database`);
    const reopened = after.find((s) => s.t > closed.t && portsOpen(s.nodes[x]).length > 0);
    if (reopened) {
      out.reopenedAt = reopened.t;
      problems.push(`${x} stopped serving after ${stopMs} ms but accepted connections (${portsOpen(reopened.nodes[x]).join('/')}) again at t=${reopened.t} ms while its database was still cut`);
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    const errors = harnessErrors(tl);
    return verdict.passed(
      ID,
      `${x} stopped accepting connections after ${againstBound(stopMs, bound, composed.text)}, counted from the cut of its database, ` +
        `and stayed closed for the remaining ${after.filter((s) => s.t > closed.t).length} samples` +
        (errors.length ? `; drill errors: ${summarize(errors, 1)}` : ''),
      out,
    );
  },
};
