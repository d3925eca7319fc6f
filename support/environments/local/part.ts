import type { LiveEvidence } from '../../evidence/model.ts';
import type { EnvironmentSettings } from '../types.ts';
import type { Observation } from '../../drills/observation.ts';
import type { Resources } from '../common/resources.ts';

/**
 * The embedded local environment is made of two parts, Corda and Fabric, started once and held together by
 * `local/index.ts`. Each part writes its own files into a temp dir of `resources`, starts its processes through
 * `resources` (so they are released on stop, failure and Ctrl-C), and returns the descriptor sections for what
 * it started.
 */
export interface LocalPartOptions {
  resources: Resources;
  /** a broken variant by name, or undefined for the reference; a part ignores variants it does not know */
  variant?: string;
  /** compressed timings and other knobs, from the environment's configuration (each part documents its own) */
  settings: Record<string, unknown>;
  /** progress lines for people (stderr in scripts, attachments in Cucumber) */
  log: (line: string) => void;
}

export interface StartedLocalPart {
  /**
   * Descriptor sections, YAML-ready, with ABSOLUTE paths: `regions` (Fabric), `fabric`, `corda`, `live`.
   * The environment merges the parts and writes one target.yaml.
   */
  descriptor: Record<string, unknown>;
  /** check settings this part needs other than the documented defaults, with the reason (not in the descriptor) */
  checkSettings?: EnvironmentSettings;
  /** non-disruptive live evidence */
  collectLive(): Promise<Partial<LiveEvidence>>;
  observations: Record<string, Observation>;
  unavailable: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalPart {
  name: 'corda' | 'fabric';
  /** what this part runs in place of the real product (see `StartedEnvironment.standIns`) */
  standIn: string;
  /** the variant names this part implements, each with a one-line description */
  variants: Record<string, string>;
  /** what is missing on this machine for this part (one line each, with the install command); [] = ready */
  preflight(): Promise<string[]>;
  start(options: LocalPartOptions): Promise<StartedLocalPart>;
}
