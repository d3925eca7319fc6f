import type { ChannelConfigInfo, Evidence, NodeConfigInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { consenterName, crossRegionTrips, findOrderer, isRaft, names, noFabric, summarize, unique } from './common.ts';
import { bytesOf, durationMsOf } from '../evidence/fabric/node-config.ts';
import { ratio, settingOf } from '../evidence/settings.ts';
import { unconfigured, valueText, viewBasis, viewsOf } from './fabric-config.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-11';

const LIMIT_KEYS = {
  orderer: { recv: 'General.MaxRecvMsgSize', send: 'General.MaxSendMsgSize' },
  peer: { recv: 'peer.maxRecvMsgSize', send: 'peer.maxSendMsgSize' },
} as const;

interface Judged {
  failures: string[];
  unknown: string[];
  passed: string[];
  facts: Record<string, unknown>;
}

/**
 * The Raft timing of each channel: the tick every consenter runs with (TickIntervalOverride, else the channel's
 * TickInterval) must be one and the same, and the election timeout it gives must be `factor` × the longest round
 * trip: the one FAB-ORD-07 allows (static) and the ones measured (live).
 */
function timing(evidence: Evidence, channels: ChannelConfigInfo[], orderers: NodeConfigInfo[], out: Judged): void {
  const fabric = evidence.fabric!;
  const factor = settingOf(evidence, 'electionTimeoutRoundTrips');
  const allowed = settingOf(evidence, 'maxRoundTripMs');
  const trips = crossRegionTrips(evidence).filter((r) => typeof r.ms === 'number' && Number.isFinite(r.ms) && r.ms >= 0);
  const longest = trips.length ? trips.reduce((a, b) => (b.ms > a.ms ? b : a)) : undefined;
  const method = evidence.live?.roundTripMethod;
  const facts: Array<Record<string, unknown>> = [];
  const passing: Array<{ channel: string; timeout: number; how: string }> = [];
  for (const ch of channels) {
    const o = ch.raftOptions!;
    const tick = durationMsOf(o.tickInterval);
    if (tick === undefined || tick <= 0) {
      out.failures.push(`${ch.name}: TickInterval ${JSON.stringify(o.tickInterval)} is not a positive Go duration (${o.source})`);
      continue;
    }
    // the tick each consenter runs with: its override, else the channel's
    const ticks: Array<{ node: string; ms: number; how: string }> = [];
    const unknown: string[] = [];
    for (const c of ch.consenters) {
      const node = findOrderer(fabric.orderers, c);
      const views = node ? orderers.filter((v) => v.node === node.name) : [];
      if (!views.length) {
        unknown.push(node?.name ?? consenterName(c));
        continue;
      }
      for (const v of views) {
        const ov = v.values['Consensus.TickIntervalOverride'];
        if (!ov || ov.value === null || ov.value === '') {
          if (ov?.value === null && ov.origin !== 'sampleconfig' && ov.origin !== 'built-in') unknown.push(v.node);
          else ticks.push({ node: v.node, ms: tick, how: `TickInterval ${o.tickInterval} of the channel` });
          continue;
        }
        const ms = durationMsOf(ov.value);
        if (ms === undefined || ms <= 0) {
          out.failures.push(`${valueText(v, 'Consensus.TickIntervalOverride')} is not a positive Go duration`);
          continue;
        }
        ticks.push({ node: v.node, ms, how: `TickIntervalOverride ${String(ov.value)} (${ov.origin}: ${ov.source})` });
      }
    }
    const distinct = unique(ticks.map((t) => t.ms));
    if (distinct.length > 1) {
      const groups = distinct.map((ms) => {
        const at = ticks.filter((t) => t.ms === ms);
        return `${ms} ms on ${names(unique(at.map((t) => t.node)))} (${unique(at.map((t) => t.how)).join('; ')})`;
      });
      out.failures.push(
        `${ch.name}: the consenters do not tick alike: ${groups.join(' vs ')}; a TickIntervalOverride that differs between orderers can lose the quorum`,
      );
    }
    const slowest = ticks.length ? Math.min(...ticks.map((t) => t.ms)) : tick;
    const timeout = slowest * o.electionTick;
    const how = `${slowest} ms tick × ElectionTick ${o.electionTick}`;
    const fact: Record<string, unknown> = { channel: ch.name, tickMs: slowest, electionTick: o.electionTick, electionTimeoutMs: timeout, source: o.source };
    const needStatic = factor.value * allowed.value;
    if (timeout < needStatic) {
      out.failures.push(
        `${ch.name}: election timeout ${timeout} ms (${how}) is below ${factor.value} × the ${allowed.value} ms round trip FAB-ORD-07 allows = ${needStatic} ms ` +
          `(electionTimeoutRoundTrips ${factor.text}, maxRoundTripMs ${allowed.text}); ${ratio(needStatic, timeout)} of the timeout`,
      );
    } else {
      passing.push({ channel: ch.name, timeout, how });
    }
    if (longest) {
      const need = factor.value * longest.ms;
      fact.longestRoundTrip = longest;
      if (timeout < need) {
        out.failures.push(
          `${ch.name}: election timeout ${timeout} ms (${how}) is below ${factor.value} × the longest measured round trip ${longest.ms} ms ` +
            `(${longest.from} → ${longest.to}${method ? `, ${method}` : ''}) = ${Math.round(need * 100) / 100} ms; ${ratio(need, timeout)} of the timeout`,
        );
      }
    }
    if (unknown.length) out.unknown.push(`${ch.name}: the tick of ${names(unique(unknown))} is not known (no configuration evidence)`);
    facts.push(fact);
  }
  out.facts.raft = facts;
  // one sentence per distinct timeout, naming its channels
  const needStatic = factor.value * allowed.value;
  for (const timeout of unique(passing.map((p) => p.timeout))) {
    const these = passing.filter((p) => p.timeout === timeout);
    out.passed.push(
      `election timeout ${timeout} ms (${these[0].how}) on ${names(these.map((p) => p.channel), 4)} ≥ ${factor.value} × ${allowed.value} ms allowed round trip = ` +
        `${needStatic} ms (electionTimeoutRoundTrips ${factor.text}; maxRoundTripMs ${allowed.text}); ${ratio(needStatic, timeout)} of the timeout`,
    );
  }
  if (longest && passing.length) {
    const smallest = Math.min(...passing.map((p) => p.timeout));
    const need = factor.value * longest.ms;
    if (need <= smallest) {
      out.passed.push(
        `measured: ${factor.value} × the longest round trip ${longest.ms} ms (${longest.from} → ${longest.to}${method ? `, ${method}` : ''}) = ` +
          `${Math.round(need * 100) / 100} ms, ${ratio(need, smallest)} of the ${smallest} ms timeout`,
      );
    }
  }
}

/**
 * The gRPC limits: one receive and one send limit on every orderer and peer, and each at least `multiple` × the
 * largest block a channel allows (a block travels twice inside one ProposalResponse).
 */
function messageSizes(evidence: Evidence, channels: ChannelConfigInfo[], views: NodeConfigInfo[], out: Judged): void {
  const multiple = settingOf(evidence, 'grpcLimitBlockMultiple');
  const limits: Array<{ view: NodeConfigInfo; dir: 'recv' | 'send'; key: string; bytes: number }> = [];
  const unknown: string[] = [];
  for (const v of views) {
    for (const dir of ['recv', 'send'] as const) {
      const key = LIMIT_KEYS[v.role][dir];
      const cv = v.values[key];
      if (!cv || cv.value === null) {
        unknown.push(`${v.node} ${key}`);
        continue;
      }
      const bytes = bytesOf(cv.value);
      if (bytes === undefined) {
        out.failures.push(`${valueText(v, key)} is not a whole number of bytes`);
        continue;
      }
      // 0 is Fabric's "not set": the built-in 100 MB
      limits.push({ view: v, dir, key, bytes: bytes === 0 ? 104857600 : bytes });
    }
  }
  for (const dir of ['recv', 'send'] as const) {
    const mine = limits.filter((l) => l.dir === dir);
    const distinct = unique(mine.map((l) => l.bytes)).sort((a, b) => b - a);
    if (distinct.length > 1) {
      const most = distinct.map((b) => [b, mine.filter((l) => l.bytes === b)] as const).sort((a, b) => b[1].length - a[1].length);
      const [common, ...others] = most;
      out.failures.push(
        `the gRPC ${dir === 'recv' ? 'receive' : 'send'} limits differ: ${common[0]} bytes on ${common[1].length} nodes, but ` +
          others.map(([b, ls]) => `${b} on ${names(ls.map((l) => `${l.view.node} (${l.view.values[l.key].origin}: ${l.view.values[l.key].source})`), 3)}`).join('; '),
      );
    }
  }
  if (!limits.length) {
    if (unknown.length) out.unknown.push(`no gRPC message limit is known (${names(unknown, 4)})`);
    return;
  }
  const smallest = limits.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const blocks = channels.filter((c) => c.batchSize);
  const against = `the smallest gRPC limit, ${smallest.bytes} bytes (${valueText(smallest.view, smallest.key)}); grpcLimitBlockMultiple ${multiple.text}`;
  for (const block of unique(blocks.map((c) => c.batchSize!.absoluteMaxBytes))) {
    const these = blocks.filter((c) => c.batchSize!.absoluteMaxBytes === block).map((c) => c.name);
    const need = block * multiple.value;
    const what = `${names(these, 4)}: BatchSize AbsoluteMaxBytes ${block} × ${multiple.value} = ${need} bytes`;
    if (need > smallest.bytes) out.failures.push(`${what} is above ${against}; ${ratio(need, smallest.bytes)} of the limit`);
    else out.passed.push(`${what} ≤ ${against}; ${ratio(need, smallest.bytes)} of the limit`);
  }
  out.passed.push(`gRPC limits alike on ${unique(limits.map((l) => l.view.node)).length} nodes (${unique(limits.map((l) => l.bytes)).join(', ')} bytes)`);
  if (unknown.length) out.unknown.push(`gRPC limits not known: ${names(unknown, 4)}`);
  out.facts.grpcLimits = limits.map((l) => ({ node: l.view.node, key: l.key, bytes: l.bytes, origin: l.view.values[l.key].origin, source: l.view.values[l.key].source }));
  out.facts.batchSizes = blocks.map((c) => ({ channel: c.name, ...c.batchSize }));
}

export const check: Check = {
  id: ID,
  title: 'Raft timing and message sizes fit the network and are the same on every node',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'Raft timing and message sizes fit the network and agree everywhere: the election timeout (TickInterval × ' +
    'ElectionTick) is well above the round trip between regions (by a documented factor, default 10); every ' +
    'consenter of a channel ticks alike (any TickIntervalOverride is the same on every orderer); and every gRPC ' +
    'message limit is the same on orderers and peers and at least twice the largest block a channel allows ' +
    '(BatchSize AbsoluteMaxBytes).',
  evidence: {
    static:
      'the etcdraft Options and BatchSize of every channel configuration, and each orderer\'s and peer\'s configuration ' +
      '(container env, mounted orderer.yaml / core.yaml, Fabric\'s sampleconfig defaults; or the file the descriptor names)',
    live: 'the round trips the ordering nodes measure between regions (as FAB-ORD-07), against the election timeout',
  },
  violation: 'one orderer with its own TickIntervalOverride; a peer with a smaller gRPC receive limit than the block size allows',
  sources: [
    cite(DOCS.raftConfiguration, 'Local configuration'),
    cite(DOCS.raftConfiguration, 'Channel configuration'),
    cite(DOCS.etcdTuning, 'Time parameters'),
    cite(DOCS.blockSizeGrpcLimit, 'Description'),
  ],
  severity: 'critical',
  remediation:
    'Keep TickInterval × ElectionTick at least settings.electionTimeoutRoundTrips times the longest round trip between ' +
    'regions (raise ElectionTick or TickInterval by a channel config update, or move the regions closer); remove a ' +
    'TickIntervalOverride, or set the same one on every orderer; set one MaxRecvMsgSize / MaxSendMsgSize on all ' +
    'orderers (General.*) and peers (peer.*), and keep BatchSize.AbsoluteMaxBytes at most half of it (Fabric\'s ' +
    'default 100 MB limit allows blocks of up to 50 MB; its sample configuration uses 10 MB).',
  needs: ['fabric.channels', 'fabric.orderers', 'fabric.orgs', 'live.roundTrips'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = (fabric.channels ?? []).filter((c) => isRaft(c.consensusType));
    const raft = channels.filter((c) => c.raftOptions);
    const orderers = viewsOf(fabric, 'orderer');
    const peers = viewsOf(fabric, 'peer');
    const views = [...orderers, ...peers];
    if (!raft.length && !views.length) {
      return verdict.skipped(
        ID,
        'no etcdraft options in any channel configuration and no configuration of any ordering node or peer (no Kubernetes manifests show them and the descriptor names no config files): nothing to judge',
      );
    }
    const out: Judged = { failures: [], unknown: [], passed: [], facts: {} };
    timing(evidence, raft, orderers, out);
    if (views.length) messageSizes(evidence, channels, views, out);
    else out.unknown.push('no configuration of any ordering node or peer: the gRPC limits and TickIntervalOverride are not judged');
    const problems = unique(views.flatMap((v) => v.problems));
    const missing = [...unconfigured(fabric, 'orderer'), ...unconfigured(fabric, 'peer')];
    const evidenceOut = {
      ...out.facts,
      notJudged: out.unknown,
      ...(problems.length ? { configurationProblems: problems } : {}),
      ...(missing.length ? { withoutConfiguration: missing } : {}),
    };
    if (out.failures.length) return verdict.failed(ID, summarize(out.failures), evidenceOut);
    if (!out.passed.length) {
      // there was configuration to read, and none of it could be
      return verdict.broken(ID, `could not read what FAB-ORD-11 judges: ${summarize([...out.unknown, ...problems], 3)}`, evidenceOut);
    }
    const basis = views.length ? `; node configuration: ${viewBasis(views)}` : '';
    const notes = [
      ...out.unknown,
      ...(missing.length ? [`no configuration for ${names(missing, 4)}`] : []),
      ...(problems.length ? [`not readable: ${summarize(problems, 2)}`] : []),
    ];
    return verdict.passed(ID, `${summarize(out.passed, 6)}${basis}${notes.length ? `; not judged: ${summarize(notes, 3)}` : ''}`, evidenceOut);
  },
};
