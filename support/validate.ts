/**
 * The validation pipeline behind `ha-validate` and the Cucumber steps: descriptor → evidence → checks → report.
 * Read-only: nothing here changes the deployment it looks at.
 */
import { performance } from 'node:perf_hooks';
import type { Evidence, LiveEvidence, Timeline } from './evidence/model.ts';
import { samplingFacts } from './checks/corda-samples.ts';
import type { Verdict } from './checks/types.ts';
import type { TargetDescriptor } from './descriptor/types.ts';
import { loadTarget } from './descriptor/load.ts';
import { collectStaticEvidence } from './evidence/collect.ts';
import { catalogue, evaluateAll } from './checks/catalogue.ts';
import { redact } from './evidence/redact.ts';
import { placeFabric } from './evidence/placement.ts';
import { nowOf } from './checks/common.ts';
import { applyWaivers } from './waivers.ts';
import { withNodeConfigs } from './evidence/fabric/node-config.ts';
import { summarize, type ObservationSummary, type RunReport } from './report/formats.ts';

export interface ValidateOptions {
  /** guarantee IDs to run; all when absent */
  only?: string[];
  /** live evidence gathered by an environment, merged over the static evidence */
  live?: Partial<LiveEvidence>;
  /**
   * How to gather the live evidence from the loaded descriptor (`ha-validate --live`: a read-only attach), so the
   * descriptor is read once; merged over `live`.
   */
  liveOf?: (descriptor: TargetDescriptor) => Promise<Partial<LiveEvidence>>;
  /**
   * An observation window (`observe/index.ts`), run once the static evidence is in (it needs the node.conf facts);
   * its live evidence is merged over `live`.
   */
  observe?: (descriptor: TargetDescriptor, evidence: Evidence) => Promise<Partial<LiveEvidence>>;
  env?: NodeJS.ProcessEnv;
}

export interface ValidateResult {
  descriptor: TargetDescriptor;
  evidence: Evidence;
  report: RunReport;
  /** wall time per stage, ms */
  timings: Record<string, number>;
}

export function mergeLive(evidence: Evidence, live: Partial<LiveEvidence> | undefined): Evidence {
  if (!live) return evidence;
  let fabric = evidence.fabric;
  if (fabric && live.kubernetes?.length) {
    const apiByRegion = new Map(live.kubernetes.map((k) => [k.region, k]));
    const kubernetes = fabric.kubernetes.map((k) => {
      const api = apiByRegion.get(k.region);
      // the API is not asked for ConfigMaps: the manifests' stay, for the configuration files pods mount from them
      return api
        ? { ...api, kubeProxyMode: api.kubeProxyMode ?? k.kubeProxyMode, configMaps: api.configMaps ?? k.configMaps, sources: [...api.sources, ...k.sources] }
        : k;
    });
    for (const api of live.kubernetes) if (!fabric.kubernetes.some((k) => k.region === api.region)) kubernetes.push(api);
    // where the nodes run is what the live clusters show now: place them anew, their claims cross-checked again,
    // and read their configuration from the pods that run now
    fabric = withNodeConfigs(placeFabric({ ...fabric, kubernetes }));
  }
  return {
    ...evidence,
    fabric,
    live: {
      ...evidence.live,
      ...live,
      timelines: { ...evidence.live.timelines, ...(live.timelines ?? {}) },
      ...(evidence.live.unobserved || live.unobserved ? { unobserved: { ...evidence.live.unobserved, ...live.unobserved } } : {}),
    },
  };
}

/**
 * The evidence of a deployment: the static evidence its descriptor points at, with the live evidence merged over
 * it. The one way evidence is collected, by the Cucumber run (support/run.ts) and by `ha-validate` alike.
 */
export async function collectEvidence(descriptor: TargetDescriptor, live?: Partial<LiveEvidence>, staticEvidence?: Evidence): Promise<Evidence> {
  return mergeLive(staticEvidence ?? (await collectStaticEvidence(descriptor)), live);
}

/**
 * The report of a run: each verdict with its catalogue title and severity, the descriptor's waivers applied (at
 * `nowMs`, the run's reference time), secrets redacted, and the observation windows among the timelines.
 */
export function buildReport(
  descriptor: TargetDescriptor,
  verdicts: Verdict[],
  startedAt: Date,
  durationMs: number,
  options: { nowMs?: number; timelines?: Record<string, Timeline> } = {},
): RunReport {
  const byId = new Map(catalogue.map((c) => [c.id, c]));
  const titled = verdicts.map((v) => {
    const c = byId.get(v.id);
    return { ...v, title: c?.title ?? v.id, severity: c?.severity ?? 'normal' };
  });
  const waived = applyWaivers(titled, descriptor.waivers ?? [], options.nowMs ?? Date.now());
  // Secrets never leave the harness: every value expanded from ${ENV} is redacted from everything reported.
  const results = redact(waived.results, descriptor.secrets);
  const observations = observationsOf(options.timelines ?? {}, new Set(verdicts.map((v) => v.id)));
  return {
    target: { name: descriptor.name, file: descriptor.file },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    results,
    summary: summarize(results),
    waivers: redact(waived.outcomes, descriptor.secrets),
    ...(observations.length ? { observations } : {}),
  };
}

/** The observation windows among the timelines (one entry per window, whichever guarantees it served). */
export function observationsOf(timelines: Record<string, Timeline>, judged: Set<string>): ObservationSummary[] {
  const byTimeline = new Map<Timeline, string[]>();
  for (const [id, tl] of Object.entries(timelines)) {
    if (tl.params?.mode !== 'observation' || !judged.has(id)) continue;
    byTimeline.set(tl, [...(byTimeline.get(tl) ?? []), id]);
  }
  return [...byTimeline].map(([tl, ids]) => ({ guarantees: ids.sort(), startedAt: tl.startedAt, ...samplingFacts(tl) }));
}

/** Throws InputError / InputErrors on bad input; never a verdict for a file it could not read. */
export async function validateTarget(file: string, options: ValidateOptions = {}): Promise<ValidateResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const descriptor = await loadTarget(file, options.env ?? process.env);
  timings.load = performance.now() - t0;
  let live = options.live;
  if (options.liveOf) {
    const t = performance.now();
    live = { ...live, ...(await options.liveOf(descriptor)) };
    timings.live = performance.now() - t;
  }
  const t1 = performance.now();
  let evidence = await collectEvidence(descriptor, live);
  timings.collect = performance.now() - t1;
  if (options.observe) {
    const t = performance.now();
    evidence = mergeLive(evidence, await options.observe(descriptor, evidence));
    timings.observe = performance.now() - t;
  }
  const t2 = performance.now();
  const verdicts = evaluateAll(evidence, options.only);
  timings.evaluate = performance.now() - t2;
  const report = buildReport(descriptor, verdicts, startedAt, performance.now() - t0, { nowMs: nowOf(evidence), timelines: evidence.live.timelines });
  return { descriptor, evidence, report, timings };
}
