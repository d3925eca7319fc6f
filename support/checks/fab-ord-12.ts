import type { NodeStorageInfo, RestartCatchUpEvent, RestartFaultEvent, Timeline, TimelineEvent } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { harnessErrors, names, noFabric, num, str, summarize, timelineOf, unique } from './common.ts';
import { ORDERER_DATA_KEYS } from '../evidence/fabric/node-config.ts';
import { againstBound, settingOf, type AppliedSetting } from '../evidence/settings.ts';
import { unconfigured, viewsOf } from './fabric-config.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-12';

interface RestartResult {
  region: string;
  member: string;
  restartedAt: number;
  caughtUpAfterMs?: number;
  exited?: string;
  heights?: Record<string, number>;
}

/** The restart drill's timeline: each restarted member rejoined and caught up within the bound. */
function judgeDrill(tl: Timeline, bound: AppliedSetting, failures: string[], broken: string[]): { results: RestartResult[]; text?: string } {
  const events = [...tl.events].sort((a, b) => a.t - b.t);
  const faults = events.filter((e) => e.kind === 'fault' && e.action === 'restart') as RestartFaultEvent[];
  const horizon = num(tl.params?.horizonMs);
  const who = tl.params?.probe === 'etcd' ? 'etcd member (the local stand-in: the Raft library Fabric uses)' : 'ordering node';
  const results: RestartResult[] = [];
  for (const f of faults) {
    const member = f.member;
    const of = (e: TimelineEvent) => e.member === member && e.t >= f.t;
    const restore = events.find((e) => e.kind === 'restore' && of(e));
    const write = events.find((e) => e.kind === 'write' && of(e) && (!restore || e.t <= restore.t));
    const exit = events.find((e) => e.kind === 'exit' && of(e));
    const catchUp = events.find((e) => e.kind === 'catch-up' && of(e)) as RestartCatchUpEvent | undefined;
    const r: RestartResult = { region: f.region, member, restartedAt: f.t };
    results.push(r);
    const label = `${member} (${f.region})`;
    if (write && write.ok !== true) {
      broken.push(`while ${label} was down the others committed nothing (${str(write.error) ?? 'no write'}): its catch-up shows little`);
    }
    if (!restore) {
      broken.push(`${label} was not started again in the timeline`);
      continue;
    }
    if (exit) {
      r.exited = str(exit.message) ?? 'exited';
      failures.push(`${label} exited ${exit.t - restore.t} ms after it was started again, instead of rejoining: ${r.exited}`);
      continue;
    }
    if (!catchUp) {
      broken.push(`no catch-up observation after ${label} was started again`);
      continue;
    }
    r.heights = catchUp.heights;
    const waited = catchUp.t - restore.t;
    if (catchUp.caughtUp === true) {
      const ms = num(catchUp.ms) ?? waited;
      r.caughtUpAfterMs = ms;
      if (ms > bound.value) failures.push(`${label} rejoined and caught up only after ${againstBound(ms, bound.value, bound.text)}`);
      continue;
    }
    const last = str(catchUp.lastState) ?? 'not caught up';
    if (waited < bound.value) {
      broken.push(
        `${label} had not caught up when the drill stopped looking ${waited} ms after it was started again (${last}), before the bound of ${bound.text}` +
          (horizon !== undefined && horizon < bound.value ? `: the drill waited ${horizon} ms, raise its horizon to at least the bound` : ''),
      );
    } else {
      failures.push(`${label}, started again with its data directory, did not rejoin and catch up within ${bound.text} (${last})`);
    }
  }
  const expected = Array.isArray(tl.params?.regions) ? (tl.params.regions as unknown[]).map(String) : [];
  const missing = expected.filter((region) => !faults.some((f) => f.region === region));
  if (missing.length) broken.push(`the drill restarted no ordering node in ${names(missing)}`);
  const errors = harnessErrors(tl);
  if (errors.length) broken.push(`the drill recorded errors: ${summarize(errors, 2)}`);
  if (!faults.length) {
    broken.push(`the ${ID} timeline has no restart`);
    return { results };
  }
  const done = results.filter((r) => r.caughtUpAfterMs !== undefined);
  if (!done.length) return { results };
  const slowest = done.reduce((a, b) => (b.caughtUpAfterMs! > a.caughtUpAfterMs! ? b : a));
  return {
    results,
    text:
      `restarted one ${who} per region with its data (${names(done.map((r) => `${r.member} in ${r.region}`))}; ${str(tl.params?.method) ?? 'stopped and started'}): ` +
      `each rejoined and caught up within ${againstBound(slowest.caughtUpAfterMs!, bound.value, bound.text)} (slowest ${slowest.member})`,
  };
}

