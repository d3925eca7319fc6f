/** Shared helpers for the evidence and target tests: temp dirs and assertions on InputErrors. */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError, InputErrors } from '../../support/errors.ts';

export interface TmpDir {
  dir: string;
  /** write a file (parents created), return its absolute path */
  write(rel: string, content: string | Uint8Array): Promise<string>;
  path(rel: string): string;
  remove(): Promise<void>;
}

export async function tmp(prefix = 'hac-test-'): Promise<TmpDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    path: (rel) => join(dir, rel),
    async write(rel, content) {
      const p = join(dir, rel);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
      return p;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The InputErrors inside whatever was thrown (an InputError counts as a list of one). */
export function inputErrors(err: unknown): InputError[] {
  if (err instanceof InputErrors) return err.errors;
  if (err instanceof InputError) return [err];
  throw err;
}

/** Run `fn`, expect it to throw InputError(s), and return them. */
export async function expectInputErrors(fn: () => unknown): Promise<InputError[]> {
  try {
    await fn();
  } catch (err) {
    const errors = inputErrors(err);
    for (const e of errors) assertNoStack(e.message);
    if (err instanceof Error) assertNoStack(err.message);
    return errors;
  }
  assert.fail('expected an InputError');
}

/** One error naming `file` (and `field` when given) whose message contains every `includes`. */
export function assertError(errors: InputError[], expected: { file: string; field?: string; includes?: Array<string | RegExp> }): InputError {
  const hit = errors.find(
    (e) =>
      e.file === expected.file &&
      (expected.field === undefined || e.field === expected.field) &&
      (expected.includes ?? []).every((s) => (typeof s === 'string' ? e.message.includes(s) : s.test(e.message))),
  );
  assert.ok(hit, `no error for ${expected.file} field ${expected.field ?? '*'} containing ${JSON.stringify((expected.includes ?? []).map(String))}; got:\n${errors.map((e) => e.message).join('\n')}`);
  assert.ok(hit.message.startsWith(expected.file), `message should start with the file: ${hit.message}`);
  if (expected.field) assert.ok(hit.message.includes(`(field ${expected.field})`), `message should name the field: ${hit.message}`);
  return hit;
}

export function assertNoStack(message: string): void {
  assert.ok(!message.includes('    at '), `message contains stack trace text:\n${message}`);
}
