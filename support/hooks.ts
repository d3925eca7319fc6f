/**
 * The run's lifecycle: the environment the profile names is started once in BeforeAll and stopped in AfterAll
 * (which Cucumber runs after failed scenarios too) or on SIGINT/SIGTERM; every scenario gets the labels of its
 * guarantee (epic, story, severity, a link to its source); disruptive scenarios run only where that is allowed.
 */
// Registers allure-js-commons' runtime for Cucumber (its own BeforeAll), so `allure.attachment` & co. reach the report.
import 'allure-cucumberjs';
import { AfterAll, Before, BeforeAll, BeforeStep, setDefaultTimeout, type IContext, type ITestCaseHookParameter } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { byId } from './checks/catalogue.ts';
import { sourceLinks } from './report/labels.ts';
import { citation } from './checks/sources.ts';
import { allureResultsDir, clearResults, reportsDir, writeRunFiles } from './report/allure-run.ts';
import { NOT_DISPOSABLE, Run, maybeCurrentRun, setCurrentRun } from './run.ts';
import { guaranteeOfTags, type HaWorld, type HaWorldParameters } from './world.ts';
import { errorMessage } from './errors.ts';
import { attachText, installSkipWrapper, unwrapped } from './steps-helpers.ts';
import { scenarioSettings } from './scenario-settings.ts';

installSkipWrapper();

/** Steps may run a drill (the first scenario of a drill records the whole timeline). */
setDefaultTimeout(Number(process.env.HA_STEP_TIMEOUT_MS) || 180_000);

/** How long the environment may take to start; BeforeAll's own timeout is a little longer, so ours fires first. */
const START_TIMEOUT_MS = Number(process.env.HA_START_TIMEOUT_MS) || 110_000;

let signalsInstalled = false;

function stopOnSignals(run: Run): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  // The local environment's Resources release their processes on these signals too; stopping through the
  // environment as well covers environments that hold other resources (containers, clusters).
  const onSignal = (signal: NodeJS.Signals) => {
    run.log(`received ${signal}: stopping the environment`);
    run.interrupted = `the run was interrupted (${signal}) and its environment stopped`;
    void run
      .stop()
      .catch(() => undefined)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

BeforeAll({ timeout: START_TIMEOUT_MS + 15_000 }, async function (this: IContext<HaWorldParameters>) {
  await clearResults(allureResultsDir());
  const logFile = join(reportsDir(), 'harness.log');
  await rm(logFile, { force: true });
  const run = new Run({ environment: this.parameters?.environment, startTimeoutMs: START_TIMEOUT_MS, logFile });
  setCurrentRun(run);
  stopOnSignals(run);
  await run.start();
  if (run.problem?.stage === 'preflight') {
    // Nothing was started: stop early, once, with one line per missing piece, rather than one broken scenario
    // per feature. A release gate sees a non-zero exit; there is nothing to tear down.
    process.stderr.write(`\nha-conformance: ${run.problem.message}\nNothing was started; no scenario ran.\n`);
    process.exit(2);
  }
  // Before any scenario: what the verdicts rest on, when it is not the real product.
  if (run.info.standInLine) process.stderr.write(`ha-conformance: ${run.info.standInLine}\n`);
});

AfterAll({ timeout: 90_000 }, async function () {
  const run = maybeCurrentRun();
  if (!run) return;
  let stopError: unknown;
  await run.stop().catch((err: unknown) => (stopError = err));
  await writeRunFiles(allureResultsDir(), {
    environment: run.info.environment,
    variant: run.info.variant,
    runId: run.info.runId,
    target: run.info.target,
    disposable: run.info.disposable,
    allowDisruptive: run.info.allowDisruptive,
    standIns: run.info.standIns,
    problem: run.problem?.message,
    timings: run.info.timings,
    settings: run.settingsShown(),
  });
  if (stopError) throw new Error(`stopping the ${run.info.environment} environment failed: ${errorMessage(stopError)}`, { cause: stopError });
});

let logAttached = false;

function scenarioDescription({ gherkinDocument, pickle }: ITestCaseHookParameter): string {
  const id = pickle.astNodeIds[0];
  for (const child of gherkinDocument.feature?.children ?? []) {
    const scenarios = child.rule ? child.rule.children.map((c) => c.scenario) : [child.scenario];
    for (const s of scenarios) if (s?.id === id) return s.description.trim();
  }
  return '';
}

/** The numbers the scenario's steps state are its settings, in force before its first step (scenario-settings.ts). */
Before({ name: 'scenario settings' }, function (this: HaWorld, hook: ITestCaseHookParameter) {
  const { values, problems } = scenarioSettings(hook.pickle.steps.map((s) => s.text));
  this.scenarioSettings = values;
  this.settingProblems = problems;
});

Before({ name: 'guarantee labels' }, async function (this: HaWorld, hook: ITestCaseHookParameter) {
  this.tags = hook.pickle.tags.map((t) => t.name);
  const ids = guaranteeOfTags(this.tags);
  this.guarantee = ids[0];
  const run = maybeCurrentRun();
  if (run && !logAttached) {
    logAttached = true;
    await attachText('Environment log', run.logText() || '(no output)');
  }
  const check = this.guarantee ? byId(this.guarantee) : undefined;
  if (!check) return;
  const area = check.area === 'fabric' ? 'Fabric' : 'Corda';
  await allure.labels(
    { name: 'epic', value: area },
    { name: 'story', value: `${check.id} ${check.title}` },
    { name: 'severity', value: check.severity },
    { name: 'parentSuite', value: area },
    { name: 'suite', value: hook.gherkinDocument.feature?.name ?? check.id },
  );
  for (const link of sourceLinks(check)) await allure.link(link.url, link.name, 'link');
  this.description = [
    scenarioDescription(hook),
    `**${check.id}** — ${check.title}`,
    `**Source:** ${check.sources.map((s) => `${citation(s)} — ${s.url}`).join('; ')}`,
    `**Remediation:** ${check.remediation}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  if (run?.problem) await attachText('Environment problem', run.problem.message);
});

// The description goes to the test from inside its first step: set from a Before hook, Allure keeps the scenario's
// own description (the reporter sets that first) and drops the source and remediation.
BeforeStep(
  unwrapped(async function (this: HaWorld) {
    if (!this.description) return;
    const description = this.description;
    this.description = undefined;
    await allure.description(description);
  }),
);

Before({ name: 'disruptive scenarios need a disposable target', tags: '@disruptive' }, function (this: HaWorld) {
  const run = maybeCurrentRun();
  // Without a started environment the first step reports why; nothing to decide here.
  if (!run || run.problem || !run.environment) return;
  // The first step skips with the reason, so it shows in the scenario (not in its set-up) in every report.
  // An environment that cannot inject the fault at all says so; that reason comes first.
  const unavailable = this.guarantee ? run.unavailable(this.guarantee) : undefined;
  if (unavailable) this.pendingSkip = `${this.guarantee}: ${unavailable}`;
  else if (!run.disruptiveAllowed) this.pendingSkip = NOT_DISPOSABLE;
});
