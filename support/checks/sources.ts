/**
 * The public documents the guarantees come from, each with the sections the checks cite (heading → the anchor of
 * that heading on the published page). A check cites a section with `cite(DOCS.x, '<heading>')`; the compiler
 * rejects a heading the document does not have. The text of a document's opening, above its first heading, is
 * cited by the document's own title.
 *
 * These are citations, not copies: docs/guarantees.md and every report link to the published page.
 */
import type { Source } from './types.ts';

export interface SourceDocument {
  /** who publishes it, and in which collection */
  publisher: string;
  title: string;
  /** the published page */
  url: string;
  /** heading → anchor on the page ('' when the page gives the heading none) */
  sections: Readonly<Record<string, string>>;
}

export const DOCS = {
  peers: {
    publisher: 'IBM Cloud Docs, IBM Blockchain Platform',
    title: 'Setting up multiregion High Availability (HA) deployments for peers',
    url: 'https://cloud.ibm.com/docs/blockchain?topic=blockchain-ibp-console-hadr-mr',
    sections: {
      'Setting up multiregion High Availability (HA) deployments for peers': 'ibp-console-hadr-mr',
      Overview: 'ibp-console-hadr-overview',
      'Configuration steps': 'ibp-console-hadr-config',
      "Step one: Create the peer organization's CA and metadata in cluster one": 'ibp-console-hadr-peerCA',
      'Step two: Export the metadata and identities from cluster one': 'ibp-console-hadr-export-meta1',
      'Step three: Import the metadata and identities in to cluster two and three': 'ibp-console-hadr-import-meta23',
      'Step four: Create new peers in cluster two and three and join a channel': 'ibp-console-hadr-create-new-peers',
    },
  },
  ordering: {
    publisher: 'IBM Cloud Docs, IBM Blockchain Platform',
    title: 'Setting up multiregion High Availability (HA) deployments for the ordering service',
    url: 'https://cloud.ibm.com/docs/blockchain?topic=blockchain-ibp-console-hadr-mr-os',
    sections: {
      'Setting up multiregion High Availability (HA) deployments for the ordering service': 'ibp-console-hadr-mr-os',
      'Before you begin': 'ibp-console-hadr-mr-os-prereq',
      'Use your CA to register identities': 'ibp-console-hadr-mr-os-region1-ca-reg',
      'Add the `OS2-Region1` node to the orderer system channel': 'ibp-console-hadr-mr-os-region1-osn2-system',
      'Add the ordering nodes to the orderer system channel': 'ibp-console-hadr-mr-os-region3-system',
      'Update the ordering service in Region 1, Region 2, and Region 3.': 'ibp-console-hadr-mr-os-update',
    },
  },
  k8sGateway: {
    publisher: 'Hyperledger fabric-samples, test-network-k8s (docs/HIGH_AVAILABILITY.md)',
    title: 'High Availability',
    url: 'https://github.com/hyperledger/fabric-samples/blob/main/test-network-k8s/docs/HIGH_AVAILABILITY.md',
    sections: {
      'High Availability': 'high-availability',
      'Peer Gateway Services': 'peer-gateway-services',
      'Kube Proxy Configuration': 'kube-proxy-configuration',
      'Application and TLS Configuration': 'application-and-tls-configuration',
      Summary: 'summary',
    },
  },
  cordaOverview: {
    publisher: 'Corda Solutions docs',
    title: 'HA Deployment Overview',
    url: 'https://github.com/corda/corda-solutions/blob/master/docs/source/deployment/deploy-overview.rst',
    sections: { 'HA Deployment Overview': '' },
  },
  cordaHotCold: {
    publisher: 'Corda Enterprise 3.2 documentation',
    title: 'Hot-cold high availability deployment',
    url: 'https://docs.corda.net/docs/corda-enterprise/3.2/hot-cold-deployment.html',
    sections: {
      Overview: 'overview',
      'Configuring the load balancer': 'configuring-the-load-balancer',
      'Configuring the shared network drive': 'configuring-the-shared-network-drive',
      'Node deployment': 'node-deployment',
      'Mutual exclusion': 'mutual-exclusion',
      'Node configuration': 'node-configuration',
    },
  },
  /** a field report: what breaks multi-region ordering services in operation */
  certificateRenewal: {
    publisher: 'hyperledger-labs/fabric-operator, GitHub issue 34',
    title: 'Implement / Validate k509 certificate auto-renewal features',
    url: 'https://github.com/hyperledger-labs/fabric-operator/issues/34',
    sections: { Description: '', Discussion: '' },
  },
  raftConfiguration: {
    publisher: 'Hyperledger Fabric documentation (release-2.5)',
    title: 'Configuring and operating a Raft ordering service',
    url: 'https://hyperledger-fabric.readthedocs.io/en/release-2.5/raft_configuration.html',
    sections: {
      'Local configuration': 'local-configuration',
      'Channel configuration': 'channel-configuration',
      'TLS certificate rotation for an orderer node': 'tls-certificate-rotation-for-an-orderer-node',
      'Certificate expiration related authentication': 'certificate-expiration-related-authentication',
      Troubleshooting: 'troubleshooting',
    },
  },
  /** the Raft library Fabric's etcdraft orderer uses: how its timings relate to the network */
  etcdTuning: {
    publisher: 'etcd documentation (v3.5)',
    title: 'Tuning',
    url: 'https://etcd.io/docs/v3.5/tuning/',
    sections: { 'Time parameters': 'time-parameters' },
  },
  /** a field report: blocks as large as the gRPC limit break block queries */
  blockSizeGrpcLimit: {
    publisher: 'hyperledger/fabric, GitHub issue 2820',
    title: 'Document that AbsoluteMaxBytes must be half of grpc limit',
    url: 'https://github.com/hyperledger/fabric/issues/2820',
    sections: { Description: '' },
  },
  ordererDeploy: {
    publisher: 'Hyperledger Fabric documentation (release-2.5)',
    title: 'Deploy the ordering service',
    url: 'https://hyperledger-fabric.readthedocs.io/en/release-2.5/deployorderer/ordererdeploy.html',
    sections: { Storage: 'storage' },
  },
  /** a field report: an ordering node restarted without its Raft log cannot rejoin */
  raftLogLost: {
    publisher: 'hyperledger/fabric, GitHub issue 3639',
    title: 'panic: tocommit(25) is out of range [lastIndex(16)]. Was the raft log corrupted, truncated, or lost?',
    url: 'https://github.com/hyperledger/fabric/issues/3639',
    sections: { Discussion: '' },
  },
  gossip: {
    publisher: 'Hyperledger Fabric documentation (release-2.5)',
    title: 'Gossip data dissemination protocol',
    url: 'https://hyperledger-fabric.readthedocs.io/en/release-2.5/gossip.html',
    sections: { 'Static leader election': 'static-leader-election', 'External and internal endpoints': 'external-and-internal-endpoints' },
  },
  peerChecklist: {
    publisher: 'Hyperledger Fabric documentation (release-2.5)',
    title: 'Checklist for a production peer',
    url: 'https://hyperledger-fabric.readthedocs.io/en/release-2.5/deploypeer/peerchecklist.html',
    sections: { gossip: 'gossip' },
  },
  /** peers without an external endpoint are left out of service discovery, and so of the gateway's endorsers */
  externalEndpoint: {
    publisher: 'hyperledger/fabric, GitHub pull request 3281',
    title: 'Documentation for peer.gossip.externalEndpoint',
    url: 'https://github.com/hyperledger/fabric/pull/3281',
    sections: { Description: '' },
  },
  /** a field report: one peer taken out of service discovery by its external endpoint, for fabric-operator issue 51 */
  operatorExternalEndpoint: {
    publisher: 'hyperledger-labs/fabric-operator, GitHub pull request 54',
    title: 'Allow Peer property CORE_PEER_GOSSIP_EXTERNALENDPOINT to be modified',
    url: 'https://github.com/hyperledger-labs/fabric-operator/pull/54',
    sections: { Description: '' },
  },
  /** a field report: Raft orderers refusing each other's TLS certificates over the host name */
  raftCertificateHost: {
    publisher: 'hyperledger/fabric, GitHub issue 3678',
    title: '2.4.6: Issue with RAFT Orderer certificates: "certificate is valid for orderer1, not orderer0"',
    url: 'https://github.com/hyperledger/fabric/issues/3678',
    sections: { Description: '' },
  },
  /** Fabric's own guide to operating Raft orderers (certificate rotation, expired identities, troubleshooting) */
  /** a field report: orderer TLS certificates renewed automatically with new keys, and the network stopped */
  rekeyedConsenters: {
    publisher: 'hyperledger/fabric, GitHub issue 4875',
    title: 'Unable to update ServerTLSCert and ClientTLSCert for Orderers',
    url: 'https://github.com/hyperledger/fabric/issues/4875',
    sections: { Description: '' },
  },
  /** the change that lets a consenter renew its TLS certificate with the same key without a config update */
  sameKeyRenewal: {
    publisher: 'hyperledger/fabric, GitHub pull request 1825',
    title: '[FAB-18171] Disregard certificate validity period in intra-orderer communication',
    url: 'https://github.com/hyperledger/fabric/pull/1825',
    sections: { Description: '' },
  },
  /** a field report: an expired intermediate CA in a channel configuration kept orderers from starting */
  expiredIntermediate: {
    publisher: 'hyperledger/fabric, GitHub issue 3238',
    title: 'No TLSHANDSHAKETIMESHIFT for intermediate Ca Certificates',
    url: 'https://github.com/hyperledger/fabric/issues/3238',
    sections: { Description: '', Discussion: '' },
  },
  /** configtx.yaml moves orderer addresses from the channel to each orderer organization */
  ordererEndpoints: {
    publisher: 'hyperledger/fabric-samples, GitHub pull request 125',
    title: '[FAB-17504] add Organizations.<Org>.OrdererEndpoints and remove Orderer.Addresses',
    url: 'https://github.com/hyperledger/fabric-samples/pull/125',
    sections: { Description: '' },
  },
  /** Fabric 3 ignores the channel-level orderer addresses and requires every orderer organization's endpoints */
  globalEndpointsRemoved: {
    publisher: 'hyperledger/fabric, GitHub pull request 4879',
    title: 'Remove global endpoints',
    url: 'https://github.com/hyperledger/fabric/pull/4879',
    sections: { Description: '' },
  },
  /** a field report: clients kept dialling an orderer address the channel no longer gave */
  staleOrdererAddress: {
    publisher: 'hyperledger/fabric-gateway, GitHub issue 318',
    title: 'Gateway not connecting to updated orderer address',
    url: 'https://github.com/hyperledger/fabric-gateway/issues/318',
    sections: { Description: '' },
  },
  /** Fabric's concept guide to capability levels: which nodes must support which group, and what happens if not */
  capabilities: {
    publisher: 'Hyperledger Fabric documentation (docs/source/capabilities_concept.md)',
    title: 'Channel capabilities',
    url: 'https://hyperledger-fabric.readthedocs.io/en/latest/capabilities_concept.html',
    sections: {
      'Node versions and capability versions': 'node-versions-and-capability-versions',
      'Capability configuration groupings': 'capability-configuration-groupings',
    },
  },
} as const satisfies Record<string, SourceDocument>;

/** A citation of one section of a document; the section must be one the document has. */
export function cite<D extends SourceDocument>(doc: D, section: keyof D['sections'] & string): Source {
  const anchor = doc.sections[section];
  return { publisher: doc.publisher, title: doc.title, section, url: anchor ? `${doc.url}#${anchor}` : doc.url };
}

/** how a citation names its section: the opening of a document is cited by the document's title */
export function sectionLabel(source: Source): string {
  return source.section === source.title ? 'opening section' : `section "${source.section}"`;
}

/** One line naming a citation: publisher, title, section. */
export function citation(source: Source): string {
  return `${source.publisher}: "${source.title}", ${sectionLabel(source)}`;
}
