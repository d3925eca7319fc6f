// An allure-js lifecycle listener (the reporter's public `listeners` option, set in cucumber.mjs). JavaScript, not
// TypeScript: cucumber.mjs loads it before tsx is registered.
//
// Allure ranks a test by its worst step, with "passed" above "skipped": a scenario whose Given passed and whose
// judging step was skipped (a guarantee that does not apply, or cannot be observed here) would show as passed.
// This listener marks such a test skipped, like Cucumber and JUnit do, and puts the reason (the text the step
// attached as "Why this was skipped") in its status message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SKIP_ATTACHMENT = 'Why this was skipped';

function* allSteps(steps) {
  for (const s of steps ?? []) {
    yield s;
    yield* allSteps(s.steps);
  }
}

function skipReason(result, resultsDir) {
  for (const s of allSteps(result.steps)) {
    const a = (s.attachments ?? []).find((x) => x.name === SKIP_ATTACHMENT);
    if (!a) continue;
    try {
      return readFileSync(join(resultsDir, a.source), 'utf8');
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** @param {string} resultsDir where the reporter writes (its attachments are read back from there) */
export function skipPropagation(resultsDir) {
  return {
    beforeTestResultWrite(result) {
      const skippedStep = (result.steps ?? []).some((s) => s.status === 'skipped');
      if (result.status === 'passed' && skippedStep) result.status = 'skipped';
      if (result.status !== 'skipped') return;
      const reason = skipReason(result, resultsDir);
      if (reason && !result.statusDetails?.message) result.statusDetails = { ...result.statusDetails, message: reason };
    },
  };
}
