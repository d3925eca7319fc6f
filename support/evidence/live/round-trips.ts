/**
 * FAB-ORD-07's evidence: round trips between ordering nodes of different regions, as the ordering nodes measure
 * them themselves, or as the operator measured them. The harness never times its own connections to the nodes:
 * its distance to each node says nothing about the nodes' distance to each other.
 *
 * Sources, the first the descriptor offers:
 *
 * 1. an operator's measurement file, `fabric.roundTripMeasurements` (format below): the operator's explicit word;
 * 2. Fabric orderers' operations endpoints (`fabric.ordering[].nodes[].operations`): the histogram
 *    `cluster_comm_msg_send_time{host, channel}` (seconds) each orderer keeps per remote cluster endpoint (`host` is
 *    the remote node's `host:port`). Per remote node, the channels are added up and the figure is the mean,
 *    `Δ_sum / Δ_count` between the start and the end of an observation window (or `sum / count` since the
 *    orderer started, for a single reading). It is the time Fabric takes to send one consensus message to that
 *    node, the closest figure an orderer reports to its round trip, and is labelled as such;
 * 3. the local environment's etcd stand-in (`live.fabricOrdering.standIn: etcd`): each member's
 *    `etcd_network_peer_round_trip_time_seconds{To}` histogram (its smoothed round trip to each peer, observed 5 s
 *    after a peer connects and every 30 s after), with members known by `etcd_server_id`; labelled as the stand-in's.
 *
 * Measurement file (YAML or JSON):
 *
 * ```yaml
 * measuredBy: ping between the orderer pods, 20 probes per pair, median   # required: how the figures were taken
 * measuredAt: 2026-05-01T10:00:00Z                                          # optional
 * roundTrips:
 *   - { from: org0-orderer1, to: org0-orderer3, ms: 23.5 }                # ordering node names of the descriptor
 * ```
 *
 * Every request is a GET of a metrics page; nothing is written to a node.
 */
import { parseYaml, readText } from '../input.ts';
import type { LiveEvidence } from '../model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { InputError, InputErrors } from '../../errors.ts';
import { httpCall } from '../../drills/http-client.ts';
import { metricSamples, parsePrometheus, type MetricSample } from '../../drills/prometheus.ts';
import { operationsGet } from './operations.ts';

export type RoundTrip = NonNullable<LiveEvidence['roundTrips']>[number];

/** cumulative histogram totals per (measuring node, remote node): seconds and observations */
export type Counters = Record<string, Record<string, { sum: number; count: number }>>;

export interface Reading {
  counters: Counters;
  /** nodes that could not be read, and why */
  problems: string[];
}

interface MetricsSource {
  kind: 'fabric' | 'etcd';
  /** what measured the figures, for the report */
  method: string;
  /** the metric series a figure comes from, for one pair */
  series(from: string, to: string): string;
  read(): Promise<Reading>;
}

export const FABRIC_METHOD =
  "the ordering nodes' own measurement: Fabric's cluster_comm_msg_send_time on each orderer's operations endpoint " +
  '(mean time to send a consensus message to each remote node)';
export const ETCD_METHOD =
  "the etcd stand-in's own measurement: etcd_network_peer_round_trip_time_seconds on each member's /metrics (each " +
  "member's smoothed round trip to each peer); the local environment runs etcd members as its ordering nodes";

interface OrdererRef {
  name: string;
  /** the descriptor's claim; FAB-ORD-07 places the nodes from the evidence */
  region?: string;
  host: string;
  port: number;
  operations?: string;
  org: string;
}

function orderers(d: TargetDescriptor): OrdererRef[] {
  return (d.fabric?.ordering ?? []).flatMap((o) => o.nodes.map((n) => ({ name: n.name, region: n.region, host: n.host, port: n.port, operations: n.operations, org: o.name })));
}

/** GET a metrics page; `inLive`: the URL is written in the live section (an IP is dialled as written). */
/**
 * GET an operations endpoint's `/metrics` where the descriptor's live section lets the harness dial it (`inLive`:
 * an endpoint written in the live section itself), parsed.
 */
export async function getMetrics(d: TargetDescriptor, url: string, timeoutMs: number, inLive: boolean, ca?: string[]): Promise<MetricSample[]> {
  return parsePrometheus(await operationsGet(d, url, { timeoutMs, inLive, ca }));
}

function add(c: Counters, from: string, to: string, sum: number, count: number): void {
  const pair = ((c[from] ??= {})[to] ??= { sum: 0, count: 0 });
  pair.sum += sum;
  pair.count += count;
}

