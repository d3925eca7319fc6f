import { verdict, type Check } from './types.ts';
import { isReachabilityError, names, noCorda, redactUrl, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-DB-01';

/** failures to log in are the harness's credentials, not the deployment's database */
function isCredentialError(message: string | undefined): boolean {
  return /password authentication failed|authentication failed|no password|permission denied|SASL|role .* does not exist/i.test(message ?? '');
}

export const check: Check = {
  id: ID,
  title: 'Both nodes use one shared database (same JDBC URL and user), and it is reachable',
  area: 'corda',
  kinds: ['static', 'live'],
  guarantee: 'Both nodes use one shared database (the same JDBC URL and user), and it is reachable.',
  evidence: {
    static: '`dataSourceProperties` of both `node.conf` files',
    live: 'a connection to the database',
  },
  violation: 'two different database URLs',
  sources: [cite(DOCS.cordaHotCold, 'Overview'), cite(DOCS.cordaOverview, 'HA Deployment Overview')],
  severity: 'blocker',
  remediation:
    'Point dataSourceProperties.dataSource.url and dataSource.user of both node.conf files at the one shared (replicated) ' +
    'database, unquoted where they use ${…} substitutions, and make sure both machines can reach it: the mutual-exclusion ' +
    'lease lives in that database.',
  needs: ['corda.nodes', 'corda.database', 'live.database'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const nodes = corda.nodes ?? [];
    if (nodes.length < 2) return verdict.skipped(ID, `the descriptor has ${nodes.length} Corda node${nodes.length === 1 ? '' : 's'}: nothing to compare`);
    const problems: string[] = [];
    const facts = nodes.map((n) => ({ name: n.name, source: n.source, url: n.dataSource?.url ? redactUrl(n.dataSource.url) : null, user: n.dataSource?.user ?? null }));
    for (const n of nodes) {
      for (const l of n.literalPlaceholders ?? []) {
        if (/dataSource\.(url|user)$/.test(l.field)) {
          problems.push(`${n.name}: ${l.field} is the literal text "${l.value}" (${n.source}): HOCON does not expand \${…} inside a quoted string`);
        }
      }
      if (!n.dataSource?.url) problems.push(`${n.name}: dataSourceProperties.dataSource.url is not set (${n.source})`);
    }
    const urls = unique(nodes.map((n) => n.dataSource?.url).filter((u): u is string => Boolean(u)).map(redactUrl));
    const users = unique(nodes.map((n) => n.dataSource?.user ?? '(none)'));
    if (urls.length > 1) problems.push(`the nodes use ${urls.length} different database URLs: ${nodes.map((n) => `${n.name} → ${redactUrl(n.dataSource?.url ?? '(none)')}`).join(', ')}`);
    if (users.length > 1) problems.push(`the nodes log in as different users: ${nodes.map((n) => `${n.name} → ${n.dataSource?.user ?? '(none)'}`).join(', ')}`);

    const live = evidence.live?.database;
    let liveText = '; reachability not observed (no live evidence)';
    let broken: string | undefined;
    if (live) {
      if (live.reachable) liveText = `; reachable from the harness (${redactUrl(live.source)})`;
      else if (isCredentialError(live.error)) broken = `could not log in to the database ${redactUrl(live.source)}: ${live.error} (the harness's credentials)`;
      else {
        problems.push(
          `database ${redactUrl(live.source)} is not reachable${isReachabilityError(live.error) ? '' : ' (it answered with an error)'}: ${live.error ?? 'no answer'}`,
        );
      }
    }
    const descriptorUrl = corda.database?.url ? redactUrl(corda.database.url) : undefined;
    const note = descriptorUrl && urls.length === 1 && descriptorUrl !== urls[0] ? `; note: the descriptor's database URL ${descriptorUrl} differs from the nodes'` : '';
    const out = {
      nodes: facts,
      descriptor: corda.database ? { url: descriptorUrl ?? null, user: corda.database.user ?? null, source: corda.database.source } : null,
      live: live ? { ...live, source: redactUrl(live.source) } : null,
    };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (broken) return verdict.broken(ID, broken, out);
    return verdict.passed(ID, `${names(nodes.map((n) => n.name))} share database ${urls[0]} as user ${users[0]}${liveText}${note}`, out);
  },
};
