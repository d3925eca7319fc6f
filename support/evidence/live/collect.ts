/**
 * Read-only live evidence from the endpoints a descriptor names: TLS handshakes to peers, orderers and gateway
 * Services (by name, verified against the organization CA; the peer behind a Service is named by the certificate
 * it presents), the Corda lease row and database reachability, each region's cluster through the Kubernetes API,
 * the ordering nodes' own round-trip figures, and
 * the release each Fabric node says it runs (`GET /version`), and the peers' own ledger heights. Where it may connect is decided by `address.ts` (only where the
 * descriptor's `live` section says) and, for Kubernetes, by `kubeAccessOf` below.
 * Used by `ha-validate --live` on an existing deployment and by every provisioning environment, so the same
 * observation means the same thing everywhere. Nothing here writes to the deployment.
 */
import { X509Certificate } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../errors.ts';
import { readText } from '../input.ts';
import type { CertificateInfo, LiveEvidence } from '../model.ts';
import type { RegionSpec, TargetDescriptor } from '../../descriptor/types.ts';
import type { KubeAccess, KubeAccessPolicy } from '../kubernetes/api.ts';
import { handshake } from './tls.ts';
import { addressOf, dialAddress, liveEndpoint } from './address.ts';
import { collectRoundTrips } from './round-trips.ts';
import { collectNodeVersions } from './versions.ts';
import { collectPeerHeights } from './peer-heights.ts';
import { readLeaseRow, ReadOnlySession, type LeaseRow } from './lease.ts';

export { readLeaseRow, type LeaseRow };

export { addressOf };

async function readPems(files: string[]): Promise<string[]> {
  return Promise.all(files.map((f) => readText(f, 'certificate')));
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
      const pem = await readText(p.tlsCert, 'certificate').catch(() => undefined);
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
      const address = dialAddress(d, peer.host);
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
      const address = dialAddress(d, node.host);
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

/**
 * Database reachability and the lease row, from the descriptor's `live.database`, over a read-only session that
 * runs single SELECTs. Its host, written in the live section, is dialled as written when it is an address; a name
 * through `live.hosts`, or only with `live.resolveNames: true` (else an InputError).
 */
export async function collectDatabaseEvidence(d: TargetDescriptor, timeoutMs = 3000): Promise<Partial<LiveEvidence>> {
  const db = d.live.database;
  if (!db) return {};
  const address = liveEndpoint(d, db.host);
  if (!address) {
    throw new InputError(
      d.file,
      'live.database.host',
      `${JSON.stringify(db.host)} is a host name: --live connects only to addresses the descriptor gives; map it in live.hosts, or set live.resolveNames: true`,
    );
  }
  const source = `postgresql://${db.user}@${db.host}:${db.port}/${db.database}`;
  let session: ReadOnlySession | undefined;
  try {
    session = await ReadOnlySession.open({ host: address, port: db.port, database: db.database, user: db.user, password: db.password, timeoutMs });
    let leaseRow: LeaseRow | null = null;
    try {
      leaseRow = await readLeaseRow(session);
    } catch (err) {
      // No lease table yet: reachable, but no node has ever claimed the lease.
      if (!/does not exist/.test((err as Error).message)) throw err;
    }
    return { database: { reachable: true, source }, leaseRow };
  } catch (err) {
    return { database: { reachable: false, error: (err as Error).message, source } };
  } finally {
    await session?.end();
  }
}

/**
 * How --live may reach a region's cluster, the one place this is decided: the service account of the pod the
 * validator runs in when the region says `inCluster: true`; else the kubeconfig and context the region names. A
 * context without a kubeconfig uses $KUBECONFIG (its first file) or ~/.kube/config only when the descriptor says
 * `live.kubernetes.ambientKubeconfig: true`; otherwise it is an InputError.
 */
export function kubeAccessOf(d: TargetDescriptor, region: RegionSpec, index: number, env: NodeJS.ProcessEnv = process.env): KubeAccess {
  const k = region.kubernetes!;
  if (k.inCluster) return { inCluster: true, env };
  const field = `regions[${index}].kubernetes.kubeconfig`;
  if (k.kubeconfig) return { kubeconfig: k.kubeconfig, context: k.context!, namedBy: { file: d.file, field } };
  if (d.live.kubernetes?.ambientKubeconfig !== true) {
    throw new InputError(
      d.file,
      field,
      `region ${region.name} names context ${JSON.stringify(k.context)} but no kubeconfig: --live reads clusters only through the kubeconfig the descriptor names (set kubeconfig, or live.kubernetes.ambientKubeconfig: true to use $KUBECONFIG or ~/.kube/config)`,
    );
  }
  const ambient = env.KUBECONFIG?.split(':').find(Boolean) ?? join(homedir(), '.kube', 'config');
  return { kubeconfig: ambient, context: k.context!, namedBy: { file: d.file, field: 'live.kubernetes.ambientKubeconfig' } };
}

/** Each region with a kubeconfig context or `inCluster: true`, read from the Kubernetes API (GET and LIST only). */
export async function collectKubernetesEvidence(d: TargetDescriptor, env: NodeJS.ProcessEnv = process.env): Promise<Partial<LiveEvidence>> {
  const regions = d.regions.map((r, i) => ({ r, i })).filter(({ r }) => r.kubernetes?.context || r.kubernetes?.inCluster);
  if (!regions.length) return {};
  // decided before anything is loaded or dialled: a region the descriptor gives no way to reach is bad input
  const accesses = regions.map(({ r, i }) => ({ region: r.name, access: kubeAccessOf(d, r, i, env) }));
  const policy: KubeAccessPolicy = { allowExecAuth: d.live.kubernetes?.allowExecAuth === true };
  // loaded only when a region names a context: the Kubernetes client is large and slow to import
  const { collectKubernetesApiEvidence } = await import('../kubernetes/api.ts');
  const namespace = typeof d.live.namespace === 'string' ? d.live.namespace : undefined;
  const kubernetes = await Promise.all(accesses.map(({ region, access }) => collectKubernetesApiEvidence(region, { ...access, policy, namespace })));
  return { kubernetes };
}

export async function collectLiveEvidence(d: TargetDescriptor): Promise<Partial<LiveEvidence>> {
  const [tls, db, kube, trips, versions, heights] = await Promise.all([
    collectTlsEvidence(d),
    collectDatabaseEvidence(d),
    collectKubernetesEvidence(d),
    collectRoundTrips(d),
    collectNodeVersions(d),
    collectPeerHeights(d),
  ]);
  const unobserved = { ...trips.unobserved, ...versions.unobserved };
  return { ...tls, ...db, ...kube, ...trips, ...versions, ...heights, ...(Object.keys(unobserved).length ? { unobserved } : {}) };
}
