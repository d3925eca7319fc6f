/**
 * The guarantees judged from the nodes' own configuration (FAB-ORD-11, FAB-ORD-12, FAB-PEER-06). "When" steps show
 * the configuration each check reads; "Then" steps judge with its check. The restart of FAB-ORD-12 is a drill, run
 * once per run the first time a scenario needs it.
 */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import type { NodeConfigInfo } from '../support/evidence/model.ts';
import { settingStep } from '../support/scenario-settings.ts';

/** a node's configuration for the reader: each value with where it came from */
function shown(views: NodeConfigInfo[], keys?: readonly string[]) {
  return views.map((v) => ({
    node: v.node,
    from: v.source,
    values: Object.fromEntries(
      Object.entries(v.values)
        .filter(([k]) => !keys || keys.includes(k))
        .map(([k, x]) => [k, `${x.value === null ? 'unknown' : JSON.stringify(x.value)} (${x.origin}: ${x.source})`]),
    ),
    ...(Object.keys(v.storage).length ? { storage: Object.fromEntries(Object.entries(v.storage).map(([k, s]) => [k, `${s.path}: ${s.kind}, ${s.detail}`])) } : {}),
    ...(v.problems.length ? { problems: v.problems } : {}),
  }));
}

When('the Raft options and the block size of every channel and the configuration of every node are read', async function (this: HaWorld) {
  const f = this.fabric();
  await this.show('Raft options and block size per channel', f.channels.map((ch) => ({ channel: ch.name, raftOptions: ch.raftOptions, batchSize: ch.batchSize })));
  await this.show('node configuration', shown(f.nodeConfigs ?? [], ['General.MaxRecvMsgSize', 'General.MaxSendMsgSize', 'Consensus.TickIntervalOverride', 'peer.maxRecvMsgSize', 'peer.maxSendMsgSize']));
});

When("the volumes behind every ordering node's data directories are read", async function (this: HaWorld) {
  await this.show('ordering node data directories', shown((this.fabric().nodeConfigs ?? []).filter((v) => v.role === 'orderer'), ['FileLedger.Location', 'Consensus.WALDir', 'Consensus.SnapDir']));
});

When('one ordering node of each region is restarted with its data', async function (this: HaWorld) {
  const timeline = await this.timeline();
  if (timeline) await this.show('restarts', timeline.events.filter((e) => ['fault', 'restore', 'exit', 'catch-up'].includes(e.kind)).map(({ at: _at, ...e }) => e));
});

When('the gossip settings of every peer are read', async function (this: HaWorld) {
  await this.show('peer gossip settings', shown((this.fabric().nodeConfigs ?? []).filter((v) => v.role === 'peer'), ['peer.gossip.useLeaderElection', 'peer.gossip.orgLeader', 'peer.gossip.externalEndpoint']));
});

// Steps with numbers: each is a setting of the check (support/evidence/settings.ts), in force for the whole scenario.
Then(settingStep('electionTimeoutRoundTrips'), function (this: HaWorld, electionTimeoutRoundTrips: number) {
  return this.judgeWith({ electionTimeoutRoundTrips });
});

Then(settingStep('grpcLimitBlockMultiple'), function (this: HaWorld, grpcLimitBlockMultiple: number) {
  return this.judgeWith({ grpcLimitBlockMultiple });
});

Then(settingStep('restartCatchUpBoundMs'), function (this: HaWorld, restartCatchUpBoundMs: number) {
  return this.judgeWith({ restartCatchUpBoundMs });
});

Then(settingStep('maxGatewayHeightSpread'), function (this: HaWorld, maxGatewayHeightSpread: number) {
  return this.judgeWith({ maxGatewayHeightSpread });
});

for (const text of [
  'every consenter of a channel ticks at the same interval',
  'every data directory is on a persistent volume',
  'no peer sets both useLeaderElection and orgLeader',
  'in every region of an organization a peer pulls blocks from the ordering service',
  'every peer behind a gateway Service publishes its external endpoint',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
