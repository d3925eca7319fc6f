/**
 * The checks that judge a drill's timeline judge an observation window's the same way (CORDA-HA-01,
 * CORDA-LB-02), and say it was an observation: its window, samples, largest gap, and that nothing was injected.
 * An observation names the node behind the load balancer from the sample's own evidence (`nameRouted`); a probe
 * that could not tell leaves that traffic out rather than guessing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CordaSampleEvent, Evidence, Timeline } from '../../support/evidence/model.ts';
import { nameRouted } from '../../support/drills/corda-sampler.ts';
import { buildEvidence } from '../helpers/evidence-builder.ts';
import { expectStatus } from '../helpers/verdicts.ts';

type Sample = Omit<CordaSampleEvent, 't' | 'at' | 'kind'>;

const hot = { p2p: true, rpc: true, web: true };
const cold = { p2p: false, rpc: false, web: false };
const view = (primary: string, backup: string) => ({ p2p: { primary, backup }, rpc: { primary, backup }, web: { primary, backup } });

/** an observation window of `windowMs` sampled every 100 ms (with one 450 ms gap) */
function observation(sample: (i: number) => Sample, windowMs = 3000): Timeline {
  const ts: number[] = [];
  for (let t = 0; t < windowMs; t += 100) if (t !== 1100 && t !== 1200 && t !== 1300) ts.push(t === 1400 ? 1450 : t);
  return {
    drill: 'observation',
    startedAt: '2026-01-01T00:00:00.000Z',
    events: ts.map((t, i) => ({ t, at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + t).toISOString(), kind: 'sample', ...sample(i) })),
    params: { mode: 'observation', windowMs, observedMs: windowMs + 3, endedBy: 'window', sampleIntervalMs: 100 },
  };
}

function withObservation(tl: Timeline): Evidence {
  const e = buildEvidence();
  e.live.timelines = { 'CORDA-HA-01': tl, 'CORDA-LB-02': tl };
  return e;
}

const steady = (): Sample => ({ nodes: { primary: hot, backup: cold }, leaseHolder: 'primary', routed: { p2p: 'primary', web: 'primary' }, lbView: view('UP', 'DOWN') });

describe('an observation window judged by the drills’ checks', () => {
  it('CORDA-HA-01 passes a steady pair and reports the window, samples, rate and largest gap, and that nothing was injected', () => {
    const v = expectStatus(
      'CORDA-HA-01',
      withObservation(observation(steady)),
      'passed',
      /^observation window 3 s, nothing injected: 27 samples over 2900 ms \(9\/s\), largest gap 450 ms: never more than one node accepting connections \(active: primary\)/,
      /no second node was started \(an observation injects nothing\)/,
    );
    assert.deepEqual(
      (({ samples, maxGapMs, windowMs, observedMs, mode }) => ({ samples, maxGapMs, windowMs, observedMs, mode }))(v.evidence as Record<string, unknown>),
      { samples: 27, maxGapMs: 450, windowMs: 3000, observedMs: 3003, mode: 'observation' },
    );
  });

  it('CORDA-HA-01 fails when two nodes accept connections at once, or a node serves without the lease', () => {
    expectStatus('CORDA-HA-01', withObservation(observation((i) => (i === 5 ? { ...steady(), nodes: { primary: hot, backup: hot } } : steady()))), 'failed', /at t=500 ms backup \(p2p\/rpc\/web\) and primary \(p2p\/rpc\/web\)|at t=500 ms primary \(p2p\/rpc\/web\) and backup \(p2p\/rpc\/web\) accepted connections at once/, /observation window 3 s/);
    expectStatus('CORDA-HA-01', withObservation(observation((i) => (i === 7 ? { ...steady(), leaseHolder: 'backup' } : steady()))), 'failed', /at t=700 ms primary served while the lease named backup/);
  });

  it('CORDA-LB-02 passes on routed answers and the load balancer’s view; traffic it could not tell (RPC silent) is said to be unobserved', () => {
    expectStatus('CORDA-LB-02', withObservation(observation(steady)), 'passed', /^observation window 3 s, nothing injected: 27 samples .*; 27 judged: p2p\/web through the load balancer reached the active node; its view held the active node UP and the other DOWN for p2p\/rpc\/web; rpc not observed/);
  });

  it('CORDA-LB-02 fails when the view holds the cold node up, and when traffic through the load balancer reaches nobody', () => {
    expectStatus('CORDA-LB-02', withObservation(observation(() => ({ ...steady(), lbView: { ...view('UP', 'DOWN'), web: { primary: 'UP', backup: 'UP' } } }))), 'failed', /the load balancer held backup UP for web although primary was the active node: the probe marks both healthy \(27 samples from t=0 ms\)/);
    expectStatus('CORDA-LB-02', withObservation(observation((i) => (i % 2 ? { ...steady(), routed: { p2p: 'primary', web: null } } : steady()))), 'failed', /web traffic through the load balancer reached nobody while primary was active/);
  });
});

describe('naming the node behind the load balancer from a sample', () => {
  it('the one machine with the port open; among several, the one the load balancer holds UP; else it cannot say', () => {
    assert.equal(nameRouted('p2p', { nodes: { primary: hot, backup: cold } }), 'primary');
    assert.equal(nameRouted('web', { nodes: { primary: hot, backup: { p2p: false, rpc: false, web: true } }, lbView: { web: { primary: 'UP', backup: 'DOWN 1/2' } } }), 'primary');
    assert.equal(nameRouted('web', { nodes: { primary: hot, backup: hot }, lbView: view('UP', 'UP') }), undefined, 'both open and both UP: either could have answered');
    assert.equal(nameRouted('rpc', { nodes: { primary: cold, backup: cold } }), 'unknown', 'something answered that is none of the described nodes');
  });
});
