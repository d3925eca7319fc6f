/**
 * Read-only live evidence from the endpoints a descriptor names: TLS handshakes to peers, orderers and gateway
 * Services (by name, verified against the organization CA), the Corda lease row and database reachability, and
 * each region's cluster through the Kubernetes API.
 * Used by `ha-validate --live` on an existing deployment and by every provisioning environment, so the same
 * observation means the same thing everywhere. Nothing here writes to the deployment.
 *
 * The --live contract (docs/input-limits.md): connections go only where the descriptor says — host names through
 * `live.hosts` (or the resolver when `live.resolveNames: true`), Kubernetes through the kubeconfig and context each
 * region names (never $KUBECONFIG or ~/.kube/config unless `live.kubernetes.ambientKubeconfig: true`, no exec or
 * auth-provider plugin unless `live.kubernetes.allowExecAuth: true`), PostgreSQL in a read-only session that only
 * SELECTs.
 */
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { InputError } from '../../errors.ts';
import { readText } from '../input.ts';
import type { LiveEvidence } from '../model.ts';
import type { RegionSpec, TargetDescriptor } from '../../target/types.ts';
import type { KubeAccess, KubeAccessPolicy } from '../kubernetes/api.ts';
import { handshake } from './tls.ts';

async function readPems(files: string[]): Promise<string[]> {
  return Promise.all(files.map((f) => readText(f, 'certificate')));
}

/**
 * The address to dial for a host: an IP address as it is, the descriptor's `live.hosts` entry for a name, or the
 * name itself when the operator allows name resolution (`live.resolveNames: true`). Otherwise undefined: the harness
 * sends traffic only where the descriptor says, never to whatever a name happens to resolve to.
 */
export function addressOf(d: TargetDescriptor, host: string): string | undefined {
  const mapped = d.live.hosts?.[host];
  if (mapped) return mapped;
  if (isIP(host)) return host;
  return d.live.resolveNames === true ? host : undefined;
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

/** What reading the lease needs of a database client: one query at a time. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>>;
}

/** Read the Corda mutual-exclusion lease row (SELECT only). */
export async function readLeaseRow(client: Queryable): Promise<LeaseRow | null> {
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

/** PostgreSQL's startup `options`: every transaction of the session is read-only, whatever a statement asks. */
export const READ_ONLY_SESSION = '-c default_transaction_read_only=on';

/**
 * A PostgreSQL session for --live: opened read-only (the startup options), checked to be so, and able to run one
 * SELECT statement at a time, nothing else.
 */
export class ReadOnlySession implements Queryable {
  private constructor(private readonly client: pg.Client) {}

  static async open(config: { host: string; port: number; database: string; user: string; password?: string; timeoutMs: number }): Promise<ReadOnlySession> {
    const client = new pg.Client({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      // never ~/.pgpass or $PGPASSWORD: the descriptor's password, or none
      password: config.password ?? '',
      options: READ_ONLY_SESSION,
      connectionTimeoutMillis: config.timeoutMs,
      query_timeout: config.timeoutMs,
    });
    const session = new ReadOnlySession(client);
    try {
      await client.connect();
      const r = await session.query<{ ro: string }>("SELECT current_setting('default_transaction_read_only') AS ro");
      if (r.rows[0]?.ro !== 'on') throw new Error(`the session is not read-only (default_transaction_read_only is ${JSON.stringify(r.rows[0]?.ro ?? null)}); nothing is read`);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>> {
    if (!/^\s*SELECT\b/i.test(sql) || sql.replace(/;\s*$/, '').includes(';')) {
      return Promise.reject(new Error(`a --live session runs single SELECT statements only, not: ${sql.slice(0, 40)}`));
    }
    return this.client.query<R>(sql);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/**
 * Database reachability and the lease row, from the descriptor's `live.database`. Its host is dialled like any
 * other: an address, a `live.hosts` entry, or a name only with `live.resolveNames: true` (else an InputError).
 */
export async function collectDatabaseEvidence(d: TargetDescriptor, timeoutMs = 3000): Promise<Partial<LiveEvidence>> {
  const db = d.live.database;
  if (!db) return {};
  const address = addressOf(d, db.host);
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
    await session?.close();
  }
}

/**
 * How --live may reach a region's cluster: the kubeconfig and context the region names. A context without a
 * kubeconfig uses $KUBECONFIG (its first file) or ~/.kube/config only when the descriptor says
 * `live.kubernetes.ambientKubeconfig: true`; otherwise it is an InputError. The one place this is decided.
 */
export function kubeAccessOf(d: TargetDescriptor, region: RegionSpec, index: number, env: NodeJS.ProcessEnv = process.env): KubeAccess {
  const k = region.kubernetes!;
  const field = `regions[${index}].kubernetes.kubeconfig`;
  if (k.kubeconfig) return { kind: 'kubeconfig', kubeconfig: k.kubeconfig, context: k.context!, namedBy: { file: d.file, field } };
  if (d.live.kubernetes?.ambientKubeconfig !== true) {
    throw new InputError(
      d.file,
      field,
      `region ${region.name} names context ${JSON.stringify(k.context)} but no kubeconfig: --live reads clusters only through the kubeconfig the descriptor names (set kubeconfig, or live.kubernetes.ambientKubeconfig: true to use $KUBECONFIG or ~/.kube/config)`,
    );
  }
  const ambient = env.KUBECONFIG?.split(':').find(Boolean) ?? join(homedir(), '.kube', 'config');
  return { kind: 'kubeconfig', kubeconfig: ambient, context: k.context!, namedBy: { file: d.file, field: 'live.kubernetes.ambientKubeconfig' } };
}

/** Each region with a kubeconfig context, read from the Kubernetes API (GET and LIST only). */
export async function collectKubernetesEvidence(d: TargetDescriptor, env: NodeJS.ProcessEnv = process.env): Promise<Partial<LiveEvidence>> {
  const regions = d.regions.map((r, i) => ({ r, i })).filter(({ r }) => r.kubernetes?.context);
  if (!regions.length) return {};
  // decided before anything is loaded or dialled: a region the descriptor gives no way to reach is bad input
  const accesses = regions.map(({ r, i }) => ({ region: r.name, access: kubeAccessOf(d, r, i, env) }));
  const policy: KubeAccessPolicy = { allowExecAuth: d.live.kubernetes?.allowExecAuth === true };
  // loaded only when a region names a context: the Kubernetes client is large and slow to import
  const { collectKubernetesApiEvidence } = await import('../kubernetes/api.ts');
  const kubernetes = await Promise.all(
    accesses.map(({ region, access }) =>
      collectKubernetesApiEvidence(region, {
        kubeconfig: access.kubeconfig,
        context: access.context,
        policy,
        ...(access.namedBy ? { namedBy: access.namedBy } : {}),
        namespace: d.live.namespace,
      }),
    ),
  );
  return { kubernetes };
}

export async function collectLiveEvidence(d: TargetDescriptor): Promise<Partial<LiveEvidence>> {
  const [tls, db, kube] = await Promise.all([collectTlsEvidence(d), collectDatabaseEvidence(d), collectKubernetesEvidence(d)]);
  return { ...tls, ...db, ...kube };
}
