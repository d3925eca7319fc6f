/**
 * What a drill or a sampling window offers the run: an observation of one guarantee, producing the timeline its
 * check judges. Environments hand these out (`StartedEnvironment.observations`); the drills make them.
 */
import type { CheckSettings, Timeline } from '../evidence/model.ts';

/**
 * What an observation may know about how it will be judged: the settings of the scenario that first asks for it,
 * so that it samples at least as long as the bound it will be judged against. It records what it did (how long it
 * waited: `params.horizonMs`), never the bound: the check takes that from the settings.
 */
export interface ObservationContext {
  settings: CheckSettings;
}

/** An observation of one guarantee: a sampling window or a drill, producing a timeline its check judges. */
export interface Observation {
  /** the guarantee ID whose check judges the timeline */
  id: string;
  /** true when it injects a fault: runs only where the target is disposable or the operator opted in */
  disruptive: boolean;
  run(context?: ObservationContext): Promise<Timeline>;
}
