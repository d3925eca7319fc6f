/**
 * Observations and drills: region loss (FAB-ORD-03, FAB-PEER-05), a stopped peer behind the gateway (FAB-GW-04),
 * the Corda pair sampled (CORDA-HA-01, CORDA-LB-02), a lost database connection (CORDA-HA-02) and failover
 * (CORDA-LB-03). Each drill runs once per run, the first time a scenario needs it; its timeline is attached as
 * JSON and as a chart, and the check judges it (per region where the scenario names one).
 */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import type { TimelineEvent } from '../support/evidence/model.ts';
import { settingStep } from '../support/scenario-settings.ts';

async function showEvents(world: HaWorld, name: string, events: TimelineEvent[]): Promise<void> {
  await world.show(name, events.map(({ at: _at, ...e }) => e));
}

// --- region loss -------------------------------------------------------------------------------------------------

When('every ordering node of region {region} is stopped', async function (this: HaWorld, region: string) {
  const timeline = await this.timeline({ region });
  if (timeline) await showEvents(this, `region ${region} stopped`, timeline.events.filter((e) => e.kind === 'fault'));
});

When('every peer of region {region} is stopped', async function (this: HaWorld, region: string) {
  const timeline = await this.timeline({ region });
  if (timeline) await showEvents(this, `region ${region} stopped`, timeline.events.filter((e) => e.kind === 'fault'));
});

When('region {region} returns', async function (this: HaWorld, region: string) {
  const timeline = await this.timeline({ region });
  if (timeline) await showEvents(this, `region ${region} restored`, timeline.events.filter((e) => e.kind === 'restore'));
});

Then(settingStep('leaderElectionBoundMs'), function (this: HaWorld, leaderElectionBoundMs: number) {
  return this.judgeWith({ leaderElectionBoundMs });
});

Then('a new block is committed', function (this: HaWorld) {
  return this.judge();
});

Then('its ordering nodes catch up to the same block height as the others', function (this: HaWorld) {
  return this.judge();
});

Then('each organization answers a query through a peer outside region {region}', function (this: HaWorld, region: string) {
  return this.judge({ region });
});

// --- the gateway Service with one peer stopped ---------------------------------------------------------------------

When('new connections are made through each gateway Service', async function (this: HaWorld) {
  const timeline = await this.timeline();
  if (timeline) await showEvents(this, 'connections before the stop', timeline.events.filter((e) => e.kind === 'connect' && e.phase === 'before'));
});

When('one peer behind each gateway Service is stopped', async function (this: HaWorld) {
  const timeline = await this.timeline();
  if (timeline) await showEvents(this, 'peers stopped', timeline.events.filter((e) => e.kind === 'fault'));
});

Then('the report says what happened to the long-lived connection to the stopped peer', async function (this: HaWorld) {
  const outcome = await this.judge();
  const timeline = await this.timeline();
  if (timeline) {
    await showEvents(this, 'long-lived connections', timeline.events.filter((e) => e.kind === 'existing'));
    await this.note('an existing long-lived gRPC connection is not moved to another peer when its peer stops: that is expected; the client reconnects through the Service');
  }
  return outcome;
});

// --- the Corda pair -------------------------------------------------------------------------------------------------

for (const text of [
  'both nodes are sampled often enough to catch an overlap',
  'P2P, RPC and web connections are made through the load balancer\'s address',
  'the active node loses its database connection',
  'the hot node is stopped',
  'the hot node is cut off from the database and the load balancer at once',
]) {
  When(text, async function (this: HaWorld) {
    const timeline = await this.timeline();
    if (timeline) await showEvents(this, 'faults', timeline.events.filter((e) => e.kind === 'fault'));
  });
}

Then(settingStep('samplePeriodMs'), function (this: HaWorld, samplePeriodMs: number) {
  return this.judgeWith({ samplePeriodMs });
});

Then('the measured failover time is reported', async function (this: HaWorld) {
  const outcome = await this.judge();
  await this.note((await this.verdict()).message);
  return outcome;
});

for (const text of [
  'the new connections were spread over the organization\'s peers',
  'after the stop every new connection reaches a working peer',
  'exactly one node holds the mutual-exclusion lease',
  'only the lease holder accepts P2P and RPC connections',
  'a second node started while it runs does not become active',
  'it stops accepting P2P and RPC connections',
  'they reach the active node',
  'the load balancer holds the active node healthy and the other unhealthy',
  'the backup takes the lease once waitInterval has passed',
  'the load balancer routes to the backup within the bound',
  'at no moment are both nodes active',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
