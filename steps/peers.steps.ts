/** Peers of an organization (FAB-PEER-01 to 04). FAB-PEER-05 is a drill: drills.steps.ts. */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import { settingStep } from '../support/scenario-settings.ts';
import { placementShown } from '../support/evidence/placement.ts';

When('the peers are mapped to the regions they run in', async function (this: HaWorld) {
  await this.show(
    'peers by region',
    this.fabric().orgs.map((o) => ({ org: o.name, peers: Object.fromEntries(o.peers.map((p) => [p.name, placementShown(p.placement)])) })),
  );
});

When('the MSP IDs and certificates of every peer are read', async function (this: HaWorld) {
  await this.show(
    'peer identities',
    this.fabric().orgs.flatMap((o) =>
      o.peers.map((p) => ({ org: o.name, orgMspId: o.mspId, peer: p.name, mspId: p.mspId, tlsIssuer: p.tlsCert?.issuer, tlsVerifiedBy: p.tlsCert?.verifiedBy, enrolmentIssuer: p.enrollmentCert?.issuer })),
    ),
  );
});

When('the channels every peer has joined are compared', async function (this: HaWorld) {
  await this.show('channels per peer', this.fabric().orgs.flatMap((o) => o.peers.map((p) => ({ org: o.name, peer: p.name, channels: p.channels ?? 'unknown' }))));
});

When('every peer reports its ledger height on each channel', async function (this: HaWorld) {
  await this.show('ledger heights (live)', this.evidence().live.peerHeights);
});

When('the anchor peers of every organization are read from each channel configuration', async function (this: HaWorld) {
  await this.show(
    'anchor peers per channel',
    this.fabric().channels.map((ch) => ({ channel: ch.name, orgs: ch.applicationOrgs.map((o) => ({ org: o.name, anchorPeers: o.anchorPeers.map((a) => `${a.host}:${a.port}`) })) })),
  );
});

Then(settingStep('maxLedgerLag'), function (this: HaWorld, maxLedgerLag: number) {
  return this.judgeWith({ maxLedgerLag });
});

for (const text of [
  'every organization keeps a peer when any single region fails',
  'all peers of an organization share its MSP ID',
  "every peer's certificate is issued by its organization's CA",
  'the peers of an organization are joined to the same channels',
  'every peer is an anchor peer of its organization on every channel it belongs to',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
