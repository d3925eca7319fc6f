/**
 * ha-validate: check a deployment described by a target descriptor against the guarantee catalogue.
 * The only place (with the other scripts) that writes to the console. Exit codes: 0 every applicable check
 * passed, 1 a guarantee failed, 2 bad input or usage, 3 the harness could not look (broken).
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError, InputErrors, errorMessage } from '../support/errors.ts';
import { catalogue } from '../support/checks/catalogue.ts';
import { validateTarget, type ValidateOptions } from '../support/validate.ts';
import { observationWindow } from '../support/observe/limits.ts';
import { redact } from '../support/evidence/redact.ts';
import { exitCodeOf, formatJson, formatJunit, formatTable, writeAllureResults } from '../support/report/formats.ts';

const USAGE = `Usage:
  ha-validate --target <file> [--only ID,...] [--format table|json|junit] [--output <file>]
              [--allure-results <dir>] [--live [--observe [<window>]]]
  ha-validate --list [--format table|json|markdown]

  --target <file>          the target descriptor (YAML) of the deployment to check
  --only ID,...            run only these guarantee IDs (see --list)
  --format <f>             table (default, for people), json, or junit
  --output <file>          write the report there instead of standard output
  --allure-results <dir>   also write Allure result files there
  --live                   also gather live evidence from the endpoints in the descriptor's \`live\` section
                           (read-only: connections, handshakes, metrics and SELECTs; nothing is changed)
  --observe [<window>]     with --live: also sample the deployment for a window (default 30s; 1s to 15m, e.g.
                           10s, 2m) and judge CORDA-HA-01, CORDA-LB-02 and FAB-ORD-07 from what it saw. Injects
                           nothing; at most 10 samples a second; Ctrl-C ends the window early (twice: at once)
  --list                   print the catalogue of guarantees: table, or the spec of docs/guarantees.md as
                           markdown (the same text) or json (the same data)

Exit codes: 0 all applicable checks passed, 1 a guarantee failed, 2 bad input or usage, 3 broken (could not look).`;

interface Args {
  target?: string;
  only?: string[];
  format: string;
  output?: string;
  allureResults?: string;
  list: boolean;
  live: boolean;
  /** the observation window, ms, when --observe was given */
  observeMs?: number;
  help: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const args: Args = { format: 'table', list: false, live: false, help: false };
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
    switch (flag) {
      case '--target': args.target = take(); break;
      case '--only': args.only = take().split(',').map((s) => s.trim()).filter(Boolean); break;
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
        } catch (err) {
          errors.push(errorMessage(err));
        }
        break;
      }
      case '--help': case '-h': args.help = true; break;
      default: errors.push(`unknown argument "${a}"`);
    }
  }
  const formats = args.list ? ['table', 'json', 'markdown'] : ['table', 'json', 'junit'];
  if (!formats.includes(args.format)) errors.push(`--format must be one of ${formats.join(', ')}, not "${args.format}"`);
  if (!args.list && !args.help && !args.target) errors.push('--target <file> is required');
  if (args.observeMs !== undefined && !args.live) errors.push('--observe needs --live: an observation window samples the endpoints of the descriptor\'s live section');
  const known = new Set(catalogue.map((c) => c.id));
  for (const id of args.only ?? []) if (!known.has(id)) errors.push(`--only: unknown guarantee ID "${id}" (see ha-validate --list)`);
  if (errors.length) throw new UsageError(errors.join('\n'));
  return args;
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
 * The observation step of the pipeline: one window, ended early by Ctrl-C (the report then says so); a second
 * Ctrl-C exits at once. Progress goes to standard error.
 */
async function observer(windowMs: number, only: string[] | undefined): Promise<NonNullable<ValidateOptions['observe']>> {
  const { observeDeployment } = await import('../support/observe/index.ts');
  return async (descriptor, evidence) => {
    const stop = new AbortController();
    const onSignal = () => {
      if (stop.signal.aborted) process.exit(130);
      process.stderr.write('ha-validate: ending the observation window early (Ctrl-C again to quit at once)\n');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    try {
      const result = await observeDeployment(descriptor, evidence, {
        windowMs,
        only,
        signal: stop.signal,
        log: (line) => process.stderr.write(`ha-validate: ${line}\n`),
      });
      return result.live;
    } finally {
      process.off('SIGINT', onSignal);
    }
  };
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    process.stdout.write(text);
    return;
  }
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, text);
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`ha-validate: ${errorMessage(err)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.list) {
    await emit(await listCatalogue(args.format), args.output);
    return 0;
  }
  try {
    // loaded only when asked for: the live collectors pull in the Kubernetes client and the PostgreSQL driver
    const live = args.live ? await (await import('../support/environments/existing/index.ts')).attachLive(args.target!) : undefined;
    const observe = args.observeMs !== undefined ? await observer(args.observeMs, args.only) : undefined;
    const { report, evidence, descriptor } = await validateTarget(args.target!, { only: args.only, live, observe });
    const text = args.format === 'json' ? formatJson(report) : args.format === 'junit' ? formatJunit(report) : formatTable(report);
    await emit(text, args.output);
    if (args.allureResults) {
      const timelines = redact(evidence.live.timelines, descriptor.secrets) as typeof evidence.live.timelines;
      await writeAllureResults(args.allureResults, report, new Map(catalogue.map((c) => [c.id, c])), timelines);
    }
    if (args.output) process.stderr.write(formatTable(report).split('\n').slice(-2).join('\n'));
    return exitCodeOf(report.results);
  } catch (err) {
    if (err instanceof InputErrors) {
      process.stderr.write(`ha-validate: the target cannot be read (${err.errors.length} problem${err.errors.length > 1 ? 's' : ''}):\n${err.errors.map((e) => `  - ${e.message}`).join('\n')}\n`);
      return 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`ha-validate: the target cannot be read:\n  - ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ha-validate: could not complete the validation: ${errorMessage(err)}\n`);
    if (process.env.HA_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 3;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
