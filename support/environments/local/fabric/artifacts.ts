/**
 * The artifacts phase of the Fabric part: the PKI and the channel configuration blocks from the fixture generator,
 * for the variant's topology and this run's addresses (so the descriptor passes the same static checks as the
 * reference fixture), with the certificates the variant issues otherwise (`changes.certificates`), and the names
 * every node and gateway Service is dialled by (`live.hosts`). Keys stay in memory: the peers serve TLS in this
 * process, and the ordering service writes its nodes' own (orderers.ts).
 */
import { generateDeployment, planDeployment, FileWriter, writeChannel, writeNodeCerts, type GeneratedDeployment } from '../../../reference/generate.ts';
import { issueOrdererPki, issueOrgPki, issuePeerPki, type DeploymentPki, type NodePki } from '../../../reference/pki.ts';
import type { DeploymentPlan, GenerateOptions, OrdererPlan } from '../../../reference/plan.ts';
import type { FabricChanges } from '../../variants.ts';
import type { GatewayPlan } from './addresses.ts';
import { NameResolver } from './names.ts';

export interface FabricArtifacts {
  gen: GeneratedDeployment;
  /** organization (the ordering one included) → its CA and TLS CA certificates (PEM) */
  cas: Record<string, string[]>;
  /** the descriptor's `live.hosts`: every node's host name and every gateway Service's names, to their addresses */
  hosts: Record<string, string>;
  resolver: NameResolver;
}

/** Generate the deployment into `dir` with the nodes at `nodeAddresses`, as the variant changes its certificates. */
export async function generateArtifacts(
  dir: string,
  options: GenerateOptions,
  nodeAddresses: Record<string, string>,
  gateways: readonly GatewayPlan[],
  changes: FabricChanges,
): Promise<FabricArtifacts> {
  const withAddresses = { ...options, addresses: (_host: string, ref: { name: string }) => nodeAddresses[ref.name] };
  const gen = await generateDeployment(dir, withAddresses, await orderingPki(planDeployment(withAddresses)));
  const certificates = changes.certificates ?? {};
  if (certificates.withoutGatewaySan?.length) await dropGatewaySans(gen, certificates.withoutGatewaySan);
  if (certificates.rekeyed) await rekeyConsenter(gen, certificates.rekeyed.orderer, certificates.rekeyed.updated);
  const plan = gen.plan;
  const hosts = NameResolver.hostMap(
    Object.fromEntries([...plan.ordering.nodes, ...plan.orgs.flatMap((x) => x.peers)].map((n) => [n.host, nodeAddresses[n.name]])),
    gateways.flatMap((g) => {
      const org = plan.orgs.find((x) => x.name === g.org)!;
      return [org.gatewayService, org.gatewayAlias].map((service) => ({ service, region: g.region, address: g.address }));
    }),
  );
  const cas = Object.fromEntries(
    [plan.ordering.name, ...plan.orgs.map((x) => x.name)].map((org) => [org, [gen.pki.orgs[org].ca.certPem, gen.pki.orgs[org].tlsCa.certPem]]),
  );
  return { gen, cas, hosts, resolver: new NameResolver(hosts) };
}

/**
 * An ordering node's TLS certificate for Raft over TLS between the nodes: its own address and 127.0.0.1 as IP SANs.
 * A node dialling another on loopback connects from 127.0.0.1, and etcd checks the client certificate it presents
 * against that source address (by IP SAN, else by resolving the DNS SANs, which must never happen here).
 */
function clusterTls(plan: DeploymentPlan, pki: DeploymentPki, o: OrdererPlan): Promise<NodePki> {
  return issueOrdererPki(plan, pki.orgs[o.org], o, { ipAddresses: [...(o.address ? [o.address] : []), '127.0.0.1'] });
}

/** The ordering organization's PKI and its nodes' certificates, issued before the rest so the generator reuses them. */
async function orderingPki(plan: DeploymentPlan): Promise<DeploymentPki> {
  const pki: DeploymentPki = { orgs: { [plan.ordering.name]: await issueOrgPki(plan.ordering.name) }, nodes: {} };
  for (const o of plan.ordering.nodes) pki.nodes[o.name] = await clusterTls(plan, pki, o);
  return pki;
}

/** Re-issue some peers' TLS certificates without the gateway Service names (own host names only). */
async function dropGatewaySans(gen: GeneratedDeployment, peers: readonly string[]): Promise<void> {
  const w = new FileWriter(gen.dir);
  for (const name of peers) {
    const p = gen.plan.orgs.flatMap((o) => o.peers).find((x) => x.name === name);
    if (!p) throw new Error(`variant names an unknown peer ${name}`);
    const own = [p.host, `${p.host}.${gen.plan.namespace}.svc.cluster.local`];
    const reissued = await issuePeerPki(gen.plan, gen.pki.orgs[p.org], p, { dnsNames: own });
    gen.pki.nodes[name] = { tls: reissued.tls, enrollment: gen.pki.nodes[name].enrollment };
    await writeNodeCerts(w, 'peer', p.org, p.name, gen.pki.nodes[name]);
  }
}

/**
 * Renew one ordering node's TLS certificate with a new key (same CA, names and expiry), rewrite its certificate file
 * and the channels in `updated`; the others keep the old certificate, as a renewal that missed them.
 */
async function rekeyConsenter(gen: GeneratedDeployment, orderer: string, updated: readonly string[]): Promise<void> {
  const o = gen.plan.ordering.nodes.find((x) => x.name === orderer);
  if (!o) throw new Error(`variant names an unknown ordering node ${orderer}`);
  const renewed = await clusterTls(gen.plan, gen.pki, o);
  gen.pki.nodes[o.name] = { ...gen.pki.nodes[o.name], tls: renewed.tls };
  const w = new FileWriter(gen.dir);
  await writeNodeCerts(w, 'orderer', o.org, o.name, gen.pki.nodes[o.name]);
  for (const channel of updated) await writeChannel(w, gen.plan, gen.pki, channel, [gen.plan.descriptorChannelFormat]);
}
