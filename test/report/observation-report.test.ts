/**
 * Every report format states an observation window: its length (as asked and as run), the number of samples and
 * the largest gap — the table in a line, JSON in `observations`, JUnit as testsuite properties, Allure as a
 * parameter of the results it served, with the timeline and its chart attached.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timeline } from '../../support/evidence/model.ts';
import type { TargetDescriptor } from '../../support/descriptor/types.ts';
import { buildReport } from '../../support/validate.ts';
import { formatJson, formatJunit, formatTable, writeAllureResults } from '../../support/report/formats.ts';
import { catalogue } from '../../support/checks/catalogue.ts';
import { verdict } from '../../support/checks/types.ts';

const tmp = await mkdtemp(join(tmpdir(), 'ha-observation-report-test-'));
after(() => rm(tmp, { recursive: true, force: true }));

const timeline: Timeline = {
  drill: 'observation',
  startedAt: '2026-01-01T00:00:00.000Z',
  params: { mode: 'observation', windowMs: 10_000, observedMs: 4_210, endedBy: 'signal', sampleIntervalMs: 100 },
  events: [0, 100, 200, 460, 560].map((t) => ({
    t,
    at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + t).toISOString(),
    kind: 'sample',
    nodes: { primary: { p2p: true, rpc: true, web: true }, backup: { p2p: false, rpc: false, web: false } },
    leaseHolder: 'primary',
  })),
};
const descriptor = { name: 'prod', file: '/etc/ha/prod.yaml', secrets: [] } as unknown as TargetDescriptor;
const report = buildReport(
  descriptor,
  [verdict.passed('CORDA-HA-01', 'one node', {}), verdict.skipped('CORDA-LB-02', 'no load balancer'), verdict.passed('FAB-ORD-01', 'five', {})],
  new Date('2026-01-01T00:00:00Z'),
  4300,
  { timelines: { 'CORDA-HA-01': timeline, 'CORDA-LB-02': timeline } },
);

describe('an observation window in every report format', () => {
  it('is one window, for the guarantees it served, with samples and the largest gap', () => {
    assert.equal(report.observations?.length, 1);
    const [o] = report.observations!;
    assert.deepEqual(o.guarantees, ['CORDA-HA-01', 'CORDA-LB-02']);
    assert.deepEqual([o.samples, o.maxGapMs, o.spanMs, o.windowMs, o.observedMs, o.endedBy], [5, 260, 560, 10_000, 4_210, 'signal']);
  });

  it('table: one line; JSON: `observations`; JUnit: testsuite properties', () => {
    assert.match(
      formatTable(report),
      /Observation window 10\.0 s \(CORDA-HA-01, CORDA-LB-02; nothing injected\): 5 samples over 0\.6 s \(7\.1\/s, one every 100 ms planned\), largest gap 260 ms; ended early \(interrupted\) after 4\.2 s\n/,
    );
    const json = JSON.parse(formatJson(report)) as { observations: Array<Record<string, unknown>> };
    assert.equal(json.observations[0].maxGapMs, 260);
    const junit = formatJunit(report);
    assert.match(junit, /<properties>\s*<property name="observation\.1\.guarantees" value="CORDA-HA-01,CORDA-LB-02"\/>/);
    for (const p of ['windowMs" value="10000', 'samples" value="5', 'maxGapMs" value="260', 'endedBy" value="signal']) assert.ok(junit.includes(`observation.1.${p}"`), p);
  });

  it('Allure: the timeline and its chart attached to the results it served, the window as a parameter', async () => {
    const dir = join(tmp, 'allure');
    await writeAllureResults(dir, report, new Map(catalogue.map((c) => [c.id, c])), { 'CORDA-HA-01': timeline, 'CORDA-LB-02': timeline });
    const files = await readdir(dir);
    const results = await Promise.all(files.filter((f) => f.endsWith('-result.json')).map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as {
      name: string;
      attachments: Array<{ name: string; source: string; type: string }>;
      parameters: Array<{ name: string; value: string }>;
    }));
    const ha01 = results.find((r) => r.name.startsWith('CORDA-HA-01'))!;
    const chart = ha01.attachments.find((a) => a.name === 'CORDA-HA-01 timeline chart')!;
    assert.equal(chart.type, 'image/svg+xml');
    assert.match(await readFile(join(dir, chart.source), 'utf8'), /observation window of 10 s \(nothing injected\)/);
    assert.ok(ha01.attachments.some((a) => a.name === 'CORDA-HA-01 timeline' && a.type === 'application/json'));
    assert.match(ha01.parameters.find((p) => p.name === 'observation')!.value, /5 samples .* largest gap 260 ms/);
    const ord01 = results.find((r) => r.name.startsWith('FAB-ORD-01'))!;
    assert.deepEqual(ord01.attachments.map((a) => a.name), ['evidence'], 'a result without a timeline gets none');
  });
});
