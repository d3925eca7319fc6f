/**
 * The files of the hot-cold pair (local stand-ins or containers): each node's base directory (node.conf in the
 * hot-cold guide's shape, `certificates/`, `additional-node-infos/`, `network-parameters`, `cordapps/` — written
 * for the primary and copied to the backup, as the guide says) and the one shared "network drive" that every
 * `<base>/artemis` links to.
 */
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CordaPorts } from './settings.ts';
import { writeNodeConf } from '../../../reference/corda.ts';

export const LEGAL_NAME = 'O=Corda HA, L=London, C=GB';
export const DB_PASSWORD_VAR = 'CORDA_DB_PASSWORD';
export const LB_ADDRESS_VAR = 'LB_ADDRESS';

export interface NodeConfInput {
  name: string;
  machine: string;
  lbAddress: string;
  ports: CordaPorts;
  database: { url: string; user: string };
  mutualExclusion: { on: boolean; machineName?: string; updateInterval: number; waitInterval: number };
  runId: string;
  /** development certificates, no network map (a real Corda image with no network operator) */
  devMode?: boolean;
}

/** node.conf of a stand-in (or a containerised node): the shared writer, with the machine's own web and monitoring ports. */
export function renderNodeConf(n: NodeConfInput): string {
  return writeNodeConf({
    header: [
      `Corda Enterprise hot-cold HA, local stand-in: the ${n.name} node on machine ${n.machine} (run ${n.runId}).`,
      'Written by the embedded local environment. No secret is in this file: the database password comes from the',
      `environment (${DB_PASSWORD_VAR}); ${LB_ADDRESS_VAR} is the load balancer's address.`,
    ],
    legalName: LEGAL_NAME,
    devMode: n.devMode ?? false,
    p2pAddressExpr: `\${${LB_ADDRESS_VAR}}":${n.ports.p2p}"`,
    rpcAddress: `${n.machine}:${n.ports.rpc}`,
    adminAddress: `${n.machine}:${n.ports.admin}`,
    webAddress: `${n.machine}:${n.ports.web}`,
    jmxMonitoringHttpPort: n.ports.monitoring,
    dataSource: { url: n.database.url, user: n.database.user, passwordVar: DB_PASSWORD_VAR },
    mutualExclusion: n.mutualExclusion,
  });
}

/**
 * The `corda` section of the descriptor an environment writes for the pair it started (local stand-ins or
 * containers): each node's node.conf, machine and base directory, the load balancer, the shared database, the
 * ports and the files both nodes must hold. The database password is a `${VAR}` reference, never its value.
 */
export function cordaDescriptorSection(o: {
  nodes: Array<{ name: string; role: string; confFile: string; machine: string; baseDirectory: string }>;
  lbAddress: string;
  /** the load balancer's config, when there is one */
  lbConfigFile?: string;
  database: { url: string; user: string };
  ports: CordaPorts;
  passwordVar: string;
}): Record<string, unknown> {
  return {
    nodes: o.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      config: n.confFile,
      machine: n.machine,
      baseDirectory: n.baseDirectory,
      env: { [LB_ADDRESS_VAR]: o.lbAddress, [DB_PASSWORD_VAR]: `\${${o.passwordVar}}` },
    })),
    loadBalancer: o.lbConfigFile ? { address: o.lbAddress, export: o.lbConfigFile, format: 'haproxy' } : { address: o.lbAddress },
    database: o.database,
    ports: { p2p: o.ports.p2p, rpc: o.ports.rpc, web: o.ports.web },
    filesToMatch: [...FILES_TO_MATCH],
  };
}

/** The files both nodes must hold identically. Stand-ins: random bytes, no key material. */
function identityFiles(runId: string): Record<string, string | Buffer> {
  const nodeInfo = randomBytes(64);
  return {
    'certificates/nodekeystore.jks': randomBytes(256),
    'certificates/sslkeystore.jks': randomBytes(256),
    'certificates/truststore.jks': randomBytes(256),
    [`additional-node-infos/nodeInfo-${createHash('sha256').update(nodeInfo).digest('hex').toUpperCase()}`]: nodeInfo,
    'network-parameters': `network parameters (local stand-in, run ${runId}): minimumPlatformVersion=4, epoch=1\n`,
    'cordapps/corda-finance-contracts-4.14.jar': randomBytes(128),
    'cordapps/corda-finance-workflows-4.14.jar': randomBytes(128),
  };
}

export const FILES_TO_MATCH = ['certificates', 'additional-node-infos', 'network-parameters', 'cordapps'];

/** The shared drive (the Azure File Share / EFS of the guide). */
export async function createSharedDrive(root: string): Promise<string> {
  const drive = join(root, 'shared-drive', 'artemis');
  await mkdir(join(drive, 'journal'), { recursive: true });
  await writeFile(join(drive, 'README.txt'), 'The shared network drive holding the Artemis journal of the hot-cold pair.\n');
  return drive;
}

/** The primary's base directory with its identity files, or a copy of `copyFrom`'s (the guide's copy step). */
export async function createBaseDirectory(baseDirectory: string, sharedDrive: string, runId: string, copyFrom?: string): Promise<void> {
  await mkdir(baseDirectory, { recursive: true });
  if (copyFrom) {
    for (const f of FILES_TO_MATCH) await cp(join(copyFrom, f), join(baseDirectory, f), { recursive: true });
  } else {
    for (const [rel, content] of Object.entries(identityFiles(runId))) {
      const file = join(baseDirectory, rel);
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(file, content);
    }
  }
  await mkdir(join(baseDirectory, 'logs'), { recursive: true });
  await symlink(sharedDrive, join(baseDirectory, 'artemis'), 'dir');
}
