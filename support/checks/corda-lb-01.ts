import { verdict, type Check } from './types.ts';
import { canonicalIp, isIpAddress, names, noCorda, normalizeHost, summarize } from './common.ts';
import { TRAFFIC } from './corda-samples.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-LB-01';

function sameMachine(member: string, machine: string): boolean {
  if (isIpAddress(member) && isIpAddress(machine)) return canonicalIp(member) === canonicalIp(machine);
  return normalizeHost(member) === normalizeHost(machine);
}

export const check: Check = {
  id: ID,
  title: 'The load balancer has a health probe and a rule per traffic type, a pool of both machines, no session persistence',
  area: 'corda',
  kinds: ['static'],
  guarantee:
    'The load balancer has a health probe per traffic type (P2P: TCP, e.g. 10002; RPC: TCP, 10003; web: HTTP ' +
    'on `/`, 10004) with an interval and an unhealthy threshold; a rule per port forwards to the same backend ' +
    'port; the backend pool holds both machines; session persistence is None (Azure). An AWS classic ELB has ' +
    'one health check, so there is one load balancer per traffic type, each with its own.',
  evidence: {
    static: 'an Azure `az network lb show` or AWS `describe-load-balancers` export, or the HAProxy configuration',
    live: null,
  },
  violation: 'a TCP probe on the web port; a rule without a probe; a pool with one machine',
  sources: [
    cite(DOCS.cordaHotCold, 'Configuring the load balancer'),
    cite(DOCS.cordaOverview, 'HA Deployment Overview'),
  ],
  severity: 'critical',
  remediation:
    'Create one health probe per traffic type — p2p TCP on the P2P port, rpc TCP on the RPC port, web HTTP on path / ' +
    'on the web port — with an interval and an unhealthy threshold; one load-balancing rule per port forwarding to the ' +
    'same backend port, each referencing its probe and the backend pool that holds both machines; session persistence ' +
    'None (Azure loadDistribution Default). On AWS classic ELB create one load balancer per traffic type, each with its ' +
    'own health check (TCP:10002, TCP:10003, HTTP:10004/).',
  needs: ['corda.loadBalancer', 'corda.nodes'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const lb = corda.loadBalancer;
    if (!lb) return verdict.skipped(ID, 'no load-balancer export or configuration in the descriptor (corda.loadBalancer.export)');
    const machines = (corda.nodes ?? []).map((n) => n.machine);
    const problems: string[] = [];
    const facts: Array<Record<string, unknown>> = [];
    for (const t of TRAFFIC) {
      const port = corda.ports?.[t];
      if (port === undefined) continue;
      const fact: Record<string, unknown> = { traffic: t, port };
      facts.push(fact);
      const rule = lb.rules.find((r) => r.frontendPort === port);
      if (!rule) {
        problems.push(`no load-balancing rule for the ${t} port ${port} (${lb.source})`);
        continue;
      }
      fact.rule = rule;
      if (rule.backendPort !== rule.frontendPort) problems.push(`rule ${rule.name} forwards ${rule.frontendPort} to backend port ${rule.backendPort}; it must be the same port`);
      if (!rule.probe) problems.push(`rule ${rule.name} (${t}, ${port}) has no health probe, so traffic may reach the cold node`);
      else {
        const probe = lb.probes.find((p) => p.name === rule.probe);
        fact.probe = probe ?? null;
        if (!probe) problems.push(`rule ${rule.name} refers to probe ${rule.probe}, which does not exist (${lb.source})`);
        else {
          const okProto = t === 'web' ? probe.protocol === 'http' || probe.protocol === 'https' : probe.protocol === 'tcp';
          if (!okProto) {
            problems.push(
              t === 'web'
                ? `${t} probe ${probe.name} is ${probe.protocol.toUpperCase()} on ${probe.port}; the web port needs an HTTP probe on path / (a TCP probe passes whenever the port is open)`
                : `${t} probe ${probe.name} is ${probe.protocol.toUpperCase()} on ${probe.port}; the ${t} port needs a TCP probe`,
            );
          }
          if (probe.port !== port) problems.push(`${t} probe ${probe.name} checks port ${probe.port}, not the ${t} port ${port}`);
          if (t === 'web' && okProto && (probe.path ?? '') !== '/') problems.push(`web probe ${probe.name} requests path ${probe.path || '(none)'}, not /`);
          if (!(probe.intervalSeconds > 0)) problems.push(`${t} probe ${probe.name} has no interval`);
          if (!(probe.unhealthyThreshold >= 1)) problems.push(`${t} probe ${probe.name} has no unhealthy threshold`);
        }
      }
      if (!rule.pool) problems.push(`rule ${rule.name} (${t}) has no backend pool`);
      else {
        const pool = lb.pools.find((p) => p.name === rule.pool);
        fact.pool = pool ?? null;
        if (!pool) problems.push(`rule ${rule.name} refers to backend pool ${rule.pool}, which does not exist`);
        else {
          const byAddress = pool.members.some((m) => machines.some((mc) => sameMachine(m, mc)));
          if (byAddress) {
            const missing = machines.filter((mc) => !pool.members.some((m) => sameMachine(m, mc)));
            if (missing.length) problems.push(`backend pool ${pool.name} holds [${pool.members.join(', ')}] but not ${names(missing)}; it must hold both machines`);
          } else if (pool.members.length < Math.max(2, machines.length)) {
            problems.push(`backend pool ${pool.name} holds ${pool.members.length} member${pool.members.length === 1 ? '' : 's'} [${pool.members.join(', ')}]; it must hold both machines`);
          }
        }
      }
      if (lb.kind === 'azure' && (rule.sessionPersistence ?? '').toLowerCase() !== 'none') {
        problems.push(`rule ${rule.name} uses session persistence ${rule.sessionPersistence}; it must be None (loadDistribution Default)`);
      }
    }
    if (lb.kind === 'aws' && lb.loadBalancers && lb.loadBalancers.length < TRAFFIC.length) {
      problems.push(
        `AWS classic: ${lb.loadBalancers.length} load balancer${lb.loadBalancers.length === 1 ? '' : 's'} (${names(lb.loadBalancers)}) for 3 traffic types; ` +
          'a classic ELB has one health check, so each traffic type needs its own',
      );
    }
    const out = { kind: lb.kind, source: lb.source, traffic: facts, loadBalancers: lb.loadBalancers ?? null };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (!facts.length) return verdict.skipped(ID, 'no traffic ports in the descriptor (corda.ports)', out);
    return verdict.passed(
      ID,
      `${lb.kind} load balancer (${lb.source}): ${facts
        .map((f) => {
          const p = f.probe as { protocol: string; port: number; intervalSeconds: number; unhealthyThreshold: number } | undefined;
          return `${f.traffic} ${f.port} ${p ? `${p.protocol.toUpperCase()} probe every ${p.intervalSeconds} s × ${p.unhealthyThreshold}` : ''}`;
        })
        .join(', ')}; rules forward to the same ports over a pool of both machines` + (lb.kind === 'azure' ? ', session persistence None' : ''),
      out,
    );
  },
};
