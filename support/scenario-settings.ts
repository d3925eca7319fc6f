/**
 * The numbers of a scenario's steps, as settings: "Then every channel has at least 7 consenters" sets
 * `minConsenters` to 7 for that scenario. The steps that carry a setting are listed in the settings table
 * (evidence/settings.ts, `step`); a Before hook reads them from the scenario's steps before any step runs, so every
 * Then step judges with all of the scenario's numbers (FAB-ORD-08 has two), and the scenario judges what it says.
 *
 * Pure: the parameter types are defined here (Cucumber registers them in parameter-types.ts) and matched with
 * cucumber-expressions, the same matcher Cucumber uses for the step definitions.
 */
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import type { SettingKey } from './evidence/model.ts';
import { SETTINGS, SETTING_KEYS, settingProblem } from './evidence/settings.ts';

export interface ParameterTypeDefinition {
  name: string;
  regexp: RegExp;
  transformer: (s: string) => unknown;
}

const UNIT_MS: Record<string, number> = { ms: 1, millisecond: 1, milliseconds: 1, s: 1000, second: 1000, seconds: 1000, minute: 60_000, minutes: 60_000 };

/**
 * Words the features use, turned into values: `{region}` (r2), `{organization}` (org1), `{duration}` ("5 seconds",
 * "200 ms", in milliseconds), `{layout}` (2-1-2) and `{traffic}` (P2P, RPC, web).
 */
export const PARAMETER_TYPES: ParameterTypeDefinition[] = [
  { name: 'region', regexp: /[A-Za-z0-9][\w.-]*/, transformer: (s: string) => s },
  { name: 'organization', regexp: /[A-Za-z0-9][\w.-]*/, transformer: (s: string) => s },
  {
    name: 'duration',
    regexp: /\d+(?:\.\d+)? ?(?:ms|milliseconds?|s|seconds?|minutes?)/,
    transformer: (s: string): number => {
      const m = /^(\d+(?:\.\d+)?) ?(\w+)$/.exec(s.trim());
      if (!m) throw new Error(`not a duration: ${s}`);
      return Math.round(Number(m[1]) * UNIT_MS[m[2]]);
    },
  },
  { name: 'layout', regexp: /\d+(?:-\d+)+/, transformer: (s: string): number[] => s.split('-').map(Number) },
  { name: 'traffic', regexp: /P2P|RPC|web/, transformer: (s: string): 'p2p' | 'rpc' | 'web' => s.toLowerCase() as 'p2p' | 'rpc' | 'web' },
];

/** The step expression that sets `key`, for the step definition (so the two never drift apart). */
export function settingStep(key: SettingKey): string {
  const step = SETTINGS[key].step;
  if (!step) throw new Error(`the setting ${key} has no Gherkin step`);
  return step;
}

let registry: ParameterTypeRegistry | undefined;
let expressions: Array<{ expression: CucumberExpression; keys: SettingKey[] }> | undefined;

function compiled(): NonNullable<typeof expressions> {
  if (!expressions) {
    registry = new ParameterTypeRegistry();
    for (const p of PARAMETER_TYPES) registry.defineParameterType(new ParameterType(p.name, p.regexp, null, p.transformer, true, false));
    const byStep = new Map<string, SettingKey[]>();
    for (const key of SETTING_KEYS) {
      const step = SETTINGS[key].step;
      if (step) byStep.set(step, [...(byStep.get(step) ?? []), key]);
    }
    expressions = [...byStep].map(([step, keys]) => ({ expression: new CucumberExpression(step, registry!), keys }));
  }
  return expressions;
}

export interface ScenarioSettings {
  values: Partial<Record<SettingKey, number>>;
  /** a number that is not a valid value for its setting: the step and why */
  problems: string[];
}

/** The settings the given step texts state (a scenario's steps, Background included). */
export function scenarioSettings(stepTexts: readonly string[]): ScenarioSettings {
  const values: Partial<Record<SettingKey, number>> = {};
  const problems: string[] = [];
  for (const text of stepTexts) {
    for (const { expression, keys } of compiled()) {
      const args = expression.match(text);
      if (!args) continue;
      for (const key of keys) {
        const value = args[SETTINGS[key].stepArg ?? 0]?.getValue(null);
        const problem = settingProblem(key, value);
        if (problem) problems.push(`"${text}": ${key} ${problem}`);
        else values[key] = value as number;
      }
    }
  }
  return { values, problems };
}
