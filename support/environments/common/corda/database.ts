/**
 * The pair's shared database and shared drive as every environment sees them: the lease table a node's migration
 * creates, and the live evidence the harness reads from a pair it started — the database reachable and its lease
 * row, and a file written through one node's artemis directory looked for through the other's.
 */
import { randomBytes } from 'node:crypto';
import type { LiveEvidence } from '../../../evidence/model.ts';
import { readLeaseRow, type Queryable } from '../../../evidence/live/lease.ts';

/** Corda Enterprise's `node_mutual_exclusion`, exactly, created once as a node's database migration would. */
export const LEASE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS node_mutual_exclusion (
  mutual_exclusion_id NCHAR(255) NOT NULL PRIMARY KEY,
  machine_name VARCHAR(255) NOT NULL,
  pid VARCHAR(255) NOT NULL,
  mutual_exclusion_timestamp TIMESTAMP NOT NULL,
  version BIGINT NOT NULL
)`;

/** A fresh client of the run's database, which the caller ends. */
export type Connect = () => Promise<Queryable & { end(): Promise<void> }>;

/** Whether the database takes a new session (`source` names where), and its lease row when it does. */
export async function databaseEvidence(connect: Connect, source: string): Promise<Pick<LiveEvidence, 'leaseRow' | 'database'>> {
  try {
    const c = await connect();
    try {
      return { leaseRow: await readLeaseRow(c), database: { reachable: true, source } };
    } finally {
      await c.end().catch(() => undefined);
    }
  } catch (err) {
    return { database: { reachable: false, error: (err as Error).message, source } };
  }
}

/** How to reach one file of the shared drive through each node: written through one, read through the other. */
export interface DriveProbe {
  /** where the file is written, as the evidence names it */
  wroteThrough: string;
  /** where it is looked for */
  readThrough: string;
  /** what the drive is, for the evidence */
  source: string;
  write(token: string): Promise<void>;
  /** the file's content, or undefined when it cannot be read */
  read(): Promise<string | undefined>;
  remove(): Promise<void>;
}

/** The name of a marker file for one look at the shared drive (hidden, labelled, never reused). */
export function driveMarker(): string {
  return `.ha-conformance-shared-drive-${randomBytes(6).toString('hex')}`;
}

/** A token written through one node's artemis directory and looked for through the other's: `seen` when it is there. */
export async function sharedDriveEvidence(probe: DriveProbe): Promise<NonNullable<LiveEvidence['sharedDrive']>> {
  const token = randomBytes(8).toString('hex');
  let seen = false;
  try {
    await probe.write(token);
    seen = (await probe.read()) === token;
  } finally {
    await probe.remove();
  }
  return { wroteThrough: probe.wroteThrough, readThrough: probe.readThrough, seen, source: probe.source };
}
