/**
 * ha-validate: check deployments described by target descriptors against the guarantee catalogue, once or
 * continuously (`serve`). ha-validate's one writer to the console: what it calls returns data or takes a log
 * callback. Exit codes: 0 every applicable check passed, 1 a guarantee failed, 2 bad input or usage, 3 the harness
 * could not look (broken); with several targets the worst of theirs (support/many-targets.ts).
 */
import { writeFile, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorMessage } from '../support/errors.ts';
import { catalogue } from '../support/checks/catalogue.ts';
import type { ValidateOptions } from '../support/validate.ts';
import { observationWindow } from '../support/observe/limits.ts';
import { redact, redactText } from '../support/evidence/redact.ts';
import { describeType } from '../support/evidence/input.ts';
import { closestKey } from '../support/descriptor/suggest.ts';
import { FAIL_ON, writeAllureResults, type FailOn } from '../support/report/formats.ts';
import { closingLines, describeError, errorJson, formatTargets, REPORT_FORMATS, type ReportFormat } from '../support/report/many.ts';
import { DEFAULT_CONCURRENCY, exitCodeOfTargets, expandTargets, runErrorOf, validateTargets } from '../support/many-targets.ts';
import { DEFAULT_INTERVAL_MS, DEFAULT_LISTEN, parseDuration, parseListen } from '../support/serve/options.ts';

/** Everything this program prints goes through the redaction layer: no secret reaches stdout or stderr. */
const out = (text: string) => process.stdout.write(redactText(text));
const err = (text: string) => process.stderr.write(redactText(text));

const USAGE = `Usage:
  ha-validate --target <file|folder> [--target ...] [--only ID,...] [--format table|json|junit|sarif]
              [--output <file>] [--allure-results <dir>] [--live [--observe [<window>]]]
              [--fail-on blocker|critical|normal] [--concurrency <n>]
  ha-validate serve --target <file|folder> [--target ...] [--interval 5m] [--listen 127.0.0.1:9464]
              [--live [--observe [<window>]]] [--only ID,...] [--concurrency <n>]
  ha-validate --list [--format table|json|markdown]

  --target <file|folder>   a target descriptor (YAML) of a deployment to check; repeat it, or name a folder (its
                           *.yaml and *.yml files), for several: one report each, then a summary
  --only ID,...            run only these guarantee IDs (see --list; any case)
  --format <f>             table (default, for people), json, junit, or sarif (SARIF 2.1.0, for code scanning)
  --output <file>          write the report there instead of standard output
  --allure-results <dir>   also write Allure result files there
  --live                   also gather live evidence from the endpoints in the descriptor's \`live\` section
                           (read-only: connections, handshakes, metrics and SELECTs; nothing is changed)
  --observe [<window>]     with --live: also sample the deployment for a window (default 30s; 1s to 15m, e.g.
                           10s, 2m) and judge CORDA-HA-01, CORDA-LB-02 and FAB-ORD-07 from what it saw. Injects
                           nothing; at most 10 samples a second; Ctrl-C ends the window early (twice: at once).
                           With serve: every run observes for the window, which must be shorter than --interval
  --fail-on <severity>     only failed guarantees of this severity or a more severe one fail the run (exit 1);
                           default: every failed guarantee does. Others are reported, and do not fail it
  --concurrency <n>        targets validated at the same time (default ${DEFAULT_CONCURRENCY})
  --list                   print the catalogue of guarantees: table, or the spec of docs/guarantees.md as
                           markdown (the same text) or json (the same data)

  serve                    validate every --interval (default 5m) and serve /metrics (Prometheus), /healthz and
                           /report.json on --listen (default ${DEFAULT_LISTEN.host}:${DEFAULT_LISTEN.port}) until SIGTERM or SIGINT

Waivers (the descriptor's \`waivers\`) report an accepted violation as "waived" until they expire; an expired
waiver covers nothing, so the violation fails again.

Exit codes: 0 all applicable checks passed, 1 a guarantee failed, 2 bad input or usage, 3 broken (could not look);
with several targets the worst: 2, else 1, else 3. \`--format json\` writes {"error": ...} when there is no report.
Input limits, what never appears in output, and where --live may connect: docs/input-limits.md`;

