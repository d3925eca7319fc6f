import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Timeline, TimelineEvent } from '../../support/evidence/model.ts';
import { STATE_COLOURS, chartModel, tickStep, timelineSvg } from '../../support/report/timeline-chart.ts';

const at = '2026-01-01T00:00:00.000Z';
const ev = (t: number, body: Record<string, unknown>): TimelineEvent => ({ t, at, kind: 'note', ...body });

const regionLoss: Timeline = {
  drill: 'FAB-ORD-03',
  startedAt: at,
  params: { members: ['o1', 'o2', 'o3', 'o4', 'o5'], regions: ['r2'] },
  events: [
    ev(1000, { kind: 'steady', region: 'r2', leader: 'o3' }),
    ev(1010, { kind: 'fault', action: 'stop-region', region: 'r2', members: ['o1', 'o2', 'o3', 'o4', 'o5'], remaining: ['o1', 'o2', 'o4', 'o5'], stopped: ['o3'] }),
    ev(1200, { kind: 'sample', region: 'r2', leader: 'o5' }),
    ev(1300, { kind: 'write', region: 'r2', ok: true, ms: 90 }),
    ev(2000, { kind: 'restore', region: 'r2', members: ['o3'] }),
    ev(2500, { kind: 'catch-up', region: 'r2', heights: { o1: 3, o3: 3 }, caughtUp: true }),
  ],
};

