/**
 * Report formats for a list of verdicts: a table for people, JSON for machines, JUnit XML for CI, and Allure
 * result files (the same labels `allure-cucumberjs` results carry, so both land in one report).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Check, Severity, Status } from '../checks/types.ts';
import type { SamplingFacts } from '../checks/corda-samples.ts';
import type { Timeline } from '../evidence/model.ts';
import type { ReportStatus, WaiverOutcome } from '../waivers.ts';
import { allureLabels, sourceLinks } from './labels.ts';
import { timelineSvg } from './timeline-chart.ts';
import { redactText } from '../evidence/redact.ts';

/** Every report file is written through the redaction layer: no secret reaches a file a report reader opens. */
export async function writeReportFile(path: string, text: string): Promise<void> {
  await writeFile(path, redactText(text));
}

/** One observation window of the run: the guarantees it served, and how it was sampled. */
export type ObservationSummary = SamplingFacts & { guarantees: string[]; startedAt: string };

/** One guarantee's result as reports show it. */
export interface ReportResult {
  id: string;
  title: string;
  severity: string;
  /** the check's verdict, or `waived` when waivers in force cover its failure */
  status: ReportStatus;
  message: string;
  evidence: unknown;
  /** the check's own verdict when `status` says otherwise (`waived`) */
  verdict?: Status;
  /** the descriptor's waivers for this guarantee and what became of each */
  waivers?: WaiverOutcome[];
}

export interface RunReport {
  target: { name: string; file: string };
  startedAt: string;
  durationMs: number;
  results: ReportResult[];
  summary: Record<ReportStatus, number> & { total: number };
  /** every waiver the descriptor declares, with what became of it */
  waivers: WaiverOutcome[];
  /** observation windows (sampling that injected nothing): window, samples, largest gap */
  observations?: ObservationSummary[];
}

const seconds = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

/** One line per observation window, for people. */
export function describeObservation(o: ObservationSummary): string {
  const ended = o.endedBy === 'signal' ? `ended early (interrupted) after ${seconds(o.observedMs)}` : `ran ${seconds(o.observedMs)}`;
  return (
    `Observation window ${seconds(o.windowMs)} (${o.guarantees.join(', ')}; nothing injected): ${o.samples} samples over ${seconds(o.spanMs)} ` +
    `(${o.perSecond}/s${o.sampleIntervalMs ? `, one every ${o.sampleIntervalMs} ms planned` : ''}), largest gap ${o.maxGapMs} ms; ${ended}`
  );
}

export function summarize(results: ReadonlyArray<{ status: ReportStatus }>): RunReport['summary'] {
  const summary = { passed: 0, failed: 0, broken: 0, skipped: 0, waived: 0, total: results.length };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** The severities `--fail-on` accepts, most severe first. */
export const FAIL_ON = ['blocker', 'critical', 'normal'] as const satisfies readonly Severity[];
export type FailOn = (typeof FAIL_ON)[number];
const SEVERITY_RANK: Record<string, number> = { blocker: 0, critical: 1, normal: 2, minor: 3, trivial: 4 };

/**
 * Whether a result decides the exit code under `--fail-on`: without it every result does (any failed guarantee
 * fails the gate); with it, results of that severity or a more severe one. An unknown severity always does.
 */
export function gates(result: { severity?: string }, failOn?: FailOn): boolean {
  if (!failOn) return true;
  const rank = SEVERITY_RANK[result.severity ?? ''];
  return rank === undefined || rank <= SEVERITY_RANK[failOn];
}

/**
 * Exit code of a run: 1 if a guarantee failed, else 3 if the harness could not look somewhere, else 0 — counting
 * only the results `gates` lets decide. Waived results never fail the gate; a violation under an expired waiver
 * is `failed` again.
 */
export function exitCodeOf(results: ReadonlyArray<{ status: ReportStatus; severity?: string }>, failOn?: FailOn): number {
  if (results.some((r) => r.status === 'failed' && gates(r, failOn))) return 1;
  if (results.some((r) => r.status === 'broken' && gates(r, failOn))) return 3;
  return 0;
}

/** `waived until 2026-06-30 for org1: <justification>` for the waivers applied to a result */
export function waiverText(r: ReportResult): string | undefined {
  const applied = (r.waivers ?? []).filter((w) => w.state === 'applied');
  if (applied.length) return applied.map((w) => `waived until ${w.expires}${w.scope ? ` for ${w.scope}` : ''}: ${w.justification}`).join('; ');
  const expired = (r.waivers ?? []).filter((w) => w.state === 'expired' && r.status === 'failed');
  if (expired.length) return expired.map((w) => `waiver${w.scope ? ` for ${w.scope}` : ''} expired on ${w.expires}`).join('; ');
  return undefined;
}

const STATUS_MARK: Record<ReportStatus, string> = { passed: 'PASS', failed: 'FAIL', broken: 'BROKEN', skipped: 'SKIP', waived: 'WAIVED' };

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out.map((l, i) => (i === 0 ? l : indent + l)).join('\n');
}

