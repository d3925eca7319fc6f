import type { CatchUpEvent, LeaderSampleEvent, RegionFaultEvent, RestoreEvent, WriteEvent } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import {
  harnessErrors,
  majority,
  names,
  noFabric,
  noTimeline,
  num,
  str,
  summarize,
  timelineOf,
} from './common.ts';
import { againstBound, ratio, settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-03';

interface RegionResult {
  region: string;
  stoppedAt: number;
  members: number;
  remaining: string[];
  leader?: string;
  leaderAfterMs?: number;
  write?: { ok: boolean; ms: number; error?: string };
  restored: boolean;
  caughtUp?: boolean;
  heights?: Record<string, number>;
}

export const check: Check = {
  id: ID,
  title: 'Drill: with any one region stopped the ordering service elects a leader and commits, and the region catches up',
  area: 'fabric',
  kinds: ['drill'],
  guarantee:
    'Drill: with every ordering node of one region stopped, the others elect a leader and commit a new block ' +
    'within a bound; when the region returns, its nodes rejoin and catch up to the same block height. Repeated ' +
    'for each region.',
  evidence: {
    static: null,
    live:
      'leader per channel, a committed write and block heights, recorded on a timeline while the region is ' +
      'down and after it returns',
  },
  violation: 'a layout where one region holds a majority of the consenters: the drill reports the quorum lost',
  sources: [cite(DOCS.ordering, 'Setting up multiregion High Availability (HA) deployments for the ordering service')],
  drill: 'support/drills/fabric-region-loss.ts',
  severity: 'blocker',
  remediation:
    'Spread the consenters so that no region holds a majority (FAB-ORD-02), keep the regions close enough for Raft ' +
    'heartbeats (FAB-ORD-07) and check the restored nodes\' logs for replication errors (TLS, cluster endpoint, ' +
    'certificates) when they do not catch up.',
  needs: ['live.timelines.FAB-ORD-03'],
  evaluate(evidence) {
    const tl = timelineOf(evidence, ID);
    if (!tl) return evidence.fabric ? noTimeline(ID, 'drill') : noFabric(ID);
    if (!tl.events?.length) return verdict.broken(ID, `the ${ID} timeline recorded no events: the drill did not run`, { startedAt: tl.startedAt });
    // The bound is the scenario's (or the descriptor's, or the default), never the drill's own: the drill records
    // how long it waited (`horizonMs`), which only tells whether it looked long enough.
    const boundSetting = settingOf(evidence, 'leaderElectionBoundMs');
    const bound = boundSetting.value;
    const boundText = boundSetting.text;
    const events = [...tl.events].sort((a, b) => a.t - b.t);
    const faults = events.filter((e) => e.kind === 'fault' && e.action === 'stop-region') as RegionFaultEvent[];
    const errors = harnessErrors(tl);
    const failures: string[] = [];
    const brokenReasons: string[] = [];
    const results: RegionResult[] = [];

    for (const f of faults) {
      const region = f.region;
      const members = Array.isArray(f.members) ? f.members : [];
      const remaining = Array.isArray(f.remaining) ? f.remaining : [];
      // `members` is every member (the drill also records `stopped`); count the union so either reading works.
      const paramMembers = Array.isArray(tl.params?.members) ? (tl.params.members as unknown[]).map(String) : [];
      const total = new Set([...paramMembers, ...members, ...remaining]).size;
      const restore = events.find((e) => e.kind === 'restore' && e.region === region && e.t >= f.t) as RestoreEvent | undefined;
      const end = restore?.t ?? Number.POSITIVE_INFINITY;
      const during = events.filter((e) => e.t >= f.t && e.t <= end && e.region === region);
      const samples = during.filter((e) => e.kind === 'sample') as LeaderSampleEvent[];
      const write = during.find((e) => e.kind === 'write') as WriteEvent | undefined;
      const result: RegionResult = { region, stoppedAt: f.t, members: total, remaining, restored: Boolean(restore) };
      results.push(result);
      const quorumNote = remaining.length < majority(total) ? ` (quorum lost: ${remaining.length} remaining < majority ${majority(total)})` : '';

      // Leadership counts once the stop took effect (the drill notes `stopped: true`; before it the old leader still
      // has its majority), and when the next sample or a committed write confirms it: a claimant whose peers just
      // died can report them active for a moment, and such a claim lapses without committing anything.
      const stopDone = (during.find((e) => e.kind === 'note' && e.stopped === true)?.t as number | undefined) ?? f.t;
      const after = samples.filter((s) => s.t >= stopDone);
      const leads = (s: LeaderSampleEvent | undefined): s is LeaderSampleEvent =>
        typeof s?.leader === 'string' && s.leader !== '' && (remaining.length === 0 || remaining.includes(s.leader));
      const elected = after.find(
        (s, i) => leads(s) && ((leads(after[i + 1]) && after[i + 1].leader === s.leader) || (write?.ok === true && write.t >= s.t)),
      );
      const lapsed = after.filter((s) => leads(s) && s !== elected && (!elected || s.t < elected.t)).map((s) => `${s.leader} at ${s.t - f.t} ms`);
      if (elected) {
        result.leader = elected.leader ?? undefined;
        result.leaderAfterMs = elected.t - f.t;
      }
      if (!elected || elected.t - f.t > bound) {
        const lastT = samples.length ? samples[samples.length - 1].t - f.t : 0;
        if (!samples.length) {
          brokenReasons.push(`no leader samples were recorded after region ${region} stopped`);
        } else if (!elected && lastT < bound) {
          const horizon = num(tl.params?.horizonMs);
          brokenReasons.push(
            `leader samples after region ${region} stopped end at ${lastT} ms, before the bound of ${boundText}` +
              (horizon !== undefined && horizon < bound ? ` (the drill waited ${horizon} ms: raise its horizon to at least the bound)` : ''),
          );
        } else {
          failures.push(
            `after region ${region} stopped, no leader among ${remaining.length} of ${total} members within the bound of ${boundText}` +
              (elected ? ` (first leader ${elected.leader} after ${elected.t - f.t} ms, ${ratio(elected.t - f.t, bound)} of the bound)` : '') +
              (lapsed.length ? ` (unconfirmed claims that lapsed: ${summarize(lapsed, 3)})` : '') +
              quorumNote,
          );
        }
      }
      if (write) {
        result.write = { ok: write.ok === true, ms: num(write.ms) ?? NaN, error: str(write.error) };
        if (write.ok !== true) {
          failures.push(`after region ${region} stopped, a write did not commit${write.error ? `: ${write.error}` : ''}${quorumNote}`);
        } else if ((num(write.ms) ?? 0) > bound) {
          failures.push(`after region ${region} stopped, a write committed only after ${againstBound(num(write.ms) ?? 0, bound, boundText)}`);
        }
      } else if (elected) {
        brokenReasons.push(`no write was attempted after region ${region} stopped`);
      }

      if (!restore) {
        brokenReasons.push(`region ${region} was not restored in the timeline: catch-up not observed`);
        continue;
      }
      const catchUp = events.find((e) => e.kind === 'catch-up' && e.region === region && e.t >= restore.t) as CatchUpEvent | undefined;
      if (!catchUp) {
        brokenReasons.push(`no catch-up observation after region ${region} returned`);
        continue;
      }
      const heights = catchUp.heights && typeof catchUp.heights === 'object' ? catchUp.heights : {};
      result.heights = heights;
      const values = Object.values(heights).filter((h): h is number => typeof h === 'number');
      if (values.length) {
        const top = Math.max(...values);
        const behind = Object.entries(heights).filter(([, h]) => h < top);
        result.caughtUp = behind.length === 0;
        if (behind.length) {
          failures.push(
            `after region ${region} returned, ${behind.map(([m, h]) => `${m} (height ${h})`).join(', ')} did not catch up to height ${top}`,
          );
        }
      } else {
        result.caughtUp = catchUp.caughtUp === true;
        if (catchUp.caughtUp !== true) failures.push(`after region ${region} returned, its members did not catch up (no heights recorded)`);
      }
    }

    const expected = Array.isArray(tl.params?.regions) ? (tl.params.regions as unknown[]).map(String) : [];
    const drilled = new Set(faults.map((f) => f.region));
    const missing = expected.filter((r) => !drilled.has(r));
    const out = { boundMs: bound, boundOrigin: boundSetting.origin, regions: results, notDrilled: missing, harnessErrors: errors };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (!faults.length) {
      return verdict.broken(ID, `the ${ID} timeline has no stop-region fault${errors.length ? `; errors: ${summarize(errors, 2)}` : ''}`, out);
    }
    if (missing.length) brokenReasons.push(`the drill did not stop region${missing.length > 1 ? 's' : ''} ${names(missing)}`);
    if (errors.length) brokenReasons.push(`the drill recorded errors: ${summarize(errors, 2)}`);
    if (brokenReasons.length) return verdict.broken(ID, summarize(brokenReasons), out);
    const slowest = results.reduce((a, b) => (Math.max(b.leaderAfterMs ?? 0, b.write?.ms ?? 0) > Math.max(a.leaderAfterMs ?? 0, a.write?.ms ?? 0) ? b : a));
    const worst = Math.max(slowest.leaderAfterMs ?? 0, slowest.write?.ms ?? 0);
    return verdict.passed(
      ID,
      `${results.length} region${results.length > 1 ? 's' : ''} stopped in turn (${names(results.map((r) => r.region))}): each time a new leader ` +
        `among the remaining members and a committed write within ${againstBound(worst, bound, boundText)} ` +
        `(slowest: region ${slowest.region}, new leader after ${slowest.leaderAfterMs} ms, write ${slowest.write?.ms} ms); the restored members caught up`,
      out,
    );
  },
};
