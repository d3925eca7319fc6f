/**
 * Read-only live evidence from the endpoints a descriptor names: TLS handshakes to peers, orderers and gateway
 * Services (by name, verified against the organization CA), and the Corda lease row and database reachability.
 * Used by `ha-validate --live` on an existing deployment and by every provisioning environment, so the same
 * observation means the same thing everywhere. Nothing here writes to the deployment.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { LiveEvidence } from '../model.ts';
import type { TargetDescriptor } from '../../target/types.ts';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { handshake, resolveHost } from './tls.ts';

async function readPems(files: string[]): Promise<string[]> {
  return Promise.all(files.map((f) => readFile(f, 'utf8')));
}

/**
 * The address to dial for a host name: the descriptor's `live.hosts` entry, or the name itself when the operator
 * allows name resolution (`live.resolveNames: true`). Otherwise undefined: the harness sends traffic only where
 * the descriptor says, never to whatever a name happens to resolve to.
 */
function addressOf(d: TargetDescriptor, name: string): string | undefined {
  if (d.live.hosts?.[name]) return d.live.hosts[name];
  return d.live.resolveNames === true ? resolveHost(undefined, name) : undefined;
}

/** Handshakes with every peer and ordering node by host name, and with each gateway Service by its name. */
export async function collectTlsEvidence(d: TargetDescriptor, timeoutMs = 2000): Promise<Partial<LiveEvidence>> {
  if (!d.fabric) return {};
  const presentedCerts: NonNullable<LiveEvidence['presentedCerts']> = {};
  const handshakes: NonNullable<LiveEvidence['handshakes']> = [];
  const jobs: Array<Promise<void>> = [];
  for (const org of d.fabric.organizations) {
    const ca = await readPems(org.ca);
    for (const peer of org.peers) {
      const address = addressOf(d, peer.host);
      if (!address) continue;
      jobs.push(
        handshake({ name: peer.host, address, port: peer.port, ca, timeoutMs }).then((h) => {
          if (h.cert) presentedCerts[`${peer.host}:${peer.port}`] = h.cert;
        }),
      );
    }
    const gatewayNames = [org.gatewayService, ...(org.gatewayAliases ?? [])].filter((n): n is string => Boolean(n));
    for (const name of gatewayNames) {
      const address = addressOf(d, name);
      if (!address) continue;
      const port = org.peers[0]?.port ?? 7051;
      jobs.push(
        handshake({ name, address, port, ca, timeoutMs, request: 'INFO\n' }).then((h) => {
          let answeredBy: string | undefined;
          try {
            answeredBy = h.banner ? (JSON.parse(h.banner) as { peer?: string }).peer : undefined;
          } catch {
            answeredBy = undefined;
          }
          handshakes.push({ name, address: h.address, verified: h.verified, error: h.error, answeredBy });
        }),
      );
    }
  }
  for (const ordOrg of d.fabric.ordering) {
    const ca = await readPems(ordOrg.ca);
    for (const node of ordOrg.nodes) {
      const address = addressOf(d, node.host);
      if (!address) continue;
      jobs.push(
        handshake({ name: node.host, address, port: node.port, ca, timeoutMs }).then((h) => {
          if (h.cert) presentedCerts[`${node.host}:${node.port}`] = h.cert;
        }),
      );
    }
  }
  await Promise.all(jobs);
  handshakes.sort((a, b) => a.name.localeCompare(b.name));
  return { presentedCerts, handshakes };
}

export interface LeaseRow {
  machineName: string;
  pid: string;
  timestamp: string;
  version: number;
}

/** Read the Corda mutual-exclusion lease row (SELECT only). */
export async function readLeaseRow(client: pg.Client): Promise<LeaseRow | null> {
  const r = await client.query<{ machine_name: string; pid: string; mutual_exclusion_timestamp: Date; version: string }>(
    "SELECT machine_name, pid, mutual_exclusion_timestamp, version FROM node_mutual_exclusion WHERE mutual_exclusion_id = 'X'",
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    machineName: row.machine_name.trim(),
    pid: row.pid.trim(),
    timestamp: new Date(row.mutual_exclusion_timestamp).toISOString(),
    version: Number(row.version),
  };
}

/** Database reachability and the lease row, from the descriptor's `live.database`. */
export async function collectDatabaseEvidence(d: TargetDescriptor, timeoutMs = 3000): Promise<Partial<LiveEvidence>> {
  const db = d.live.database;
  if (!db) return {};
  const source = `postgresql://${db.user}@${db.host}:${db.port}/${db.database}`;
  const client = new pg.Client({ ...db, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  try {
    await client.connect();
    let leaseRow: LeaseRow | null = null;
    try {
      leaseRow = await readLeaseRow(client);
    } catch (err) {
      // No lease table yet: reachable, but no node has ever claimed the lease.
      if (!/does not exist/.test((err as Error).message)) throw err;
    }
    return { database: { reachable: true, source }, leaseRow };
  } catch (err) {
    return { database: { reachable: false, error: (err as Error).message, source } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Each region with a kubeconfig context or `inCluster: true`, read from the Kubernetes API (GET and LIST only). */
export async function collectKubernetesEvidence(d: TargetDescriptor): Promise<Partial<LiveEvidence>> {
  const regions = d.regions.filter((r) => r.kubernetes?.context || r.kubernetes?.inCluster);
  if (!regions.length) return {};
  // loaded only when a region names a context: the Kubernetes client is large and slow to import
  const { collectKubernetesApiEvidence } = await import('../kubernetes/api.ts');
  const defaultKubeconfig = process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  const namespace = typeof d.live.namespace === 'string' ? d.live.namespace : undefined;
  const kubernetes = await Promise.all(
    regions.map((r) =>
      collectKubernetesApiEvidence(
        r.name,
        r.kubernetes!.inCluster ? { inCluster: true, namespace } : { kubeconfig: r.kubernetes!.kubeconfig ?? defaultKubeconfig, context: r.kubernetes!.context!, namespace },
      ),
    ),
  );
  return { kubernetes };
}

export async function collectLiveEvidence(d: TargetDescriptor): Promise<Partial<LiveEvidence>> {
  const [tls, db, kube] = await Promise.all([collectTlsEvidence(d), collectDatabaseEvidence(d), collectKubernetesEvidence(d)]);
  return { ...tls, ...db, ...kube };
}
