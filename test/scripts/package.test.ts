/**
 * The npm package as a user gets it: `npm pack` (which builds dist/ through `prepare`), `npm install -g` of the
 * tarball into a temporary prefix, then the installed `ha-validate` on the reference deployment and on a broken
 * variant. The installed package must run without tsx or the TypeScript compiler: neither may be resolvable from
 * it. Dependencies come from npm's cache when it has them (`--prefer-offline`), else from the registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const violation = join(repoRoot, 'fixtures', 'violations', 'FAB-ORD-01-three-consenters', 'target.yaml');
/** generous: a cold npm cache fetches about 130 packages */
const INSTALL_BOUND_MS = 300_000;

let tmp: string;
let tarball: string;
let prefix: string;
let packageDir: string;
const figures: string[] = [];

function run(cmd: string, args: string[], options: SpawnSyncOptions & { timeout: number }) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`, { cause: r.error });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** a PATH with node alone: no repository script, no node_modules/.bin */
const PATH_WITH_NODE_ONLY = () => `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hac-test-package-'));
  let t = Date.now();
  const pack = run('npm', ['pack', '--pack-destination', tmp, '--loglevel=error'], { cwd: repoRoot, timeout: INSTALL_BOUND_MS });
  assert.equal(pack.code, 0, `npm pack failed:\n${pack.stderr}`);
  const tgz = (await readdir(tmp)).filter((f) => f.endsWith('.tgz'));
  assert.equal(tgz.length, 1, `npm pack made ${tgz.join(', ') || 'nothing'}`);
  tarball = join(tmp, tgz[0]);
  figures.push(`npm pack (build included) ${Date.now() - t} ms, ${(await stat(tarball)).size} bytes`);

  prefix = join(tmp, 'prefix');
  t = Date.now();
  const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: tmp,
    timeout: INSTALL_BOUND_MS,
  });
  assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr}`);
  figures.push(`npm install -g ${Date.now() - t} ms`);
  packageDir = join(prefix, 'lib', 'node_modules', 'ha-conformance');
});

after(async () => {
  if (figures.length) process.stdout.write(`# ${figures.join('; ')}\n`);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the tarball holds the compiled CLI, its launcher and the descriptor schema: no TypeScript, tests or fixtures', () => {
  const list = run('tar', ['-tzf', tarball], { timeout: 30_000 });
  assert.equal(list.code, 0, list.stderr);
  const files = list.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  // serve and the SARIF writer are loaded on demand or deep in the closure: they must be compiled too
  for (const must of ['package.json', 'README.md', 'scripts/ha-validate.mjs', 'dist/scripts/validate.js', 'dist/support/serve/index.js', 'dist/support/report/sarif.js', 'docs/target-schema.json']) {
    assert.ok(files.includes(must), `${must} is missing from the package: ${files.join(', ')}`);
  }
  const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'scripts/ha-validate.mjs', 'docs/target-schema.json'].includes(f));
  assert.deepEqual(outside, [], 'files outside the documented set');
  assert.deepEqual(files.filter((f) => f.endsWith('.ts')), [], 'TypeScript sources in the package');
  assert.ok(files.filter((f) => f.startsWith('dist/')).every((f) => f.endsWith('.js')), 'dist/ holds JavaScript only');
});

test('the installed package resolves neither tsx nor typescript', () => {
  const req = createRequire(join(packageDir, 'package.json'));
  for (const name of ['tsx', 'typescript', '@cucumber/cucumber']) {
    assert.throws(() => req.resolve(name), /Cannot find module/, `${name} is resolvable from the installed package`);
  }
  assert.ok(existsSync(join(packageDir, 'node_modules', '@kubernetes', 'client-node')), 'a runtime dependency was not installed');
});

test('the installed ha-validate validates the reference deployment (exit 0) and finds the broken variant (exit 1)', () => {
  const env = { PATH: PATH_WITH_NODE_ONLY(), HOME: tmp };
  let t = Date.now();
  const ok = run(join(prefix, 'bin', 'ha-validate'), ['--target', reference], { cwd: tmp, env, timeout: 120_000 });
  figures.push(`installed ha-validate on the reference ${Date.now() - t} ms`);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /\d+ checks: \d+ passed, 0 failed, 0 broken/);

  t = Date.now();
  const bad = run(join(prefix, 'bin', 'ha-validate'), ['--target', violation, '--format', 'json'], { cwd: tmp, env, timeout: 120_000 });
  assert.equal(bad.code, 1, bad.stderr);
  const failed = (JSON.parse(bad.stdout) as { results: Array<{ id: string; status: string }> }).results.filter((r) => r.status === 'failed').map((r) => r.id);
  assert.deepEqual(failed, ['FAB-ORD-01']);

  const sarif = run(join(prefix, 'bin', 'ha-validate'), ['--target', violation, '--format', 'sarif'], { cwd: tmp, env, timeout: 120_000 });
  assert.equal(sarif.code, 1, sarif.stderr);
  const log = JSON.parse(sarif.stdout) as { runs: Array<{ tool: { driver: { version: string } }; results: Array<{ ruleId: string }> }> };
  assert.deepEqual(log.runs[0].results.map((r) => r.ruleId), ['FAB-ORD-01']);
  assert.equal(log.runs[0].tool.driver.version, JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version, 'the installed package does not find its own version');
});

test('the installed ha-validate answers usage errors with exit 2', () => {
  const r = run(join(prefix, 'bin', 'ha-validate'), ['--format', 'nope'], { cwd: tmp, env: { PATH: PATH_WITH_NODE_ONLY(), HOME: tmp }, timeout: 60_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--target <file> is required/);
});

test('in a source checkout the launcher refuses a missing or out-of-date build, naming the command that fixes it', async () => {
  const { copyFile, mkdir, utimes, writeFile } = await import('node:fs/promises');
  const checkout = join(tmp, 'checkout');
  await mkdir(join(checkout, 'scripts'), { recursive: true });
  await copyFile(join(repoRoot, 'scripts', 'ha-validate.mjs'), join(checkout, 'scripts', 'ha-validate.mjs'));
  await writeFile(join(checkout, 'scripts', 'validate.ts'), '// source\n');
  const launch = () => run(process.execPath, [join(checkout, 'scripts', 'ha-validate.mjs'), '--list'], { cwd: checkout, timeout: 60_000 });

  const missing = launch();
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /compiled CLI .*dist\/scripts\/validate\.js is missing: run `npm run build`/);

  await mkdir(join(checkout, 'dist', 'scripts'), { recursive: true });
  await writeFile(join(checkout, 'dist', 'scripts', 'validate.js'), "process.stdout.write('compiled ran\\n');\n");
  const old = new Date(Date.now() - 60_000);
  await utimes(join(checkout, 'dist', 'scripts', 'validate.js'), old, old);
  const stale = launch();
  assert.equal(stale.code, 3);
  assert.match(stale.stderr, /dist\/ is older than the sources: scripts\/validate\.ts \(changed after the build\)\. Run `npm run build`/);

  await utimes(join(checkout, 'scripts', 'validate.ts'), new Date(old.getTime() - 60_000), new Date(old.getTime() - 60_000));
  const current = launch();
  assert.equal(current.code, 0, current.stderr);
  assert.equal(current.stdout, 'compiled ran\n');
});
