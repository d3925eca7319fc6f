import { verdict, type Check } from './types.ts';
import { names, noCorda, normalizeHost, summarize } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-CFG-01';
const PATH = 'enterpriseConfiguration.mutualExclusionConfiguration';

export const check: Check = {
  id: ID,
  title: 'Mutual exclusion is on for both nodes, waitInterval > updateInterval, machineName distinct',
  area: 'corda',
  kinds: ['static'],
  guarantee:
    'Mutual exclusion is on for both nodes: `enterpriseConfiguration.mutualExclusionConfiguration.on = true`, ' +
    '`waitInterval` greater than `updateInterval`, and `machineName`, where set, different per node.',
  evidence: {
    static: '`node.conf` (HOCON, with `${VAR}` substitutions)',
    live: null,
  },
  violation: '`waitInterval` ≤ `updateInterval`; `on = false`',
  sources: [cite(DOCS.cordaHotCold, 'Mutual exclusion')],
  severity: 'blocker',
  remediation:
    `Set ${PATH} { on = true, updateInterval = 20000, waitInterval = 40000 } in both node.conf files (waitInterval ` +
    'strictly greater than updateInterval), and give each node its own machineName (e.g. machineName = ${UNIQUE_ID} ' +
    'unquoted) — two instances with the same host name and base directory count as one machine and both take the lease.',
  needs: ['corda.nodes'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const nodes = corda.nodes ?? [];
    if (!nodes.length) return verdict.skipped(ID, 'no Corda nodes in the descriptor');
    const problems: string[] = [];
    const facts = nodes.map((n) => ({ name: n.name, source: n.source, machine: n.machine, baseDirectory: n.baseDirectory ?? null, ...n.mutualExclusion }));
    for (const n of nodes) {
      const me = n.mutualExclusion ?? {};
      if (me.on !== true) {
        problems.push(`${n.name}: ${PATH}.on = ${me.on === undefined ? 'not set (default false)' : String(me.on)} (${n.source})`);
      }
      if (typeof me.updateInterval !== 'number') problems.push(`${n.name}: ${PATH}.updateInterval is not set (${n.source})`);
      if (typeof me.waitInterval !== 'number') problems.push(`${n.name}: ${PATH}.waitInterval is not set (${n.source})`);
      if (typeof me.updateInterval === 'number' && typeof me.waitInterval === 'number' && me.waitInterval <= me.updateInterval) {
        problems.push(`${n.name}: waitInterval ${me.waitInterval} ≤ updateInterval ${me.updateInterval}: Corda refuses to start (${n.source})`);
      }
    }
    // Identity in the lease: <baseDirectory>/<machineName>, machineName defaulting to the host name.
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i];
        const b = nodes[j];
        const ma = a.mutualExclusion?.machineName;
        const mb = b.mutualExclusion?.machineName;
        if (ma !== undefined && mb !== undefined) {
          if (ma === mb) problems.push(`${a.name} and ${b.name} both set machineName "${ma}": the lease cannot tell them apart`);
          continue;
        }
        const ea = ma ?? normalizeHost(a.machine);
        const eb = mb ?? normalizeHost(b.machine);
        const sameDir = (a.baseDirectory ?? '') === (b.baseDirectory ?? '');
        if (ea === eb && sameDir) {
          problems.push(
            `${a.name} and ${b.name} ${ma === undefined && mb === undefined ? 'set no machineName, so both default to' : 'resolve to'} machine "${ea}" ` +
              `with the same base directory${a.baseDirectory ? ` ${a.baseDirectory}` : ''}: they count as one machine and both take the lease`,
          );
        }
      }
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    const n0 = nodes[0].mutualExclusion;
    return verdict.passed(
      ID,
      `mutual exclusion on for ${names(nodes.map((n) => n.name))} (updateInterval ${n0.updateInterval} ms < waitInterval ${n0.waitInterval} ms` +
        `${nodes.some((n) => n.mutualExclusion.updateInterval !== n0.updateInterval || n.mutualExclusion.waitInterval !== n0.waitInterval) ? ', values differ per node' : ''}); ` +
        `lease identities distinct (${nodes.map((n) => n.mutualExclusion.machineName ?? `host ${n.machine}`).join(', ')})`,
      facts,
    );
  },
};
