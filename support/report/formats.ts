/**
 * Report formats for a list of verdicts: a table for people, JSON for machines, JUnit XML for CI, and Allure
 * result files (the same labels `allure-cucumberjs` results carry, so both land in one report).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Check, Status, Verdict } from '../checks/types.ts';
import { allureLabels, sourceLink } from './labels.ts';
import { redactText } from '../evidence/redact.ts';

/** Every report file is written through the redaction layer: no secret reaches a file a report reader opens. */
export async function writeReportFile(path: string, text: string): Promise<void> {
  await writeFile(path, redactText(text));
}

export interface RunReport {
  target: { name: string; file: string };
  startedAt: string;
  durationMs: number;
  results: Array<Verdict & { title: string; severity: string }>;
  summary: Record<Status, number> & { total: number };
}

export function summarize(results: Verdict[]): RunReport['summary'] {
  const summary = { passed: 0, failed: 0, broken: 0, skipped: 0, total: results.length };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** Exit code of a run: 1 if any guarantee failed, else 3 if the harness could not look somewhere, else 0. */
export function exitCodeOf(results: Verdict[]): number {
  if (results.some((r) => r.status === 'failed')) return 1;
  if (results.some((r) => r.status === 'broken')) return 3;
  return 0;
}

const STATUS_MARK: Record<Status, string> = { passed: 'PASS', failed: 'FAIL', broken: 'BROKEN', skipped: 'SKIP' };

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

export function formatTable(report: RunReport): string {
  const lines: string[] = [`Target ${report.target.name} (${report.target.file})`, ''];
  const idWidth = Math.max(...report.results.map((r) => r.id.length), 2);
  for (const r of report.results) {
    const head = `${STATUS_MARK[r.status].padEnd(6)} ${r.id.padEnd(idWidth)}  `;
    lines.push(head + wrap(`${r.title}: ${r.message}`, 110, ' '.repeat(head.length)));
  }
  const s = report.summary;
  lines.push('', `${s.total} checks: ${s.passed} passed, ${s.failed} failed, ${s.broken} broken, ${s.skipped} skipped (${report.durationMs} ms)`);
  return lines.join('\n') + '\n';
}

export function formatJson(report: RunReport): string {
  return JSON.stringify(
    {
      target: report.target,
      startedAt: report.startedAt,
      durationMs: report.durationMs,
      results: report.results.map((r) => ({ id: r.id, title: r.title, status: r.status, message: r.message, evidence: r.evidence })),
      summary: report.summary,
    },
    null,
    2,
  ) + '\n';
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function formatJunit(report: RunReport): string {
  const s = report.summary;
  const cases = report.results.map((r) => {
    const open = `    <testcase classname="ha-conformance.${xml(report.target.name)}" name="${xml(`${r.id} ${r.title}`)}" time="0">`;
    const evidence = `<system-out>${xml(JSON.stringify(r.evidence, null, 2) ?? '')}</system-out>`;
    switch (r.status) {
      case 'passed':
        return `${open}${evidence}</testcase>`;
      case 'failed':
        return `${open}<failure message="${xml(r.message)}" type="GuaranteeViolated">${xml(r.message)}</failure>${evidence}</testcase>`;
      case 'broken':
        return `${open}<error message="${xml(r.message)}" type="EnvironmentProblem">${xml(r.message)}</error>${evidence}</testcase>`;
      case 'skipped':
        return `${open}<skipped message="${xml(r.message)}"/></testcase>`;
    }
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ha-conformance" tests="${s.total}" failures="${s.failed}" errors="${s.broken}" skipped="${s.skipped}">`,
    `  <testsuite name="${xml(report.target.name)}" tests="${s.total}" failures="${s.failed}" errors="${s.broken}" skipped="${s.skipped}" timestamp="${report.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Allure 2 result files, one per verdict, with the evidence attached as JSON. */
export async function writeAllureResults(dir: string, report: RunReport, checks: Map<string, Check>): Promise<void> {
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
    const result = {
      uuid,
      historyId: `ha-validate:${report.target.name}:${r.id}`,
      fullName: `ha-validate ${report.target.name} ${r.id}`,
      name: `${r.id} ${r.title}`,
      status: r.status,
      statusDetails: { message: r.message },
      stage: 'finished',
      start,
      stop: start + report.durationMs,
      labels: [
        ...(check ? allureLabels(check) : []),
        { name: 'suite', value: `ha-validate: ${report.target.name}` },
        { name: 'framework', value: 'ha-validate' },
      ],
      links: check ? [{ type: 'link', ...sourceLink(check) }] : [],
      attachments,
      parameters: [{ name: 'target', value: report.target.file }],
    };
    await writeReportFile(join(dir, `${uuid}-result.json`), JSON.stringify(result, null, 2));
  }
  await writeCategories(dir);
}

/** Allure categories that keep "the system is wrong" apart from "the test could not run". */
export const ALLURE_CATEGORIES = [
  { name: 'Guarantee violated', matchedStatuses: ['failed'] },
  { name: 'Environment problem', matchedStatuses: ['broken'] },
  { name: 'Not applicable or not observable here', matchedStatuses: ['skipped'] },
];

export async function writeCategories(dir: string): Promise<void> {
  await writeReportFile(join(dir, 'categories.json'), JSON.stringify(ALLURE_CATEGORIES, null, 2));
}
