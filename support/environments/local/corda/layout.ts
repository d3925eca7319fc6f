/**
 * The files of the local hot-cold pair: each node's base directory (node.conf in the hot-cold guide's shape,
 * `certificates/`, `additional-node-infos/`, `network-parameters`, `cordapps/` — written for the primary and
 * copied to the backup, as the guide says) and the one shared "network drive" that every `<base>/artemis` links to.
 */
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CordaPorts } from './settings.ts';

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
}

/** node.conf as the hot-cold guide writes it, in working HOCON (`${LB_ADDRESS}":port"` is a concatenation). */
export function renderNodeConf(n: NodeConfInput): string {
  const me = n.mutualExclusion;
  return `# Corda Enterprise hot-cold HA, local stand-in: the ${n.name} node on machine ${n.machine} (run ${n.runId}).
# Written by the embedded local environment. No secret is in this file: the database password comes from the
# environment (${DB_PASSWORD_VAR}); ${LB_ADDRESS_VAR} is the load balancer's address.
myLegalName = "${LEGAL_NAME}"
devMode = false

# Both nodes advertise the load balancer; RPC, admin and web listen on the machine's own address.
p2pAddress = \${${LB_ADDRESS_VAR}}":${n.ports.p2p}"
rpcSettings {
    address = "${n.machine}:${n.ports.rpc}"
    adminAddress = "${n.machine}:${n.ports.admin}"
}
# The node's web server (the guide's HTTP traffic); the load balancer's web probe asks it for GET /.
webAddress = "${n.machine}:${n.ports.web}"
# Jolokia monitoring: it opens at start on the hot and the cold node alike, so it is no health signal.
jmxMonitoringHttpPort = ${n.ports.monitoring}

# One database shared by both nodes; it also holds the mutual-exclusion lease.
dataSourceProperties {
    dataSourceClassName = "org.postgresql.ds.PGSimpleDataSource"
    dataSource.url = "${n.database.url}"
    dataSource.user = ${n.database.user}
    dataSource.password = \${${DB_PASSWORD_VAR}}
}

enterpriseConfiguration {
    mutualExclusionConfiguration {
        on = ${me.on}
${me.machineName === undefined ? '' : `        machineName = "${me.machineName}"\n`}        updateInterval = ${me.updateInterval}
        waitInterval = ${me.waitInterval}
    }
}
`;
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
