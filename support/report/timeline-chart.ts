/**
 * Renders a drill's recorded timeline as an SVG picture for the report: one row per node (ordering member, Corda
 * node, organization, gateway) showing what it was doing over time (leader / follower / stopped, active / serving /
 * idle, answered / failed), the writes and catch-ups of a region loss as bands, faults and restores as labelled
 * vertical lines, the bound the verdict applied as a line of its own, and a time axis in milliseconds since the
 * drill's start. Every state has its own colour within a chart (the legend lists them). Pure: a Timeline in, an
 * SVG string out, no fonts or scripts to load.
 */
import type { Timeline, TimelineEvent } from '../evidence/model.ts';
import { isUp } from '../checks/corda-samples.ts';

export interface Segment {
  from: number;
  to: number;
  state: string;
}

export interface Point {
  t: number;
  state: string;
  label?: string;
}

export interface Lane {
  name: string;
  segments: Segment[];
  points: Point[];
}

export interface Marker {
  t: number;
  kind: 'fault' | 'restore' | 'error' | 'bound';
  label: string;
}

/** The bound a verdict applied, drawn from each fault it counts from. */
export interface ChartBound {
  ms: number;
  /** `bound 5000 ms (Gherkin)` */
  label: string;
  /** the faults it counts from (their `t`); default every fault of the timeline */
  from?: number[];
}

export interface ChartModel {
  title: string;
  /** the time axis, ms since the drill's start */
  start: number;
  end: number;
  lanes: Lane[];
  markers: Marker[];
  /** the time axis's caption */
  axis: string;
  /** what lies outside the axis (a bound past the last event), shown as text */
  notes: string[];
}

/**
 * state → fill colour. Every fixed colour is distinct, so no two states share one in any chart; states not listed
 * (a node's name as the load balancer's target, say) get a palette colour no fixed state uses.
 */
export const STATE_COLOURS: Record<string, string> = {
  // Raft members
  leader: '#1b7f3b',
  follower: '#a3d9a5',
  up: '#cfe2ff',
  stopped: '#8c8c8c',
  'no leader': '#f5c6cb',
  // writes and catch-up after a region returns
  writing: '#9ec5fe',
  ok: '#20c997',
  failed: '#d9534f',
  'catching up': '#ffe69c',
  'caught up': '#0d6efd',
  'not caught up': '#fd7e14',
  // Corda nodes
  active: '#2e8b57',
  serving: '#e0a800',
  lease: '#6f42c1',
  idle: '#e9ecef',
  down: '#c9c9c9',
  nobody: '#b02a37',
  // the load balancer's own view
  UP: '#198754',
  DOWN: '#adb5bd',
  // a long-lived connection to a stopped peer (FAB-GW-04)
  'connection broke': '#343a40',
  'connection kept': '#90be6d',
};
/** colours for states named at run time (nodes, peers): far from the fixed ones (no purple next to `lease`) */
const PALETTE = ['#17becf', '#e377c2', '#8c564b', '#bcbd22', '#1f3a93', '#ff7f0e', '#5f9ea0', '#c71585'];

