import { verdict, type Check } from './types.ts';
import { names, summarize, unique, peerOrgs } from './common.ts';
import { clusterOf, podsNamed } from './kube.ts';
import { describeConflict, regionBasis } from '../evidence/placement.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-PEER-01';

export const check: Check = {
  id: ID,
  title: 'Each organization runs redundant peers in different regions',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'Each organization runs redundant peers in different regions, so that a failure in any single region ' +
    'leaves it a peer.',
  evidence: {
    static: 'the peers of each organization mapped to regions',
    live: 'the running peers per region',
  },
  violation: 'all peers of an organization in one region',
  sources: [
    cite(DOCS.peers, 'Setting up multiregion High Availability (HA) deployments for peers'),
    cite(DOCS.peers, 'Step four: Create new peers in cluster two and three and join a channel'),
  ],
  severity: 'critical',
  remediation:
    'Create peers for the organization in at least one more region, using the organization CA and MSP imported from ' +
    'the first cluster (not new ones), join them to the same channels and make them anchor peers, so that losing one ' +
    'region leaves the organization a peer.',
  needs: ['fabric.orgs', 'fabric.kubernetes'],
  evaluate(evidence) {
    const found = peerOrgs(evidence, ID);
    if ('verdict' in found) return found.verdict;
    const { fabric, orgs } = found;
    // Regions are judged where the evidence places the peers; a claim it contradicts fails on its own.
    const problems: string[] = orgs.flatMap((o) => o.peers.flatMap((p) => p.placement.conflicts.filter((c) => c.field === 'region').map((c) => describeConflict(p.name, c))));
    const unplaced: string[] = [];
    const facts: Array<{ org: string; regions: Record<string, string[]>; running?: Record<string, string[]> }> = [];
    const summary: string[] = [];
    let liveOrgs = 0;
    for (const org of orgs) {
      const regions: Record<string, string[]> = {};
      for (const p of org.peers) {
        if (p.region === undefined) unplaced.push(p.name);
        else (regions[p.region] ??= []).push(p.name);
      }
      const used = Object.keys(regions).sort();
      const fact: (typeof facts)[number] = { org: org.name, regions };
      facts.push(fact);
      if (used.length < 2) {
        const placed = org.peers.filter((p) => p.region !== undefined);
        // with peers of unknown region it may still be spread; with every peer placed in one region it is not
        if (placed.length === org.peers.length && used.length === 1) {
          problems.push(`${org.name}: all ${org.peers.length} peers (${names(org.peers.map((p) => p.name))}) are in region ${used[0]} (${regionBasis(org.peers, fabric, 'peers')})`);
        }
        continue;
      }
      summary.push(`${org.name} ${used.join(',')}`);
      // Live: where the cluster of every region is read through the API, count the peers that are running.
      const clusters = used.map((r) => clusterOf(fabric, r));
      if (clusters.every((c) => c?.origin === 'api')) {
        liveOrgs++;
        const running: Record<string, string[]> = {};
        for (const [r, peers] of Object.entries(regions)) {
          const cluster = clusterOf(fabric, r)!;
          const up = peers.filter((p) => podsNamed(cluster, p).some((pod) => pod.ready === true));
          if (up.length) running[r] = up;
        }
        fact.running = running;
        const liveRegions = Object.keys(running).sort();
        if (liveRegions.length < 2) {
          problems.push(
            `${org.name}: running peers only in ${liveRegions.length ? `region ${liveRegions.join(', ')}` : 'no region'} ` +
              `(ready pods in the Kubernetes API of ${used.join(', ')}); the peers in ${names(used.filter((r) => !running[r]))} are not running`,
          );
        }
      }
    }
    const basis = regionBasis(orgs.flatMap((o) => o.peers), fabric, 'peers');
    if (problems.length) return verdict.failed(ID, summarize(problems), { organizations: facts, basis });
    if (unplaced.length) {
      return verdict.skipped(
        ID,
        `cannot place ${names(unplaced)}: the descriptor claims no region for ${unplaced.length > 1 ? 'them' : 'it'} and no Kubernetes evidence ` +
          `(manifests or an API context of a region) holds ${unplaced.length > 1 ? 'their' : 'its'} workload`,
        { organizations: facts, basis },
      );
    }
    return verdict.passed(
      ID,
      `${orgs.length} organizations, each with peers in at least 2 regions: ${summary.join('; ')} (${basis})` +
        (liveOrgs ? `; running peers confirmed in ≥2 regions for ${liveOrgs} of them (Kubernetes API)` : '; running peers not observed'),
      { organizations: facts, regions: unique(fabric.regions ?? []), basis },
    );
  },
};
