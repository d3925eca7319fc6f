/**
 * The version of the running ha-validate, from the package's package.json: reports (SARIF's tool version) and
 * `serve`'s build-info metric carry it. Found by walking up from this module, which sits at the same depth below
 * the package root in the sources (support/) and in the compiled package (dist/support/), give or take one level.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function toolVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ha-conformance' && pkg.version) return (cached = pkg.version);
    } catch {
      // no package.json at this level: go up
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0');
}
