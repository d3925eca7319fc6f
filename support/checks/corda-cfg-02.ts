import { verdict, type Check } from './types.ts';
import { canonicalIp, isIpAddress, names, noCorda, normalizeHost, splitHostPort, summarize } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-CFG-02';

const FIELDS: Array<{ key: 'p2pAddress' | 'rpcAddress' | 'adminAddress'; conf: string }> = [
  { key: 'p2pAddress', conf: 'p2pAddress' },
  { key: 'rpcAddress', conf: 'rpcSettings.address' },
  { key: 'adminAddress', conf: 'rpcSettings.adminAddress' },
];

function sameHost(a: string, b: string): boolean {
  if (isIpAddress(a) && isIpAddress(b)) return canonicalIp(a) === canonicalIp(b);
  return normalizeHost(a) === normalizeHost(b);
}

export const check: Check = {
  id: ID,
  title: "Both nodes advertise the load balancer as P2P address and their own machine for RPC and admin",
  area: 'corda',
  kinds: ['static'],
  guarantee:
    "Both nodes advertise the load balancer: `p2pAddress` is the load balancer's address and P2P port on both; " +
    "`rpcSettings.address` and `adminAddress` are each node's own machine address.",
  evidence: {
    static: '`node.conf`',
    live: null,
  },
  violation: 'a node advertising its own machine as P2P address',
  sources: [cite(DOCS.cordaHotCold, 'Node configuration'), cite(DOCS.cordaHotCold, 'Configuring the load balancer')],
  severity: 'critical',
  remediation:
    'In both node.conf files set p2pAddress to the load balancer\'s address and the P2P port, and rpcSettings.address ' +
    'and rpcSettings.adminAddress to the node\'s own machine address. When composing them from variables, write the ' +
    'substitution unquoted (p2pAddress = ${LOAD_BALANCER_ADDRESS}":"${P2P_PORT}): inside quotes HOCON does not expand ${…}.',
  needs: ['corda.nodes', 'corda.loadBalancer'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const nodes = corda.nodes ?? [];
    if (!nodes.length) return verdict.skipped(ID, 'no Corda nodes in the descriptor');
    const lb = corda.loadBalancerAddress ?? corda.loadBalancer?.address;
    const p2pPort = corda.ports?.p2p;
    const problems: string[] = [];
    const facts = nodes.map((n) => ({
      name: n.name,
      source: n.source,
      machine: n.machine,
      p2pAddress: n.p2pAddress ?? null,
      rpcAddress: n.rpcAddress ?? null,
      adminAddress: n.adminAddress ?? null,
      literalPlaceholders: n.literalPlaceholders ?? [],
    }));
    for (const n of nodes) {
      const literal = new Map((n.literalPlaceholders ?? []).map((l) => [l.field, l.value]));
      for (const { key, conf } of FIELDS) {
        const value = n[key];
        const lit = literal.get(conf) ?? literal.get(key) ?? (value && /\$\{[^}]*\}/.test(value) ? value : undefined);
        if (lit !== undefined) {
          problems.push(
            `${n.name}: ${conf} is the literal text "${lit}" (${n.source}): HOCON does not expand \${…} inside a quoted string; ` +
              'write the substitution unquoted, e.g. ${LB}":"${PORT}',
          );
          continue;
        }
        const hp = splitHostPort(value);
        if (!hp) {
          problems.push(`${n.name}: ${conf} is not set (${n.source})`);
          continue;
        }
        if (key === 'p2pAddress') {
          if (lb && !sameHost(hp.host, lb)) {
            problems.push(
              `${n.name}: p2pAddress ${value} advertises ${sameHost(hp.host, n.machine) ? 'its own machine' : hp.host}, not the load balancer ${lb} (${n.source})`,
            );
          } else if (p2pPort !== undefined && hp.port !== p2pPort) {
            problems.push(`${n.name}: p2pAddress ${value} uses port ${hp.port ?? '(none)'}, not the P2P port ${p2pPort} (${n.source})`);
          }
        } else if (!sameHost(hp.host, n.machine)) {
          problems.push(`${n.name}: ${conf} ${value} is not the node's own machine ${n.machine} (${n.source})`);
        }
      }
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), { loadBalancer: lb ?? null, p2pPort, nodes: facts });
    if (!lb) {
      return verdict.skipped(ID, 'no load balancer address in the descriptor (corda.loadBalancer.address): cannot tell whether p2pAddress is the load balancer', {
        nodes: facts,
      });
    }
    return verdict.passed(
      ID,
      `${names(nodes.map((n) => n.name))} advertise p2pAddress ${lb}:${p2pPort} (the load balancer) and their own machines for ` +
        `rpcSettings.address/adminAddress (${nodes.map((n) => n.machine).join(', ')})`,
      { loadBalancer: lb, p2pPort, nodes: facts },
    );
  },
};
