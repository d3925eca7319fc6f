/**
 * Typed wrappers over the `kind` and `docker` command-line tools. The binaries come from `KIND_BIN` /
 * `DOCKER_BIN` or from PATH. Every failure is a `CommandError` carrying the exact command line, the exit code
 * and what the tool wrote to stderr, so an operator can paste the command and see the same thing.
 *
 * Nothing here pulls an image: the caller checks the node image is present (`docker image inspect`) and hands
 * `kind` exactly that reference, so `kind create cluster` finds it locally.
 */
import { spawn } from 'node:child_process';
import { BrokenError } from '../../errors.ts';

export interface CommandResult {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends BrokenError {
  constructor(
    /** the command line as a shell would take it */
    readonly command: string,
    /** exit code; null when the process could not start, was killed or timed out */
    readonly code: number | null,
    readonly stderr: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    const tail = stderr.trim() ? `:\n${lastLines(stderr.trim(), 20)}` : '';
    super(`\`${command}\` ${reason}${tail}`, options);
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.length > n ? ['…', ...lines.slice(-n)].join('\n') : text;
}

/** Quote for display (and copy-paste into a POSIX shell). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(bin: string, args: string[]): string {
  return [bin, ...args].map(shellQuote).join(' ');
}

export interface RunOptions {
  /** kill the process after this long (SIGTERM, then SIGKILL 5 s later) */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** called with each line the tool writes to stderr (kind reports progress there) */
  onStderrLine?: (line: string) => void;
  /** called with each line the tool writes to stdout */
  onStdoutLine?: (line: string) => void;
  /** working directory (default: the harness's) */
  cwd?: string;
}

function lineSplitter(emit: ((line: string) => void) | undefined): { push(c: Buffer): void; flush(): void } {
  let partial = '';
  return {
    push(c) {
      if (!emit) return;
      partial += c.toString('utf8');
      const parts = partial.split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const l of parts) if (l.trim()) emit(l);
    },
    flush() {
      if (emit && partial.trim()) emit(partial);
      partial = '';
    },
  };
}

/** Run a command to completion. Throws `CommandError` on a non-zero exit, a missing binary or a timeout. */
export function runCommand(bin: string, args: string[], o: RunOptions): Promise<CommandResult> {
  const command = commandLine(bin, args);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env, cwd: o.cwd });
    } catch (err) {
      reject(new CommandError(command, null, '', `could not start: ${(err as Error).message}`, { cause: err }));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const outLines = lineSplitter(o.onStdoutLine);
    const errLines = lineSplitter(o.onStderrLine);
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      outLines.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      err.push(c);
      errLines.push(c);
    });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    }, o.timeoutMs);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      outLines.flush();
      errLines.flush();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) {
        const why = spawnError.code === 'ENOENT' ? `could not start: ${bin} was not found` : `could not start: ${spawnError.message}`;
        reject(new CommandError(command, null, stderr, why, { cause: spawnError }));
      } else if (timedOut) {
        reject(new CommandError(command, null, stderr, `did not finish within ${Math.round(o.timeoutMs / 1000)} s and was stopped`));
      } else if (code !== 0) {
        reject(new CommandError(command, code, stderr, code === null ? `was killed by ${signal}` : `exited with code ${code}`));
      } else {
        resolve({ command, code: 0, stdout, stderr });
      }
    });
  });
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

// ---------------------------------------------------------------------------------------------------------------
// kind

export interface CreateClusterOptions {
  name: string;
  /** a `kind.x-k8s.io/v1alpha4` Cluster config file */
  configFile: string;
  /** node image, e.g. `kindest/node:v1.33.1@sha256:…`; kind's default when absent */
  image?: string;
  /** how long kind waits for the control plane to be Ready, e.g. `120s` (kind's `--wait`) */
  wait?: string;
  /** write the cluster's context here instead of the user's ~/.kube/config */
  kubeconfig?: string;
}

export interface ToolOptions {
  /** the binary (default: `KIND_BIN` / `DOCKER_BIN`, else the name on PATH) */
  bin?: string;
  env?: NodeJS.ProcessEnv;
  /** per call, for calls without a bound of their own (default 60 s) */
  timeoutMs?: number;
  /** progress lines (kind's own step lines while it creates a cluster) */
  log?: (line: string) => void;
}

export function kindBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.KIND_BIN || 'kind';
}

export function dockerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_BIN || 'docker';
}

export class KindCli {
  readonly bin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;

  constructor(o: ToolOptions = {}) {
    this.env = o.env ?? process.env;
    this.bin = o.bin ?? kindBinary(this.env);
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.log = o.log ?? (() => undefined);
  }

  private run(args: string[], timeoutMs = this.timeoutMs, onStderrLine?: (l: string) => void): Promise<CommandResult> {
    return runCommand(this.bin, args, { timeoutMs, env: this.env, onStderrLine });
  }

