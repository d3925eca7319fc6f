/**
 * The deliberately broken variants the environments can start (HA_LOCAL_VARIANT, `npm run local -- --variant`),
 * in one table: which environments offer each, what it changes, what it breaks, and the guarantees whose scenarios
 * fail on it. docs/guarantees.md lists, per guarantee, the variants that break it.
 *
 * A Corda variant's `changes` are data both environments apply (local/corda, docker/corda.ts, through
 * shared/corda/variant.ts): node.conf overrides, files, the load balancer's pools and probes, and the steady state
 * the pair then settles into. The Fabric variants are applied by the local environment's topology
 * (local/fabric/topology.ts). test/environments/variants.test.ts checks that every environment accepts exactly the
 * names this table gives it; test/environments/local/corda-variants.test.ts that each Corda variant fails exactly
 * its `breaks`.
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

export interface FabricVariant extends VariantEntry {
  area: 'fabric';
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
  },
  {
    name: 'three-orderers',
    area: 'fabric',
    environments: LOCAL,
    description: 'three ordering nodes, one per region',
    breaks: ['FAB-ORD-01'],
  },
  {
    name: 'peer-cert-missing-gateway-san',
    area: 'fabric',
    environments: LOCAL,
    description: "org1-peer2's TLS certificate lacks the gateway Service name and alias",
    breaks: ['FAB-GW-03', 'FAB-GW-04'],
  },
  {
    name: 'gateway-one-peer',
    area: 'fabric',
    environments: LOCAL,
    description: "org1's gateway Service in r1 balances over org1-peer1 only",
    breaks: ['FAB-GW-04'],
  },
  {
    name: 'org-peers-one-region',
    area: 'fabric',
    environments: LOCAL,
    description: 'all four peers of org2 in r3',
    breaks: ['FAB-PEER-01', 'FAB-PEER-05'],
  },
  {
    name: 'peer-lagging',
    area: 'fabric',
    environments: LOCAL,
    description: 'org1-peer2 receives no blocks from the ordering service; the others follow it',
    breaks: ['FAB-PEER-03', 'FAB-PEER-06'],
  },
  {
    name: 'orderer-ephemeral-volume',
    area: 'fabric',
    environments: LOCAL,
    description: "org0-orderer3's data directory is emptied when it is started again (as on an emptyDir): it cannot rejoin",
    breaks: ['FAB-ORD-12'],
  },
  {
    name: 'peer-no-external-endpoint',
    area: 'fabric',
    environments: LOCAL,
    description: "org1-peer2's core.yaml publishes no gossip externalEndpoint",
    breaks: ['FAB-PEER-06'],
  },
  {
    name: 'orderer-tick-override-mismatch',
    area: 'fabric',
    environments: LOCAL,
    description: "org0-orderer3's orderer.yaml overrides the Raft tick interval with 250ms; the others keep the channel's 500ms",
    breaks: ['FAB-ORD-11'],
  },
  {
    name: 'consenter-rekeyed-one-channel',
    area: 'fabric',
    environments: LOCAL,
    description:
      "org0-orderer3's TLS certificate renewed with a new key, which it serves on its cluster port; mychannel lists the new certificate, the second channel archive still the old one",
    breaks: ['FAB-ORD-10'],
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