describe('timeline chart', () => {
  it('draws one row per ordering member: stopped only for the region that was stopped, leader as observed', () => {
    const model = chartModel(regionLoss);
    assert.deepEqual(model.lanes.map((l) => l.name), ['o1', 'o2', 'o3', 'o4', 'o5', 'writes', 'catch-up']);
    const o3 = model.lanes.find((l) => l.name === 'o3')!;
    assert.deepEqual(o3.segments.map((s) => s.state), ['leader', 'stopped', 'follower']);
    assert.deepEqual(o3.segments.find((s) => s.state === 'stopped'), { from: 1010, to: 2000, state: 'stopped' });
    const o1 = model.lanes.find((l) => l.name === 'o1')!;
    assert.ok(!o1.segments.some((s) => s.state === 'stopped'), 'o1 was never stopped');
    assert.ok(model.lanes.find((l) => l.name === 'o5')!.segments.some((s) => s.state === 'leader' && s.from === 1200));
    assert.deepEqual(model.markers.map((m) => [m.kind, m.t, m.label]), [['fault', 1010, 'stop-region region r2'], ['restore', 2000, 'restore region r2']]);
    assert.ok(model.start <= 1000 && model.start >= 0, `the axis starts near the first event (${model.start})`);
  });

  it('draws the Corda pair from its samples: active, lease and where the load balancer routes', () => {
    const sample = (t: number, primary: boolean, backup: boolean, lease: string | null, routed: string | null) =>
      ev(t, { kind: 'sample', nodes: { primary: { p2p: primary, rpc: primary, web: primary }, backup: { p2p: backup, rpc: backup, web: backup } }, leaseHolder: lease, routed: { p2p: routed } });
    const model = chartModel({
      drill: 'CORDA-LB-03',
      startedAt: at,
      params: {},
      events: [sample(0, true, false, 'primary', 'primary'), ev(100, { kind: 'fault', action: 'stop', node: 'primary' }), sample(200, false, false, 'primary', null), sample(300, false, true, 'backup', 'backup')],
    });
    assert.deepEqual(model.lanes.map((l) => l.name), ['primary', 'backup', 'load balancer p2p →']);
    assert.deepEqual(model.lanes[0].segments.map((s) => s.state), ['active', 'lease', 'idle']);
    assert.deepEqual(model.lanes[2].segments.map((s) => s.state), ['primary', 'nobody', 'backup']);
    assert.equal(model.markers[0].label, 'stop primary');
  });

  it('renders a self-contained SVG with the axis in ms and the fault labelled, escaping text', () => {
    const svg = timelineSvg({ ...regionLoss, drill: 'FAB-ORD-03 <r2 & co>' });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /ms since the drill started/);
    assert.match(svg, /stop-region region r2/);
    assert.match(svg, /FAB-ORD-03 &lt;r2 &amp; co&gt;/);
    assert.doesNotMatch(svg, /<script/);
    assert.equal((svg.match(/<svg/g) ?? []).length, 1);
  });

  it('falls back to one row per kind of event for an unknown drill, and copes with an empty one', () => {
    assert.deepEqual(chartModel({ drill: 'X', startedAt: at, params: {}, events: [ev(5, { kind: 'probe' })] }).lanes.map((l) => l.name), ['probe']);
    assert.match(timelineSvg({ drill: 'empty', startedAt: at, params: {}, events: [] }), /<\/svg>/);
  });

  it('draws every row it lists: the write as a band to its answer, the catch-up from the return to its outcome', () => {
    const model = chartModel(regionLoss);
    const writes = model.lanes.find((l) => l.name === 'writes')!;
    assert.deepEqual(writes.segments, [{ from: 1300, to: 1390, state: 'writing' }]);
    assert.deepEqual(writes.points.map((p) => [p.t, p.state]), [[1390, 'ok']]);
    const catchUp = model.lanes.find((l) => l.name === 'catch-up')!;
    assert.deepEqual(catchUp.segments.map((x) => [x.from, x.state]), [[2000, 'catching up'], [2500, 'caught up']]);
    for (const l of model.lanes) assert.ok(l.segments.length > 0, `row ${l.name} is listed but has no band`);
    const svg = timelineSvg(regionLoss);
    for (const l of model.lanes) assert.match(svg, new RegExp(`<title>${l.name}: `), `row ${l.name} is not drawn`);
  });

  it('gives every state of a chart its own colour, and names the unit of its axis', () => {
    const fixed = Object.values(STATE_COLOURS);
    assert.equal(new Set(fixed).size, fixed.length, 'two states share a fixed colour');
    const sample = (t: number, routed: string | null) =>
      ev(t, { kind: 'sample', nodes: { primary: { p2p: true, rpc: true, web: true }, backup: { p2p: false, rpc: false, web: false } }, leaseHolder: 'primary', routed: { p2p: routed, rpc: 'backup', web: 'a-third-node' } });
    for (const tl of [regionLoss, { drill: 'CORDA-LB-03', startedAt: at, params: {}, events: [sample(0, 'primary'), sample(100, null), sample(200, 'backup')] }]) {
      const svg = timelineSvg(tl);
      const legend = [...svg.matchAll(/<rect x="\d+" y="\d+" width="12" height="12" fill="([^"]+)"\/>\s*<text[^>]*>([^<]+)<\/text>/g)].map((m) => [m[2], m[1]]);
      assert.ok(legend.length >= 3, `no legend in ${tl.drill}`);
      const colours = legend.map(([, c]) => c);
      assert.equal(new Set(colours).size, colours.length, `${tl.drill}: states share a colour: ${JSON.stringify(legend)}`);
      assert.match(svg, /time in milliseconds \(ms\) since the drill started/);
      assert.match(svg, />t \(ms\)</);
    }
  });

  it('draws the bound the verdict applied from each fault it counts from', () => {
    const model = chartModel(regionLoss, { ms: 500, label: 'bound 500 ms (Gherkin)' });
    assert.deepEqual(model.markers.filter((m) => m.kind === 'bound').map((m) => [m.t, m.label]), [[1510, 'bound 500 ms (Gherkin)']]);
    assert.match(timelineSvg(regionLoss, { bound: { ms: 500, label: 'bound 500 ms (Gherkin)', from: [1010] } }), /bound 500 ms \(Gherkin\)/);
  });

  it('picks round tick steps', () => {
    assert.equal(tickStep(10_000), 1000);
    assert.equal(tickStep(1800), 200);
    assert.equal(tickStep(45), 5);
  });

  it('draws an observation window as one: its title and axis say so, and the load balancer\'s own view has a row per traffic type', () => {
    const sample = (t: number, backupWeb: string) =>
      ev(t, {
        kind: 'sample',
        nodes: { primary: { p2p: true, rpc: true, web: true }, backup: { p2p: false, rpc: false, web: false } },
        leaseHolder: 'primary',
        routed: { p2p: 'primary' },
        lbView: { p2p: { primary: 'UP', backup: 'DOWN' }, web: { primary: 'UP', backup: backupWeb } },
      });
    const observation: Timeline = { drill: 'observation', startedAt: at, params: { mode: 'observation', windowMs: 5000 }, events: [sample(0, 'DOWN'), sample(100, 'UP'), sample(200, 'UP 1/2')] };
    const model = chartModel(observation);
    assert.match(model.title, /^observation window of 5 s \(nothing injected\)/);
    assert.equal(model.axis, 'ms since the observation started');
    assert.deepEqual(model.lanes.find((l) => l.name === 'load balancer view web')!.segments.map((x) => [x.from, x.state]), [[0, 'UP: primary'], [100, 'UP: backup, primary']]);
    assert.deepEqual(model.lanes.find((l) => l.name === 'load balancer view p2p')!.segments.map((x) => x.state), ['UP: primary']);
    assert.match(timelineSvg(observation), /ms since the observation started/);
    assert.equal(chartModel(regionLoss).axis, 'ms since the drill started');
  });
});