function fabricSource(d: TargetDescriptor, timeoutMs: number): MetricsSource | undefined {
  const all = orderers(d);
  const measuring = all.filter((o) => o.operations);
  if (!measuring.length) return undefined;
  // a remote node by its cluster endpoint `host:port` (the `host` label), or by its host alone when unambiguous
  const byEndpoint = (label: string): string | undefined => {
    const l = label.toLowerCase();
    const exact = all.find((o) => `${o.host}:${o.port}`.toLowerCase() === l);
    if (exact) return exact.name;
    const host = l.replace(/:\d+$/, '');
    const byHost = all.filter((o) => o.host.toLowerCase() === host);
    return byHost.length === 1 ? byHost[0].name : undefined;
  };
  return {
    kind: 'fabric',
    method: FABRIC_METHOD,
    series: (from, to) => {
      const o = all.find((x) => x.name === to);
      return `${from} operations /metrics: cluster_comm_msg_send_time{host="${o ? `${o.host}:${o.port}` : to}"}`;
    },
    async read() {
      const counters: Counters = {};
      const problems: string[] = [];
      const cas = new Map<string, string[]>();
      for (const org of d.fabric?.ordering ?? []) cas.set(org.name, await Promise.all(org.ca.map((f) => readText(f, 'certificate'))));
      await Promise.all(
        measuring.map(async (o) => {
          let samples: MetricSample[];
          try {
            samples = await getMetrics(d, `${o.operations!.replace(/\/$/, '')}/metrics`, timeoutMs, false, cas.get(o.org));
          } catch (err) {
            problems.push(`${o.name}: ${(err as Error).message}`);
            return;
          }
          const sums = metricSamples(samples, 'cluster_comm_msg_send_time_sum');
          const counts = metricSamples(samples, 'cluster_comm_msg_send_time_count');
          if (!counts.length) {
            problems.push(`${o.name}: no cluster_comm_msg_send_time series on its operations endpoint (no consensus message sent yet)`);
            return;
          }
          for (const c of counts) {
            const to = byEndpoint(c.labels.host ?? '');
            if (!to || to === o.name) continue;
            const s = sums.find((x) => x.labels.host === c.labels.host && x.labels.channel === c.labels.channel);
            add(counters, o.name, to, s?.value ?? 0, c.value);
          }
        }),
      );
      return { counters, problems };
    },
  };
}

interface EtcdMembers {
  standIn?: unknown;
  members?: Record<string, { region?: string; metrics?: string }>;
}

/** etcd writes member IDs in hex without leading zeros in some places and with them in others */
function memberId(hex: string): string {
  try {
    return BigInt(`0x${hex}`).toString(16);
  } catch {
    return hex.toLowerCase();
  }
}

/** etcd members' own round trips to each other, read from each member's metrics URL with `get`. */
function etcdMetricsSource(members: Array<{ name: string; metrics: string }>, get: (url: string) => Promise<MetricSample[]>): MetricsSource {
  return {
    kind: 'etcd',
    method: ETCD_METHOD,
    series: (from, to) => `${from} /metrics: etcd_network_peer_round_trip_time_seconds{To=<${to}'s member ID>}`,
    async read() {
      const counters: Counters = {};
      const problems: string[] = [];
      const read = await Promise.all(
        members.map(async (m) => {
          try {
            return { name: m.name, samples: await get(`${m.metrics.replace(/\/$/, '')}/metrics`) };
          } catch (err) {
            problems.push(`${m.name}: ${(err as Error).message}`);
            return { name: m.name, samples: [] as MetricSample[] };
          }
        }),
      );
      const nameOfId = new Map<string, string>();
      for (const r of read) {
        const id = metricSamples(r.samples, 'etcd_server_id').find((s) => s.value === 1)?.labels.server_id;
        if (id) nameOfId.set(memberId(id), r.name);
      }
      for (const r of read) {
        if (!r.samples.length) continue;
        const counts = metricSamples(r.samples, 'etcd_network_peer_round_trip_time_seconds_count');
        if (!counts.length) {
          problems.push(`${r.name}: no etcd_network_peer_round_trip_time_seconds yet (etcd reports it 5 s after a peer connects)`);
          continue;
        }
        const sums = metricSamples(r.samples, 'etcd_network_peer_round_trip_time_seconds_sum');
        for (const c of counts) {
          const to = nameOfId.get(memberId(c.labels.To ?? ''));
          if (!to) {
            problems.push(`${r.name}: a round trip to member ${c.labels.To}, which no member's etcd_server_id names`);
            continue;
          }
          add(counters, r.name, to, sums.find((s) => s.labels.To === c.labels.To)?.value ?? 0, c.value);
        }
      }
      return { counters, problems };
    },
  };
}

