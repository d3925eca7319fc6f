/**
 * Read-only live evidence from the endpoints a descriptor names: TLS handshakes to peers, orderers and gateway
 * Services (by name, verified against the organization CA; the peer behind a Service is named by the certificate
 * it presents), the Corda lease row and database reachability, the ordering nodes' own round-trip figures, and the
 * peers' own ledger heights.
 * Used by `ha-validate --live` on an existing deployment and by every provisioning environment, so the same
 * observation means the same thing everywhere. Nothing here writes to the deployment.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { X509Certificate } from 'node:crypto';
import type { CertificateInfo, LiveEvidence } from '../model.ts';
import type { TargetDescriptor } from '../../target/types.ts';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { handshake } from './tls.ts';
import { addressOf } from './address.ts';
import { collectRoundTrips } from './round-trips.ts';
import { collectPeerHeights } from './peer-heights.ts';
import { readLeaseRow, readOnlySession, type LeaseRow } from './lease.ts';

export { readLeaseRow, type LeaseRow };

export { addressOf };

async function readPems(files: string[]): Promise<string[]> {
  return Promise.all(files.map((f) => readFile(f, 'utf8')));
}

/** A described peer, as a presented certificate can name it: its host and its own TLS certificate, when known. */
export interface KnownPeer {
  name: string;
  host: string;
  /** SHA-256 fingerprint of its TLS certificate (Node's `fingerprint256` format) */
  fingerprint256?: string;
}

/**
 * The described peer that presented `cert`: the one whose own TLS certificate it is, else the one peer whose host
 * name is among its SANs (a Service name that every peer carries names none of them). Undefined when neither.
 */
export function peerPresenting(cert: CertificateInfo | undefined, peers: KnownPeer[]): string | undefined {
  if (!cert) return undefined;
  const byCert = peers.find((p) => p.fingerprint256 === cert.fingerprint256);
  if (byCert) return byCert.name;
  const bySan = peers.filter((p) => cert.dnsNames.some((n) => n.toLowerCase() === p.host.toLowerCase()));
  return bySan.length === 1 ? bySan[0].name : undefined;
}

/**
 * A TLS handshake with a gateway Service by one of its names; the peer that answered is the one whose certificate
 * was presented. Nothing is written to the Service.
 */
export async function gatewayHandshake(o: { name: string; address: string; port: number; ca: string[]; peers: KnownPeer[]; timeoutMs: number }): Promise<NonNullable<LiveEvidence['handshakes']>[number]> {
  const h = await handshake({ name: o.name, address: o.address, port: o.port, ca: o.ca, timeoutMs: o.timeoutMs });
  const answeredBy = peerPresenting(h.cert, o.peers);
  return { name: o.name, address: h.address, verified: h.verified, ...(h.error ? { error: h.error } : {}), ...(answeredBy ? { answeredBy } : {}) };
}

async function knownPeers(peers: Array<{ name: string; host: string; tlsCert?: string }>): Promise<KnownPeer[]> {
  return Promise.all(
    peers.map(async (p) => {
      if (!p.tlsCert) return { name: p.name, host: p.host };
      const pem = await readFile(p.tlsCert, 'utf8').catch(() => undefined);
      let fingerprint256: string | undefined;
      try {
        fingerprint256 = pem ? new X509Certificate(pem).fingerprint256 : undefined;
      } catch {
        fingerprint256 = undefined; // the static checks report an unreadable certificate; here it only names no one
      }
      return { name: p.name, host: p.host, ...(fingerprint256 ? { fingerprint256 } : {}) };
    }),
  );
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
    const peers = gatewayNames.length ? await knownPeers(org.peers) : [];
    for (const name of gatewayNames) {
      const address = addressOf(d, name);
      if (!address) continue;
      const port = org.peers[0]?.port ?? 7051;
      jobs.push(gatewayHandshake({ name, address, port, ca, peers, timeoutMs }).then((h) => void handshakes.push(h)));
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

/** Database reachability and the lease row, from the descriptor's `live.database`. */
export async function collectDatabaseEvidence(d: TargetDescriptor, timeoutMs = 3000): Promise<Partial<LiveEvidence>> {
  const db = d.live.database;
  if (!db) return {};
  const source = `postgresql://${db.user}@${db.host}:${db.port}/${db.database}`;
  let client: pg.Client | undefined;
  try {
    client = await readOnlySession(db, db.host, timeoutMs)();
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
    await client?.end().catch(() => undefined);
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
  const [tls, db, kube, trips, heights] = await Promise.all([
    collectTlsEvidence(d),
    collectDatabaseEvidence(d),
    collectKubernetesEvidence(d),
    collectRoundTrips(d),
    collectPeerHeights(d),
  ]);
  return { ...tls, ...db, ...kube, ...trips, ...heights };
}