interface Args {
  command: 'validate' | 'serve';
  /** the first --target */
  target?: string;
  /** every --target, in order */
  targets: string[];
  only?: string[];
  format: string;
  output?: string;
  allureResults?: string;
  list: boolean;
  live: boolean;
  /** the observation window, ms, when --observe was given */
  observeMs?: number;
  help: boolean;
  failOn?: FailOn;
  concurrency: number;
  intervalMs: number;
  listen: { host: string; port: number };
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: 'validate', targets: [], format: 'table', list: false, live: false, help: false, concurrency: DEFAULT_CONCURRENCY, intervalMs: DEFAULT_INTERVAL_MS, listen: DEFAULT_LISTEN };
  if (argv[0] === 'serve') {
    args.command = 'serve';
    argv = argv.slice(1);
  }
  const given = new Set<string>();
  const errors: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) {
      errors.push(`${flag} needs a value`);
      return '';
    }
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = () => inline ?? value(i++, flag);
    given.add(flag);
    switch (flag) {
      case '--target': args.targets.push(take()); args.target ??= args.targets[0]; break;
      case '--only': {
        const raw = take();
        args.only = [...(args.only ?? []), ...raw.split(',').map((s) => s.trim()).filter(Boolean)];
        if (args.only.length === 0) errors.push(`--only ${JSON.stringify(raw)} names no guarantee ID (see ha-validate --list)`);
        break;
      }
      case '--format': args.format = take(); break;
      case '--output': args.output = take(); break;
      case '--allure-results': args.allureResults = take(); break;
      case '--list': args.list = true; break;
      case '--live': args.live = true; break;
      case '--observe': {
        // the window is optional: a following argument that is no flag is taken as the window
        const next = inline ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : undefined);
        try {
          args.observeMs = observationWindow(next, '--observe');
        } catch (e) {
          errors.push(errorMessage(e));
        }
        break;
      }
      case '--fail-on': {
        const v = take();
        if ((FAIL_ON as readonly string[]).includes(v)) args.failOn = v as FailOn;
        else errors.push(`--fail-on must be one of ${FAIL_ON.join(', ')}, not "${v}"`);
        break;
      }
      case '--concurrency': {
        const v = take();
        args.concurrency = Number(v);
        if (!/^\d+$/.test(v) || args.concurrency < 1) errors.push(`--concurrency must be a whole number of at least 1, not "${v}"`);
        break;
      }
      case '--interval': {
        const v = parseDuration(take());
        if (typeof v === 'string') errors.push(v);
        else args.intervalMs = v;
        break;
      }
      case '--listen': {
        const v = parseListen(take());
        if (typeof v === 'string') errors.push(v);
        else args.listen = v;
        break;
      }
      case '--help': case '-h': args.help = true; break;
      default: errors.push(`unknown argument "${a}"`);
    }
  }
  const formats: string[] = args.list ? ['table', 'json', 'markdown'] : REPORT_FORMATS;
  if (!formats.includes(args.format)) errors.push(`--format must be one of ${formats.join(', ')}, not "${args.format}"`);
  if (!args.list && !args.help && !args.target) errors.push('--target <file> is required');
  if (args.observeMs !== undefined && !args.live) errors.push('--observe needs --live: an observation window samples the endpoints of the descriptor\'s live section');
  if (args.command === 'serve') {
    for (const f of ['--format', '--output', '--allure-results', '--fail-on', '--list']) if (given.has(f)) errors.push(`${f} is not used by serve (it serves /metrics and /report.json)`);
  } else {
    for (const f of ['--interval', '--listen']) if (given.has(f)) errors.push(`${f} is for serve (ha-validate serve --target …)`);
  }
  if (args.command === 'serve' && args.observeMs !== undefined && args.observeMs >= args.intervalMs) {
    errors.push(`--observe: the window (${args.observeMs / 1000} s) must be shorter than --interval (${args.intervalMs / 1000} s)`);
  }
  if (args.only) args.only = canonicalIds(args.only, errors);
  if (errors.length) throw new UsageError(errors.join('\n'));
  return args;
}

