/**
 * The reports of one or several targets in one document per format: for one target exactly the single-target
 * formats; for several, every target's report (or why it has none) and a summary.
 *
 * | format | one target | several targets |
 * |---|---|---|
 * | table | its table | each table, then a summary table (one row per target) |
 * | json | its report; `{"error": …}` when it has none | `{"targets": [report or {target, error}], "summary": […], "exitCode"}` |
 * | junit | `<testsuites>` with its `<testsuite>` | one `<testsuite>` per target; an unreadable target is a suite with one errored case |
 * | sarif | one run | one run per target (`automationDetails.id` = `ha-validate/<name>/`); an unreadable target is a run that did not execute successfully |
 */
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { displayPath, type TargetOutcome, type RunError } from '../many-targets.ts';
import { exitCodeOfTargets } from '../many-targets.ts';
import { exitCodeOf, formatJson, formatJunit, formatTable, jsonReport, junitSuite, summaryLine, type FailOn } from './formats.ts';
import { formatSarif, SARIF_SCHEMA } from './sarif.ts';
import { toolVersion } from '../version.ts';

export type ReportFormat = 'table' | 'json' | 'junit' | 'sarif';
export const REPORT_FORMATS: ReportFormat[] = ['table', 'json', 'junit', 'sarif'];

export interface ManyOptions {
  failOn?: FailOn;
  /** SARIF locations are relative to it (default: the working directory) */
  root?: string;
}

/** `{"error": {exitCode, kind, message, problems}}`: what `--format json` writes when there is no report. */
export function errorJson(error: RunError): string {
  // the stack is for HA_DEBUG on standard error only
  return JSON.stringify({ error: { ...error, stack: undefined } }, null, 2) + '\n';
}

/** What the CLI prints on standard error for a target without a report. */
export function describeError(o: TargetOutcome, many: boolean): string {
  const e = o.error!;
  const which = many ? ` ${o.file}` : '';
  if (e.kind === 'input') {
    if (e.problems.length === 1) return `ha-validate: the target${which} cannot be read:\n  - ${e.problems[0].message}\n`;
    return `ha-validate: the target${which} cannot be read (${e.problems.length} problems):\n${e.problems.map((p) => `  - ${p.message}`).join('\n')}\n`;
  }
  return `ha-validate:${many ? `${which}:` : ''} ${e.message}\n`;
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
}

