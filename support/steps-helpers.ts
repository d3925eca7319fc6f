/**
 * The one place that turns a verdict into a step outcome, so a Cucumber run and `ha-validate` never disagree:
 *
 * | verdict   | step outcome                                   | Allure              |
 * |-----------|------------------------------------------------|---------------------|
 * | passed    | the step passes                                | passed              |
 * | failed    | throws GuaranteeViolation (message + evidence) | failed ("Guarantee violated") |
 * | broken    | throws BrokenError                             | broken ("Environment problem") |
 * | skipped   | returns 'skipped', the reason attached as text | skipped             |
 *
 * A SkipError thrown anywhere below a step or a hook (a disruptive scenario on a target that is not disposable,
 * a guarantee the environment cannot observe) becomes the same 'skipped' outcome through the definition wrapper.
 */
import { setDefinitionFunctionWrapper } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import type { Verdict } from './checks/types.ts';
import { BrokenError, GuaranteeViolation, SkipError } from './errors.ts';
import { redactText } from './evidence/redact.ts';

export type StepOutcome = 'skipped' | undefined;

const EVIDENCE_SUMMARY_CHARS = 600;

/** The evidence in one paragraph for an error message; the full JSON is attached next to it. */
export function summarizeEvidence(evidence: unknown, limit = EVIDENCE_SUMMARY_CHARS): string {
  if (evidence === null || evidence === undefined) return 'no evidence recorded';
  let text: string;
  try {
    text = JSON.stringify(evidence) ?? String(evidence);
  } catch {
    text = String(evidence);
  }
  text = redactText(text);
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters; the full evidence is attached)` : text;
}

/** Attachments are report content: every one goes through the redaction layer. */
export async function attachText(name: string, text: string): Promise<void> {
  await allure.attachment(name, redactText(text), { contentType: 'text/plain' });
}

export async function attachJson(name: string, value: unknown): Promise<void> {
  await allure.attachment(name, redactText(JSON.stringify(value, null, 2) ?? 'null'), { contentType: 'application/json', fileExtension: '.json' });
}

export async function attachCsv(name: string, rows: string[][]): Promise<void> {
  const cell = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  const csv = rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
  await allure.attachment(name, redactText(csv), { contentType: 'text/csv', fileExtension: '.csv' });
}

export async function attachSvg(name: string, svg: string): Promise<void> {
  await allure.attachment(name, redactText(svg), { contentType: 'image/svg+xml', fileExtension: '.svg' });
}

/** the attachment name support/report/allure-listener.mjs looks for, to give a skipped scenario its reason */
export const SKIP_ATTACHMENT = 'Why this was skipped';

export async function skipWith(reason: string): Promise<'skipped'> {
  await attachText(SKIP_ATTACHMENT, reason);
  return 'skipped';
}

/** The verdict → step outcome mapping (see the table above). */
export async function outcomeOf(verdict: Verdict): Promise<StepOutcome> {
  switch (verdict.status) {
    case 'passed':
      return undefined;
    case 'failed':
      throw new GuaranteeViolation(verdict.id, `${verdict.message}\nEvidence: ${summarizeEvidence(verdict.evidence)}`, verdict.evidence);
    case 'broken':
      throw new BrokenError(`${verdict.id}: ${verdict.message}`);
    case 'skipped':
      return skipWith(`${verdict.id}: ${verdict.message}`);
    default: {
      const status: never = verdict.status;
      throw new BrokenError(`${verdict.id}: the check returned an unknown status ${JSON.stringify(status)}`);
    }
  }
}

/** Turns a SkipError into a skipped step or hook with its reason attached; everything else passes through. */
type DefinitionFunction = (this: unknown, ...args: unknown[]) => unknown;

function skippable(fn: DefinitionFunction): DefinitionFunction {
  return async function (this: unknown, ...args: unknown[]) {
    const world = this as { pendingSkip?: string } | undefined;
    if (world?.pendingSkip) {
      // once: Cucumber skips every later step of the scenario by itself
      const reason = world.pendingSkip;
      world.pendingSkip = undefined;
      return skipWith(reason);
    }
    try {
      return await fn.apply(this, args);
    } catch (err) {
      if (err instanceof SkipError) return skipWith(err.message);
      if (err instanceof BrokenError) dropStack(err);
      else if (err instanceof GuaranteeViolation) shortenStack(err);
      // what Cucumber prints and writes (progress, junit.xml, cucumber.json, Allure) passes through the redaction layer
      if (err instanceof Error) {
        err.message = redactText(err.message);
        if (err.stack) err.stack = redactText(err.stack);
      }
      throw err;
    }
  };
}

/**
 * The message says what is wrong and where; a stack trace into the harness would only hide it. One frame is
 * kept: Cucumber parses stacks with error-stack-parser, which falls back to a regular expression that backtracks
 * for minutes on a long frameless message full of quotes (evidence JSON).
 */
export function shortenStack(err: Error): void {
  const frame = err.stack?.split('\n').find((line) => /^\s+at .*\S+:\d+/.test(line));
  if (frame) err.stack = `${err.name}: ${err.message}\n${frame}`;
}

/**
 * An environment problem is its message alone: where the harness code happened to notice it is no help to the
 * reader. With an empty stack Cucumber prints just the message (error-stack-parser refuses an empty stack at once,
 * so none of its regular expressions runs).
 */
export function dropStack(err: Error): void {
  err.stack = '';
}

/** marks a hook the skip wrapper leaves alone (it must run even in a scenario that is about to be skipped) */
export const UNWRAPPED = Symbol('ha-conformance.unwrapped');

export function unwrapped<F extends (this: never, ...args: never[]) => unknown>(fn: F): F {
  return Object.assign(fn, { [UNWRAPPED]: true });
}

let installed = false;

/**
 * Installs the wrapper for every step and hook (Cucumber keeps the arity of the wrapped function). BeforeAll and
 * AfterAll are wrapped too, harmlessly: nothing there throws a SkipError.
 */
export function installSkipWrapper(): void {
  if (installed) return;
  installed = true;
  setDefinitionFunctionWrapper((fn: DefinitionFunction & { [UNWRAPPED]?: boolean }) => (fn[UNWRAPPED] ? fn : skippable(fn)));
}

