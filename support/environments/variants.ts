/**
 * The deliberately broken variants the environments can start (HA_LOCAL_VARIANT, `npm run local -- --variant`),
 * in one table: which environments offer each, what it changes, what it breaks, and the guarantees whose scenarios
 * fail on it. docs/guarantees.md lists, per guarantee, the variants that break it.
 *
 * A Corda variant's `changes` are data both environments apply (local/corda, docker/corda.ts, through
 * common/corda/variant.ts): node.conf overrides, files, the load balancer's pools and probes, and the steady state
 * the pair then settles into. A Fabric variant's `changes` are data the local environment's Fabric part applies
 * (local/fabric/variant.ts): its topology, certificates, node configuration files and faults.
 * test/environments/variants.test.ts checks that every environment accepts exactly the names this table gives it;
 * test/environments/local/corda-variants.test.ts and fabric-variants.test.ts that each variant fails exactly its
 * `breaks`.
 */
import type { CordaSteadyState } from '../drills/corda-drills.ts';

export type VariantEnvironment = 'local' | 'docker';

interface VariantEntry {
  name: string;
  /** the environments that can start it */
  environments: readonly VariantEnvironment[];
  /** what is broken, in one line */
  description: string;
  /**
   * the guarantees it violates: their scenarios fail on it run after run (measured with `HA_LOCAL_VARIANT=<name>
   * npx cucumber-js --tags @<area>` on the local environment). Guarantees it only leaves unjudgeable (an environment
   * problem, e.g. CORDA-LB-02 when no node is ever hot) or fails only now and then are not listed.
   */
  breaks: readonly string[];
}

/** A node of the Corda pair. */
export type CordaRole = 'primary' | 'backup';

/**
 * What a Corda variant changes in the pair the reference starts; what it leaves out is as in the reference.
 */
export interface CordaChanges {
  /** node.conf of every node: `enterpriseConfiguration.mutualExclusionConfiguration` */
  mutualExclusion?: {
    /** `on` (the reference: true) */
    on?: boolean;
    /** one `machineName` for every node (the reference: `corda-<node>`, one per node) */
    machineName?: string;
    /** `waitInterval` set to the pair's updateInterval (the reference: the settings' waitInterval) */
    waitInterval?: 'updateInterval';
  };
  /**
   * files: every node runs with one base-directory path, as two containers that both see /opt/corda do; locally the
   * backup (and a duplicate) runs in the primary's directory with its own node.conf (the reference: one each)
   */
  sharedBaseDirectory?: true;
  /** the load balancer */
  loadBalancer?: {
    /** the nodes its backend pools hold (the reference: both) */
    pool?: readonly CordaRole[];
    /**
     * what the web probe checks: `machine-agent`, an endpoint on each machine that answers 200 whatever Corda does
     * there (locally a machine agent the harness serves; in containers the stand-in's monitoring endpoint, open on
     * hot and cold nodes alike); the reference: the web port
     */
    webProbe?: 'machine-agent';
  };
  /**
   * the steady state the pair settles into (drills/corda-drills.ts; the reference: `one-hot-routed`). `none-serving`
   * also tells start-up not to wait for a hot primary: the nodes refuse to start.
   */
  settles?: CordaSteadyState;
}

export interface CordaVariant extends VariantEntry {
  area: 'corda';
  changes: CordaChanges;
}

/**
 * What a Fabric variant changes in the layout the reference starts (three regions; five ordering nodes 2-1-2; org1
 * two peers in r1 and two in r2, org2 two in r2 and two in r3; channel mychannel; every gateway Service over all
 * of its organization's peers in its region); what it leaves out is as in the reference. Nodes are named as the
 * reference names them (`org0-orderer3`, `org1-peer2`).
 */