export interface FormatOptions {
  /** `--fail-on`: the table notes failures below it, which do not fail the gate */
  failOn?: FailOn;
}

export function formatTable(report: RunReport, options: FormatOptions = {}): string {
  const lines: string[] = [`Target ${report.target.name} (${report.target.file})`, ''];
  const idWidth = Math.max(...report.results.map((r) => r.id.length), 2);
  for (const r of report.results) {
    const head = `${STATUS_MARK[r.status].padEnd(6)} ${r.id.padEnd(idWidth)}  `;
    const waiver = waiverText(r);
    const text = `${r.title}: ${r.status === 'waived' ? `the check failed: ${r.message}` : r.message}${waiver ? ` [${waiver}]` : ''}`;
    lines.push(head + wrap(text, 110, ' '.repeat(head.length)));
  }
  if (report.waivers.length) {
    lines.push('', `Waivers (${report.waivers.length}):`);
    for (const w of report.waivers) {
      const head = `  ${w.state.toUpperCase().padEnd(12)} ${`${w.id}${w.scope ? ` @${w.scope}` : ''}`.padEnd(idWidth + 12)} until ${w.expires}: `;
      lines.push(head + wrap(`${w.note}. Justification: ${w.justification} (${w.declaredIn.file}, ${w.declaredIn.field})`, 110, ' '.repeat(head.length)));
    }
  }
  if (report.observations?.length) lines.push('', ...report.observations.map(describeObservation));
  const below = report.results.filter((r) => r.status === 'failed' && !gates(r, options.failOn));
  lines.push('', summaryLine(report));
  if (below.length) lines.push(`${below.length} failed below --fail-on ${options.failOn} (${below.map((r) => r.id).join(', ')}): reported, not failing the gate`);
  return lines.join('\n') + '\n';
}

/** `35 checks: 27 passed, 0 failed, 0 broken, 8 skipped[, 1 waived] (123 ms)` */
export function summaryLine(report: RunReport): string {
  const s = report.summary;
  return `${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s.broken} broken, ${s.skipped} skipped${s.waived ? `, ${s.waived} waived` : ''} (${report.durationMs} ms)`;
}

/** The JSON report of one target, as an object (`formatJson` writes it; several targets are a list of them). */
export function jsonReport(report: RunReport): Record<string, unknown> {
  return {
    target: report.target,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    results: report.results.map((r) => ({
      id: r.id,
      title: r.title,
      severity: r.severity,
      status: r.status,
      ...(r.verdict ? { verdict: r.verdict } : {}),
      message: r.message,
      ...(r.waivers?.length ? { waivers: r.waivers } : {}),
      evidence: r.evidence,
    })),
    summary: report.summary,
    waivers: report.waivers,
    ...(report.observations ? { observations: report.observations } : {}),
  };
}

export function formatJson(report: RunReport): string {
  return JSON.stringify(jsonReport(report), null, 2) + '\n';
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Observation windows as testsuite properties: `observation.<n>.<fact>`. */
function observationProperties(report: RunReport): string[] {
  return (report.observations ?? []).flatMap((o, i) => {
    const facts: Record<string, unknown> = {
      guarantees: o.guarantees.join(','),
      windowMs: o.windowMs,
      observedMs: o.observedMs,
      endedBy: o.endedBy,
      samples: o.samples,
      samplesPerSecond: o.perSecond,
      maxGapMs: o.maxGapMs,
      sampleIntervalMs: o.sampleIntervalMs,
      summary: describeObservation(o),
    };
    return Object.entries(facts)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `      <property name="observation.${i + 1}.${k}" value="${xml(String(v))}"/>`);
  });
}

