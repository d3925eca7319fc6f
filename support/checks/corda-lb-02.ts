import { verdict, type Check } from './types.ts';
import { names, summarize } from './common.ts';
import { TRAFFIC, cordaFaults, describeSampling, isUp, samplingFacts, servingNodes, type Traffic, cordaTimeline } from './corda-samples.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-LB-02';

export const check: Check = {
  id: ID,
  title: 'The load balancer routes P2P, RPC and web traffic to the hot node and holds the cold node unhealthy',
  area: 'corda',
  kinds: ['live'],
  guarantee:
    "The probes route traffic to the hot instance: through the load balancer's address, P2P, RPC and web " +
    'connections reach the active node, and the load balancer holds the active node healthy and the other ' +
    'unhealthy.',
  evidence: {
    static: null,
    live: "connections through the load balancer, and the load balancer's view of its backends, sampled over a window",
  },
  violation: 'traffic reaching the cold node; a probe that marks both healthy',
  sources: [cite(DOCS.cordaHotCold, 'Configuring the load balancer')],
  drill: 'support/drills/corda-drills.ts',
  severity: 'critical',
  remediation:
    'Give every rule a health probe on its own port (CORDA-LB-01): TCP for P2P and RPC, HTTP on / for web. A cold node ' +
    'never opens its P2P and RPC ports, so a correct probe marks it down; a probe on another port (or on a process that ' +
    'runs on both machines, such as a web server that is always up) marks both healthy and sends traffic to the cold node.',
  needs: ['live.timelines.CORDA-LB-02'],
  evaluate(evidence) {
    const recorded = cordaTimeline(evidence, ID, 'sampling');
    if ('verdict' in recorded) return recorded.verdict;
    const { tl, samples: all } = recorded;
    // A steady state: judge the samples before any fault.
    const firstFault = cordaFaults(tl)[0];
    const samples = firstFault ? all.filter((s) => s.t < firstFault.t) : all;
    const hasRouted = samples.some((s) => s.routed && Object.keys(s.routed).length > 0);
    const hasView = samples.some((s) => s.lbView && Object.keys(s.lbView).length > 0);
    if (!hasRouted && !hasView) {
      return verdict.broken(ID, 'the samples carry neither connections through the load balancer (routed) nor its view of the backends (lbView)', {
        samples: samples.length,
      });
    }
    const seen = new Map<string, { first: number; count: number }>();
    const problem = (t: number, text: string) => {
      const p = seen.get(text);
      if (p) p.count++;
      else seen.set(text, { first: t, count: 1 });
    };
    let judged = 0;
    let ambiguous = 0;
    const types = new Set<Traffic>();
    const viewTypes = new Set<string>();
    for (const s of samples) {
      const serving = servingNodes(s);
      if (serving.length !== 1) {
        ambiguous++;
        continue;
      }
      judged++;
      const active = serving[0];
      const others = Object.keys(s.nodes).filter((n) => n !== active);
      for (const t of TRAFFIC) {
        if (!s.routed || !(t in s.routed)) continue;
        types.add(t);
        const to = s.routed[t];
        if (to === null || to === undefined) problem(s.t, `${t} traffic through the load balancer reached nobody while ${active} was active`);
        else if (to !== active) problem(s.t, `${t} traffic through the load balancer reached ${to} while ${active} was active`);
      }
      for (const [t, view] of Object.entries(s.lbView ?? {})) {
        viewTypes.add(t);
        if (!isUp(view[active])) problem(s.t, `the load balancer held the active node ${active} ${view[active] ?? 'unknown'} for ${t}`);
        const upOthers = others.filter((o) => isUp(view[o]));
        if (upOthers.length) problem(s.t, `the load balancer held ${names(upOthers)} ${view[upOthers[0]]} for ${t} although ${active} was the active node: the probe marks both healthy`);
      }
    }
    const sampling = samplingFacts(tl, samples);
    const out = { ...sampling, judged, ambiguous, routedTypes: [...types], viewTypes: [...viewTypes] };
    if (seen.size) {
      const problems = [...seen.entries()].map(
        ([text, p]) => `${text} (${p.count === 1 ? `at t=${p.first} ms` : `${p.count} samples from t=${p.first} ms`})`,
      );
      return verdict.failed(ID, `${summarize(problems)} (${describeSampling(sampling)})`, { ...out, problems });
    }
    if (!judged) return verdict.broken(ID, `no sample had exactly one active node (${ambiguous} samples; ${describeSampling(sampling)}): cannot tell where traffic should go`, out);
    const missingTypes = TRAFFIC.filter((t) => !types.has(t));
    return verdict.passed(
      ID,
      `${describeSampling(sampling)}; ${judged} judged: ${types.size ? `${[...types].join('/')} through the load balancer reached the active node` : 'routing through the load balancer not observed'}` +
        (viewTypes.size ? `; its view held the active node UP and the other DOWN for ${[...viewTypes].join('/')}` : '; the load balancer\'s own view not available') +
        (missingTypes.length && types.size ? `; ${missingTypes.join('/')} not observed` : '') +
        (ambiguous ? `; ${ambiguous} samples without exactly one active node not judged` : ''),
      out,
    );
  },
};
