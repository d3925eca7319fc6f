/**
 * `npm run report`: turns the Allure results of the last Cucumber run (and of `ha-validate --allure-results`, if
 * written to the same folder) into an HTML report with `allure generate` from the allure-commandline package.
 * The previous report's `history/` is copied into the results first, so the report shows trends across runs.
 *
 *   npm run report [-- --results <dir>] [-- --output <dir>]
 *
 * Defaults: <HA_REPORTS_DIR or reports>/allure-results → <HA_REPORTS_DIR or reports>/allure-report.
 * Exit codes: 0 report written, 2 nothing to report or Java missing, otherwise allure's own exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cp, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { allureResultsDir, reportsDir } from '../support/report/allure-run.ts';

const USAGE = 'Usage: npm run report [-- --results <dir>] [-- --output <dir>]';

function fail(message: string, code = 2): never {
  process.stderr.write(`report: ${message}\n`);
  process.exit(code);
}

function parseArgs(argv: string[]): { results: string; output: string } {
  let results = allureResultsDir();
  let output = join(reportsDir(), 'allure-report');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`${a} needs a value\n${USAGE}`);
    if (a === '--results') results = resolve(value());
    else if (a === '--output') output = resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else fail(`unknown argument ${a}\n${USAGE}`);
  }
  return { results, output };
}

/** the java allure-commandline runs with: JAVA_HOME's, else the one on PATH; undefined when there is none */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : undefined, 'java'].filter((c): c is string => Boolean(c));
  for (const java of candidates) {
    const probe = spawnSync(java, ['-version'], { stdio: 'ignore' });
    if (!probe.error && probe.status === 0) return java;
  }
  return undefined;
}

/** the `allure` launcher shipped in the allure-commandline package */
export function allureBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('allure-commandline/package.json');
  return join(dirname(pkg), 'dist', 'bin', process.platform === 'win32' ? 'allure.bat' : 'allure');
}

async function main(): Promise<void> {
  const { results, output } = parseArgs(process.argv.slice(2));
  const entries = existsSync(results) ? await readdir(results) : [];
  if (!entries.some((e) => e.endsWith('-result.json'))) {
    fail(`no Allure results in ${results}: run the scenarios first (npx cucumber-js), or pass --results <dir>`);
  }
  const java = findJava();
  if (!java) {
    fail(
      'Java is needed to generate the Allure report (allure-commandline 2 is a Java program) and none was found ' +
        '(JAVA_HOME, PATH). Install a Java runtime 17, e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME.',
    );
  }
  const history = join(output, 'history');
  if (existsSync(history)) await cp(history, join(results, 'history'), { recursive: true });

  const started = Date.now();
  const code = await new Promise<number>((done) => {
    const child = spawn(allureBinary(), ['generate', '--clean', results, '-o', output], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...(java !== 'java' ? { JAVA_HOME: dirname(dirname(java)) } : {}) },
    });
    child.on('error', (err) => {
      process.stderr.write(`report: could not run ${allureBinary()}: ${err.message}\n`);
      done(2);
    });
    child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
  });
  if (code !== 0) fail(`allure generate exited with code ${code}`, code);
  process.stdout.write(`Allure report: ${join(output, 'index.html')} (${Date.now() - started} ms). Serve the folder over HTTP to view it, e.g. npx allure open ${output}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