/** The `<testsuite>` of one target (`formatJunit` wraps it; several targets are several suites). */
export function junitSuite(report: RunReport): string {
  const s = report.summary;
  const cases = report.results.map((r) => {
    const open = `    <testcase classname="ha-conformance.${xml(report.target.name)}" name="${xml(`${r.id} ${r.title}`)}" time="0">`;
    const evidence = `<system-out>${xml(JSON.stringify(r.evidence, null, 2) ?? '')}</system-out>`;
    const waiver = waiverText(r);
    const message = waiver ? `${r.message} [${waiver}]` : r.message;
    switch (r.status) {
      case 'passed':
        return `${open}${evidence}</testcase>`;
      case 'failed':
        return `${open}<failure message="${xml(message)}" type="GuaranteeViolated">${xml(message)}</failure>${evidence}</testcase>`;
      case 'broken':
        return `${open}<error message="${xml(message)}" type="EnvironmentProblem">${xml(message)}</error>${evidence}</testcase>`;
      case 'skipped':
        return `${open}<skipped message="${xml(message)}"/></testcase>`;
      case 'waived':
        // JUnit has no "waived": a skipped case whose message says so, the check's own verdict as a property
        return `${open}<properties><property name="status" value="waived"/><property name="verdict" value="${xml(r.verdict ?? 'failed')}"/></properties><skipped message="${xml(`Waived (${waiver ?? 'accepted'}); the check failed: ${r.message}`)}"/>${evidence}</testcase>`;
    }
  });
  const props = [
    ...report.waivers.map((w, i) => `      <property name="waiver.${i}" value="${xml(`${w.id}${w.scope ? ` @${w.scope}` : ''} until ${w.expires} ${w.state}: ${w.note}. ${w.justification}`)}"/>`),
    ...observationProperties(report),
  ];
  return [
    `  <testsuite name="${xml(report.target.name)}" tests="${s.total}" failures="${s.failed}" errors="${s.broken}" skipped="${s.skipped + s.waived}" timestamp="${report.startedAt}">`,
    ...(props.length ? ['    <properties>', ...props, '    </properties>'] : []),
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

/** JUnit XML of one or several targets' reports: one `<testsuite>` each. */
export function formatJunit(reports: RunReport | RunReport[]): string {
  const list = Array.isArray(reports) ? reports : [reports];
  const total = (k: 'total' | 'failed' | 'broken' | 'skipped' | 'waived') => list.reduce((n, r) => n + r.summary[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ha-conformance" tests="${total('total')}" failures="${total('failed')}" errors="${total('broken')}" skipped="${total('skipped') + total('waived')}">`,
    ...list.map(junitSuite),
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Allure 2 result files, one per verdict, with the evidence attached as JSON; a verdict judged from a timeline
 * (an observation window or a drill) also gets the timeline as JSON and as a chart, and an observation's window,
 * samples and largest gap as parameters.
 */
export async function writeAllureResults(dir: string, report: RunReport, checks: Map<string, Check>, timelines: Record<string, Timeline> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const start = Date.parse(report.startedAt);
  for (const r of report.results) {
    const check = checks.get(r.id);
    const uuid = randomUUID();
    const attachments = [];
    if (r.evidence !== null && r.evidence !== undefined) {
      const source = `${uuid}-evidence.json`;
      await writeReportFile(join(dir, source), JSON.stringify(r.evidence, null, 2));
      attachments.push({ name: 'evidence', source, type: 'application/json' });
    }
    const tl = timelines[r.id];
    const parameters = [{ name: 'target', value: report.target.file }];
    if (tl) {
      const json = `${uuid}-timeline.json`;
      const svg = `${uuid}-timeline.svg`;
      await writeReportFile(join(dir, json), JSON.stringify(tl, null, 2));
      await writeReportFile(join(dir, svg), timelineSvg(tl));
      attachments.push({ name: `${r.id} timeline`, source: json, type: 'application/json' }, { name: `${r.id} timeline chart`, source: svg, type: 'image/svg+xml' });
      const o = report.observations?.find((x) => x.guarantees.includes(r.id));
      if (o) parameters.push({ name: 'observation', value: describeObservation(o) });
    }
    const result = {
      uuid,
      historyId: `ha-validate:${report.target.name}:${r.id}`,
      fullName: `ha-validate ${report.target.name} ${r.id}`,
      name: `${r.id} ${r.title}`,
      // Allure has no "waived": a skipped result whose message (and the "Waived" category) says so
      status: r.status === 'waived' ? 'skipped' : r.status,
      statusDetails: { message: allureMessage(r) },
      stage: 'finished',
      start,
      stop: start + report.durationMs,
      labels: [
        ...(check ? allureLabels(check) : []),
        { name: 'suite', value: `ha-validate: ${report.target.name}` },
        { name: 'framework', value: 'ha-validate' },
        ...(r.status === 'waived' ? [{ name: 'tag', value: 'waived' }] : []),
      ],
      links: check ? sourceLinks(check).map((l) => ({ type: 'link', ...l })) : [],
      attachments,
      parameters: [
        ...parameters,
        ...(r.waivers ?? []).map((w) => ({ name: `waiver${w.scope ? ` ${w.scope}` : ''}`, value: `${w.state} (until ${w.expires}): ${w.note}; ${w.justification}` })),
      ],
    };
    await writeReportFile(join(dir, `${uuid}-result.json`), JSON.stringify(result, null, 2));
  }
  await writeCategories(dir);
}

function allureMessage(r: ReportResult): string {
  const waiver = waiverText(r);
  if (r.status === 'waived') return `Waived (${waiver}). The check failed: ${r.message}`;
  return waiver ? `${r.message} [${waiver}]` : r.message;
}

/**
 * Allure categories that keep "the system is wrong" apart from "the test could not run", and accepted violations
 * (waived: skipped results whose message starts with "Waived") apart from checks that did not apply.
 */
export const ALLURE_CATEGORIES = [
  { name: 'Waived (accepted violation)', matchedStatuses: ['skipped'], messageRegex: 'Waived[\\s\\S]*' },
  { name: 'Guarantee violated', matchedStatuses: ['failed'] },
  { name: 'Environment problem', matchedStatuses: ['broken'] },
  { name: 'Not applicable or not observable here', matchedStatuses: ['skipped'] },
];

export async function writeCategories(dir: string): Promise<void> {
  await writeReportFile(join(dir, 'categories.json'), JSON.stringify(ALLURE_CATEGORIES, null, 2));
}
