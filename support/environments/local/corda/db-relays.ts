/**
 * The harness's side of `db-relay.ts`: starts the relay process (through `resources`, so it is released with the
 * run) and gives each node its path to the database, which drills cut and restore.
 */
import { fileURLToPath } from 'node:url';
import { BrokenError } from '../../../errors.ts';
import type { ManagedProcess, Resources } from '../../common/resources.ts';

const PROGRAM = fileURLToPath(new URL('./db-relay.ts', import.meta.url));

/** One node's path to the database. */
export interface NodeRelay {
  readonly name: string;
  /** host:port the node dials instead of the database */
  readonly address: string;
  readonly isCut: boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export class DbRelays {
  private buffer = '';
  private readonly pending: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];

  private constructor(
    private readonly proc: ManagedProcess,
    private readonly resources: Resources,
  ) {
    proc.child.stdout?.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.pending.shift()?.resolve(line);
      }
    });
    void proc.exited.then(() => {
      for (const p of this.pending.splice(0)) p.reject(new BrokenError(`the database relay process exited:\n${proc.output()}`));
    });
  }

  static start(resources: Resources, runDir: string, target: { host: string; port: number }): DbRelays {
    const proc = resources.spawn('corda db-relay', process.execPath, ['--import', 'tsx', PROGRAM, `${target.host}:${target.port}`, runDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const relays = new DbRelays(proc, resources);
    resources.onRelease('corda db-relay', () => relays.stop());
    return relays;
  }

  /** Every path closes at once (the relay process ends). */
  async stop(): Promise<void> {
    await this.resources.stopProcess(this.proc, 2000);
  }

  private command(line: string, timeoutMs = 15000): Promise<string> {
    if (!this.proc.isRunning()) return Promise.reject(new BrokenError('the database relay process is not running'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BrokenError(`the database relay did not answer "${line}" within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({
        resolve: (answer) => {
          clearTimeout(timer);
          if (answer.startsWith('error ')) reject(new BrokenError(`database relay: ${answer}`));
          else resolve(answer);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.proc.child.stdin?.write(`${line}\n`);
    });
  }

  async add(name: string): Promise<NodeRelay> {
    const answer = await this.command(`add ${name}`);
    const port = Number(answer.split(' ')[2]);
    let cut = false;
    const command = (line: string) => this.command(line);
    const running = () => this.proc.isRunning();
    return {
      name,
      address: `127.0.0.1:${port}`,
      get isCut() {
        return cut;
      },
      async cut() {
        await command(`cut ${name}`);
        cut = true;
      },
      async restore() {
        await command(`restore ${name}`);
        cut = false;
      },
      async close() {
        if (!running()) return;
        await command(`remove ${name}`).catch(() => undefined);
        cut = true;
      },
    };
  }
}
