/**
 * Words the features use, turned into values: `{region}` (r2), `{organization}` (org1), `{duration}`
 * ("5 seconds", "200 ms"), `{layout}` (2-1-2) and `{traffic}` (P2P, RPC, web).
 */
import { defineParameterType } from '@cucumber/cucumber';

defineParameterType({ name: 'region', regexp: /[A-Za-z0-9][\w.-]*/, transformer: (s: string) => s });

defineParameterType({ name: 'organization', regexp: /[A-Za-z0-9][\w.-]*/, transformer: (s: string) => s });

const UNIT_MS: Record<string, number> = { ms: 1, millisecond: 1, milliseconds: 1, s: 1000, second: 1000, seconds: 1000, minute: 60_000, minutes: 60_000 };

/** a duration in milliseconds */
defineParameterType({
  name: 'duration',
  regexp: /\d+(?:\.\d+)? ?(?:ms|milliseconds?|s|seconds?|minutes?)/,
  transformer: (s: string): number => {
    const m = /^(\d+(?:\.\d+)?) ?(\w+)$/.exec(s.trim());
    if (!m) throw new Error(`not a duration: ${s}`);
    return Math.round(Number(m[1]) * UNIT_MS[m[2]]);
  },
});

/** nodes per region, in region order: "2-1-2" → [2, 1, 2] */
defineParameterType({
  name: 'layout',
  regexp: /\d+(?:-\d+)+/,
  transformer: (s: string): number[] => s.split('-').map(Number),
});

defineParameterType({
  name: 'traffic',
  regexp: /P2P|RPC|web/,
  transformer: (s: string): 'p2p' | 'rpc' | 'web' => s.toLowerCase() as 'p2p' | 'rpc' | 'web',
});
