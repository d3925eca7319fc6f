/**
 * The validation pipeline behind `ha-validate` and the Cucumber steps: descriptor → evidence → checks → report.
 * Read-only: nothing here changes the deployment it looks at.
 */
import { performance } from 'node:perf_hooks';
import type { Evidence, LiveEvidence } from './evidence/model.ts';
import type { Verdict } from './checks/types.ts';
import type { TargetDescriptor } from './target/types.ts';
import { loadTarget } from './target/load.ts';
import { collectStaticEvidence } from './evidence/collect.ts';
import { catalogue, evaluateAll } from './checks/catalogue.ts';
import { redact } from './evidence/redact.ts';
import { nowOf } from './checks/common.ts';
import { applyWaivers } from './waivers.ts';
import { summarize, type RunReport } from './report/formats.ts';

export interface ValidateOptions {
  /** guarantee IDs to run; all when absent */
  only?: string[];
  /** live evidence gathered by an environment (or a read-only attach), merged over the static evidence */
  live?: Partial<LiveEvidence>;
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
      return api ? { ...api, kubeProxyMode: api.kubeProxyMode ?? k.kubeProxyMode, sources: [...api.sources, ...k.sources] } : k;
    });
    for (const api of live.kubernetes) if (!fabric.kubernetes.some((k) => k.region === api.region)) kubernetes.push(api);
    fabric = { ...fabric, kubernetes };
  }
  return {
    ...evidence,
    fabric,
    live: { ...evidence.live, ...live, timelines: { ...evidence.live.timelines, ...(live.timelines ?? {}) } },
  };
}

/**
 * The report of a run: each verdict with its catalogue title and severity, the descriptor's waivers applied (at
 * `nowMs`, the run's reference time), secrets redacted.
 */
export function buildReport(descriptor: TargetDescriptor, verdicts: Verdict[], startedAt: Date, durationMs: number, nowMs = Date.now()): RunReport {
  const byId = new Map(catalogue.map((c) => [c.id, c]));
  const titled = verdicts.map((v) => {
    const c = byId.get(v.id);
    return { ...v, title: c?.title ?? v.id, severity: c?.severity ?? 'normal' };
  });
  const waived = applyWaivers(titled, descriptor.waivers ?? [], nowMs);
  // Secrets never leave the harness: every value expanded from ${ENV} is redacted from everything reported.
  const results = redact(waived.results, descriptor.secrets);
  return {
    target: { name: descriptor.name, file: descriptor.file },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    results,
    summary: summarize(results),
    waivers: redact(waived.outcomes, descriptor.secrets),
  };
}

/** Throws InputError / InputErrors on bad input; never a verdict for a file it could not read. */
export async function validateTarget(file: string, options: ValidateOptions = {}): Promise<ValidateResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const descriptor = await loadTarget(file, options.env ?? process.env);
  timings.load = performance.now() - t0;
  const t1 = performance.now();
  const collected = await collectStaticEvidence(descriptor);
  timings.collect = performance.now() - t1;
  const evidence = mergeLive(collected, options.live);
  const t2 = performance.now();
  const verdicts = evaluateAll(evidence, options.only);
  timings.evaluate = performance.now() - t2;
  const report = buildReport(descriptor, verdicts, startedAt, performance.now() - t0, nowOf(evidence));
  return { descriptor, evidence, report, timings };
}