export interface FabricChanges {
  /** what runs where */
  topology?: {
    /** the ordering nodes: how many, and how many of them per region in region order */
    ordering?: { count: number; placement: readonly number[] };
    /** organization → its peers per region, replacing the reference's for that organization */
    peers?: Readonly<Record<string, Readonly<Record<string, number>>>>;
    /** the channels every node joins */
    channels?: readonly string[];
    /** `<org>@<region>` → the peers its gateway Service there balances over (the reference: all the org's peers there) */
    gatewayBackends?: Readonly<Record<string, readonly string[]>>;
  };
  /** the certificates, as issued for the run */
  certificates?: {
    /** peers whose TLS certificate is issued with their own host names only, without the gateway Service's names */
    withoutGatewaySan?: readonly string[];
    /**
     * an ordering node whose TLS certificate is renewed with a new key (same CA, names and expiry): its file and its
     * cluster port get the new certificate, and so do the channels in `updated`; the others keep the old one
     */
    rekeyed?: { orderer: string; updated: readonly string[] };
  };
  /** the node configuration files the descriptor names (`config:`) */
  nodeConfig?: {
    /** peers whose core.yaml publishes no gossip externalEndpoint */
    withoutExternalEndpoint?: readonly string[];
    /** ordering node → the `Consensus.TickIntervalOverride` its orderer.yaml sets */
    tickIntervalOverride?: Readonly<Record<string, string>>;
  };
  /** faults in what runs */
  faults?: {
    /** `peers` receive no blocks from the ordering service, which commits `blocks` blocks once it is up */
    lagging?: { peers: readonly string[]; blocks: number };
    /** ordering nodes whose data directory is emptied when the FAB-ORD-12 drill starts them again (as on an emptyDir) */
    emptiedOnRestart?: readonly string[];
  };
}

export interface FabricVariant extends VariantEntry {
  area: 'fabric';
  changes: FabricChanges;
}

export type Variant = CordaVariant | FabricVariant;

const BOTH: readonly VariantEnvironment[] = ['local', 'docker'];
const LOCAL: readonly VariantEnvironment[] = ['local'];