/** One row per target: its counts, its exit code and how long it took. */
export function summaryTable(outcomes: readonly TargetOutcome[], options: ManyOptions = {}): string {
  const head = ['TARGET', 'DESCRIPTOR', 'PASSED', 'FAILED', 'BROKEN', 'SKIPPED', 'WAIVED', 'EXIT', 'TIME'];
  const rows = outcomes.map((o) => {
    const file = displayPath(o.file);
    if (!o.report) return [o.error?.kind === 'input' ? '(unreadable)' : '(not run)', file, '-', '-', '-', '-', '-', String(o.error?.exitCode ?? ''), '-'];
    const s = o.report.summary;
    return [o.report.target.name, file, s.passed, s.failed, s.broken, s.skipped, s.waived, exitCodeOf(o.report.results, options.failOn), `${o.report.durationMs} ms`].map(String);
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const code = exitCodeOfTargets(outcomes, options.failOn);
  return [`Summary of ${outcomes.length} targets (exit ${code}${options.failOn ? `, --fail-on ${options.failOn}` : ''})`, pad(head, widths), ...rows.map((r) => pad(r, widths)), ''].join('\n');
}

function junitErrorSuite(o: TargetOutcome): string {
  const e = o.error!;
  const x = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const text = [e.message, ...e.problems.map((p) => `- ${p.message}`)].join('\n');
  return [
    `  <testsuite name="${x(o.file)}" tests="1" failures="0" errors="1" skipped="0">`,
    `    <testcase classname="ha-conformance" name="${x(`read the target descriptor ${o.file}`)}" time="0"><error message="${x(e.message)}" type="${e.kind === 'input' ? 'InputError' : 'EnvironmentProblem'}">${x(text)}</error></testcase>`,
    '  </testsuite>',
  ].join('\n');
}

/** SARIF runs for targets without a report: a run that did not execute successfully, with the problems. */
function sarifErrorRun(o: TargetOutcome, root: string): Record<string, unknown> {
  const e = o.error!;
  const rel = relative(root, o.file);
  const uri = rel && !rel.startsWith('..') ? { uri: rel, uriBaseId: '%SRCROOT%' } : { uri: pathToFileURL(o.file).href };
  const problems = e.problems.length ? e.problems : [{ file: o.file, field: '', message: e.message }];
  return {
    tool: { driver: { name: 'ha-validate', version: toolVersion(), semanticVersion: toolVersion() } },
    automationDetails: { id: `ha-validate/${rel || o.file}/` },
    invocations: [
      {
        executionSuccessful: false,
        exitCode: e.exitCode,
        toolExecutionNotifications: problems.map((p) => {
          const prel = relative(root, p.file);
          const at = prel && !prel.startsWith('..') ? { uri: prel, uriBaseId: '%SRCROOT%' } : { uri: pathToFileURL(p.file).href };
          return { level: 'error', message: { text: p.message }, locations: [{ physicalLocation: { artifactLocation: at, region: { startLine: 1 } }, ...(p.field ? { logicalLocations: [{ fullyQualifiedName: p.field, kind: 'property' }] } : {}) }] };
        }),
      },
    ],
    results: [],
    properties: { target: { descriptor: uri.uri }, error: e.message },
  };
}

/** The document for `format`, over every target's outcome. */
export async function formatTargets(outcomes: readonly TargetOutcome[], format: ReportFormat, options: ManyOptions = {}): Promise<string> {
  const many = outcomes.length > 1;
  const reports = outcomes.flatMap((o) => (o.report ? [o.report] : []));
  switch (format) {
    case 'table': {
      const parts = outcomes.map((o) => (o.report ? formatTable(o.report, options) : many ? `Target ${o.file}\n\n${describeError(o, false).replace(/^ha-validate: /, '')}` : ''));
      return many ? [...parts, summaryTable(outcomes, options)].join('\n') : parts[0];
    }
    case 'json': {
      if (!many) return outcomes[0].report ? formatJson(outcomes[0].report) : errorJson(outcomes[0].error!);
      const doc = {
        targets: outcomes.map((o) => (o.report ? jsonReport(o.report) : { target: { file: o.file }, ...JSON.parse(errorJson(o.error!)) })),
        summary: outcomes.map((o) => ({
          file: o.file,
          name: o.report?.target.name ?? null,
          exitCode: o.report ? exitCodeOf(o.report.results, options.failOn) : o.error!.exitCode,
          ...(o.report ? o.report.summary : {}),
        })),
        exitCode: exitCodeOfTargets(outcomes, options.failOn),
      };
      return JSON.stringify(doc, null, 2) + '\n';
    }
    case 'junit': {
      if (!outcomes.some((o) => o.error)) return formatJunit(reports);
      const total = (k: 'total' | 'failed' | 'broken' | 'skipped' | 'waived') => reports.reduce((n, r) => n + r.summary[k], 0);
      const unreadable = outcomes.filter((o) => o.error);
      return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        `<testsuites name="ha-conformance" tests="${total('total') + unreadable.length}" failures="${total('failed')}" errors="${total('broken') + unreadable.length}" skipped="${total('skipped') + total('waived')}">`,
        ...outcomes.map((o) => (o.report ? junitSuite(o.report) : junitErrorSuite(o))),
        '</testsuites>',
        '',
      ].join('\n');
    }
    case 'sarif': {
      const text = await formatSarif(reports, options);
      const errors = outcomes.filter((o) => o.error);
      if (!errors.length) return text;
      const log = JSON.parse(text) as { $schema: string; runs: unknown[] };
      log.$schema = SARIF_SCHEMA;
      log.runs.push(...errors.map((o) => sarifErrorRun(o, options.root ?? process.cwd())));
      return JSON.stringify(log, null, 2) + '\n';
    }
  }
}

/** The closing lines the CLI prints on standard error when the report went to a file. */
export function closingLines(outcomes: readonly TargetOutcome[], options: ManyOptions = {}): string {
  if (outcomes.length === 1) return outcomes[0].report ? `${summaryLine(outcomes[0].report)}\n` : '';
  return summaryTable(outcomes, options);
}