/** Guarantee IDs as the catalogue spells them (the catalogue finds IDs in any case); unknown ones are usage errors. */
function canonicalIds(ids: string[], errors: string[]): string[] {
  const byUpper = new Map(catalogue.map((c) => [c.id.toUpperCase(), c.id]));
  const known: string[] = [];
  for (const id of ids) {
    const canonical = byUpper.get(id.toUpperCase());
    if (canonical) {
      if (!known.includes(canonical)) known.push(canonical);
      continue;
    }
    const guess = closestKey(id.toUpperCase(), [...byUpper.keys()]);
    errors.push(`--only: unknown guarantee ID ${JSON.stringify(id)}${guess ? ` (did you mean ${byUpper.get(guess)}?)` : ''} (see ha-validate --list)`);
  }
  return known;
}

/**
 * Where reports go must be usable before anything is read: `--output` a file (not a directory, a socket or a
 * device), `--allure-results` a directory (not a file), each under a parent that is a directory.
 */
async function checkOutputs(args: Args): Promise<string[]> {
  const problems: string[] = [];
  const kindOf = async (p: string) => stat(p).then(
    (st) => st,
    () => undefined,
  );
  const parentProblem = async (flag: string, p: string) => {
    for (let dir = dirname(resolve(p)); ; dir = dirname(dir)) {
      const st = await kindOf(dir);
      if (st) return st.isDirectory() ? undefined : `${flag} ${p}: ${dir} is ${describeType(st)}, not a directory`;
      if (dirname(dir) === dir) return undefined;
    }
  };
  if (args.output !== undefined) {
    const st = await kindOf(args.output);
    const ext = args.format === 'junit' ? 'xml' : args.format === 'json' || args.format === 'sarif' ? args.format === 'sarif' ? 'sarif' : 'json' : 'txt';
    if (st?.isDirectory()) problems.push(`--output ${args.output} is a directory; name the report file, e.g. ${args.output.replace(/\/$/, '')}/validate.${ext}`);
    else if (st && (st.isSocket() || st.isBlockDevice())) problems.push(`--output ${args.output} is ${describeType(st)}, expected a file`);
    else if (!st) {
      const p = await parentProblem('--output', args.output);
      if (p) problems.push(p);
    }
  }
  if (args.allureResults !== undefined) {
    const st = await kindOf(args.allureResults);
    if (st && !st.isDirectory()) problems.push(`--allure-results ${args.allureResults} is ${describeType(st)}; it names the directory Allure result files are written to`);
    else if (!st) {
      const p = await parentProblem('--allure-results', args.allureResults);
      if (p) problems.push(p);
    }
  }
  return problems;
}

async function listCatalogue(format: string): Promise<string> {
  if (format === 'json' || format === 'markdown') {
    // the spec maps each guarantee to its scenarios (Cucumber's tag filter): loaded only when asked for
    const { catalogueSpec, renderSpecMarkdown } = await import('../support/report/spec.ts');
    const specs = await catalogueSpec();
    return format === 'json' ? `${JSON.stringify(specs, null, 2)}\n` : renderSpecMarkdown(specs);
  }
  const w = Math.max(...catalogue.map((c) => c.id.length));
  return catalogue.map((c) => `${c.id.padEnd(w)}  ${c.kinds.join('+').padEnd(14)} ${c.severity.padEnd(9)} ${c.title}`).join('\n') + '\n';
}

/**
 * The observation step of the pipeline: one window per target. In a one-shot run Ctrl-C ends the window early (the
 * report then says so) and a second Ctrl-C exits at once; under `serve` the server's own stop handles signals.
 * Progress goes to standard error.
 */
