/**
 * ha-validate: check a deployment described by a target descriptor against the guarantee catalogue.
 * The only place (with the other scripts) that writes to the console. Exit codes: 0 every applicable check
 * passed, 1 a guarantee failed, 2 bad input or usage, 3 the harness could not look (broken).
 */
import { writeFile, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError, InputErrors, errorMessage } from '../support/errors.ts';
import { catalogue } from '../support/checks/catalogue.ts';
import { validateTarget } from '../support/validate.ts';
import { describeType } from '../support/evidence/input.ts';
import { redactText } from '../support/evidence/redact.ts';
import { closestKey } from '../support/target/suggest.ts';
import { exitCodeOf, formatJson, formatJunit, formatTable, writeAllureResults } from '../support/report/formats.ts';

/** Everything this program prints goes through the redaction layer: no secret reaches stdout or stderr. */
const out = (text: string) => process.stdout.write(redactText(text));
const err = (text: string) => process.stderr.write(redactText(text));

const USAGE = `Usage:
  ha-validate --target <file> [--only ID,...] [--format table|json|junit] [--output <file>]
              [--allure-results <dir>] [--live]
  ha-validate --list [--format table|json|markdown]

  --target <file>          the target descriptor (YAML) of the deployment to check
  --only ID,...            run only these guarantee IDs (see --list; any case)
  --format <f>             table (default, for people), json, or junit
  --output <file>          write the report there instead of standard output
  --allure-results <dir>   also write Allure result files there
  --live                   also gather live evidence from the endpoints in the descriptor's \`live\` section
                           (read-only: connections, handshakes, metrics and SELECTs; nothing is changed)
  --list                   print the catalogue of guarantees

Exit codes: 0 all applicable checks passed, 1 a guarantee failed, 2 bad input or usage, 3 broken (could not look).
Input limits, what never appears in output, and where --live may connect: docs/input-limits.md`;

interface Args {
  target?: string;
  only?: string[];
  format: string;
  output?: string;
  allureResults?: string;
  list: boolean;
  live: boolean;
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
      case '--help': case '-h': args.help = true; break;
      default: errors.push(`unknown argument "${a}"`);
    }
  }
  const formats = args.list ? ['table', 'json', 'markdown'] : ['table', 'json', 'junit'];
  if (!formats.includes(args.format)) errors.push(`--format must be one of ${formats.join(', ')}, not "${args.format}"`);
  if (!args.list && !args.help && !args.target) errors.push('--target <file> is required');
  if (args.only) args.only = canonicalIds(args.only, errors);
  if (errors.length) throw new UsageError(errors.join('\n'));
  return args;
}

/** Guarantee IDs as the catalogue spells them (the catalogue finds IDs in any case); unknown ones are usage errors. */
function canonicalIds(ids: string[], errors: string[]): string[] {
  const byUpper = new Map(catalogue.map((c) => [c.id.toUpperCase(), c.id]));
  const out: string[] = [];
  for (const id of ids) {
    const known = byUpper.get(id.toUpperCase());
    if (known) {
      if (!out.includes(known)) out.push(known);
      continue;
    }
    const guess = closestKey(id.toUpperCase(), [...byUpper.keys()]);
    errors.push(`--only: unknown guarantee ID ${JSON.stringify(id)}${guess ? ` (did you mean ${byUpper.get(guess)}?)` : ''} (see ha-validate --list)`);
  }
  return out;
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
    if (st?.isDirectory()) problems.push(`--output ${args.output} is a directory; name the report file, e.g. ${args.output.replace(/\/$/, '')}/validate.${args.format === 'junit' ? 'xml' : args.format === 'json' ? 'json' : 'txt'}`);
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

function listCatalogue(format: string): string {
  if (format === 'json') {
    return JSON.stringify(catalogue.map((c) => ({ id: c.id, title: c.title, area: c.area, kinds: c.kinds, severity: c.severity, source: c.source, remediation: c.remediation, needs: c.needs })), null, 2) + '\n';
  }
  if (format === 'markdown') {
    const rows = catalogue.map((c) => `| ${c.id} | ${c.title} | ${c.kinds.join(', ')} | ${c.severity} | ${c.source.document}: ${c.source.section} |`);
    return ['| ID | guarantee | kinds | severity | source |', '|---|---|---|---|---|', ...rows, ''].join('\n');
  }
  const w = Math.max(...catalogue.map((c) => c.id.length));
  return catalogue.map((c) => `${c.id.padEnd(w)}  ${c.kinds.join('+').padEnd(14)} ${c.severity.padEnd(9)} ${c.title}`).join('\n') + '\n';
}

async function emit(text: string, output: string | undefined): Promise<void> {
  if (!output) {
    out(text);
    return;
  }
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, redactText(text));
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    err(`ha-validate: ${errorMessage(e)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  const outputProblems = await checkOutputs(args);
  if (outputProblems.length) {
    err(`ha-validate: ${outputProblems.join('\n')}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.list) {
    await emit(listCatalogue(args.format), args.output);
    return 0;
  }
  try {
    // loaded only when asked for: the live collectors pull in the Kubernetes client and the PostgreSQL driver
    const live = args.live ? await (await import('../support/environments/existing/index.ts')).attachLive(args.target!) : undefined;
    const { report } = await validateTarget(args.target!, { only: args.only, live });
    const text = args.format === 'json' ? formatJson(report) : args.format === 'junit' ? formatJunit(report) : formatTable(report);
    await emit(text, args.output);
    if (args.allureResults) await writeAllureResults(args.allureResults, report, new Map(catalogue.map((c) => [c.id, c])));
    if (args.output) err(formatTable(report).split('\n').slice(-2).join('\n'));
    return exitCodeOf(report.results);
  } catch (e) {
    if (e instanceof InputErrors) {
      err(`ha-validate: the target cannot be read (${e.errors.length} problem${e.errors.length > 1 ? 's' : ''}):\n${e.errors.map((x) => `  - ${x.message}`).join('\n')}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      err(`ha-validate: the target cannot be read:\n  - ${e.message}\n`);
      return 2;
    }
    err(`ha-validate: could not complete the validation: ${errorMessage(e)}\n`);
    if (process.env.HA_DEBUG) err(`${(e as Error).stack}\n`);
    return 3;
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
