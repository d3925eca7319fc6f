/**
 * Channel configurations as they age (FAB-ORD-10, FAB-ORD-13, FAB-CERT-01, FAB-CAP-01). "When" steps show the
 * evidence the check reads; "Then" steps judge the scenario's guarantee with its check, the same one ha-validate runs.
 */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import { settingStep } from '../support/scenario-settings.ts';
import { findOrderer } from '../support/checks/common.ts';

When("the consenter entries of every channel are compared with each ordering node's current TLS certificate", async function (this: HaWorld) {
  const f = this.fabric();
  const presented = this.evidence().live.presentedCerts ?? {};
  await this.show(
    'consenter keys per channel',
    f.channels.map((ch) => ({
      channel: ch.name,
      consenters: ch.consenters.map((c) => {
        const node = findOrderer(f.orderers, c);
        return {
          consenter: `${c.host}:${c.port}`,
          node: node?.name,
          entryKey: c.serverTlsCert?.publicKeyFingerprint,
          fileKey: node?.tlsCert?.publicKeyFingerprint,
          presentedKey: presented[`${c.host}:${c.port}`]?.publicKeyFingerprint,
        };
      }),
    })),
  );
  await this.show('channels the ordering nodes take part in (live)', this.evidence().live.participation);
});

When('the orderer endpoints of every channel are mapped to the regions of the ordering nodes they name', async function (this: HaWorld) {
  const f = this.fabric();
  await this.show(
    'orderer endpoints per channel',
    f.channels.map((ch) => ({
      channel: ch.name,
      organizations: ch.ordererOrgs.map((o) => ({ org: o.mspId ?? o.name, endpoints: o.endpoints ?? 'none' })),
      ...(ch.ordererAddresses ? { channelOrdererAddresses: ch.ordererAddresses } : {}),
    })),
  );
  await this.show('ordering nodes by region', f.orderers.map((o) => ({ name: o.name, host: o.host, region: o.region ?? 'unknown' })));
});

When('the CA, intermediate and admin certificates of every channel configuration are read', async function (this: HaWorld) {
  await this.show(
    'channel MSP certificates',
    this.fabric().channels.map((ch) => ({
      channel: ch.name,
      organizations: [...ch.applicationOrgs, ...ch.ordererOrgs].map((o) => ({
        org: o.mspId ?? o.name,
        notAfter: Object.fromEntries(
          (['rootCerts', 'intermediateCerts', 'tlsRootCerts', 'tlsIntermediateCerts', 'admins'] as const).map((k) => [k, (o[k] ?? []).map((c) => `${c.subject}: ${c.notAfter}`)]),
        ),
      })),
    })),
  );
});

When('the capability levels of every channel are read', async function (this: HaWorld) {
  await this.show('capabilities per channel', this.fabric().channels.map((ch) => ({ channel: ch.name, ...ch.capabilities })));
});

When('the Fabric release of every node is read from its image and its operations endpoint', async function (this: HaWorld) {
  const e = this.evidence();
  await this.show('node images (manifests or Kubernetes API)', this.fabric().kubernetes.map((k) => ({ region: k.region, pods: k.pods.map((p) => ({ pod: p.name, images: p.images })) })));
  await this.show('node versions (live GET /version)', e.live.nodeVersions ?? e.live.unobserved?.['FAB-CAP-01'] ?? 'none read');
});

Then(settingStep('channelCertExpiryWarningDays'), function (this: HaWorld, channelCertExpiryWarningDays: number) {
  return this.judgeWith({ channelCertExpiryWarningDays });
});

for (const text of [
  "every consenter entry holds the public key of its node's current TLS certificate",
  'every organization that hosts ordering nodes publishes its orderer endpoints',
  'they name an ordering node in every region the organization runs one in',
  'every node runs a release at or above the capability levels of its channels',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
