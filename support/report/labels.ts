/**
 * One place that says how a guarantee is labelled in every report (Allure from Cucumber and from ha-validate,
 * JUnit, JSON), so a failure points back to its source the same way everywhere.
 */
import type { Check } from '../checks/types.ts';
import { sectionLabel } from '../checks/sources.ts';

export interface ReportLabel {
  name: string;
  value: string;
}

export function allureLabels(check: Check): ReportLabel[] {
  return [
    { name: 'epic', value: check.area === 'fabric' ? 'Fabric' : 'Corda' },
    { name: 'feature', value: featureOf(check.id) },
    { name: 'story', value: `${check.id} ${check.title}` },
    { name: 'severity', value: check.severity },
    { name: 'tag', value: check.id },
    ...check.kinds.map((k) => ({ name: 'tag', value: k })),
  ];
}

export function featureOf(id: string): string {
  if (id.startsWith('FAB-ORD')) return 'Raft ordering service';
  if (id.startsWith('FAB-PEER')) return 'Peers of an organization';
  if (id.startsWith('FAB-GW')) return 'Peer gateway Service';
  if (id.startsWith('CORDA-LB')) return 'Load balancer';
  return 'Hot-cold pair';
}

/** The links to the public documents the guarantee comes from (Allure shows them under "Links"). */
export function sourceLinks(check: Check): Array<{ name: string; url: string }> {
  return check.sources.map((source) => ({ name: `${source.title} (${sectionLabel(source)})`, url: source.url }));
}
