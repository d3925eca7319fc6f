#!/usr/bin/env node
// The `ha-validate` executable. It runs the compiled CLI in dist/ (`npm run build`; `npm ci` and `npm pack` build
// it through the `prepare` script), never the TypeScript sources: the installed package has no compiler.
// In a source checkout it refuses a dist/ older than its sources, so a `git pull` without a build cannot run
// yesterday's checks; `npm run validate -- …` runs the sources directly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const cli = join(dist, 'scripts', 'validate.js');

/** The first compiled module whose TypeScript source is newer or gone, or undefined when dist/ is current. */
function staleModule() {
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const js of walk(dist)) {
    if (!js.endsWith('.js')) continue;
    const ts = join(root, relative(dist, js)).replace(/\.js$/, '.ts');
    if (!existsSync(ts)) return `${relative(root, js)} (its source ${relative(root, ts)} is gone)`;
    if (statSync(ts).mtimeMs > statSync(js).mtimeMs) return `${relative(root, ts)} (changed after the build)`;
  }
  return undefined;
}

const fail = (message) => {
  process.stderr.write(`ha-validate: ${message}\n`);
  process.exitCode = 3;
};

if (!existsSync(cli)) {
  fail(`the compiled CLI ${relative(process.cwd(), cli) || cli} is missing: run \`npm run build\` in ${root} (\`npm ci\` builds it unless run with --ignore-scripts)`);
} else {
  // only a source checkout has scripts/validate.ts; the installed package carries dist/ alone
  const stale = existsSync(join(root, 'scripts', 'validate.ts')) ? staleModule() : undefined;
  if (stale) fail(`dist/ is older than the sources: ${stale}. Run \`npm run build\` (or \`npm run validate -- …\` to run the sources)`);
  else await import(pathToFileURL(cli).href);
}
