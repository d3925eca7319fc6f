/**
 * Runs the scenarios as a user would: `cucumber-js` from the repository root, bare (no NODE_OPTIONS, so the
 * profile's tsx registration is what loads the TypeScript), with its reports in a folder of the test's own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './cli.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** the environment of a child process, without what the test runner itself set; `extra` keys set to undefined are removed */
export function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

export function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `cucumber-js <args>` with HA_REPORTS_DIR=<reportsDir> */
export function runCucumber(args: string[], reportsDir: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<RunResult> {
  return runNode([join(repoRoot, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js'), ...args], { ...env, HA_REPORTS_DIR: reportsDir }, timeoutMs);
}
