/**
 * Picks the environment for a run. Configuration is merged defaults → environment variables (the Cucumber
 * profile sets HA_ENVIRONMENT), so `npx cucumber-js` with no flags runs on the embedded local environment.
 */
import type { Environment } from './types.ts';
import { localEnvironment } from './local/index.ts';
import { existingEnvironment } from './existing/index.ts';
import { kindEnvironment } from './kind/index.ts';
import { kindOptionsFromEnv } from './kind/options.ts';
import { dockerEnvironment } from './docker/index.ts';

export const ENVIRONMENT_NAMES = ['local', 'docker', 'kind', 'existing'] as const;

export interface EnvironmentChoice {
  name: string;
  variant?: string;
  /** drills may run even where the target is not marked disposable */
  allowDisruptive: boolean;
  settings: Record<string, unknown>;
  /** local environment: which parts to start (HA_LOCAL_PARTS=corda,fabric); both when absent */
  parts?: Array<'corda' | 'fabric'>;
}

export function choiceFromEnv(env: NodeJS.ProcessEnv = process.env): EnvironmentChoice {
  let settings: Record<string, unknown> = {};
  if (env.HA_LOCAL_SETTINGS) {
    try {
      settings = JSON.parse(env.HA_LOCAL_SETTINGS) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`HA_LOCAL_SETTINGS is not valid JSON: ${(err as Error).message}`);
    }
  }
  return {
    name: env.HA_ENVIRONMENT || 'local',
    variant: env.HA_LOCAL_VARIANT || undefined,
    allowDisruptive: /^(1|true|yes)$/i.test(env.HA_ALLOW_DISRUPTIVE ?? ''),
    settings,
    parts: parseParts(env.HA_LOCAL_PARTS),
  };
}

function parseParts(value: string | undefined): Array<'corda' | 'fabric'> | undefined {
  if (!value) return undefined;
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => p !== 'corda' && p !== 'fabric');
  if (bad.length) throw new Error(`HA_LOCAL_PARTS: unknown part(s) ${bad.join(', ')}; known: corda, fabric`);
  return parts as Array<'corda' | 'fabric'>;
}

/**
 * One plain line saying what runs in place of the real products, or undefined when nothing does, e.g. "the local
 * environment runs stand-ins: Fabric: etcd Raft members and TLS peers, not Fabric orderers and peers".
 */
export function describeStandIns(environment: string, standIns: Readonly<Record<string, string>> | undefined): string | undefined {
  const entries = Object.entries(standIns ?? {});
  if (!entries.length) return undefined;
  const area = (a: string) => (a === 'fabric' ? 'Fabric' : a === 'corda' ? 'Corda' : a);
  return `the ${environment} environment runs stand-ins: ${entries.map(([a, what]) => `${area(a)}: ${what}`).join('; ')}`;
}

export function environmentFor(choice: EnvironmentChoice, log?: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Environment {
  switch (choice.name) {
    case 'local':
      return localEnvironment({ variant: choice.variant, settings: choice.settings, parts: choice.parts, log });
    case 'existing':
      return existingEnvironment(env.HA_TARGET, env);
    case 'docker':
      return dockerEnvironment({ variant: choice.variant, settings: choice.settings, log, env });
    case 'kind':
      return kindEnvironment(kindOptionsFromEnv(env, log));
    default:
      throw new Error(`unknown environment "${choice.name}" (HA_ENVIRONMENT); known: ${ENVIRONMENT_NAMES.join(', ')}`);
  }
}
