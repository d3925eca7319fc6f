/**
 * The local pair's fault injector: real signals to a node's process (stop, kill, freeze, thaw), a real cut of one
 * node's database relay, and a duplicate node started on the spare machine — what the Corda drills inject.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import type { CordaFaultInjector } from '../../../drills/corda-faults.ts';
import type { LocalCordaNode, NodeSet } from './node.ts';

/**
 * `duplicate` writes and wires a copy of a node on the spare machine (not started); `root` is where the nodes'
 * directories are; `alive` is false once the part is stopping.
 */
export function localFaults(nodes: NodeSet, duplicate: (of: LocalCordaNode, name: string) => Promise<LocalCordaNode>, root: string, alive: () => boolean): CordaFaultInjector {
  const frozen = new Set<string>();
  const restore = async (n: LocalCordaNode) => {
    await n.relay.restore();
    n.sup.kick();
  };
  const faults: CordaFaultInjector = {
    stop: async (name, signal) => nodes.get(name).sup.stop(signal),
    start: async (name) => nodes.get(name).sup.start(),
    freeze: async (name) => {
      await nodes.get(name).sup.freeze();
      frozen.add(name);
    },
    thaw: async (name) => {
      await nodes.get(name).sup.thaw();
      frozen.delete(name);
    },
    cutDatabase: async (name) => nodes.get(name).relay.cut(),
    restoreDatabase: async (name) => restore(nodes.get(name)),
    startDuplicate: async (of) => {
      const original = nodes.get(of);
      const name = `${of}-duplicate`;
      if (nodes.has(name)) throw new BrokenError(`a duplicate of ${of} is already running`);
      const dup = nodes.add(await duplicate(original, name));
      dup.sup.start();
      return name;
    },
    stopDuplicate: async (name) => {
      const dup = nodes.find(name);
      if (!dup || dup.role !== 'duplicate') return;
      nodes.remove(name);
      await dup.sup.close();
      await dup.relay.close();
      await rm(join(root, name), { recursive: true, force: true });
    },
    exits: (name) => nodes.exits(name),
    resetAll: async () => {
      if (!alive()) throw new BrokenError('the Corda environment is stopped');
      for (const name of frozen) await nodes.find(name)?.sup.thaw();
      frozen.clear();
      for (const n of nodes.all()) {
        if (n.role === 'duplicate') await faults.stopDuplicate(n.name);
        else {
          if (n.relay.isCut) await restore(n);
          if (!n.sup.supervised) n.sup.start();
        }
      }
    },
  };
  return faults;
}