export const check: Check = {
  id: ID,
  title: 'Ordering state survives a restart: data on persistent volumes, and a restarted node rejoins and catches up',
  area: 'fabric',
  kinds: ['static', 'drill'],
  guarantee:
    'Every ordering node keeps its Raft write-ahead log, its snapshots and its block ledger (Consensus.WALDir, ' +
    'Consensus.SnapDir, FileLedger.Location) on persistent volumes — not an emptyDir, not the container layer — and ' +
    'an ordering node restarted with its volume rejoins the consenters and catches up to their height within a bound.',
  evidence: {
    static: "each ordering node's configured data directories and the volume mounted there (claim, claim template, emptyDir, hostPath or none)",
    live: 'drill: one ordering node of each region stopped and started again with its data; its height against the others recorded until it catches up',
  },
  violation:
    "the WAL on an emptyDir (or in the container layer): after a pod restart the node's Raft log is gone and it panics with \"tocommit(N) is out of range\"",
  sources: [cite(DOCS.ordererDeploy, 'Storage'), cite(DOCS.raftConfiguration, 'Local configuration'), cite(DOCS.raftLogLost, 'Discussion')],
  drill: 'support/drills/fabric-restart.ts',
  severity: 'blocker',
  remediation:
    'Mount a PersistentVolumeClaim (a StatefulSet volumeClaimTemplate) at the directory that holds FileLedger.Location, ' +
    'Consensus.WALDir and Consensus.SnapDir (default /var/hyperledger/production/orderer); never an emptyDir or ' +
    'hostPath. A node that lost its WAL cannot rejoin by itself: remove it from the consenters and add it again (or ' +
    'restore its volume), as the Raft reconfiguration guide describes.',
  needs: ['fabric.orderers', 'fabric.kubernetes', 'live.timelines.FAB-ORD-12'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const failures: string[] = [];
    const broken: string[] = [];
    const notJudged: string[] = [];

    // static: what holds each configured directory
    const views = viewsOf(fabric, 'orderer');
    const storage: Array<{ node: string; key: string; view: string } & NodeStorageInfo> = [];
    for (const v of views) {
      for (const key of ORDERER_DATA_KEYS) {
        const s = v.storage[key];
        if (s) storage.push({ node: v.node, key, view: v.source, ...s });
      }
    }
    // one sentence per node and what holds its directories
    const bad = storage.filter((s) => s.kind === 'ephemeral' || s.kind === 'container-layer' || s.kind === 'node-local');
    for (const group of unique(bad.map((s) => `${s.node}\u0000${s.detail}\u0000${s.source}`))) {
      const these = bad.filter((s) => `${s.node}\u0000${s.detail}\u0000${s.source}` === group);
      const s = these[0];
      const dirs = these.map((x) => `${x.key} ${x.path || '(unknown path)'}`).join(', ');
      const why = s.kind === 'node-local' ? 'rescheduled elsewhere the pod starts without it' : 'a restarted pod starts without its Raft log';
      failures.push(`${s.node}: ${dirs} ${these.length > 1 ? 'are' : 'is'} on ${s.detail} (${s.source}): ${why}`);
    }
    const persistent = storage.filter((s) => s.kind === 'persistent');
    const unknown = storage.filter((s) => s.kind === 'unknown');
    if (unknown.length) notJudged.push(`volumes not shown for ${names(unique(unknown.map((s) => s.node)), 4)} (${unknown[0].detail})`);
    const missing = unconfigured(fabric, 'orderer');
    if (missing.length) notJudged.push(`no configuration evidence for ${names(missing, 4)}`);

    // the drill
    const bound = settingOf(evidence, 'restartCatchUpBoundMs');
    const tl = timelineOf(evidence, ID);
    let drill: ReturnType<typeof judgeDrill> | undefined;
    if (tl) {
      if (!tl.events?.length) broken.push(`the ${ID} timeline recorded no events: the drill did not run`);
      else drill = judgeDrill(tl, bound, failures, broken);
    }
    const out = {
      boundMs: bound.value,
      boundOrigin: bound.origin,
      storage: storage.map(({ node, key, path, kind, detail, source }) => ({ node, key, path, kind, detail, source })),
      ...(drill ? { restarts: drill.results } : {}),
      notJudged,
    };
    if (failures.length) return verdict.failed(ID, summarize(failures), out);
    if (broken.length) return verdict.broken(ID, summarize(broken), out);
    const parts: string[] = [];
    if (persistent.length) {
      const nodes = unique(persistent.map((s) => s.node));
      parts.push(`${nodes.length} ordering nodes keep ${ORDERER_DATA_KEYS.join(', ')} on persistent volumes (${unique(persistent.map((s) => s.detail.replace(/\s*\(.*?\)/, ''))).slice(0, 2).join('; ')})`);
    }
    if (drill?.text) parts.push(drill.text);
    if (!parts.length) {
      const why = evidence.live?.unobserved?.[ID];
      return verdict.skipped(
        ID,
        `neither the volumes behind the ordering nodes' data directories (${notJudged.length ? summarize(notJudged, 2) : 'no configuration evidence'}) nor a restart drill ` +
          `(${why ?? 'drills run where the harness provisions the target: npx cucumber-js on the local or kind profile'}) shows whether ordering state survives a restart`,
        out,
      );
    }
    if (!tl) parts.push('no restart drill (static evidence only)');
    return verdict.passed(ID, `${parts.join('; ')}${notJudged.length ? `; not judged: ${summarize(notJudged, 2)}` : ''}`, out);
  },
};

