/**
 * A drill that repeats per region (FAB-ORD-03, FAB-PEER-05) is run once and recorded as one timeline; a Scenario
 * Outline judges one region per example. The scope cuts the timeline down to that region's part, so the same check
 * judges it: the events that name the region, plus those that name none (harness errors, notes) because they may
 * concern every region. `params.regions` narrows to the region, so the check does not call the others missing.
 */
import type { Timeline } from './evidence/model.ts';

export interface Scope {
  region?: string;
}

export function describeScope(scope: Scope | undefined): string {
  return scope?.region ? `region ${scope.region}` : '';
}

export function scopeKey(scope: Scope | undefined): string {
  return scope?.region ? `region=${scope.region}` : '';
}

export function scopeTimeline(timeline: Timeline, scope: Scope | undefined): Timeline {
  const region = scope?.region;
  if (!region) return timeline;
  return {
    ...timeline,
    events: timeline.events.filter((e) => e.region === undefined || e.region === region),
    params: { ...timeline.params, regions: [region] },
  };
}

