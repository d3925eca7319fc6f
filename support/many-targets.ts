/**
 * Many targets at once: `--target` given several times, or a folder of descriptors. Each target is validated on
 * its own (its own evidence, report and errors: one unreadable descriptor does not stop the others), at most
 * `concurrency` at a time, and the outcomes come back in the order the targets were given. Used by the one-shot
 * CLI and by `ha-validate serve`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { InputError, InputErrors, errorMessage } from './errors.ts';
import type { Evidence } from './evidence/model.ts';
import { mapPool } from './concurrency.ts';
import { exitCodeOf, type FailOn, type RunReport } from './report/formats.ts';
import { validateTarget, type ValidateOptions } from './validate.ts';

/** Why a target has no report: its input cannot be read (exit 2) or the run could not complete (exit 3). */
export interface RunError {
  exitCode: 2 | 3;
  kind: 'input' | 'usage' | 'broken';
  message: string;
  /** input problems, each naming the file and field */
  problems: Array<{ file: string; field: string; message: string }>;
  /** for HA_DEBUG only; never written to a report */
  stack?: string;
}

export interface TargetOutcome {
  /** the descriptor, absolute */
  file: string;
  report?: RunReport;
  /** the evidence the report rests on, and the descriptor's secrets to redact from it, when asked for (`keepEvidence`) */
  evidence?: Evidence;
  secrets?: string[];
  error?: RunError;
}

export interface ValidateTargetsOptions {
  only?: string[];
  /** targets validated at the same time (default 4) */
  concurrency?: number;
  /** live evidence of a target (`--live`), read-only; a throw makes the target's run an error */
  liveOf?: ValidateOptions['liveOf'];
  /** an observation window per target (`--observe`), run once its static evidence is in */
  observe?: ValidateOptions['observe'];
  env?: NodeJS.ProcessEnv;
  keepEvidence?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;

/** A descriptor's path as people read it: relative to the working directory when it is below it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
const DESCRIPTOR = /\.ya?ml$/i;

/**
 * The descriptor files of `--target` arguments: a file as it is, a folder as the `*.yaml` / `*.yml` files directly
 * in it (sorted by name; sub-folders are not searched). A path given twice counts once. A folder without a
 * descriptor is an input error; a missing file is left to the loader, which names it.
 */
export async function expandTargets(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      const names = (await readdir(abs, { withFileTypes: true })).filter((e) => e.isFile() && DESCRIPTOR.test(e.name)).map((e) => e.name).sort();
      if (!names.length) errors.push(new InputError(abs, '', 'the directory given as --target holds no target descriptor (*.yaml, *.yml)'));
      files.push(...names.map((n) => join(abs, n)));
    } else {
      files.push(abs);
    }
  }
  if (errors.length) throw new InputErrors(errors);
  return [...new Set(files)];
}

/** The `RunError` of a failed run: input problems (exit 2) or anything else (exit 3). */
export function runErrorOf(err: unknown): RunError {
  if (err instanceof InputErrors || err instanceof InputError) {
    const list = err instanceof InputErrors ? err.errors : [err];
    return {
      exitCode: 2,
      kind: 'input',
      message: `the target cannot be read (${list.length} problem${list.length > 1 ? 's' : ''})`,
      problems: list.map((e) => ({ file: e.file, field: e.field, message: e.message })),
    };
  }
  const out: RunError = { exitCode: 3, kind: 'broken', message: `could not complete the validation: ${errorMessage(err)}`, problems: [] };
  if (err instanceof Error && err.stack) out.stack = err.stack;
  return out;
}

/** Validates every target, at most `concurrency` at a time; never throws for a target's problem. */
export async function validateTargets(files: readonly string[], options: ValidateTargetsOptions = {}): Promise<TargetOutcome[]> {
  return mapPool(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file): Promise<TargetOutcome> => {
    try {
      const { report, evidence, descriptor } = await validateTarget(file, { only: options.only, liveOf: options.liveOf, observe: options.observe, env: options.env });
      return options.keepEvidence ? { file, report, evidence, secrets: descriptor.secrets } : { file, report };
    } catch (err) {
      return { file, error: runErrorOf(err) };
    }
  });
}

/**
 * The exit code of several targets, the worst of theirs: 2 when a target cannot be read (nothing can be said of
 * it until its descriptor is fixed), else 1 when a guarantee failed somewhere, else 3 when a check could not look,
 * else 0. For one target this is its own exit code.
 */
export function exitCodeOfTargets(outcomes: readonly TargetOutcome[], failOn?: FailOn): number {
  const codes = outcomes.map((o) => (o.error ? o.error.exitCode : exitCodeOf(o.report!.results, failOn)));
  for (const worst of [2, 1, 3]) if (codes.includes(worst)) return worst;
  return 0;
}
