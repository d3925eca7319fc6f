/**
 * A Fabric variant as the local Fabric part applies it: the entry of the variants table (../../variants.ts) whose
 * `changes` each phase and service reads — the topology the artifacts are generated for (topology.ts), the
 * certificates issued otherwise (artifacts.ts), what the node configuration files say (node-configs.ts), the faults
 * the services carry (orderers.ts, peers.ts) and the gateway Services' backends (addresses.ts). The reference is the
 * variant that changes nothing.
 */
import { VARIANTS, describeVariants, type FabricChanges, type FabricVariant } from '../../variants.ts';

/** The Fabric variant to apply: its name (undefined for the reference) and what it changes. */
export interface AppliedFabricVariant {
  name: string | undefined;
  changes: FabricChanges;
}

export const FABRIC_REFERENCE: AppliedFabricVariant = { name: undefined, changes: {} };

/** The Fabric rows of the table: the local environment is the one that offers them. */
const localFabricVariants = (): FabricVariant[] =>
  VARIANTS.filter((v): v is FabricVariant => v.area === 'fabric' && v.environments.includes('local'));

/** The Fabric variants the local part offers: name → one line of what it breaks (its `variants` record). */
export const FABRIC_VARIANTS: Record<string, string> = describeVariants(localFabricVariants().map((v) => v.name));

/** The Fabric variant of that name, or the reference (a Corda variant's name, or none). */
export function fabricVariant(name: string | undefined): AppliedFabricVariant {
  const v = localFabricVariants().find((x) => x.name === name);
  return v ? { name: v.name, changes: v.changes } : FABRIC_REFERENCE;
}

/** The peers the gateway Service of `org` in `region` balances over, of the organization's peers `here`. */
export function gatewayBackendOf(c: FabricChanges, org: string, region: string, here: string[]): string[] {
  const keep = c.topology?.gatewayBackends?.[`${org}@${region}`];
  return keep ? here.filter((p) => keep.includes(p)) : here;
}
