import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * node's arguments that run the `ha-validate` CLI from its sources, for tests that spawn it themselves. tsx is named
 * by its resolved location, so the CLI runs from any working directory (the hostile corpus runs it in scratch folders).
 */
export const haValidateArgv: readonly string[] = ['--import', import.meta.resolve('tsx'), join(repoRoot, 'scripts', 'validate.ts')];

/**
 * Runs the `ha-validate` CLI from the repository root as a separate process, from its TypeScript sources (what
 * `npm run validate` runs), so a test sees the code it was written against without a build. The compiled
 * package and its `ha-validate` executable are tested in test/scripts/package.test.ts.
 */
export function haValidate(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [...haValidateArgv, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface AsyncCliResult extends CliResult {
  /** wall time from spawn to exit, ms */
  ms: number;
  /** set when the run was killed for taking longer than `killAfterMs` */
  killed: boolean;
}

/**
 * `haValidate` without blocking the test process, for tests that serve fake endpoints the CLI connects to (a
 * synchronous spawn would stop them answering) or run many cases side by side. `killAfterMs` ends a run that hangs.
 */
export function haValidateAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; killAfterMs?: number; nodeOptions?: string[] } = {},
): Promise<AsyncCliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...haValidateArgv, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, options.killAfterMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0, killed });
    });
  });
}
