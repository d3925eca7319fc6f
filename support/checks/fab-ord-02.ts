import type { OrderingNodeInfo } from '../evidence/model.ts';
import { describeConflict, regionBasis } from '../evidence/placement.ts';
import { verdict, type Check } from './types.ts';
import { consenterName, findOrderer, isRaft, majority, names, noFabric, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-02';

export const check: Check = {
  id: ID,
  title: 'Losing any single region leaves the ordering service a majority of consenters',
  area: 'fabric',
  kinds: ['static'],
  guarantee:
    'Losing any single region leaves a majority of consenters: for every region r, the consenters outside r ' +
    'number at least ⌊n/2⌋+1. The reference layout places five consenters 2-1-2 over three regions.',
  evidence: {
    static: 'the consenters mapped to regions through the placement of their ordering nodes (pods, hosts)',
    live: 'none of its own: the FAB-ORD-03 drill loses each region for real',
  },
  violation: 'five consenters placed 3-1-1, or five nodes in two regions',
  sources: [cite(DOCS.ordering, 'Setting up multiregion High Availability (HA) deployments for the ordering service')],
  severity: 'blocker',
  remediation:
    'Place the consenters so that no region holds half of them or more: for every region r, the consenters outside r ' +
    'must number at least ⌊n/2⌋+1 (five consenters over three regions as 2-1-2). Move ordering nodes to another region ' +
    'or add nodes in the under-represented regions and add them to every channel\'s consenter set. Every consenter must ' +
    'be a deployed ordering node of the descriptor (host:port) so its region is known. Where the descriptor\'s region of a ' +
    'node disagrees with the region whose manifests (or API) hold its workload, correct the descriptor, or move the workload back.',
  needs: ['fabric.channels', 'fabric.orderers'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = (fabric.channels ?? []).filter((c) => isRaft(c.consensusType) && c.consenters.length > 0);
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with consenters: cannot see the consenter set');
    const orderers = fabric.orderers ?? [];
    if (!orderers.length) {
      return verdict.skipped(ID, 'no ordering nodes in the descriptor: cannot map consenters to regions');
    }
    // The layout is judged where the evidence places the nodes; a claim it contradicts is a failure of its own:
    // the descriptor is what operators plan region losses (and drills) with.
    const problems: string[] = orderers.flatMap((o) => o.placement.conflicts.filter((c) => c.field === 'region').map((c) => describeConflict(o.name, c)));
    const facts: Array<{ channel: string; layout: Record<string, string[]>; unmapped: string[]; unplaced: string[] }> = [];
    const layouts = new Set<string>();
    const unplacedAll = new Set<string>();
    const consenting = new Set<OrderingNodeInfo>();
    for (const ch of channels) {
      const byRegion: Record<string, string[]> = {};
      const unmapped: string[] = [];
      const unplaced: string[] = [];
      for (const c of ch.consenters) {
        const o = findOrderer(orderers, c);
        if (!o) {
          unmapped.push(consenterName(c));
          continue;
        }
        consenting.add(o);
        if (o.region === undefined) {
          unplaced.push(o.name);
          continue;
        }
        (byRegion[o.region] ??= []).push(o.name);
      }
      facts.push({ channel: ch.name, layout: byRegion, unmapped, unplaced });
      if (unmapped.length) {
        problems.push(
          `channel ${ch.name}: consenter${unmapped.length > 1 ? 's' : ''} ${names(unmapped)} match${unmapped.length > 1 ? '' : 'es'} ` +
            `no ordering node of the descriptor (by host:port), so ${unmapped.length > 1 ? 'their' : 'its'} region is unknown (${ch.source})`,
        );
        continue;
      }
      const n = ch.consenters.length;
      const need = majority(n);
      const regions = unique([...(fabric.regions ?? []), ...Object.keys(byRegion)]);
      const used = Object.keys(byRegion).sort();
      const layout = regions.map((r) => (byRegion[r] ?? []).length).join('-');
      if (unplaced.length) {
        // Wherever the unplaced ones run, a region that already holds too many fails.
        for (const u of unplaced) unplacedAll.add(u);
        for (const r of used) {
          const inside = byRegion[r];
          if (n - inside.length < need) {
            problems.push(`channel ${ch.name}: losing region ${r} leaves at most ${n - inside.length} of ${n} consenters; a majority is ${need} (${r} holds ${inside.length}: ${names(inside)})`);
          }
        }
        continue;
      }
      layouts.add(`${layout} over ${regions.join(', ')}`);
      if (used.length < 3) {
        problems.push(
          `channel ${ch.name}: all ${n} consenters are in ${used.length === 1 ? 'one region' : `${used.length} regions`} (${used.join(', ')}): ` +
            `losing the larger one loses quorum`,
        );
        continue;
      }
      for (const r of used) {
        const inside = byRegion[r];
        const outside = n - inside.length;
        if (outside < need) {
          problems.push(
            `channel ${ch.name}: losing region ${r} leaves ${outside} of ${n} consenters; a majority is ${need} ` +
              `(${r} holds ${inside.length}: ${names(inside)}; layout ${layout})`,
          );
        }
      }
    }
    const basis = regionBasis([...consenting], fabric, 'ordering nodes');
    const placement = orderers.map((o) => ({ name: o.name, region: o.placement.region ?? null, claims: o.claims, conflicts: o.placement.conflicts }));
    const out = { channels: facts, placement, basis };
    if (problems.length) return verdict.failed(ID, `${summarize(problems)} (${basis})`, out);
    if (unplacedAll.size) {
      return verdict.skipped(
        ID,
        `cannot place ${names([...unplacedAll])}: the descriptor claims no region for ${unplacedAll.size > 1 ? 'them' : 'it'} and no Kubernetes evidence ` +
          `(manifests or an API context of a region) holds ${unplacedAll.size > 1 ? 'their' : 'its'} workload`,
        out,
      );
    }
    return verdict.passed(
      ID,
      `${channels.length} channel${channels.length > 1 ? 's' : ''} (${names(channels.map((c) => c.name))}): consenters placed ` +
        `${[...layouts].join('; ')}; losing any one region leaves a majority (${basis})`,
      out,
    );
  },
};
