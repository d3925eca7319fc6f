/**
 * Runs one stand-in node the way systemd or a container runtime would: restarts it whenever it exits (a cold
 * node exits 1 after failing to claim the lease, a hot node after losing it), after a small backoff, until the
 * node is stopped on purpose. Consecutive quick failures (a refused configuration, an unreachable database) back
 * off exponentially up to 2 s, so a node that cannot start does not eat the machine.
 */
import { signalAndSettle, type ManagedProcess, type Resources } from '../../common/resources.ts';
import { BrokenError } from '../../../errors.ts';
import { STAND_IN_PROGRAM } from '../../common/corda/stand-in.ts';

export interface NodeLaunch {
  /** descriptor name: primary, backup, backup-duplicate */
  name: string;
  confFile: string;
  baseDirectory: string;
  /** the machine address the node serves on */
  machine: string;
  env: Record<string, string>;
}

export interface ExitRecord {
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  ranMs: number;
  lastLine: string;
}

export class SupervisedNode {
  private current: ManagedProcess | null = null;
  private wanted = false;
  private closed = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private quickFailures = 0;
  private startedAt = 0;
  readonly exits: ExitRecord[] = [];
  /** number of processes started so far */
  starts = 0;

  constructor(
    private readonly resources: Resources,
    readonly launch: NodeLaunch,
    private readonly backoffMs: number,
    /** a run shorter than this that ends in failure counts as a quick failure */
    private readonly quickMs: number,
    private readonly log: (line: string) => void,
    /** false once the environment is stopping: nothing may be spawned any more */
    private readonly alive: () => boolean = () => true,
  ) {
    resources.onRelease(`stand-in ${launch.name}`, () => this.close());
  }

  get name(): string {
    return this.launch.name;
  }

  get pid(): number | undefined {
    return this.current?.isRunning() ? this.current.child.pid : undefined;
  }

  get running(): boolean {
    return Boolean(this.current?.isRunning());
  }

  /** true while the supervisor keeps the node running (between `start()` and `stop()`) */
  get supervised(): boolean {
    return this.wanted;
  }

  output(): string {
    return this.current?.output() ?? this.exits.at(-1)?.lastLine ?? '';
  }

  /** Start the node and keep it running. */
  start(): void {
    if (this.closed || !this.alive()) throw new BrokenError(`stand-in ${this.name}: the environment is stopped`);
    this.wanted = true;
    this.quickFailures = 0;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    if (!this.running) this.spawn();
  }

  /** Restart now if it is waiting out a backoff (after the database came back, say). */
  kick(): void {
    if (!this.wanted || this.closed || this.running) return;
    this.quickFailures = 0;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.spawn();
  }

  private spawn(): void {
    if (this.closed || !this.alive()) return;
    const { name, confFile, baseDirectory, env } = this.launch;
    const proc = this.resources.spawn(`corda ${name}`, process.execPath, ['--import', 'tsx', STAND_IN_PROGRAM, confFile, '--base-directory', baseDirectory], {
      env,
    });
    this.current = proc;
    this.starts++;
    this.startedAt = Date.now();
    const startedAt = this.startedAt;
    void proc.exited.then(({ code, signal }) => {
      const ranMs = Date.now() - startedAt;
      const lastLine = proc.output().split('\n').at(-1) ?? '';
      this.exits.push({ pid: proc.child.pid, code, signal, ranMs, lastLine });
      if (this.exits.length > 50) this.exits.shift();
      if (this.current === proc) this.current = null;
      if (!this.wanted || this.closed) return;
      this.quickFailures = code !== 0 && ranMs < this.quickMs ? this.quickFailures + 1 : 0;
      if (this.quickFailures === 3) this.log(`corda ${this.name} keeps failing at start (exit ${code ?? signal}): ${lastLine}`);
      const delay = Math.min(2000, this.backoffMs * 2 ** Math.min(this.quickFailures, 4));
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.wanted && !this.closed && !this.running) this.spawn();
      }, delay);
    });
  }

  /** Stop the node and do not restart it: SIGTERM (a clean stop) or SIGKILL (a crash). */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const proc = this.current;
    if (!proc?.isRunning()) return;
    if (signal === 'SIGKILL') {
      proc.kill('SIGKILL');
      await proc.exited;
    } else {
      await this.resources.stopProcess(proc, 3000);
    }
  }

  /** SIGSTOP: the process keeps its sockets (the kernel still accepts connections) but does nothing. */
  async freeze(): Promise<void> {
    if (this.current?.child.pid && this.running) await signalAndSettle(this.current.child.pid, 'SIGSTOP');
  }

  async thaw(): Promise<void> {
    if (this.current?.child.pid && this.running) await signalAndSettle(this.current.child.pid, 'SIGCONT');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop('SIGTERM');
  }
}
