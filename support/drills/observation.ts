/**
 * What a drill or a sampling window offers the run: an observation of one guarantee, producing the timeline its
 * check judges. Environments hand these out (`StartedEnvironment.observations`); the drills make them.
 */
import type { CheckSettings, SettingKey, Timeline } from '../evidence/model.ts';
import { defaultSettings } from '../evidence/settings.ts';

/**
 * What an observation may know about how it will be judged: the settings of the scenario that first asks for it,
 * so that it samples at least as long as the bound it will be judged against. It records what it did (how long it
 * waited: `params.horizonMs`), never the bound: the check takes that from the settings.
 */
export interface ObservationContext {
  settings: CheckSettings;
}

/**
 * A setting an observation plans with (how long to wait, what tolerance to allow for): the scenario's, else the
 * descriptor's `settings`, else the documented default.
 */
export function plannedSetting(key: SettingKey, context: ObservationContext | undefined, declared?: Record<string, unknown>): number {
  return Number(context?.settings[key] ?? declared?.[key] ?? defaultSettings[key]);
}

/** An observation of one guarantee: a sampling window or a drill, producing a timeline its check judges. */
export interface Observation {
  /** the guarantee ID whose check judges the timeline */
  id: string;
  /** true when it injects a fault: runs only where the target is disposable or the operator opted in */
  disruptive: boolean;
  run(context?: ObservationContext): Promise<Timeline>;
}
