/**
 * The Givens: they describe the reference layout the scenario speaks of, and show the target as it is. A target
 * laid out differently is not an error here: the checks judge the guarantee, not the reference layout, and a note
 * says how the target differs.
 */
import { Given, type DataTable } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import { placementShown } from '../support/evidence/placement.ts';

function spread(regions: string[], members: Array<{ region?: string }>): string {
  return regions.map((r) => members.filter((m) => m.region === r).length).join('-');
}

Given('an ordering service of {int} nodes spread {layout} over {int} regions', async function (this: HaWorld, nodes: number, layout: number[], regions: number) {
  const f = this.fabric();
  const actual = `${f.orderers.length} nodes spread ${spread(f.regions, f.orderers)} over ${f.regions.length} regions`;
  await this.show(
    'ordering nodes',
    f.orderers.map((o) => ({ name: o.name, org: o.org, host: `${o.host}:${o.port}`, ...placementShown(o.placement) })),
  );
  const stated = `${nodes} nodes spread ${layout.join('-')} over ${regions} regions`;
  if (actual !== stated) {
    await this.note(`the scenario describes the reference layout (${stated}); this target has ${actual}. The guarantee is judged on the target as it is.`);
  }
});

Given('the organizations run peers in these regions:', async function (this: HaWorld, table: DataTable) {
  const f = this.fabric();
  const actual = new Map(f.orgs.map((o) => [o.name, [...new Set(o.peers.map((p) => p.region))].sort().join(', ')]));
  await this.show(
    'peers',
    f.orgs.flatMap((o) => o.peers.map((p) => ({ org: o.name, mspId: o.mspId, peer: p.name, host: `${p.host}:${p.port}`, ...placementShown(p.placement) }))),
  );
  const differences: string[] = [];
  for (const row of table.hashes()) {
    const want = row.regions.split(',').map((r) => r.trim()).sort().join(', ');
    const got = actual.get(row.organization);
    if (got === undefined) differences.push(`no organization ${row.organization}`);
    else if (got !== want) differences.push(`${row.organization} has peers in ${got || 'no region'}, not ${want}`);
  }
  if (differences.length) {
    await this.note(`the scenario describes the reference layout; this target differs: ${differences.join('; ')}. The guarantee is judged on the target as it is.`);
  }
});

Given('a Corda hot-cold pair: a primary and a backup on two machines', async function (this: HaWorld) {
  const c = this.corda();
  await this.show(
    'Corda nodes',
    c.nodes.map((n) => ({ name: n.name, role: n.role, machine: n.machine, config: n.source, myLegalName: n.myLegalName })),
  );
  const primaries = c.nodes.filter((n) => n.role === 'primary').length;
  const backups = c.nodes.filter((n) => n.role === 'backup').length;
  const machines = new Set(c.nodes.map((n) => n.machine)).size;
  if (primaries !== 1 || backups !== 1 || machines !== 2) {
    await this.note(`the scenario describes one primary and one backup on two machines; this target has ${primaries} primary, ${backups} backup on ${machines} machine(s)`);
  }
});
