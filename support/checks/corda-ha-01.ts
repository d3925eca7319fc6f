import { verdict, type Check } from './types.ts';
import { harnessErrors, names, noCorda, noTimeline, summarize, timelineOf, unique } from './common.ts';
import { cordaFaults, cordaSamples, describeSampling, describeServing, failedSamples, samplingFacts, servingNodes } from './corda-samples.ts';
import { againstBound, settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-HA-01';

export const check: Check = {
  id: ID,
  title: 'Only one Corda node is active at any time, and it is the lease holder',
  area: 'corda',
  kinds: ['live'],
  guarantee:
    'Only one node is active at any time: exactly one holds the mutual-exclusion lease in the shared database, ' +
    'only it accepts P2P and RPC connections, and a second node started while it runs does not become active.',
  evidence: {
    static: null,
    live:
      'the lease row and which nodes accept connections, sampled often enough to catch an overlap, also while ' +
      'a duplicate of the cold node starts',
  },
  violation: 'two nodes accepting connections at once',
  sources: [cite(DOCS.cordaHotCold, 'Mutual exclusion'), cite(DOCS.cordaOverview, 'HA Deployment Overview')],
  drill: 'support/drills/corda-drills.ts',
  severity: 'blocker',
  remediation:
    'Turn mutual exclusion on for every instance with distinct machineName values (CORDA-CFG-01) and one shared database ' +
    '(CORDA-DB-01); never start a second instance with the same host name and base directory. An overlap means two ' +
    'nodes with one identity process messages at once: stop one immediately.',
  needs: ['live.timelines.CORDA-HA-01'],
  evaluate(evidence) {
    const tl = timelineOf(evidence, ID);
    if (!tl) return evidence.corda ? noTimeline(ID, 'sampling', evidence) : noCorda(ID);
    const samples = cordaSamples(tl);
    const failed = failedSamples(tl);
    if (!samples.length) {
      return verdict.broken(
        ID,
        `the ${ID} timeline has no usable samples${failed.length ? `: ${failed.length} samples recorded errors, e.g. ${failed[0].error}` : ''}`,
        { events: tl.events?.length ?? 0 },
      );
    }
    const faults = cordaFaults(tl);
    const stopped = new Set<string>();
    const overlaps: Array<{ t: number; nodes: string[] }> = [];
    const leaseMismatch: Array<{ t: number; serving: string; leaseHolder: string | null }> = [];
    const duplicateActive: Array<{ t: number; node: string }> = [];
    const problems: string[] = [];
    let leaseSeen = 0;
    let previousActive: string | undefined;
    const duplicates = faults.filter((f) => f.action === 'start-duplicate');
    for (const s of samples) {
      for (const f of faults) if (f.t <= s.t && (f.action === 'stop' || f.action === 'kill')) stopped.add(f.node);
      const serving = servingNodes(s);
      if (serving.length > 1) {
        overlaps.push({ t: s.t, nodes: serving });
        if (overlaps.length <= 3) problems.push(`at t=${s.t} ms ${describeServing(s)} accepted connections at once`);
      }
      if (s.leaseHolder !== undefined) {
        leaseSeen++;
        if (serving.length === 1 && s.leaseHolder !== serving[0]) {
          leaseMismatch.push({ t: s.t, serving: serving[0], leaseHolder: s.leaseHolder });
          if (leaseMismatch.length <= 2) {
            problems.push(
              `at t=${s.t} ms ${serving[0]} served while the lease ${s.leaseHolder === null ? 'row was missing' : `named ${s.leaseHolder}`}`,
            );
          }
        }
      }
      for (const d of duplicates) {
        if (d.t <= s.t && serving.includes(d.node) && previousActive && previousActive !== d.node && !stopped.has(previousActive)) {
          duplicateActive.push({ t: s.t, node: d.node });
          if (duplicateActive.length <= 1) problems.push(`${d.node}, started at t=${d.t} ms while ${previousActive} was active, became active at t=${s.t} ms`);
        }
      }
      if (serving.length === 1) previousActive = serving[0];
    }
    const sampling = samplingFacts(tl, samples);
    const period = settingOf(evidence, 'samplePeriodMs');
    const activeNodes = unique(samples.flatMap(servingNodes));
    const errors = harnessErrors(tl);
    const out = {
      ...sampling,
      failedSamples: failed.length,
      samplePeriodMs: { value: period.value, origin: period.origin },
      overlaps: overlaps.slice(0, 20),
      leaseMismatches: leaseMismatch.slice(0, 20),
      duplicateActive,
      faults: faults.map((f) => ({ t: f.t, action: f.action, node: f.node })),
    };
    if (problems.length) {
      const more = overlaps.length > 3 ? ` (${overlaps.length} overlapping samples in all)` : '';
      return verdict.failed(ID, `${summarize(problems)}${more} (${describeSampling(sampling)})`, out);
    }
    if (errors.length && !activeNodes.length) return verdict.broken(ID, `the sampling recorded errors and saw no active node: ${summarize(errors, 2)}`, out);
    if (!(sampling.medianGapMs <= period.value)) {
      return verdict.broken(
        ID,
        `the harness sampled too coarsely to rule out an overlap: ${describeSampling(sampling)}; one every ${againstBound(sampling.medianGapMs, period.value, period.text)} (median gap)`,
        out,
      );
    }
    return verdict.passed(
      ID,
      `${describeSampling(sampling)}: never more than one node accepting connections` +
        (activeNodes.length ? ` (active: ${names(activeNodes)})` : ' (no node was active)') +
        (leaseSeen ? `, and the serving node held the lease in all ${leaseSeen} samples that read it` : '; lease row not read') +
        (duplicates.length
          ? `; ${names(duplicates.map((d) => d.node))} started alongside did not become active`
          : sampling.mode === 'observation'
            ? '; no second node was started (an observation injects nothing)'
            : '') +
        (failed.length ? `; ${failed.length} samples failed to observe` : '') +
        `; sampled one every ${againstBound(sampling.medianGapMs, period.value, period.text)} (median gap)`,
      out,
    );
  },
};
