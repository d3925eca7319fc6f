/**
 * Placement from evidence: where a node runs is what the Kubernetes evidence shows; the descriptor's region,
 * worker node and zone are claims, cross-checked, and a disagreement fails the guarantee that depends on it,
 * naming the claim, the evidence and its source.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { byId, evaluateCheck } from '../../support/checks/catalogue.ts';
import { collectStaticEvidence } from '../../support/evidence/collect.ts';
import type { Evidence, FabricEvidence, KubernetesClusterInfo } from '../../support/evidence/model.ts';
import { placeFabric } from '../../support/evidence/placement.ts';
import { loadTarget } from '../../support/descriptor/load.ts';
import { mergeLive } from '../../support/validate.ts';
import { buildEvidence } from '../helpers/evidence-builder.ts';
import { repoRoot } from '../helpers/cli.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');

function verdictOf(id: string, evidence: Evidence) {
  return evaluateCheck(byId(id)!, evidence);
}

/** the builder's evidence with its fabric changed and placed anew, as the collector would */
function replaced(change: (f: FabricEvidence) => void): Evidence {
  const e = buildEvidence();
  change(e.fabric!);
  e.fabric = placeFabric(e.fabric!);
  return e;
}

function movePod(f: FabricEvidence, pod: string, from: string, to: string): void {
  const src = f.kubernetes.find((k) => k.region === from)!;
  const dst = f.kubernetes.find((k) => k.region === to)!;
  const i = src.pods.findIndex((p) => p.name === pod);
  assert.ok(i >= 0, `no pod ${pod} in ${from}`);
  dst.pods.push({ ...src.pods[i], source: `api:${to}/pods/${pod}` });
  src.pods.splice(i, 1);
}

