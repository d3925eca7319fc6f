import { verdict, type Check } from './types.ts';
import { names, noCorda, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'CORDA-FS-01';

export const check: Check = {
  id: ID,
  title: "The artemis directory of both nodes is the one shared network drive",
  area: 'corda',
  kinds: ['static', 'live'],
  guarantee: 'The Artemis directory (`<base dir>/artemis`) of both nodes is the one shared network drive.',
  evidence: {
    static: "mounts and symbolic links of both nodes' artemis paths",
    live: "a file written through one node's path is read through the other's",
  },
  violation: 'a local, unshared artemis directory',
  sources: [
    cite(DOCS.cordaHotCold, 'Configuring the shared network drive'),
    cite(DOCS.cordaOverview, 'HA Deployment Overview'),
  ],
  severity: 'critical',
  remediation:
    'Mount the shared network drive (Azure File Share, AWS EFS, NFS) on both machines and make <base dir>/artemis of ' +
    'each node a symbolic link to the same directory on it (e.g. ln -s /mnt/share/artemis /opt/corda/artemis); a local ' +
    'artemis directory loses the P2P messages in flight when the other node takes over.',
  needs: ['corda.nodes', 'live.sharedDrive'],
  evaluate(evidence) {
    const corda = evidence.corda;
    if (!corda) return noCorda(ID);
    const nodes = corda.nodes ?? [];
    if (nodes.length < 2) return verdict.skipped(ID, `the descriptor has ${nodes.length} Corda node${nodes.length === 1 ? '' : 's'}: nothing to compare`);
    const live = evidence.live?.sharedDrive;
    const withArtemis = nodes.filter((n) => n.artemis);
    const facts = {
      nodes: nodes.map((n) => ({ name: n.name, machine: n.machine, artemis: n.artemis ?? null })),
      live: live ?? null,
    };
    if (!withArtemis.length && !live) {
      return verdict.skipped(ID, 'no base directories given for the Corda nodes and no live shared-drive test: cannot see the artemis directories', facts);
    }
    const problems: string[] = [];
    let staticJudged = false;
    if (withArtemis.length) {
      for (const n of nodes) {
        if (!n.artemis) problems.push(`${n.name}: artemis directory unknown (no base directory given)`);
        else if (!n.artemis.exists) problems.push(`${n.name}: artemis directory ${n.artemis.path} does not exist`);
      }
      const existing = nodes.filter((n) => n.artemis?.exists);
      if (existing.length === nodes.length) {
        staticJudged = true;
        const reals = unique(existing.map((n) => n.artemis!.realPath ?? n.artemis!.path));
        if (reals.length > 1) {
          problems.push(
            `the artemis directories are not one drive: ${existing
              .map((n) => `${n.name} ${n.artemis!.path}${n.artemis!.realPath && n.artemis!.realPath !== n.artemis!.path ? ` → ${n.artemis!.realPath}` : ' (not a link)'}`)
              .join(', ')}`,
          );
        }
      }
    }
    if (live && !live.seen) {
      problems.push(`a marker file written through ${live.wroteThrough} was not seen through ${live.readThrough} (${live.source}): the directories are not shared`);
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), facts);
    const parts: string[] = [];
    if (staticJudged) {
      const machines = unique(nodes.map((n) => n.machine));
      parts.push(
        `artemis of ${names(nodes.map((n) => n.name))} resolves to ${nodes[0].artemis!.realPath ?? nodes[0].artemis!.path}` +
          (machines.length > 1 && !live ? ' (the same path on different machines; only the live marker test proves it is one drive)' : ''),
      );
    }
    if (live) parts.push(`a marker written through ${live.wroteThrough} was read through ${live.readThrough} (live)`);
    else parts.push('no live shared-drive test');
    return verdict.passed(ID, parts.join('; '), facts);
  },
};
