/**
 * FAB-PEER-05 drill: for each region in turn, take the region down (its peers and its gateway Services), and for
 * each organization query the channel through every name a client of that organization knows (its gateway
 * Services, then its peers' host names), names outside the lost region first. The query event says which peer
 * answered, or what every attempt met. Then the region returns and the drill waits until it answers again.
 *
 * Timeline (contract in model.ts): fault {action:'stop-region', region, stopped} → note {confirmedDown} →
 * query {region, org, peer, ok, error?} per organization → restore {region} → note {back}.
 * params: { orgs, regions, channel, queryBoundMs }.
 */
import type { PeerQueryEvent, RestoreEvent, Timeline } from '../evidence/model.ts';
import { askPeer, type AskResult, type PeerTarget } from './peer-client.ts';
import { TimelineRecorder, pollUntil } from './timeline-recorder.ts';

export interface PeerRegionFaults {
  /** take the region down; returns what was stopped, for the record */
  stopRegion(region: string): Promise<string[]>;
  startRegion(region: string): Promise<void>;
}

/** One name by which a client reaches an organization's peers. */
export interface OrgEndpoint {
  org: string;
  /** the region the name leads into */
  region: string;
  kind: 'gateway' | 'peer';
  target: PeerTarget;
}

export interface PeerRegionLossOptions {
  regions: string[];
  orgs: string[];
  endpoints: OrgEndpoint[];
  faults: PeerRegionFaults;
  channel: string;
  /** how long each organization's query may keep trying, ms */
  queryBoundMs: number;
  /** ≤ 50 */
  sampleIntervalMs: number;
  /** how long the region may take to answer again after it returns, ms */
  restoreBoundMs: number;
  requestTimeoutMs?: number;
  /**
   * How to ask an endpoint (default: the local stand-ins' line protocol, `askPeer`); `query` asks for the
   * channel's ledger too. A real deployment passes `askRealPeer` (`fabric-peer-probe.ts`).
   */
  ask?: (e: OrgEndpoint, query: boolean, timeoutMs: number) => Promise<AskResult>;
}

const ID = 'FAB-PEER-05';

function label(e: OrgEndpoint): string {
  return `${e.kind} ${e.target.name}${e.kind === 'gateway' ? `@${e.region}` : ''}`;
}

export async function runPeerRegionLossDrill(o: PeerRegionLossOptions): Promise<Timeline> {
  const rec = new TimelineRecorder(ID);
  const interval = Math.min(50, o.sampleIntervalMs);
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const params = { orgs: o.orgs, regions: o.regions, channel: o.channel, queryBoundMs: o.queryBoundMs, sampleIntervalMs: interval };
  const ask = o.ask ?? ((e: OrgEndpoint, query: boolean, ms: number) => askPeer(e.target, query ? `QUERY ${o.channel}` : undefined, ms));
  const answers = async (e: OrgEndpoint) => (await ask(e, false, timeoutMs)).answeredBy !== null;
  let down: string | undefined;
  try {
    for (const region of o.regions) {
      const inRegion = o.endpoints.filter((e) => e.region === region);
      const fault = rec.record({ kind: 'fault', action: 'stop-region', region, stopped: [] as string[] });
      down = region;
      fault.stopped = await o.faults.stopRegion(region);

      // The fault took: nothing in the region answers any more.
      const still = (await Promise.all(inRegion.map(async (e) => ((await answers(e)) ? label(e) : undefined)))).filter(Boolean);
      rec.record({ kind: 'note', region, confirmedDown: still.length === 0, ...(still.length ? { stillAnswering: still } : {}) });
      if (still.length) rec.error(`region ${region} was stopped but ${still.join(', ')} still answer`, { region });

      for (const org of o.orgs) {
        const mine = o.endpoints.filter((e) => e.org === org);
        const ordered = [...mine.filter((e) => e.region !== region), ...mine.filter((e) => e.region === region)];
        const start = rec.now();
        let attempts = 0;
        let lastErrors: string[] = [];
        const hit = await pollUntil(o.queryBoundMs, interval, async () => {
          lastErrors = [];
          for (const e of ordered) {
            attempts++;
            const r = await ask(e, true, timeoutMs);
            if (r.answeredBy && !r.error) return { e, r };
            lastErrors.push(`${label(e)}: ${r.error ?? 'no answer'}`);
          }
          return undefined;
        });
        rec.record<PeerQueryEvent>(
          hit
            ? {
                kind: 'query',
                region,
                org,
                peer: hit.r.answeredBy,
                ok: true,
                via: label(hit.e),
                peerRegion: hit.r.info?.region,
                height: hit.r.answer?.height,
                attempts,
                ms: Math.round(rec.now() - start),
              }
            : {
                kind: 'query',
                region,
                org,
                peer: null,
                ok: false,
                error: mine.length
                  ? `with region ${region} down, no peer of ${org} answered a query on ${o.channel} within ${o.queryBoundMs} ms: ${lastErrors.join('; ')}`
                  : `${org} has no gateway Service or peer to query`,
                attempts,
                ms: Math.round(rec.now() - start),
              },
          start,
        );
      }

      rec.record<RestoreEvent>({ kind: 'restore', region });
      await o.faults.startRegion(region);
      down = undefined;
      const back = await pollUntil(o.restoreBoundMs, interval, async () => ((await Promise.all(inRegion.map(answers))).every(Boolean) ? true : undefined));
      rec.record({ kind: 'note', region, back: back === true });
      if (!back) rec.error(`region ${region} did not answer again within ${o.restoreBoundMs} ms of its return`, { region });
    }
  } catch (err) {
    rec.error(`the drill stopped: ${(err as Error).message}`);
  } finally {
    if (down) {
      const region = down;
      rec.record<RestoreEvent>({ kind: 'restore', region, rollback: true });
      await o.faults.startRegion(region).catch((err: unknown) => rec.error(`restoring region ${region} failed: ${(err as Error).message}`, { region }));
    }
  }
  return rec.timeline(params);
}
