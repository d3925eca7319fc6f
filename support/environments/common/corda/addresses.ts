/**
 * Where the pair runs on the harness's loopback: `<base>.<k>.1` the primary, `.2` the backup, `.3` a duplicate,
 * `.10` the load balancer (`base` is the settings' `addressBase`). In the local environment these are the
 * machines themselves; in the docker environment the mirrors of the containers and the load balancer's published
 * address.
 */
import { pickAddressBlock } from '../addresses.ts';
import type { CordaPairSettings } from './settings.ts';
import { TRAFFIC } from './load-balancer.ts';

export type PairAddresses = Record<'primary' | 'backup' | 'duplicate' | 'lb', string>;

/** A free block: `machinePorts` free on each node's address, the traffic ports on the load balancer's. */
export function pickPairAddresses(s: CordaPairSettings, machinePorts: readonly number[]): Promise<PairAddresses> {
  const machine = (host: number) => ({ host, ports: machinePorts });
  return pickAddressBlock(
    s.addressBase,
    { primary: machine(1), backup: machine(2), duplicate: machine(3), lb: { host: 10, ports: TRAFFIC.map((t) => s.ports[t]) } },
    'the Corda ports',
  );
}
