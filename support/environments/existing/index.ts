/**
 * The `existing` environment: attach to a deployment the operator describes in a target descriptor. Read-only:
 * it gathers live evidence from the endpoints the descriptor names and injects no fault, so drills are not
 * available here (they run on environments the harness provisions: local, docker, kind).
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { LiveEvidence } from '../../evidence/model.ts';
import type { Environment, StartedEnvironment } from '../types.ts';
import { loadTarget } from '../../target/load.ts';
import { collectLiveEvidence } from '../../evidence/live/collect.ts';
import { catalogue } from '../../checks/catalogue.ts';

export const NO_FAULT_INJECTOR =
  'an existing deployment has no fault injector: drills run only on environments the harness provisions (local, docker, kind)';

/** Live evidence for `ha-validate --live`. */
export async function attachLive(file: string): Promise<Partial<LiveEvidence>> {
  return collectLiveEvidence(await loadTarget(file, process.env));
}

export function existingEnvironment(file: string | undefined): Environment {
  return {
    name: 'existing',
    async preflight() {
      if (!file) return ['no target descriptor: set HA_TARGET=<path to target.yaml> for the existing profile'];
      if (!existsSync(resolve(file))) return [`the target descriptor ${resolve(file)} does not exist (HA_TARGET)`];
      return [];
    },
    async start(): Promise<StartedEnvironment> {
      const descriptor = await loadTarget(resolve(file!), process.env);
      const unavailable: Record<string, string> = {};
      for (const c of catalogue) if (c.kinds.includes('drill')) unavailable[c.id] = NO_FAULT_INJECTOR;
      return {
        name: 'existing',
        runId: 'existing',
        descriptorFile: descriptor.file,
        descriptor,
        disposable: descriptor.disposable,
        collectLive: () => collectLiveEvidence(descriptor),
        observations: {},
        unavailable,
        stop: async () => undefined,
      };
    },
  };
}
