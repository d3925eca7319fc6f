import { verdict, type Check } from './types.ts';
import { names, noCorda, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-ID-01';

export const check: Check = {
  id: ID,
  title: 'Primary and backup are one legal identity with the same certificates, node infos, network parameters and CorDapps',
  area: 'corda',
  kinds: ['static'],
  guarantee:
    'Primary and backup are one legal identity: the same `myLegalName`, and the backup carries the same ' +
    '`certificates/`, `additional-node-infos/`, `network-parameters` and CorDapps as the primary.',
  evidence: {
    static: '`node.conf` of each node; hashes of those files and directories',
    live: null,
  },
  violation: 'a backup with a different network-parameters file',
  sources: [cite(DOCS.cordaHotCold, 'Node deployment'), cite(DOCS.cordaOverview, 'HA Deployment Overview')],
  severity: 'blocker',
  remediation:
    'Set the same myLegalName in both node.conf files and copy certificates/, additional-node-infos/, network-parameters ' +
    'and the CorDapps (cordapps/ and any jars) from the primary\'s base directory to the backup\'s, then re-run the check.',
  needs: ['corda.nodes'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const nodes = corda.nodes ?? [];
    const primary = nodes.find((n) => n.role === 'primary') ?? nodes[0];
    const others = nodes.filter((n) => n !== primary);
    if (!primary || !others.length) return verdict.skipped(ID, `the descriptor has ${nodes.length} Corda node${nodes.length === 1 ? '' : 's'}: nothing to compare`);
    const problems: string[] = [];
    const facts = nodes.map((n) => ({ name: n.name, role: n.role, source: n.source, myLegalName: n.myLegalName ?? null, files: n.fileHashes ?? {} }));
    for (const n of nodes) if (!n.myLegalName) problems.push(`${n.name}: node.conf sets no myLegalName (${n.source})`);
    let compared = 0;
    for (const other of others) {
      if (primary.myLegalName && other.myLegalName && primary.myLegalName !== other.myLegalName) {
        problems.push(`${other.name} has myLegalName "${other.myLegalName}", ${primary.name} has "${primary.myLegalName}" (${other.source})`);
      }
      const a = primary.fileHashes ?? {};
      const b = other.fileHashes ?? {};
      for (const file of unique([...Object.keys(a), ...Object.keys(b)]).sort()) {
        compared++;
        if (!(file in b)) problems.push(`${other.name} lacks ${file}, which ${primary.name} has`);
        else if (!(file in a)) problems.push(`${other.name} has ${file}, which ${primary.name} lacks`);
        else if (a[file] !== b[file]) {
          problems.push(`${file} differs between ${primary.name} (sha256 ${a[file].slice(0, 12)}…) and ${other.name} (sha256 ${b[file].slice(0, 12)}…)`);
        }
      }
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    const files = unique(nodes.flatMap((n) => Object.keys(n.fileHashes ?? {})));
    return verdict.passed(
      ID,
      `${names(nodes.map((n) => n.name))} share myLegalName "${primary.myLegalName}"` +
        (compared ? ` and identical ${names(files, 5)} (${files.length} files, SHA-256)` : '; no files were hashed (filesToMatch empty or base directories not given): contents not compared'),
      facts,
    );
  },
};
