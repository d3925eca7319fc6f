/**
 * Raft ordering service (FAB-ORD-01, 02, 04 to 09). "When" steps show the evidence the check reads; "Then" steps
 * judge the scenario's guarantee with its check, the same one ha-validate runs.
 */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import { settingStep } from '../support/scenario-settings.ts';
import { placementShown } from '../support/evidence/placement.ts';

When('the consenters of every channel are read from its channel configuration', async function (this: HaWorld) {
  await this.show(
    'consenters per channel',
    this.fabric().channels.map((ch) => ({
      channel: ch.name,
      consensusType: ch.consensusType,
      consenters: ch.consenters.map((c) => `${c.host}:${c.port}`),
      source: ch.source,
    })),
  );
});

When('the ordering nodes report their Raft cluster size', async function (this: HaWorld) {
  await this.show('orderer metrics (live)', this.evidence().live.ordererMetrics);
});

When('the consenters are mapped to the regions their ordering nodes run in', async function (this: HaWorld) {
  const f = this.fabric();
  const byAddress = new Map(f.orderers.map((o) => [`${o.host}:${o.port}`, o]));
  await this.show(
    'consenters by region',
    f.channels.map((ch) => ({
      channel: ch.name,
      consenters: ch.consenters.map((c) => {
        const o = byAddress.get(`${c.host}:${c.port}`);
        return { consenter: `${c.host}:${c.port}`, ...(o ? { orderer: o.name, ...placementShown(o.placement) } : { region: 'unknown: no ordering node of the descriptor' }) };
      }),
    })),
  );
});

When('the deployed ordering nodes are compared with the consenters of every channel', async function (this: HaWorld) {
  const f = this.fabric();
  await this.show('deployed ordering nodes', f.orderers.map((o) => `${o.name} (${o.host}:${o.port})`));
  await this.show('consenters per channel', f.channels.map((ch) => ({ channel: ch.name, consenters: ch.consenters.map((c) => `${c.host}:${c.port}`) })));
});

When('each ordering node reports its channel participation', async function (this: HaWorld) {
  await this.show('channel participation (live)', this.evidence().live.participation);
});

When('the ordering pods are mapped to their worker nodes and zones', async function (this: HaWorld) {
  await this.show(
    'ordering node placement',
    this.fabric().orderers.map((o) => ({ name: o.name, org: o.org, cluster: o.cluster, workerNode: 'unknown', zone: 'unknown', ...placementShown(o.placement) })),
  );
});

When('the enrolment and TLS certificates of every ordering node are read', async function (this: HaWorld) {
  await this.show(
    'ordering node certificates',
    this.fabric().orderers.map((o) => ({
      name: o.name,
      tls: o.tlsCert && { subject: o.tlsCert.subject, issuer: o.tlsCert.issuer, serial: o.tlsCert.serialNumber, verifiedBy: o.tlsCert.verifiedBy },
      enrolment: o.enrollmentCert && { subject: o.enrollmentCert.subject, issuer: o.enrollmentCert.issuer, serial: o.enrollmentCert.serialNumber, verifiedBy: o.enrollmentCert.verifiedBy },
    })),
  );
});

When('the round trip between ordering nodes of different regions is measured', async function (this: HaWorld) {
  await this.show('round trips (live)', this.evidence().live.roundTrips);
});

When("the expiry dates of the consenters' TLS certificates are read", async function (this: HaWorld) {
  await this.show(
    'consenter certificate expiry',
    this.fabric().channels.map((ch) => ({
      channel: ch.name,
      consenters: ch.consenters.map((c) => ({ consenter: `${c.host}:${c.port}`, serverTlsNotAfter: c.serverTlsCert?.notAfter, clientTlsNotAfter: c.clientTlsCert?.notAfter })),
    })),
  );
});

When("each consenter's host is compared with the names in its server TLS certificate", async function (this: HaWorld) {
  await this.show(
    'consenter hosts and certificate names',
    this.fabric().channels.map((ch) => ({
      channel: ch.name,
      consenters: ch.consenters.map((c) => ({ host: c.host, port: c.port, dnsNames: c.serverTlsCert?.dnsNames, ipAddresses: c.serverTlsCert?.ipAddresses })),
    })),
  );
});

// Steps with numbers: each number is a setting of the check (support/evidence/settings.ts), in force for the
// whole scenario (read before it runs), so "at least 7 consenters" judges seven.
Then(settingStep('minConsenters'), function (this: HaWorld, minConsenters: number) {
  return this.judgeWith({ minConsenters });
});

Then(settingStep('maxRoundTripMs'), function (this: HaWorld, maxRoundTripMs: number) {
  return this.judgeWith({ maxRoundTripMs });
});

Then(settingStep('certExpiryWarningDays'), function (this: HaWorld, certExpiryWarningDays: number) {
  return this.judgeWith({ certExpiryWarningDays });
});

Then(settingStep('certExpiryMajorityWindowDays'), function (this: HaWorld, certExpiryMajorityWindowDays: number) {
  return this.judgeWith({ certExpiryMajorityWindowDays });
});

for (const text of [
  'for every region, the consenters outside it still form a majority',
  'every deployed ordering node is an active consenter of every channel',
  'every consenter is a deployed ordering node',
  'no two ordering nodes of one organization in one cluster share a worker node',
  'they are spread over distinct zones where the cluster has zones',
  "every certificate is issued by the ordering organization's CA",
  'no two ordering nodes share a certificate',
  "every consenter's certificate names its host",
  'a TLS handshake to each consenter by that host name verifies',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
