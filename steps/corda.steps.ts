/**
 * Corda hot-cold pair, configuration side (CORDA-ID-01, CFG-01, CFG-02, DB-01, FS-01, LB-01). The live and drill
 * scenarios (HA-01, HA-02, LB-02, LB-03) are in drills.steps.ts.
 */
import { Then, When } from '@cucumber/cucumber';
import type { HaWorld } from '../support/world.ts';

When('the node.conf of both nodes is read', async function (this: HaWorld) {
  // redactedConfig has passwords removed by the collector
  await this.show(
    'node.conf',
    this.corda().nodes.map((n) => ({
      name: n.name,
      role: n.role,
      source: n.source,
      myLegalName: n.myLegalName,
      p2pAddress: n.p2pAddress,
      rpcAddress: n.rpcAddress,
      adminAddress: n.adminAddress,
      mutualExclusion: n.mutualExclusion,
      literalPlaceholders: n.literalPlaceholders,
    })),
  );
});

When("the files the backup must carry are compared with the primary's", async function (this: HaWorld) {
  await this.show('file hashes', this.corda().nodes.map((n) => ({ name: n.name, role: n.role, files: n.fileHashes })));
});

When('the data source settings of both nodes are read', async function (this: HaWorld) {
  const c = this.corda();
  await this.show('data sources', { nodes: c.nodes.map((n) => ({ name: n.name, dataSource: n.dataSource })), descriptor: c.database });
});

When('the harness connects to the database', async function (this: HaWorld) {
  await this.show('database reachability (live)', this.evidence().live.database);
});

When('the artemis directories of both nodes are resolved', async function (this: HaWorld) {
  await this.show('artemis directories', this.corda().nodes.map((n) => ({ name: n.name, artemis: n.artemis })));
});

When("a file written through one node's artemis directory is looked for through the other's", async function (this: HaWorld) {
  await this.show('shared drive probe (live)', this.evidence().live.sharedDrive);
});

When("the load balancer's configuration is read", async function (this: HaWorld) {
  await this.show('load balancer', this.corda().loadBalancer);
});

for (const text of [
  'both nodes have the same myLegalName',
  'the backup carries the same certificates, node infos, network parameters and CorDapps as the primary',
  'mutual exclusion is on for both nodes',
  'waitInterval is greater than updateInterval',
  'machineName, where it is set, differs between the nodes',
  "both nodes advertise the load balancer's address and P2P port as their p2pAddress",
  "each node's rpcSettings.address and adminAddress are its own machine's",
  'both nodes use the same JDBC URL and user',
  'the database is reachable',
  'both artemis directories are the one shared drive',
  'it has a health probe for P2P, RPC and web, each with an interval and an unhealthy threshold',
  'a rule per port forwards to the same backend port',
  'its backend pool holds both machines, with no session persistence',
]) {
  Then(text, function (this: HaWorld) {
    return this.judge();
  });
}
