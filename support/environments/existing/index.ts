/**
 * The `existing` environment: attach to a deployment the operator describes in a target descriptor. Read-only:
 * it gathers live evidence from the endpoints the descriptor names and injects no fault, so drills are not
 * available here (they run on environments the harness provisions: local, docker, kind). What it can observe
 * without a fault it does: one observation window (`observe/index.ts`) serves CORDA-HA-01 and CORDA-LB-02, run
 * the first time a scenario needs it (HA_OBSERVE_WINDOW long, default 30 s) and ended early when the run stops.
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Evidence, LiveEvidence, Timeline } from '../../evidence/model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import type { Environment, StartedEnvironment } from '../types.ts';
import type { Observation } from '../../drills/observation.ts';
import { loadTarget } from '../../descriptor/load.ts';
import { collectStaticEvidence } from '../../evidence/collect.ts';
import { collectLiveEvidence } from '../../evidence/live/collect.ts';
import { observationWindow } from '../../observe/limits.ts';

export const NO_FAULT_INJECTOR =
  'an existing deployment has no fault injector: drills run only on environments the harness provisions (local, docker, kind)';

/**
 * The observation window's guarantees as observations of this environment: one window, run on first need and
 * shared by both checks. What the descriptor does not let it observe is `unavailable`, with the reason.
 */
async function windowObservations(
  descriptor: TargetDescriptor,
  evidence: Evidence,
  windowMs: number,
  signal: AbortSignal,
): Promise<{ observations: Record<string, Observation>; unavailable: Record<string, string> }> {
  if (!descriptor.corda) return { observations: {}, unavailable: {} };
  const { observeDeployment, cordaObservationTarget } = await import('../../observe/index.ts');
  const probe = cordaObservationTarget(descriptor, evidence.corda!);
  await probe.close();
  let window: Promise<Partial<LiveEvidence>> | undefined;
  const observe = () => (window ??= observeDeployment(descriptor, evidence, { windowMs, signal, only: ['CORDA-HA-01', 'CORDA-LB-02'] }).then((r) => r.live));
  const of = (id: string): Observation => ({
    id,
    disruptive: false,
    run: async (): Promise<Timeline> => {
      const timeline = (await observe()).timelines?.[id];
      if (!timeline) throw new Error(`the observation window recorded no timeline for ${id}`);
      return timeline;
    },
  });
  return { observations: { 'CORDA-HA-01': of('CORDA-HA-01'), 'CORDA-LB-02': of('CORDA-LB-02') }, unavailable: probe.unobserved };
}

export function existingEnvironment(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Environment {
  return {
    name: 'existing',
    async preflight() {
      if (!file) return ['no target descriptor: set HA_TARGET=<path to target.yaml> for the existing profile'];
      if (!existsSync(resolve(file))) return [`the target descriptor ${resolve(file)} does not exist (HA_TARGET)`];
      try {
        observationWindow(env.HA_OBSERVE_WINDOW, 'HA_OBSERVE_WINDOW');
      } catch (err) {
        return [(err as Error).message];
      }
      return [];
    },
    async start(): Promise<StartedEnvironment> {
      const descriptor = await loadTarget(resolve(file!), env);
      const stopping = new AbortController();
      // read once: the observation window plans from it, and the run judges it
      const staticEvidence = await collectStaticEvidence(descriptor);
      const window = await windowObservations(descriptor, staticEvidence, observationWindow(env.HA_OBSERVE_WINDOW, 'HA_OBSERVE_WINDOW'), stopping.signal);
      return {
        name: 'existing',
        runId: 'existing',
        descriptorFile: descriptor.file,
        descriptor,
        staticEvidence,
        disposable: descriptor.disposable,
        collectLive: () => collectLiveEvidence(descriptor),
        observations: window.observations,
        unavailable: window.unavailable,
        drillsUnavailable: NO_FAULT_INJECTOR,
        // an observation window in progress ends at once; it holds nothing else
        stop: async () => stopping.abort(),
      };
    },
  };
}