describe('placement from evidence', () => {
  it('places every node of the reference from its manifests, and its claims agree', async () => {
    const e = await collectStaticEvidence(await loadTarget(reference, {}));
    for (const o of e.fabric!.orderers) {
      assert.equal(o.placement.region?.basis, 'evidence', o.name);
      assert.match(o.placement.region!.source, /k8s\/r\d\/(pods|orderers)\.yaml#/);
      assert.equal(o.placement.workerNode?.basis, 'evidence', o.name);
      assert.deepEqual(o.placement.conflicts, [], o.name);
    }
    for (const p of e.fabric!.orgs.flatMap((o) => o.peers)) assert.equal(p.placement.region?.basis, 'evidence', p.name);
    assert.match(verdictOf('FAB-ORD-02', e).message, /regions from the Kubernetes manifests for 5 ordering nodes/);
  });

  it('a node whose workload is in another region than claimed fails FAB-ORD-02, naming the claim, the evidence and its source', () => {
    const e = replaced((f) => movePod(f, 'org0-orderer4-0', 'r3', 'r1'));
    const o4 = e.fabric!.orderers.find((o) => o.name === 'org0-orderer4')!;
    assert.equal(o4.region, 'r1', 'the evidence wins over the claim');
    const v = verdictOf('FAB-ORD-02', e);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org0-orderer4: the descriptor claims region r3 \(\/tmp\/reference\/target\.yaml#fabric\.ordering\[0\]\.nodes\[3\]\.region\), but the evidence shows region r1 \(Kubernetes API of region r1: api:r1\/pods\/org0-orderer4-0\)/);
    assert.match(v.message, /losing region r1 leaves 2 of 5 consenters/);
  });

  it('a workload found in two regions is not one place: FAB-ORD-02 fails and names both', () => {
    const e = replaced((f) => {
      const r3 = f.kubernetes.find((k) => k.region === 'r3')!;
      const pod = r3.pods.find((p) => p.name === 'org0-orderer5-0')!;
      f.kubernetes.find((k) => k.region === 'r2')!.pods.push({ ...pod, source: 'api:r2/pods/org0-orderer5-0' });
    });
    const v = verdictOf('FAB-ORD-02', e);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org0-orderer5: its workload is in the Kubernetes evidence of 2 regions, r2 \(.*\) and r3 \(.*\), so its region is not one place; the descriptor claims region r3/);
  });

  it('peers: a claim the evidence contradicts fails FAB-PEER-01', () => {
    const e = replaced((f) => {
      const pod = f.kubernetes.find((k) => k.region === 'r2')!.pods.find((p) => p.name.startsWith('org1-peer3-'))!;
      movePod(f, pod.name, 'r2', 'r1');
    });
    const v = verdictOf('FAB-PEER-01', e);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org1-peer3: the descriptor claims region r2 \(.*\), but the evidence shows region r1 \(.*org1-peer3-/);
  });

  it('a worker node or zone claim the pod contradicts fails FAB-ORD-05', () => {
    const e = replaced((f) => {
      const o1 = f.orderers.find((o) => o.name === 'org0-orderer1')!;
      o1.claims = { ...o1.claims, workerNode: 'r1-worker9', zone: 'r1-a' };
    });
    const v = verdictOf('FAB-ORD-05', e);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org0-orderer1: the descriptor claims worker node r1-worker9 \(.*nodes\[0\]\.workerNode\), but the evidence shows worker node r1-worker1 \(.*spec\.nodeName\)/);
    assert.doesNotMatch(v.message, /claims zone/, 'the zone claim agrees');
  });

  it('without any claim the evidence alone places the nodes', () => {
    const e = replaced((f) => {
      for (const o of f.orderers) o.claims = { source: o.claims.source };
      for (const p of f.orgs.flatMap((o) => o.peers)) p.claims = { source: p.claims.source };
    });
    for (const id of ['FAB-ORD-02', 'FAB-PEER-01', 'FAB-ORD-05']) assert.equal(verdictOf(id, e).status, 'passed', `${id}: ${verdictOf(id, e).message}`);
    assert.match(verdictOf('FAB-PEER-01', e).message, /regions from the Kubernetes API for 8 peers/);
  });

  it('without evidence the claims place the nodes, and the verdict says so', () => {
    const e = replaced((f) => {
      f.kubernetes = [];
    });
    const v = verdictOf('FAB-ORD-02', e);
    assert.equal(v.status, 'passed', v.message);
    assert.match(v.message, /regions as the descriptor claims them for 5 ordering nodes \(no Kubernetes evidence shows org0-orderer1, org0-orderer2, org0-orderer3 and 2 more\)/);
  });

  it('with neither a claim nor evidence the checks say they cannot place the node', async () => {
    const descriptor = await loadTarget(reference, {});
    for (const r of descriptor.regions) delete r.kubernetes;
    for (const n of descriptor.fabric!.ordering.flatMap((o) => o.nodes)) if (n.name === 'org0-orderer3') delete n.region;
    for (const p of descriptor.fabric!.organizations.flatMap((o) => o.peers)) if (p.name === 'org2-peer1') delete p.region;
    const e = await collectStaticEvidence(descriptor);
    const ord02 = verdictOf('FAB-ORD-02', e);
    assert.equal(ord02.status, 'skipped', ord02.message);
    assert.match(ord02.message, /cannot place org0-orderer3: the descriptor claims no region for it and no Kubernetes evidence/);
    const peer01 = verdictOf('FAB-PEER-01', e);
    assert.equal(peer01.status, 'skipped', peer01.message);
    assert.match(peer01.message, /cannot place org2-peer1/);
    // a region that already holds too many fails whatever the unplaced node's region is
    for (const n of descriptor.fabric!.ordering.flatMap((o) => o.nodes)) if (n.name === 'org0-orderer4' || n.name === 'org0-orderer5') n.region = 'r1';
    const crowded = verdictOf('FAB-ORD-02', await collectStaticEvidence(descriptor));
    assert.equal(crowded.status, 'failed', crowded.message);
    assert.match(crowded.message, /losing region r1 leaves at most 1 of 5 consenters/);
  });

  it('live Kubernetes evidence places the nodes anew: the API shows a pod in another region than the manifests did', async () => {
    const e = await collectStaticEvidence(await loadTarget(reference, {}));
    const api = (region: string): KubernetesClusterInfo => ({ ...structuredClone(e.fabric!.kubernetes.find((k) => k.region === region)!), origin: 'api', sources: [`kube-context kind-${region}`] });
    const r1 = api('r1');
    const r3 = api('r3');
    const moved = r3.pods.filter((p) => p.labels.app === 'org0-orderer4');
    r3.pods = r3.pods.filter((p) => !moved.includes(p));
    r1.pods.push(...moved.map((p) => ({ ...p, source: `api:r1/pods/${p.name}` })));
    const live = mergeLive(e, { kubernetes: [r1, r3] });
    const v = verdictOf('FAB-ORD-02', live);
    assert.equal(v.status, 'failed');
    assert.match(v.message, /org0-orderer4: the descriptor claims region r3 .*, but the evidence shows region r1 \(Kubernetes API of region r1: api:r1\/pods\/org0-orderer4/);
  });
});
