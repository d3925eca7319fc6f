/**
 * Address planning on loopback: distinct 127.x addresses stand for distinct machines, so a run takes a block
 * `<base>.<k>.*` of its own — `k` picked at random among the blocks where every port each address needs is free
 * right now — and two runs never share an address.
 */
import { BrokenError } from '../../errors.ts';
import { canBind } from './ports.ts';

/** One address of a block: its last octet and the ports it must have free. */
export interface PlannedHost {
  host: number;
  ports: readonly number[];
}

/** `name → <base>.<k>.<host>` for a block whose ports are all free; `what` names them in the error (`the Corda ports`). */
export async function pickAddressBlock<K extends string>(base: string, hosts: Record<K, PlannedHost>, what: string, tries = 40): Promise<Record<K, string>> {
  const entries = Object.entries(hosts) as Array<[K, PlannedHost]>;
  for (let attempt = 0; attempt < tries; attempt++) {
    const k = 1 + Math.floor(Math.random() * 254);
    const block = Object.fromEntries(entries.map(([name, h]) => [name, `${base}.${k}.${h.host}`])) as Record<K, string>;
    if (await canBind(entries.flatMap(([name, h]) => h.ports.map((port) => ({ host: block[name], port }))))) return block;
  }
  throw new BrokenError(`no free address block ${base}.<k>.* with ${what} free after ${tries} tries`);
}