function etcdSource(d: TargetDescriptor, timeoutMs: number): MetricsSource | undefined {
  const fo = d.live.fabricOrdering as EtcdMembers | undefined;
  if (!fo || fo.standIn !== 'etcd' || !fo.members) return undefined;
  const members = Object.entries(fo.members).flatMap(([name, m]) => (typeof m?.metrics === 'string' ? [{ name, metrics: m.metrics }] : []));
  if (!members.length) return undefined;
  return etcdMetricsSource(members, (url) => getMetrics(d, url, timeoutMs, true));
}

/**
 * The local environment's etcd members, measured by themselves (the same figures `ha-validate --live` reads from
 * the descriptor it writes). etcd reports a peer's round trip 5 s after connecting to it: this waits up to
 * `waitMs` until every member has reported every member of another region.
 */
export async function etcdRoundTrips(members: Array<{ name: string; region: string; metrics: string }>, options: { timeoutMs?: number; waitMs?: number } = {}): Promise<Partial<LiveEvidence>> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const source = etcdMetricsSource(members, async (url) => {
    const a = await httpCall(url, { method: 'GET', timeoutMs });
    if (a.status !== 200) throw new Error(`${url} answered HTTP ${a.status}`);
    return parsePrometheus(a.body);
  });
  const regions = new Map(members.map((m) => [m.name, m.region]));
  const pairs = members.flatMap((a) => members.filter((b) => b.region !== a.region).map((b) => [a.name, b.name]));
  const deadline = Date.now() + (options.waitMs ?? 0);
  let r = await source.read();
  while (pairs.some(([a, b]) => !(r.counters[a]?.[b]?.count > 0)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    r = await source.read();
  }
  const roundTrips = figures(source, (n) => regions.get(n), r.counters);
  if (roundTrips.length) return { roundTrips, roundTripMethod: source.method };
  return { unobserved: { 'FAB-ORD-07': `no round trip between ordering nodes of different regions from ${source.method}: ${r.problems.join('; ') || 'none reported'}` } };
}

/** The operator's measurement file: its round trips, with every field checked (InputError naming file and field). */
export async function readMeasurementFile(file: string, d: TargetDescriptor): Promise<{ roundTrips: RoundTrip[]; method: string }> {
  // the bounded input layer: a regular file under its size cap, YAML aliases and nesting bounded
  const doc = parseYaml(await readText(file, 'roundTrips'), file);
  const errors: InputError[] = [];
  const rec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!rec(doc)) throw new InputError(file, '', 'must be a mapping with measuredBy and roundTrips');
  if (typeof doc.measuredBy !== 'string' || !doc.measuredBy.trim()) errors.push(new InputError(file, 'measuredBy', 'must say how the figures were measured (a non-empty string)'));
  if (doc.measuredAt !== undefined && (typeof doc.measuredAt !== 'string' || Number.isNaN(Date.parse(doc.measuredAt)))) {
    errors.push(new InputError(file, 'measuredAt', `must be an ISO-8601 time, got ${JSON.stringify(doc.measuredAt)}`));
  }
  const byName = new Map(orderers(d).map((o) => [o.name, o]));
  const trips: RoundTrip[] = [];
  if (!Array.isArray(doc.roundTrips) || !doc.roundTrips.length) errors.push(new InputError(file, 'roundTrips', 'must be a non-empty list of { from, to, ms }'));
  else {
    doc.roundTrips.forEach((t: unknown, i: number) => {
      const field = `roundTrips[${i}]`;
      if (!rec(t)) return void errors.push(new InputError(file, field, 'must be a mapping { from, to, ms }'));
      const from = typeof t.from === 'string' ? byName.get(t.from) : undefined;
      const to = typeof t.to === 'string' ? byName.get(t.to) : undefined;
      const known = [...byName.keys()].join(', ');
      if (!from) errors.push(new InputError(file, `${field}.from`, `${JSON.stringify(t.from)} is not an ordering node of the descriptor (${known})`));
      if (!to) errors.push(new InputError(file, `${field}.to`, `${JSON.stringify(t.to)} is not an ordering node of the descriptor (${known})`));
      if (typeof t.ms !== 'number' || !Number.isFinite(t.ms) || t.ms < 0) errors.push(new InputError(file, `${field}.ms`, `must be a number of milliseconds ≥ 0, got ${JSON.stringify(t.ms)}`));
      else if (from && to) trips.push({ from: from.name, to: to.name, ...(from.region !== undefined ? { fromRegion: from.region } : {}), ...(to.region !== undefined ? { toRegion: to.region } : {}), ms: t.ms, source: `${file}#${field}` });
    });
  }
  if (errors.length) throw new InputErrors(errors);
  const at = typeof doc.measuredAt === 'string' ? `, measured ${doc.measuredAt}` : '';
  return { roundTrips: trips, method: `the operator's measurement file ${file} (${String(doc.measuredBy).trim()}${at})` };
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The figures between two readings: per pair of nodes in different regions, the mean of what was observed in
 * between; the mean since the node started when nothing new came in (or with no earlier reading).
 */
