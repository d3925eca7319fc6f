/**
 * Registers the parameter types the features use (`{region}`, `{organization}`, `{duration}`, `{layout}`,
 * `{traffic}`); they are defined in scenario-settings.ts, which matches the same step texts to read a scenario's
 * settings before it runs.
 */
import { defineParameterType } from '@cucumber/cucumber';
import { PARAMETER_TYPES } from './scenario-settings.ts';

for (const p of PARAMETER_TYPES) defineParameterType(p);
