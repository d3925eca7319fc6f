/**
 * The repository stands alone: a fresh clone, with nothing beside it, has everything its code, tests, docs and CI
 * read. No file names the design notes kept beside our own checkouts, nor the internal file names of the source
 * documents (the spec cites their public pages: docs/guarantees.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/cli.ts';
import { INTERNAL_NAMES } from '../helpers/public-sources.ts';

/** the files of the repository: tracked and new ones git does not ignore; without git, the tree minus the usual outputs */
function repositoryFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\0').filter(Boolean);
  } catch {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (['.git', 'node_modules', 'reports', '.tmp'].includes(e.name)) continue;
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) files.push(relative(repoRoot, p));
      }
    };
    walk(repoRoot);
    return files;
  }
}

describe('the repository is self-contained', () => {
  it('no file names the design notes beside the checkout or an internal source-document file', () => {
    const files = repositoryFiles();
    assert.ok(files.length > 100, `only ${files.length} files found`);
    const found: string[] = [];
    for (const f of files) {
      const path = join(repoRoot, f);
      let text: string;
      try {
        if (!statSync(path).isFile()) continue;
        text = readFileSync(path, 'latin1');
      } catch {
        continue; // deleted in the working tree
      }
      for (const { what, pattern } of INTERNAL_NAMES) {
        const m = pattern.exec(text);
        if (m) found.push(`${f}: ${what} ("${m[0]}")`);
      }
    }
    assert.deepEqual(found, []);
  });
});
