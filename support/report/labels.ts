/**
 * One place that says how a guarantee is labelled in every report (Allure from Cucumber and from ha-validate,
 * JUnit, JSON), so a failure points back to its source the same way everywhere.
 */
import type { Check } from '../checks/types.ts';

export const SEED_TITLES: Record<string, string> = {
  '000_4754860e3f69ef52.txt': 'IBM Blockchain Platform: multiregion HA for peers',
  '001_238a5385a6b4ecd6.txt': 'IBM Blockchain Platform: multiregion HA for a Raft ordering service',
  '002_a604311724210ef9.txt': 'Fabric test network on Kubernetes: HA peers behind a Service',
  '003_5c373af40a37b51c.txt': 'Corda Enterprise HA deployment overview',
  '004_8c00204a8238b968.txt': 'Corda Enterprise hot-cold deployment',
};

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

/** Where each seed document is published. */
export const SEED_URLS: Record<string, string> = {
  '000_4754860e3f69ef52.txt': 'https://cloud.ibm.com/docs/blockchain?topic=blockchain-ibp-console-hadr-mr',
  '001_238a5385a6b4ecd6.txt': 'https://cloud.ibm.com/docs/blockchain?topic=blockchain-ibp-console-hadr-mr-os',
  '002_a604311724210ef9.txt': 'https://github.com/hyperledger/fabric-samples/blob/main/test-network-k8s/docs/HIGH_AVAILABILITY.md',
  '003_5c373af40a37b51c.txt': 'https://docs.r3.com/en/platform/corda/4.8/enterprise/node/deploy/hot-cold-deployment.html',
  '004_8c00204a8238b968.txt': 'https://docs.r3.com/releases/3.2/hot-cold-deployment.html',
};

/** A link to the source document and section the guarantee comes from. */
export function sourceLink(check: Check): { name: string; url: string } {
  const url = SEED_URLS[check.source.seed] ?? 'https://github.com/hyperledger-labs/fabric-operator/issues/34';
  return { name: `${check.source.document}: ${check.source.section}`, url };
}
