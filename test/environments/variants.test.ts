/**
 * The table of broken variants (support/environments/variants.ts) and the environments agree: each environment
 * accepts exactly the variants the table says it offers, and refuses every other name (including the variants of
 * other environments) before starting anything.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANTS, type VariantEnvironment } from '../../support/environments/variants.ts';
import { localEnvironment, localVariants } from '../../support/environments/local/index.ts';
import { dockerEnvironment, dockerVariants } from '../../support/environments/docker/index.ts';
import type { Environment } from '../../support/environments/types.ts';

const environments: Record<VariantEnvironment, { make: (variant: string) => Environment; listed: () => Record<string, string> }> = {
  local: { make: (variant) => localEnvironment({ variant }), listed: localVariants },
  // PATH without docker: preflight reports the missing engine quickly instead of probing one
  docker: { make: (variant) => dockerEnvironment({ variant, env: { ...process.env, PATH: '/nonexistent' } }), listed: dockerVariants },
};

const names = [...VARIANTS.map((v) => v.name), 'no-such-variant', 'reference'];

describe('the variants table and the environments agree', () => {
  for (const [name, e] of Object.entries(environments) as Array<[VariantEnvironment, (typeof environments)[VariantEnvironment]]>) {
    test(`${name}: refuses exactly the names the table does not give it, and lists the ones it does`, async () => {
      const offered = VARIANTS.filter((v) => v.environments.includes(name)).map((v) => v.name);
      const refused: string[] = [];
      for (const variant of names) {
        const problems = await e.make(variant).preflight();
        const refusal = problems.find((p) => p.startsWith(`unknown ${name} variant "${variant}"`));
        if (refusal) refused.push(variant);
      }
      assert.deepEqual(refused.sort(), names.filter((n) => !offered.includes(n)).sort());
      const listed = e.listed();
      assert.deepEqual(Object.keys(listed).sort(), [...offered].sort());
      for (const v of VARIANTS.filter((x) => offered.includes(x.name))) {
        assert.ok(listed[v.name].includes(v.description) && v.breaks.every((id) => listed[v.name].includes(id)), `${name} lists ${v.name} as "${listed[v.name]}"`);
      }
    });
  }

  test('every variant has a unique name, an area, a description and at least one environment', () => {
    assert.equal(new Set(VARIANTS.map((v) => v.name)).size, VARIANTS.length);
    for (const v of VARIANTS) {
      assert.ok(v.environments.length > 0 && v.description.length > 10 && ['corda', 'fabric'].includes(v.area), v.name);
    }
  });
});
