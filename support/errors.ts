/**
 * The three kinds of trouble the harness distinguishes. Keeping them apart is what makes a verdict honest:
 * - InputError: the operator gave us something we cannot read (bad YAML, HOCON, PEM, protobuf, JSON, a missing
 *   file, a wrong type). `ha-validate` exits 2 and prints the message, never a stack trace.
 * - BrokenError: the harness could not look (an endpoint down, a tool missing). The verdict is `broken`.
 * - GuaranteeViolation: the system is wrong. Its name contains "Assertion" so Allure marks it `failed`.
 */
import { hideKeyLike } from './evidence/redact.ts';

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    /** the file the problem is in */
    readonly file: string,
    /** dotted field path inside the file, or '' when the whole file is unreadable */
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    const shown = hideKeyLike(problem);
    super(`${file}${field ? ` (field ${field})` : ''}: ${shown}`, options);
    this.problem = shown;
  }
  /** what is wrong, without the file and field (key-like runs of the input it quotes hidden) */
  readonly problem: string;
}

/** Several input errors collected before giving up, so the operator can fix them all in one go. */
export class InputErrors extends Error {
  override name = 'InputErrors';
  constructor(readonly errors: InputError[]) {
    super(errors.map((e) => e.message).join('\n'));
  }
}

export class BrokenError extends Error {
  override name = 'EnvironmentProblem';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A guarantee is violated. The name contains "Assertion" on purpose: Allure keys `failed` on it. */
export class GuaranteeViolation extends Error {
  override name = 'GuaranteeAssertionError';
  constructor(
    readonly guaranteeId: string,
    message: string,
    readonly evidence?: unknown,
  ) {
    super(`${guaranteeId}: ${message}`);
  }
}

/** Raised when a scenario does not apply or needs what the environment lacks. */
export class SkipError extends Error {
  override name = 'SkipError';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
