/** The peer gateway Service on Kubernetes (FAB-GW-01 to 03). FAB-GW-04 is a drill: drills.steps.ts. */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';
import { settingStep } from '../support/scenario-settings.ts';

When('the gateway Service of each organization is matched against the pods of its cluster', async function (this: HaWorld) {
  const f = this.fabric();
  const gateways = new Set(f.orgs.map((o) => o.gatewayService).filter(Boolean));
  await this.show(
    'gateway Services and pods',
    f.kubernetes.map((k) => ({
      region: k.region,
      services: k.services.filter((s) => gateways.has(s.name)).map((s) => ({ name: s.name, selector: s.selector, ports: s.ports, endpoints: s.endpoints })),
      pods: k.pods.map((p) => ({ name: p.name, labels: p.labels, ports: p.containerPorts, ready: p.ready })),
    })),
  );
});

When('the kube-proxy mode of every cluster is read', async function (this: HaWorld) {
  await this.show('kube-proxy mode', this.fabric().kubernetes.map((k) => ({ region: k.region, kubeProxyMode: k.kubeProxyMode ?? 'unknown' })));
});

When("the subject alternative names of every peer's TLS certificate are read", async function (this: HaWorld) {
  await this.show(
    'peer certificate names',
    this.fabric().orgs.flatMap((o) =>
      o.peers.map((p) => ({ org: o.name, gatewayService: o.gatewayService, peer: p.name, host: p.host, dnsNames: p.tlsCert?.dnsNames, ipAddresses: p.tlsCert?.ipAddresses })),
    ),
  );
});

Then(settingStep('gatewayPeerPort'), function (this: HaWorld, gatewayPeerPort: number, minGatewayPeers: number) {
  return this.judgeWith({ gatewayPeerPort, minGatewayPeers });
});

for (const text of [
  'its selector picks every peer pod of the organization in that cluster and no other pod',
  'kube-proxy runs in ipvs mode everywhere',
  "every certificate names the peer's own host and its organization's gateway Service",
  'a TLS handshake to each gateway Service by its name verifies',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