  /** `kind version`, e.g. `kind v0.29.0 go1.24.2 linux/amd64` */
  async version(): Promise<string> {
    return (await this.run(['version'], 15_000)).stdout.trim();
  }

  /**
   * `kind create cluster --name N --config F [--image I] [--wait W] [--kubeconfig K]`. kind removes the nodes of
   * a cluster whose creation failed; callers still delete by name, which is harmless when nothing is left.
   */
  async createCluster(o: CreateClusterOptions, timeoutMs = 15 * 60_000): Promise<CommandResult> {
    const args = ['create', 'cluster', '--name', o.name, '--config', o.configFile];
    if (o.image) args.push('--image', o.image);
    if (o.wait) args.push('--wait', o.wait);
    if (o.kubeconfig) args.push('--kubeconfig', o.kubeconfig);
    // kind's closing hint ("You can now use your cluster with: kubectl cluster-info …") is not progress
    let done = false;
    return this.run(args, timeoutMs, (l) => {
      if (/^You can now use your cluster/.test(l.trim())) done = true;
      if (!done) this.log(`${o.name}: ${l.trim()}`);
    });
  }

  /** `kind delete cluster --name N [--kubeconfig K]`; kind exits 0 when there is no such cluster. */
  async deleteCluster(name: string, o: { kubeconfig?: string } = {}, timeoutMs = 5 * 60_000): Promise<void> {
    const args = ['delete', 'cluster', '--name', name];
    if (o.kubeconfig) args.push('--kubeconfig', o.kubeconfig);
    await this.run(args, timeoutMs);
  }

  /** `kind get clusters`: names, one per line (kind says "No kind clusters found." on stderr when none). */
  async getClusters(): Promise<string[]> {
    return lines((await this.run(['get', 'clusters'])).stdout);
  }

  /** `kind get nodes --name N`: the node container names of a cluster. */
  async getNodes(name: string): Promise<string[]> {
    return lines((await this.run(['get', 'nodes', '--name', name])).stdout);
  }

  /**
   * `kind load docker-image I… --name N`: copies images from the local Docker engine into every node of the
   * cluster, so pods start without any registry (the manifests say `imagePullPolicy: IfNotPresent`).
   */
  async loadImages(images: string[], name: string, timeoutMs = 10 * 60_000): Promise<void> {
    if (!images.length) return;
    await this.run(['load', 'docker-image', ...images, '--name', name], timeoutMs);
  }

  /** `kind export kubeconfig --name N --kubeconfig F`: (re)write the cluster's context into F. */
  async exportKubeconfig(name: string, file: string): Promise<void> {
    await this.run(['export', 'kubeconfig', '--name', name, '--kubeconfig', file]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// docker

export class DockerCli {
  readonly bin: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(o: ToolOptions = {}) {
    this.env = o.env ?? process.env;
    this.bin = o.bin ?? dockerBinary(this.env);
    this.timeoutMs = o.timeoutMs ?? 60_000;
  }

  private run(args: string[], timeoutMs = this.timeoutMs): Promise<CommandResult> {
    return runCommand(this.bin, args, { timeoutMs, env: this.env });
  }

  /** The engine's version; throws `CommandError` when the engine is not reachable. */
  async info(timeoutMs = 20_000): Promise<string> {
    return (await this.run(['info', '--format', '{{.ServerVersion}}'], timeoutMs)).stdout.trim();
  }

  /** Whether an image is present locally. Never pulls. */
  async imagePresent(image: string): Promise<boolean> {
    try {
      await this.run(['image', 'inspect', '--format', '{{.Id}}', image], 20_000);
      return true;
    } catch (err) {
      if (err instanceof CommandError && err.code !== null) return false;
      throw err;
    }
  }

  /** A container's address on a Docker network (KIND's is `kind`); throws when it has none there. */
  async containerAddress(container: string, network = 'kind'): Promise<string> {
    const format = `{{with index .NetworkSettings.Networks "${network}"}}{{.IPAddress}}{{end}}`;
    const ip = (await this.run(['container', 'inspect', '--format', format, container], 20_000)).stdout.trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`container ${container} has no IPv4 address on Docker network ${network} (docker said "${ip}")`);
    return ip;
  }

  /** `docker stop [-t S] C…`: containers stop in parallel inside one call. */
  async stop(containers: string[], o: { graceSeconds?: number } = {}): Promise<void> {
    if (!containers.length) return;
    const args = ['stop'];
    if (o.graceSeconds !== undefined) args.push('--time', String(o.graceSeconds));
    await this.run([...args, ...containers], 5 * 60_000);
  }

  /** `docker start C…` */
  async start(containers: string[]): Promise<void> {
    if (!containers.length) return;
    await this.run(['start', ...containers], 5 * 60_000);
  }
}
