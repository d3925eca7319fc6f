import type { Evidence, LiveEvidence, SettingKey } from '../evidence/model.ts';
import type { TargetDescriptor } from '../descriptor/types.ts';
import type { Observation } from '../drills/observation.ts';

// The drills own what an observation is; environments offer them. Kept importable from here for the environments
// that name them with the environment's other types.

/**
 * An environment provisions a reference deployment (local, docker, kind) or attaches to an existing one.
 * Lifecycle stages are distinct types: `Environment.start()` gives a `StartedEnvironment`, whose `stop()` releases
 * every resource it started, and is safe to call twice, after a failure, and from a signal handler.
 */
export interface Environment {
  readonly name: 'local' | 'docker' | 'kind' | 'existing';
  /** why this environment cannot run here (a missing binary, image or engine), one line each; [] = it can */
  preflight(): Promise<string[]>;
  start(): Promise<StartedEnvironment>;
}

/**
 * A check setting an environment needs other than its documented default, with the reason, e.g. the docker
 * environment's wider failover tolerance (a fault goes through the Docker API). It applies where the descriptor and
 * the scenario say nothing, and every verdict that applies it names it: `7000 ms (docker environment: <why>)`.
 */
export interface EnvironmentSetting {
  value: number;
  why: string;
}

export type EnvironmentSettings = Partial<Record<SettingKey, EnvironmentSetting>>;

export interface StartedEnvironment {
  readonly name: string;
  /** the run id every resource is labelled with */
  readonly runId: string;
  /** the descriptor of what was started (or attached to), written to disk */
  readonly descriptorFile: string;
  readonly descriptor: TargetDescriptor;
  /** the static evidence of the descriptor, where the environment already read it (the run then reads it no second time) */
  readonly staticEvidence?: Evidence;
  readonly disposable: boolean;
  /** non-disruptive live evidence: lease row, endpoints, presented certificates, metrics, round trips */
  collectLive(): Promise<Partial<LiveEvidence>>;
  /** timelines this environment can record, by guarantee ID */
  readonly observations: Record<string, Observation>;
  /** guarantee ID → why it cannot be observed live here (becomes a skip reason) */
  readonly unavailable: Record<string, string>;
  /**
   * why no drill (no fault-injecting observation) can run here at all, e.g. an existing deployment has no fault
   * injector: the skip reason of every guarantee the catalogue judges by a drill, unless `unavailable` names another
   */
  readonly drillsUnavailable?: string;
  /** check settings this environment needs other than the documented defaults (see EnvironmentSetting) */
  readonly settings?: EnvironmentSettings;
  /**
   * area (`fabric`, `corda`) → what runs in place of the real product, where this environment runs a stand-in; every
   * run says so at its start, in its log and in the Allure environment
   */
  readonly standIns?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}
