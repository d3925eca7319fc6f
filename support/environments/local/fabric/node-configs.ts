/**
 * The node configuration phase of the Fabric part: an orderer.yaml per ordering node and a core.yaml per peer, the
 * files the descriptor names (`config:`), with what the variant says in them (`changes.nodeConfig`). They state what
 * Fabric nodes of this layout run with: an orderer's ledger, WAL and snapshot directories are where its node keeps
 * them (`ordererDataDirs`), a peer's gossip settings Fabric 2.x's defaults. The stand-ins read neither; a real node
 * module would start its node with FABRIC_CFG_PATH at its file, which is why they are written before the nodes start.
 */
import { resolve } from 'node:path';
import { FileWriter, type GeneratedDeployment } from '../../../reference/generate.ts';
import { renderCoreYaml, renderOrdererYaml } from '../../../reference/node-config.ts';
import type { FabricChanges } from '../../variants.ts';
import { ordererDataDirs } from './orderers.ts';

const standIn = (what: string) => [
  `The ${what} of the local stand-in, written by the embedded local environment for its descriptor's \`config\`.`,
  'The stand-in does not read it: it states what a Fabric node of this layout runs with.',
];

/** Write every node's configuration file beside the artifacts; node name → its absolute path. */
export async function writeNodeConfigs(gen: GeneratedDeployment, dataRoot: string, changes: FabricChanges): Promise<Record<string, string>> {
  const w = new FileWriter(gen.dir);
  const configs: Record<string, string> = {};
  const ticks = changes.nodeConfig?.tickIntervalOverride ?? {};
  const withoutEndpoint = changes.nodeConfig?.withoutExternalEndpoint ?? [];
  for (const o of gen.plan.ordering.nodes) {
    const rel = `node-config/${o.name}/orderer.yaml`;
    const dirs = ordererDataDirs(dataRoot, o.name);
    const tick = ticks[o.name];
    await w.write(
      rel,
      renderOrdererYaml({
        ledger: dirs.ledger,
        walDir: dirs.walDir,
        snapDir: dirs.snapDir,
        ...(tick ? { tickIntervalOverride: tick } : {}),
        header: standIn(`orderer.yaml of ${o.name} (an etcd member)`),
      }),
    );
    configs[o.name] = resolve(gen.dir, rel);
  }
  for (const p of gen.plan.orgs.flatMap((g) => g.peers)) {
    const rel = `node-config/${p.name}/core.yaml`;
    await w.write(
      rel,
      renderCoreYaml({
        // Fabric 2.x's defaults: every peer an org leader, pulling blocks from the ordering service itself
        useLeaderElection: false,
        orgLeader: true,
        ...(withoutEndpoint.includes(p.name) ? {} : { externalEndpoint: `${p.host}:${p.port}` }),
        header: standIn(`core.yaml of ${p.name} (a TLS peer)`),
      }),
    );
    configs[p.name] = resolve(gen.dir, rel);
  }
  return configs;
}