export const VARIANTS: readonly Variant[] = [
  {
    name: 'mutual-exclusion-off',
    area: 'corda',
    environments: BOTH,
    description: 'mutualExclusionConfiguration.on = false on both nodes: both serve at once',
    breaks: ['CORDA-CFG-01', 'CORDA-HA-01', 'CORDA-LB-03'],
    changes: { mutualExclusion: { on: false }, settles: 'both-serving' },
  },
  {
    name: 'wait-not-above-update',
    area: 'corda',
    environments: BOTH,
    description: 'waitInterval = updateInterval: the nodes refuse to start, as Corda Enterprise does',
    breaks: ['CORDA-CFG-01'],
    changes: { mutualExclusion: { waitInterval: 'updateInterval' }, settles: 'none-serving' },
  },
  {
    name: 'same-machine-name',
    area: 'corda',
    environments: BOTH,
    description: 'both nodes with one machineName and one base-directory path: both take the lease',
    breaks: ['CORDA-CFG-01', 'CORDA-HA-01'],
    changes: { mutualExclusion: { machineName: 'corda-node' }, sharedBaseDirectory: true, settles: 'one-hot' },
  },
  {
    name: 'web-probe-always-open',
    area: 'corda',
    environments: BOTH,
    description: 'the web probe checks a machine agent that answers on both machines: the cold node is held healthy',
    breaks: ['CORDA-LB-01', 'CORDA-LB-02'],
    changes: { loadBalancer: { webProbe: 'machine-agent' }, settles: 'one-hot-p2p-rpc-routed' },
  },
  {
    name: 'pool-missing-backup',
    area: 'corda',
    environments: BOTH,
    description: 'the backend pools hold only the primary: the backup is never routed',
    breaks: ['CORDA-LB-01', 'CORDA-LB-03'],
    changes: { loadBalancer: { pool: ['primary'] } },
  },
  {
    name: 'orderers-3-1-1',
    area: 'fabric',
    environments: LOCAL,
    description: 'five ordering nodes placed 3-1-1, so losing r1 loses the Raft quorum',
    breaks: ['FAB-ORD-02', 'FAB-ORD-03'],
    changes: { topology: { ordering: { count: 5, placement: [3, 1, 1] } } },
  },
  {
    name: 'three-orderers',
    area: 'fabric',
    environments: LOCAL,
    description: 'three ordering nodes, one per region',
    breaks: ['FAB-ORD-01'],
    changes: { topology: { ordering: { count: 3, placement: [1, 1, 1] } } },
  },
  {
    name: 'peer-cert-missing-gateway-san',
    area: 'fabric',
    environments: LOCAL,
    description: "org1-peer2's TLS certificate lacks the gateway Service name and alias",
    breaks: ['FAB-GW-03', 'FAB-GW-04'],
    changes: { certificates: { withoutGatewaySan: ['org1-peer2'] } },
  },
  {
    name: 'gateway-one-peer',
    area: 'fabric',
    environments: LOCAL,
    description: "org1's gateway Service in r1 balances over org1-peer1 only",
    breaks: ['FAB-GW-04'],
    changes: { topology: { gatewayBackends: { 'org1@r1': ['org1-peer1'] } } },
  },
  {
    name: 'org-peers-one-region',
    area: 'fabric',
    environments: LOCAL,
    description: 'all four peers of org2 in r3',
    breaks: ['FAB-PEER-01', 'FAB-PEER-05'],
    changes: { topology: { peers: { org2: { r3: 4 } } } },
  },
  {
    name: 'peer-lagging',
    area: 'fabric',
    environments: LOCAL,
    description: 'org1-peer2 receives no blocks from the ordering service; the others follow it',
    breaks: ['FAB-PEER-03', 'FAB-PEER-06'],
    // ten blocks: more than the default bound (settings.maxLedgerLag 5)
    changes: { faults: { lagging: { peers: ['org1-peer2'], blocks: 10 } } },
  },
  {
    name: 'orderer-ephemeral-volume',
    area: 'fabric',
    environments: LOCAL,
    description: "org0-orderer3's data directory is emptied when it is started again (as on an emptyDir): it cannot rejoin",
    breaks: ['FAB-ORD-12'],
    // r2's only ordering node: the one the restart drill starts again there
    changes: { faults: { emptiedOnRestart: ['org0-orderer3'] } },
  },
  {
    name: 'peer-no-external-endpoint',
    area: 'fabric',
    environments: LOCAL,
    description: "org1-peer2's core.yaml publishes no gossip externalEndpoint",
    breaks: ['FAB-PEER-06'],
    changes: { nodeConfig: { withoutExternalEndpoint: ['org1-peer2'] } },
  },
  {
    name: 'orderer-tick-override-mismatch',
    area: 'fabric',
    environments: LOCAL,
    description: "org0-orderer3's orderer.yaml overrides the Raft tick interval with 250ms; the others keep the channel's 500ms",
    breaks: ['FAB-ORD-11'],
    changes: { nodeConfig: { tickIntervalOverride: { 'org0-orderer3': '250ms' } } },
  },
  {
    name: 'consenter-rekeyed-one-channel',
    area: 'fabric',
    environments: LOCAL,
    description:
      "org0-orderer3's TLS certificate renewed with a new key, which it serves on its cluster port; mychannel lists the new certificate, the second channel archive still the old one",
    breaks: ['FAB-ORD-10'],
    // a second, rarely used channel; the renewal reached mychannel only
    changes: { topology: { channels: ['mychannel', 'archive'] }, certificates: { rekeyed: { orderer: 'org0-orderer3', updated: ['mychannel'] } } },
  },
];

/** the variant of that name, or undefined */
export function variantNamed(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}

/** the variants whose scenarios fail the guarantee `id` */
export function variantsBreaking(id: string): Variant[] {
  return VARIANTS.filter((v) => v.breaks.includes(id));
}

/** one line for a variant list: what it breaks and which guarantees fail */
export function variantLine(v: Variant): string {
  return `${v.description} (${v.breaks.join(', ')} fail)`;
}

/**
 * name → one-line description, for the names an environment implements (its `variants` record, the "known:" list
 * of its preflight). A name missing from the table still appears, marked, so the mismatch shows; the test fails on it.
 */
export function describeVariants(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const v = variantNamed(name);
      return [name, v ? variantLine(v) : 'undocumented: missing from support/environments/variants.ts'];
    }),
  );
}