export function figures(source: Pick<MetricsSource, 'series'>, regionOf: (node: string) => string | undefined, after: Counters, before?: Counters): RoundTrip[] {
  const out: RoundTrip[] = [];
  for (const [from, tos] of Object.entries(after)) {
    for (const [to, a] of Object.entries(tos)) {
      const fromRegion = regionOf(from);
      const toRegion = regionOf(to);
      // same region by the descriptor's claims: not a pair FAB-ORD-07 judges. A node with no claim is kept, and
      // the check places it from the evidence.
      if ((fromRegion !== undefined && fromRegion === toRegion) || a.count <= 0) continue;
      const b = before?.[from]?.[to];
      const fresh = b !== undefined ? a.count - b.count : 0;
      const windowed = fresh > 0;
      const ms = windowed ? ((a.sum - b!.sum) / fresh) * 1000 : (a.sum / a.count) * 1000;
      const n = windowed ? fresh : a.count;
      out.push({
        from,
        to,
        ...(fromRegion !== undefined ? { fromRegion } : {}),
        ...(toRegion !== undefined ? { toRegion } : {}),
        ms: round3(ms),
        source: `${source.series(from, to)}: mean of ${n} observation${n === 1 ? '' : 's'} ${windowed ? 'in the window' : 'since the node started'}`,
      });
    }
  }
  return out.sort((x, y) => x.from.localeCompare(y.from) || x.to.localeCompare(y.to));
}

function missingReason(d: TargetDescriptor): string {
  return (
    "FAB-ORD-07 is judged from the ordering nodes' own measurement, and this descriptor offers none: no ordering node " +
    'has an operations endpoint (fabric.ordering[].nodes[].operations) to read cluster_comm_msg_send_time from, and ' +
    'no measurement file is named (fabric.roundTripMeasurements)' +
    (d.fabric ? '' : ' (the descriptor describes no Fabric deployment)')
  );
}

/** A running measurement: `finish()` reads again and gives the figures of the window in between. */
export interface RoundTripWindow {
  /** true when the figures come from counters read at both ends of the window (so the window must be waited for) */
  windowed: boolean;
  finish(): Promise<Partial<LiveEvidence>>;
}

/**
 * Starts measuring round trips between ordering nodes: reads the nodes' counters now (unless `window: false`) and
 * again at `finish()`, which gives the means of the window in between. An operator's file is read once.
 */
export async function startRoundTrips(d: TargetDescriptor, options: { timeoutMs?: number; window?: boolean } = {}): Promise<RoundTripWindow> {
  if (!d.fabric) return { windowed: false, finish: async () => ({}) };
  const file = d.fabric.roundTripMeasurements;
  if (file) {
    const m = await readMeasurementFile(file, d);
    return { windowed: false, finish: async () => ({ roundTrips: m.roundTrips, roundTripMethod: m.method }) };
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  const source = fabricSource(d, timeoutMs) ?? etcdSource(d, timeoutMs);
  if (!source) return { windowed: false, finish: async () => ({ unobserved: { 'FAB-ORD-07': missingReason(d) } }) };
  const regions = new Map(orderers(d).map((o) => [o.name, o.region]));
  const fo = d.live.fabricOrdering as EtcdMembers | undefined;
  for (const [name, m] of Object.entries(fo?.members ?? {})) if (m?.region && !regions.has(name)) regions.set(name, m.region);
  const before = options.window === false ? undefined : await source.read();
  return {
    windowed: before !== undefined,
    async finish() {
      const after = await source.read();
      const roundTrips = figures(source, (n) => regions.get(n), after.counters, before?.counters);
      if (roundTrips.length) return { roundTrips, roundTripMethod: source.method };
      const why = after.problems.length ? `: ${after.problems.join('; ')}` : ': they report no message to a node of another region yet';
      return { unobserved: { 'FAB-ORD-07': `no round trip between ordering nodes of different regions from ${source.method}${why}` } };
    },
  };
}

/** One reading: the figures since each node started (what `ha-validate --live` reports without a window). */
export async function collectRoundTrips(d: TargetDescriptor, options: { timeoutMs?: number } = {}): Promise<Partial<LiveEvidence>> {
  return (await startRoundTrips(d, { ...options, window: false })).finish();
}
