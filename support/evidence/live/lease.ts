/**
 * Repeated reads of the Corda lease row over one PostgreSQL session, for samplers that read it every few tens of
 * milliseconds: queries queue (pg runs one at a time per client), and a session that broke is replaced on the
 * next read. Only the SELECT of `readLeaseRow` is ever sent.
 */
import type pg from 'pg';
import { readLeaseRow, type LeaseRow } from './collect.ts';

export class LeaseReader {
  private client: Promise<pg.Client> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** `connect` opens a new session; `closedError` is what a read after `close()` throws */
  constructor(
    private readonly connect: () => Promise<pg.Client>,
    private readonly closedError: () => Error = () => new Error('the lease reader is closed'),
  ) {}

  read(): Promise<LeaseRow | null> {
    const run = this.queue.then(() => this.readNow(), () => this.readNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<LeaseRow | null> {
    if (this.closed) throw this.closedError();
    this.client ??= this.connect().then((c) => {
      const drop = () => {
        if (this.client === pending) this.client = null;
      };
      c.on('error', drop);
      c.on('end', drop);
      return c;
    });
    const pending = this.client;
    try {
      return await readLeaseRow(await pending);
    } catch (err) {
      if (this.client === pending) this.client = null;
      void pending.then((c) => c.end()).catch(() => undefined);
      throw err;
    }
  }

  /** End the session; reads after this throw. */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = null;
    if (c) await c.then((x) => x.end()).catch(() => undefined);
  }
}
