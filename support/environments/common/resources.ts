/**
 * Every process, temp dir and server the embedded local environment starts is registered here, labelled with
 * the run id, and released on stop, on failure and on SIGINT/SIGTERM. Temp dirs are named
 * `ha-conformance-<runId>-<pid>` and every child's command line points into its run's dir, so a later run can
 * reap what a hard-killed run (SIGKILL, power loss) left behind: `reapOrphans()`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const TEMP_PREFIX = 'ha-conformance-';

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** resolves when the process has exited (with its code or signal) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the last lines it wrote (stdout and stderr; 20 unless asked, at most the 200 kept), for error messages */
  output(lines?: number): string;
  isRunning(): boolean;
  kill(signal?: NodeJS.Signals): void;
}

type Cleanup = { name: string; fn: () => Promise<void> | void };

const live = new Set<Resources>();
let handlersInstalled = false;

function installSignalHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    const all = [...live].map((r) => r.releaseAll().catch(() => undefined));
    void Promise.all(all).finally(() => {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    // Last resort, synchronous: kill whatever is still running. Temp dirs are reaped by the next run.
    for (const r of live) r.killAllSync();
  });
}

export class Resources {
  readonly runId: string;
  private readonly processes = new Set<ManagedProcess>();
  private readonly cleanups: Cleanup[] = [];
  private readonly dirs: string[] = [];
  private releasing: Promise<void> | undefined;

  constructor(runId = newRunId()) {
    this.runId = runId;
    live.add(this);
    installSignalHandlers();
  }

  /** A fresh temp dir labelled with the run id; removed on release. */
  async tempDir(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${this.runId}-${process.pid}-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Register something to undo on release (closed in reverse order of registration). */
  onRelease(name: string, fn: () => Promise<void> | void): void {
    this.cleanups.push({ name, fn });
  }

  spawn(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
      env: { ...process.env, ...options.env, HA_CONFORMANCE_RUN_ID: this.runId },
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let running = true;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      // exited once its output is read to the end too: 'exit' can come before the last of stderr (a panic's last
      // words), 'close' after it; a grandchild that keeps the pipes open delays it by one second at most
      child.once('exit', (code, signal) => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          running = false;
          this.processes.delete(managed);
          resolve({ code, signal });
        };
        const timer = setTimeout(finish, 1000);
        child.once('close', finish);
      });
      child.once('error', (err) => {
        running = false;
        lines.push(`spawn error: ${err.message}`);
        this.processes.delete(managed);
        resolve({ code: null, signal: null });
      });
    });
    const managed: ManagedProcess = {
      name,
      child,
      exited,
      output: (n = 20) => lines.slice(-n).join('\n'),
      isRunning: () => running,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (running && child.pid) {
          try {
            // A frozen (SIGSTOPped) process must be continued to act on SIGTERM.
            if (signal === 'SIGTERM') process.kill(child.pid, 'SIGCONT');
            child.kill(signal);
          } catch {
            /* already gone */
          }
        }
      },
    };
    this.processes.add(managed);
    return managed;
  }

  /** Stop a process: SIGTERM, then SIGKILL after `graceMs`. */
  async stopProcess(p: ManagedProcess, graceMs = 3000): Promise<void> {
    if (!p.isRunning()) return;
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  killAllSync(): void {
    for (const p of this.processes) {
      try {
        if (p.child.pid) process.kill(p.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Release everything; safe to call more than once (every caller waits for the one release). */
  releaseAll(): Promise<void> {
    this.releasing ??= this.release();
    return this.releasing;
  }

  private async release(): Promise<void> {
    const errors: string[] = [];
    for (const c of [...this.cleanups].reverse()) {
      try {
        await c.fn();
      } catch (err) {
        errors.push(`${c.name}: ${(err as Error).message}`);
      }
    }
    await Promise.all([...this.processes].map((p) => this.stopProcess(p)));
    for (const d of this.dirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
    live.delete(this);
    if (errors.length) throw new Error(`cleanup of run ${this.runId} had errors:\n${errors.join('\n')}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kill processes and remove temp dirs left by runs whose harness process is gone. Returns what it reaped.
 * Only touches our own dirs (prefix + run id + owner pid) and processes whose command line points into them.
 */
export async function reapOrphans(): Promise<{ processes: number[]; dirs: string[] }> {
  const base = tmpdir();
  const entries = await readdir(base).catch(() => [] as string[]);
  const orphanDirs: string[] = [];
  for (const e of entries) {
    const m = new RegExp(`^${TEMP_PREFIX}([0-9a-f]+)-(\\d+)-`).exec(e);
    if (m && !pidAlive(Number(m[2]))) orphanDirs.push(join(base, e));
  }
  const killed: number[] = [];
  if (orphanDirs.length && existsSync('/proc')) {
    for (const pidDir of await readdir('/proc')) {
      if (!/^\d+$/.test(pidDir)) continue;
      const cmd = await readFile(`/proc/${pidDir}/cmdline`, 'utf8').catch(() => '');
      if (orphanDirs.some((d) => cmd.includes(d))) {
        try {
          process.kill(Number(pidDir), 'SIGKILL');
          killed.push(Number(pidDir));
        } catch {
          /* gone */
        }
      }
    }
  }
  for (const d of orphanDirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
  return { processes: killed, dirs: orphanDirs };
}

/** Processes whose command line points into a temp dir of the given run (for leak tests). */
export async function processesOfRun(runId: string): Promise<Array<{ pid: number; cmd: string }>> {
  const found: Array<{ pid: number; cmd: string }> = [];
  if (!existsSync('/proc')) return found;
  for (const pidDir of await readdir('/proc')) {
    if (!/^\d+$/.test(pidDir) || Number(pidDir) === process.pid) continue;
    const cmd = (await readFile(`/proc/${pidDir}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    const env = await readFile(`/proc/${pidDir}/environ`, 'utf8').catch(() => '');
    if (cmd.includes(`${TEMP_PREFIX}${runId}-`) || env.includes(`HA_CONFORMANCE_RUN_ID=${runId}`)) {
      found.push({ pid: Number(pidDir), cmd: cmd.trim() });
    }
  }
  return found;
}

/**
 * Send SIGSTOP or SIGCONT and return once the kernel shows the process stopped (state `T`) or running again, so
 * that a freeze is in force when the fault is recorded. Signal delivery is asynchronous: right after `kill` the
 * process may still be running. Where `/proc` is absent (not Linux) it returns after sending. Bounded: a process
 * that exits meanwhile, or a slow machine, ends the wait after `boundMs` without an error.
 */
export async function signalAndSettle(pid: number, signal: 'SIGSTOP' | 'SIGCONT', boundMs = 2000): Promise<void> {
  process.kill(pid, signal);
  const wantStopped = signal === 'SIGSTOP';
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    let state: string;
    try {
      state = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /s, '')[0];
    } catch {
      return;
    }
    if ((state === 'T' || state === 't') === wantStopped) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