async function observer(windowMs: number, only: string[] | undefined, interactive: boolean): Promise<NonNullable<ValidateOptions['observe']>> {
  const { observeDeployment } = await import('../support/observe/index.ts');
  return async (descriptor, evidence) => {
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      err('ha-validate: ending the observation window early (Ctrl-C again to quit at once)\n');
      stop.abort();
    };
    if (interactive) process.on('SIGINT', onSignal);
    try {
      const result = await observeDeployment(descriptor, evidence, {
        windowMs,
        only,
        signal: stop.signal,
        log: (line) => err(`ha-validate: ${line}\n`),
      });
      return result.live;
    } finally {
      if (interactive) process.off('SIGINT', onSignal);
    }
  };
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    out(text);
    return;
  }
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, redactText(text));
}

/** `--format json` among arguments that could not be parsed: the usage error is written as JSON too. */
function wantsJson(argv: string[]): boolean {
  return argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    err(`ha-validate: ${errorMessage(e)}\n\n${USAGE}\n`);
    if (wantsJson(argv)) out(errorJson({ exitCode: 2, kind: 'usage', message: errorMessage(e), problems: [] }));
    return 2;
  }
  if (args.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const outputProblems = await checkOutputs(args);
  if (outputProblems.length) {
    err(`ha-validate: ${outputProblems.join('\n')}\n\n${USAGE}\n`);
    if (args.format === 'json') out(errorJson({ exitCode: 2, kind: 'usage', message: outputProblems.join('; '), problems: [] }));
    return 2;
  }
  if (args.list) {
    await emit(await listCatalogue(args.format), args.output);
    return 0;
  }
  // loaded only when asked for: the live collectors pull in the Kubernetes client and the PostgreSQL driver
  const liveOf = args.live ? (await import('../support/evidence/live/collect.ts')).collectLiveEvidence : undefined;
  if (args.command === 'serve') {
    const { serve } = await import('../support/serve/index.ts');
    const observe = args.observeMs !== undefined ? await observer(args.observeMs, args.only, false) : undefined;
    return serve({ targets: args.targets, intervalMs: args.intervalMs, listen: args.listen, only: args.only, concurrency: args.concurrency, liveOf, observe, log: (line) => err(`${line}\n`) });
  }
  const json = args.format === 'json';
  try {
    const files = await expandTargets(args.targets);
    const observe = args.observeMs !== undefined ? await observer(args.observeMs, args.only, true) : undefined;
    const outcomes = await validateTargets(files, { only: args.only, concurrency: args.concurrency, liveOf, observe, keepEvidence: Boolean(args.allureResults) });
    const many = outcomes.length > 1;
    for (const o of outcomes) {
      if (!o.error) continue;
      err(describeError(o, many));
      if (o.error.stack && process.env.HA_DEBUG) err(`${o.error.stack}\n`);
    }
    const code = exitCodeOfTargets(outcomes, args.failOn);
    // one target without a report: nothing on standard output, but the JSON error object
    if (!many && outcomes[0].error && !json) return code;
    await emit(await formatTargets(outcomes, args.format as ReportFormat, { failOn: args.failOn }), args.output);
    if (args.allureResults) {
      const checks = new Map(catalogue.map((c) => [c.id, c]));
      for (const o of outcomes) {
        if (!o.report) continue;
        // the observation and drill timelines go with the results (their charts), secrets redacted
        const timelines = o.evidence && o.secrets ? (redact(o.evidence.live.timelines, o.secrets) as typeof o.evidence.live.timelines) : undefined;
        await writeAllureResults(args.allureResults, o.report, checks, timelines);
      }
    }
    if (args.output) err(closingLines(outcomes, { failOn: args.failOn }));
    return code;
  } catch (e) {
    const error = runErrorOf(e);
    err(describeError({ file: args.target ?? '', error }, false));
    if (process.env.HA_DEBUG && error.stack) err(`${error.stack}\n`);
    // where the report would have gone; standard output when that is what failed
    if (json) await emit(errorJson(error), args.output).catch(() => out(errorJson(error)));
    return error.exitCode;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