function colourOf(state: string, palette: Map<string, string>): string {
  const known = STATE_COLOURS[state];
  if (known) return known;
  let c = palette.get(state);
  if (!c) {
    // beyond the palette: hues spread by the golden angle, never one of the fixed colours
    c = palette.size < PALETTE.length ? PALETTE[palette.size] : `hsl(${Math.round((palette.size * 137.508) % 360)}, 65%, 42%)`;
    palette.set(state, c);
  }
  return c;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** the members a region fault stopped: `stopped`, else `members` less `remaining`, else `members` */
function stoppedBy(e: TimelineEvent): string[] {
  if (strings(e.stopped).length) return strings(e.stopped);
  const remaining = strings(e.remaining);
  return strings(e.members).filter((m) => !remaining.includes(m));
}

function markerLabel(e: TimelineEvent): string {
  const what = str(e.action) ?? e.kind;
  // the most specific target: a peer or node when the event names one, else its region
  const target = str(e.peer) ?? str(e.node) ?? (str(e.region) ? `region ${e.region as string}` : str(e.gateway) ?? '');
  return target ? `${what} ${target}` : what;
}

function lane(lanes: Map<string, Lane>, name: string): Lane {
  let l = lanes.get(name);
  if (!l) {
    l = { name, segments: [], points: [] };
    lanes.set(name, l);
  }
  return l;
}

/** Extends the lane's last segment when the state is unchanged, otherwise starts a new one. */
function paint(l: Lane, from: number, to: number, state: string): void {
  if (to <= from) return;
  const last = l.segments[l.segments.length - 1];
  if (last && last.state === state && last.to >= from) last.to = Math.max(last.to, to);
  else l.segments.push({ from, to, state });
}

/** Turns a timeline into rows, segments and markers; the shape of its events decides which rows there are. */
export function chartModel(timeline: Timeline, bound?: ChartBound): ChartModel {
  const events = [...timeline.events].sort((a, b) => a.t - b.t);
  // The axis starts at a round value before the first event: a timeline cut to one region starts late.
  const first = events.length ? events[0].t : 0;
  const last = Math.max(first + 1, ...events.map((e) => e.t));
  const start = Math.max(0, Math.floor(first / tickStep(last - first)) * tickStep(last - first));
  const end = last + (last - start) * 0.02;
  const lanes = new Map<string, Lane>();
  const markers: Marker[] = [];
  for (const e of events) {
    if (e.kind === 'fault') markers.push({ t: e.t, kind: 'fault', label: markerLabel(e) });
    else if (e.kind === 'restore') markers.push({ t: e.t, kind: 'restore', label: markerLabel(e) });
    else if (e.kind === 'error') markers.push({ t: e.t, kind: 'error', label: `error: ${str(e.message) ?? ''}`.slice(0, 60) });
  }
  // a bound beyond the recorded history is still shown, as a note at the right edge
  const beyond: string[] = [];
  if (bound) {
    for (const t of bound.from ?? events.filter((e) => e.kind === 'fault').map((e) => e.t)) {
      if (t + bound.ms <= end) markers.push({ t: t + bound.ms, kind: 'bound', label: bound.label });
      else beyond.push(`${bound.label}: at t=${Math.round(t + bound.ms)} ms, past the end of this chart`);
    }
  }

  const samples = events.filter((e) => e.kind === 'sample');
  const nodeSamples = samples.filter((e) => e.nodes && typeof e.nodes === 'object');
  const leaderEvents = events.filter((e) => 'leader' in e && e.kind !== 'fault');
  const faults = events.filter((e) => e.kind === 'fault');

  if (nodeSamples.length) {
    // Corda: per node, serving (a port accepts) and holding the lease; then what the load balancer routes to.
    const names = new Set<string>();
    for (const s of nodeSamples) for (const n of Object.keys(s.nodes as object)) names.add(n);
    for (const n of names) lane(lanes, n);
    nodeSamples.forEach((s, i) => {
      const next = nodeSamples[i + 1]?.t ?? end;
      const nodes = s.nodes as Record<string, Record<string, boolean>>;
      for (const n of names) {
        const ports = nodes[n] ?? {};
        const serving = Object.values(ports).some(Boolean);
        const lease = s.leaseHolder === n;
        paint(lane(lanes, n), s.t, next, serving && lease ? 'active' : serving ? 'serving' : lease ? 'lease' : 'idle');
      }
      const routed = s.routed as Record<string, string | null | undefined> | undefined;
      if (routed) {
        for (const [traffic, node] of Object.entries(routed)) {
          if (node === undefined) continue;
          paint(lane(lanes, `load balancer ${traffic} →`), s.t, next, node ?? 'nobody');
        }
      }
      // the load balancer's own view: which nodes it holds UP, per traffic type
      const view = s.lbView as Record<string, Record<string, string>> | undefined;
      for (const [traffic, servers] of Object.entries(view ?? {})) {
        const up = Object.entries(servers).filter(([, st]) => isUp(st)).map(([n]) => n).sort();
        paint(lane(lanes, `load balancer view ${traffic}`), s.t, next, up.length ? `UP: ${up.join(', ')}` : 'UP: none');
      }
    });
  } else if (leaderEvents.length || faults.some((e) => strings(e.members).length || strings(e.stopped).length)) {
    // Raft: per member, stopped between its region's fault and restore; leader when an observation names it.
    const members = new Set<string>(strings(timeline.params?.members));
    for (const e of events) for (const m of [...strings(e.members), ...strings(e.remaining), ...strings(e.stopped)]) members.add(m);
    for (const e of leaderEvents) if (str(e.leader)) members.add(e.leader as string);
    for (const m of [...members].sort()) lane(lanes, m);
    const stopped = new Set<string>();
    let leader: string | null | undefined; // undefined: not observed yet
    let t = start;
    const flush = (until: number) => {
      for (const m of members) {
        const state = stopped.has(m) ? 'stopped' : leader === undefined ? 'up' : m === leader ? 'leader' : 'follower';
        paint(lane(lanes, m), t, until, state);
      }
      t = until;
    };
    for (const e of events) {
      flush(e.t);
      if (e.kind === 'fault') {
        for (const m of stoppedBy(e)) stopped.add(m);
        if (leader && stopped.has(leader)) leader = null;
      } else if (e.kind === 'restore') {
        const back = strings(e.members).length ? strings(e.members) : faults.filter((f) => f.region === e.region).flatMap(stoppedBy);
        for (const m of back) stopped.delete(m);
      } else if (e.kind === 'write') {
        // the write as a band from its start to its answer (the event is recorded at its start), then its outcome
        const l = lane(lanes, 'writes');
        const ms = typeof e.ms === 'number' && e.ms > 0 ? e.ms : 0;
        paint(l, e.t, e.t + ms, 'writing');
        l.points.push({ t: e.t + ms, state: e.ok === true ? 'ok' : 'failed', label: e.ok === true ? `committed in ${e.ms} ms` : str(e.error) ?? 'failed' });
      } else if (e.kind === 'catch-up') {
        // catching up from the region's return to this observation, then the outcome to the end of the chart
        const l = lane(lanes, 'catch-up');
        const back = [...events].reverse().find((r) => r.kind === 'restore' && r.t <= e.t && (r.region === undefined || r.region === e.region));
        const state = e.caughtUp === false ? 'not caught up' : 'caught up';
        if (back) paint(l, back.t, e.t, 'catching up');
        paint(l, e.t, end, state);
        l.points.push({ t: e.t, state, label: `${state} ${Object.entries((e.heights as Record<string, number>) ?? {}).map(([m, h]) => `${m}=${h}`).join(' ')}`.trim() });
      }
      if ('leader' in e && e.kind !== 'fault') leader = str(e.leader) ?? null;
    }
    flush(end);
  }

  // Point events: queries per organization, connections per gateway, and anything else worth a mark.
  for (const e of events) {
    if (e.kind === 'query') {
      lane(lanes, `queries ${str(e.org) ?? ''}`.trim()).points.push({ t: e.t, state: e.ok === true ? 'ok' : 'failed', label: str(e.peer) ?? 'none' });
    } else if (e.kind === 'connect') {
      const who = str(e.answeredBy);
      lane(lanes, `${str(e.gateway) ?? 'gateway'} →`).points.push({ t: e.t, state: who ?? 'nobody', label: who ?? 'none' });
    } else if (e.kind === 'existing') {
      lane(lanes, `${str(e.gateway) ?? 'gateway'} existing`).points.push({
        t: e.t,
        // an open connection to a stopped peer breaks, as it should: not a failure, its own state
        state: e.broke === true ? 'connection broke' : 'connection kept',
        label: `${e.broke === true ? 'broke' : 'kept'} → ${str(e.reconnectedTo) ?? 'none'}`,
      });
    }
  }
  if (!lanes.size) {
    // Unknown drill: one row per kind of event, so at least the history is visible.
    for (const e of events) if (!['fault', 'restore', 'error'].includes(e.kind)) lane(lanes, e.kind).points.push({ t: e.t, state: e.kind });
  }
  markers.sort((a, b) => a.t - b.t);
  const observation = timeline.params?.mode === 'observation';
  const title = observation
    ? `observation window of ${Number(timeline.params.windowMs) / 1000} s (nothing injected) — started ${timeline.startedAt}`
    : `${timeline.drill} — started ${timeline.startedAt}`;
  const axis = observation ? 'ms since the observation started' : 'ms since the drill started';
  return { title, start, end, lanes: [...lanes.values()], markers, axis, notes: [...new Set(beyond)] };
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1, 2 or 5 × 10^k, so that about `target` ticks cover `span` */
export function tickStep(span: number, target = 10): number {
  const raw = span / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (raw <= m * pow) return m * pow;
  return 10 * pow;
}

export function timelineSvg(timeline: Timeline, options: { width?: number; bound?: ChartBound } = {}): string {
  const model = chartModel(timeline, options.bound);
  const width = options.width ?? 1200;
  // room for the longest row name (about 6.5 px a character at 12 px)
  const left = Math.max(190, 16 + Math.ceil(Math.max(0, ...model.lanes.map((l) => l.name.length)) * 6.5));
  const right = 20;
  const top = 86;
  const rowH = 26;
  const plotW = width - left - right;
  const lanesH = Math.max(1, model.lanes.length) * rowH;
  const legendTop = top + lanesH + 54;
  const palette = new Map<string, string>();
  const x = (t: number) => left + ((t - model.start) / (model.end - model.start)) * plotW;
  const out: string[] = [];

  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(model.title)}</text>`);
  out.push(`<text x="${left}" y="36" font-size="11" fill="#555">time in milliseconds (ms) since the drill started</text>`);
  model.notes.forEach((n, i) => out.push(`<text x="${width - right}" y="${20 + i * 14}" font-size="11" text-anchor="end">→ ${esc(n)}</text>`));
  // Rows
  model.lanes.forEach((l, i) => {
    const y = top + i * rowH;
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${rowH}" fill="${i % 2 ? '#fafafa' : '#ffffff'}"/>`);
    out.push(`<text x="${left - 8}" y="${y + rowH / 2 + 4}" font-size="12" text-anchor="end">${esc(l.name)}</text>`);
    for (const s of l.segments) {
      const w = Math.max(1, x(s.to) - x(s.from));
      out.push(
        `<rect x="${x(s.from).toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${colourOf(s.state, palette)}">` +
          `<title>${esc(`${l.name}: ${s.state} from ${Math.round(s.from)} to ${Math.round(s.to)} ms`)}</title></rect>`,
      );
    }
    for (const p of l.points) {
      out.push(
        `<circle cx="${x(p.t).toFixed(1)}" cy="${y + rowH / 2}" r="5" fill="${colourOf(p.state, palette)}" stroke="#333" stroke-width="0.5">` +
          `<title>${esc(`${l.name} at ${p.t} ms: ${p.label ?? p.state}`)}</title></circle>`,
      );
    }
  });
  // Axis
  const axisY = top + lanesH;
  const step = tickStep(model.end - model.start);
  out.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#333"/>`);
  for (let t = Math.ceil(model.start / step) * step; t <= model.end; t += step) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${axisY}" x2="${x(t).toFixed(1)}" y2="${axisY + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 18}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  out.push(`<text x="${left + plotW}" y="${axisY + 32}" font-size="11" text-anchor="end">${esc(model.axis)}</text>`);
  out.push(`<text x="${left - 24}" y="${axisY + 18}" font-size="11" text-anchor="end">t (ms)</text>`);
  // Markers: a vertical line through every row, the label above, staggered so neighbours stay readable.
  model.markers.forEach((m, i) => {
    const colour = m.kind === 'fault' ? '#d9534f' : m.kind === 'restore' ? '#198754' : m.kind === 'bound' ? '#000000' : '#b8860b';
    const mx = x(m.t).toFixed(1);
    out.push(
      `<line x1="${mx}" y1="${top - 4}" x2="${mx}" y2="${axisY}" stroke="${colour}" stroke-width="2" stroke-dasharray="${m.kind === 'bound' ? '2,2' : '5,3'}">` +
        `<title>${esc(`${m.label} at ${m.t} ms`)}</title></line>`,
    );
    out.push(`<text x="${mx}" y="${top - 10 - (i % 3) * 12}" font-size="11" fill="${colour}" text-anchor="middle">${esc(m.label)}</text>`);
  });
  // Legend
  const states = new Set<string>();
  for (const l of model.lanes) {
    for (const s of l.segments) states.add(s.state);
    for (const p of l.points) states.add(p.state);
  }
  let lx = left;
  let ly = legendTop;
  for (const s of states) {
    const w = 24 + s.length * 7;
    if (lx + w > width - right) {
      lx = left;
      ly += 18;
    }
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${colourOf(s, palette)}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}" font-size="11">${esc(s)}</text>`);
    lx += w;
  }
  const height = ly + 20;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>\n${out.join('\n')}\n</svg>\n`
  );
}
