/**
 * A Corda variant as the environments apply it: the entry of the variants table (../../variants.ts) read into the
 * values each piece of the pair takes — node.conf's mutual-exclusion block, the base directory a node runs in, the
 * load balancer's pools and web probe, what start-up waits for. Both the local and the docker environment start
 * the pair from these, so a variant means the same in both; the reference is the variant that changes nothing.
 */
import { VARIANTS, describeVariants, type CordaChanges, type CordaRole, type CordaVariant, type VariantEnvironment } from '../../variants.ts';
import type { CordaSteadyState } from '../../../drills/corda-drills.ts';
import type { NodeConfInput } from './layout.ts';
import type { CordaPairSettings } from './settings.ts';

/** The Corda variant to apply: its name (undefined for the reference) and what it changes. */
export interface AppliedCordaVariant {
  name: string | undefined;
  changes: CordaChanges;
}

export const CORDA_REFERENCE: AppliedCordaVariant = { name: undefined, changes: {} };

function cordaVariants(environment: VariantEnvironment): CordaVariant[] {
  return VARIANTS.filter((v): v is CordaVariant => v.area === 'corda' && v.environments.includes(environment));
}

/** The Corda variants an environment offers: name → one line of what it breaks (its `variants` record, its preflight's "known:"). */
export function cordaVariantsOf(environment: VariantEnvironment): Record<string, string> {
  return describeVariants(cordaVariants(environment).map((v) => v.name));
}

/** The Corda variant of that name an environment offers, or the reference (a Fabric variant's name, or none). */
export function cordaVariant(environment: VariantEnvironment, name: string | undefined): AppliedCordaVariant {
  const v = cordaVariants(environment).find((x) => x.name === name);
  return v ? { name: v.name, changes: v.changes } : CORDA_REFERENCE;
}

/** node.conf's mutual-exclusion block of a node (`backup-duplicate` runs a copy of its original's). */
export function mutualExclusionOf(c: CordaChanges, s: Pick<CordaPairSettings, 'updateIntervalMs' | 'waitIntervalMs'>, node: string): NodeConfInput['mutualExclusion'] {
  const me = c.mutualExclusion ?? {};
  return {
    on: me.on ?? true,
    machineName: me.machineName ?? `corda-${node.replace(/-duplicate$/, '')}`,
    updateInterval: s.updateIntervalMs,
    waitInterval: me.waitInterval === 'updateInterval' ? s.updateIntervalMs : s.waitIntervalMs,
  };
}

/** The base directory a node runs in: its own, or, where the variant shares one, its original's (the primary's for the backup). */
export function baseDirectoryOf(c: CordaChanges, own: string, original: string | undefined): string {
  return c.sharedBaseDirectory && original ? original : own;
}

/** The nodes the load balancer's pools hold. */
export function poolOf<N extends { role: string }>(c: CordaChanges, nodes: readonly N[]): N[] {
  const pool: readonly string[] = c.loadBalancer?.pool ?? (['primary', 'backup'] satisfies CordaRole[]);
  return nodes.filter((n) => pool.includes(n.role));
}

/** True when the web probe checks a machine agent rather than the web port. */
export function webProbesMachineAgent(c: CordaChanges): boolean {
  return c.loadBalancer?.webProbe === 'machine-agent';
}

/** The steady state the pair settles into. */
export function settlesInto(c: CordaChanges): CordaSteadyState {
  return c.settles ?? 'one-hot-routed';
}

/** True when the nodes refuse their configuration at start: start-up waits for the primary's refusal, not its P2P port. */
export function nodesRefuseToStart(c: CordaChanges): boolean {
  return settlesInto(c) === 'none-serving';
}
