import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** node's arguments that run the `ha-validate` CLI from its sources, for tests that spawn it themselves */
export const haValidateArgv: readonly string[] = ['--import', 'tsx', join(repoRoot, 'scripts', 'validate.ts')];

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
