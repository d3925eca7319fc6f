/**
 * The docker pair's fault injector, through the Docker API: a node's container stopped, killed, paused; the node
 * disconnected from the db network (its database cut) or from both networks at once (a partition), and connected
 * again with the same address; a duplicate container of a node started on the spare address.
 */
import type Dockerode from 'dockerode';
import { BrokenError } from '../../errors.ts';
import type { CordaFaultInjector } from '../../drills/corda-faults.ts';
import { ignoreStatus, type RunNetwork } from './containers.ts';
import type { PartitionInjector } from './partition.ts';
import { exitsIn, startNode, type DockerCordaNode, type DockerNodeSet } from './node.ts';
import type { DockerCordaStart } from './pair.ts';

/** Connecting and disconnecting a node's container, and what it is doing now. */
function networking(d: Dockerode, lbNet: RunNetwork) {
  return {
    attach: async (n: DockerCordaNode, net: RunNetwork) => {
      const ip = net === lbNet ? n.lbIp : n.dbIp;
      await d
        .getNetwork(net.id)
        .connect({ Container: n.container.id, EndpointConfig: { Aliases: net === lbNet ? [n.name] : [], IPAMConfig: { IPv4Address: ip } } })
        .catch((err: { statusCode?: number; message?: string }) => {
          // already connected
          if (err.statusCode === 403 && /already exists/i.test(err.message ?? '')) return;
          throw err;
        });
    },
    detach: async (n: DockerCordaNode, net: RunNetwork) => {
      await d
        .getNetwork(net.id)
        .disconnect({ Container: n.container.id, Force: true })
        .catch((err: { statusCode?: number; message?: string }) => {
          if (err.statusCode === 404 || (err.statusCode === 500 && /is not connected/i.test(err.message ?? ''))) return;
          throw err;
        });
    },
    state: async (n: DockerCordaNode) => {
      const info = await n.container.handle.inspect();
      return { running: info.State.Running, paused: info.State.Paused, networks: Object.keys(info.NetworkSettings.Networks ?? {}) };
    },
  };
}

export function dockerFaults(c: DockerCordaStart, nodes: DockerNodeSet): CordaFaultInjector & PartitionInjector {
  const { db: dbNet, lb: lbNet } = c.networks;
  const { attach, detach, state } = networking(c.o.d, lbNet);
  const removeDuplicate = async (name: string) => {
    if (nodes.find(name)?.role === 'duplicate') await nodes.remove(name);
  };
  return {
    stop: async (name, signal) => {
      const h = nodes.get(name).container.handle;
      if (signal === 'SIGKILL') await h.kill().catch(ignoreStatus([409]));
      else await h.stop({ t: 3 }).catch(ignoreStatus([304]));
    },
    start: async (name) => {
      const n = nodes.get(name);
      const st = await state(n);
      if (st.paused) await n.container.handle.unpause();
      else if (!st.running) await n.container.handle.start().catch(ignoreStatus([304]));
    },
    freeze: async (name) => {
      await nodes.get(name).container.handle.pause().catch(ignoreStatus([409]));
    },
    thaw: async (name) => {
      await nodes.get(name).container.handle.unpause().catch(ignoreStatus([409]));
    },
    cutDatabase: async (name) => detach(nodes.get(name), dbNet),
    restoreDatabase: async (name) => attach(nodes.get(name), dbNet),
    partition: async (name) => {
      const n = nodes.get(name);
      await Promise.all([detach(n, dbNet), detach(n, lbNet)]);
    },
    heal: async (name) => {
      const n = nodes.get(name);
      await Promise.all([attach(n, dbNet), attach(n, lbNet)]);
    },
    startDuplicate: async (of) => {
      const original = nodes.get(of);
      const name = `${of}-duplicate`;
      if (nodes.has(name)) throw new BrokenError(`a duplicate of ${of} is already running`);
      await nodes.add(await startNode(c, name, 'duplicate', original.baseDirectory));
      return name;
    },
    stopDuplicate: removeDuplicate,
    exits: (name) => {
      const n = nodes.find(name);
      return n ? exitsIn(n.stateDir) : 0;
    },
    resetAll: async () => {
      if (!c.alive()) throw new BrokenError('the docker Corda environment is stopped');
      for (const n of nodes.all()) {
        if (n.role === 'duplicate') {
          await removeDuplicate(n.name);
          continue;
        }
        const st = await state(n);
        if (st.paused) await n.container.handle.unpause();
        if (!st.networks.includes(dbNet.name)) await attach(n, dbNet);
        if (!st.networks.includes(lbNet.name)) await attach(n, lbNet);
        if (!st.running) await n.container.handle.start().catch(ignoreStatus([304]));
      }
    },
  };
}
