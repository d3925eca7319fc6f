/**
 * Run-level Allure files written next to the results of a Cucumber run: `environment.properties` (what ran
 * where, and which parts were stand-ins), `executor.json` (who ran it, so trends have a build name) and
 * `categories.json` ("Guarantee violated" apart from "Environment problem"). Also the paths the Cucumber profile and
 * the hooks agree on.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeCategories, writeReportFile } from './formats.ts';

/** The reports folder (HA_REPORTS_DIR, default `reports`): the profile writes JUnit, JSON and Allure under it. */
export function reportsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HA_REPORTS_DIR || 'reports');
}

export function allureResultsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(reportsDir(env), 'allure-results');
}

export interface RunFacts {
  environment: string;
  variant?: string;
  runId?: string;
  target?: string;
  disposable?: boolean;
  allowDisruptive: boolean;
  /** area → what runs in place of the real product: `<area>=stand-in (…)` */
  standIns?: Record<string, string>;
  problem?: string;
  timings: Record<string, number>;
  /** settings of the run other than the documented defaults, as verdicts state them: key → `7000 ms (docker environment: …)` */
  settings?: Record<string, string>;
}

function propertiesValue(v: string): string {
  // .properties: escape backslashes and line breaks; keys here never need escaping.
  return v.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
}

export function environmentProperties(facts: RunFacts): string {
  const entries: Array<[string, string]> = [
    ['environment', facts.environment],
    ['variant', facts.variant ?? 'reference'],
    ['target', facts.target ?? '(not started)'],
    ['run.id', facts.runId ?? '(not started)'],
    ['disposable', String(facts.disposable ?? false)],
    ['allow.disruptive', String(facts.allowDisruptive)],
    ...Object.entries(facts.standIns ?? {}).map(([area, what]): [string, string] => [area, `stand-in (${what})`]),
    ['node.version', process.version],
    ['platform', `${process.platform} ${process.arch}`],
  ];
  for (const [key, text] of Object.entries(facts.settings ?? {})) entries.push([`setting.${key}`, text]);
  for (const [stage, ms] of Object.entries(facts.timings)) entries.push([`time.${stage.replace(/\s+/g, '.')}.ms`, String(Math.round(ms))]);
  if (facts.problem) entries.push(['problem', facts.problem]);
  return entries.map(([k, v]) => `${k}=${propertiesValue(v)}`).join('\n') + '\n';
}

export async function writeRunFiles(dir: string, facts: RunFacts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeReportFile(join(dir, 'environment.properties'), environmentProperties(facts));
  const executor = {
    name: 'ha-conformance',
    type: 'cucumber-js',
    buildOrder: Date.now(),
    buildName: `${facts.environment}${facts.variant ? ` (${facts.variant})` : ''} run ${facts.runId ?? 'not started'}`,
    reportName: `HA conformance: ${facts.target ?? facts.environment}`,
  };
  await writeReportFile(join(dir, 'executor.json'), JSON.stringify(executor, null, 2));
  await writeCategories(dir);
}

/**
 * Empties the results folder at the start of a run, so the report shows this run only (Allure would show results
 * of earlier runs as retries). `history/` is kept: `npm run report` puts the trend data there. HA_KEEP_RESULTS=1
 * keeps everything, to merge several runs (e.g. `--tags @corda` then `--tags @fabric`) into one report.
 */
export async function clearResults(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (/^(1|true|yes)$/i.test(env.HA_KEEP_RESULTS ?? '')) return;
  const entries = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => e !== 'history').map((e) => rm(join(dir, e), { recursive: true, force: true })));
}
