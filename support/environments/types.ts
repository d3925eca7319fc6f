import type { CheckSettings, LiveEvidence, SettingKey, Timeline } from '../evidence/model.ts';
import type { TargetDescriptor } from '../target/types.ts';

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
  readonly disposable: boolean;
  /** non-disruptive live evidence: lease row, endpoints, presented certificates, metrics, round trips */
  collectLive(): Promise<Partial<LiveEvidence>>;
  /** timelines this environment can record, by guarantee ID */
  readonly observations: Record<string, Observation>;
  /** guarantee ID → why it cannot be observed live here (becomes a skip reason) */
  readonly unavailable: Record<string, string>;
  /** check settings this environment needs other than the documented defaults (see EnvironmentSetting) */
  readonly settings?: EnvironmentSettings;
  /**
   * area (`fabric`, `corda`) → what runs in place of the real product, where this environment runs a stand-in; every
   * run says so at its start, in its log and in the Allure environment
   */
  readonly standIns?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}
