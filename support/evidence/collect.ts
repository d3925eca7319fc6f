/**
 * Static evidence: everything the descriptor points at that can be read without a running system — manifests,
 * KIND configs, certificates, channel configurations, node.conf files, load-balancer exports — gathered into one
 * `Evidence` for the checks. Every collector runs; their InputErrors are collected and thrown together.
 *
 * Files are read once (certificate files are cached by path, certificates by content, signature checks by
 * pair), and independent reads run concurrently, so a 200-peer × 20-channel descriptor takes well under a second.
 */
import { InputError, InputErrors } from '../errors.ts';
import type { RegionSpec, TargetDescriptor } from '../descriptor/types.ts';
import { CertificateReader } from './certificates.ts';
import { readCordaNode } from './corda/node-conf.ts';
import { readNodeConfigFile, withNodeConfigs } from './fabric/node-config.ts';
import { readKindConfig } from './kubernetes/kind-config.ts';
import { readKubernetesManifests } from './kubernetes/manifests.ts';
import { readLoadBalancer } from './load-balancer/index.ts';
import {
  defaultSettings,
  type CertificateInfo,
  type CheckSettings,
  type CordaEvidence,
  type Evidence,
  type FabricEvidence,
  type FabricOrgInfo,
  type KubernetesClusterInfo,
  type NodeInfo,
  type OrderingNodeInfo,
  type PeerInfo,
  type PlacementClaims,
} from './model.ts';
import { InputBudget } from './input.ts';
import { redact, redactCredentials } from './redact.ts';
import { placeFabric } from './placement.ts';
import { SETTING_KEYS, descriptorOrigin } from './settings.ts';

export interface CollectOptions {
  /** the environment node.conf `${VAR}` falls back to (default: process.env) */
  processEnv?: NodeJS.ProcessEnv;
}

/** Hide a password carried inside a URL or JDBC URL (every form the redaction layer knows). */
export function redactUrlPassword(url: string): string {
  return redactCredentials(url);
}

export async function collectStaticEvidence(descriptor: TargetDescriptor, options: CollectOptions = {}): Promise<Evidence> {
  const errors: InputError[] = [];
  const guard = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof InputErrors) errors.push(...err.errors);
      else if (err instanceof InputError) errors.push(err);
      else throw err;
      return undefined;
    }
  };

  const settings: CheckSettings = { ...defaultSettings, ...(descriptor.settings as Partial<CheckSettings>) };
  const settingOrigins = Object.fromEntries(SETTING_KEYS.filter((k) => descriptor.settings[k] !== undefined).map((k) => [k, descriptorOrigin(k)]));
  // one budget per run: the caps for all files of a kind together (docs/input-limits.md)
  const budget = new InputBudget();
  const reader = new CertificateReader(budget);
  const [fabric, corda] = await Promise.all([
    descriptor.fabric ? collectFabric(descriptor, reader, guard, budget) : Promise.resolve(undefined),
    descriptor.corda ? collectCorda(descriptor, options, guard, budget) : Promise.resolve(undefined),
  ]);
  if (errors.length) throw new InputErrors(dedupe(errors));

  const evidence: Evidence = {
    target: { name: descriptor.name, file: descriptor.file, disposable: descriptor.disposable },
    settings,
    settingOrigins,
    live: { timelines: {} },
  };
  if (fabric) evidence.fabric = fabric;
  if (corda) evidence.corda = corda;
  return evidence;
}

type Guard = <T>(p: Promise<T>) => Promise<T | undefined>;

function dedupe(errors: InputError[]): InputError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true)));
}

// ---------------------------------------------------------------------------------------------------------------
// Fabric

async function collectCluster(region: RegionSpec, guard: Guard, budget: InputBudget): Promise<KubernetesClusterInfo | undefined> {
  const k = region.kubernetes;
  if (!k || (!k.manifests?.length && !k.kindConfig)) return undefined;
  const [manifests, kind] = await Promise.all([
    k.manifests?.length ? guard(readKubernetesManifests(k.manifests, region.name, { budget })) : Promise.resolve(undefined),
    k.kindConfig ? guard(readKindConfig(k.kindConfig)) : Promise.resolve(undefined),
  ]);
  const cluster: KubernetesClusterInfo = manifests ?? { region: region.name, origin: 'manifests', pods: [], services: [], nodes: [], sources: [] };
  if (kind) {
    cluster.kubeProxyMode = { mode: kind.kubeProxyMode.mode, source: kind.kubeProxyMode.source };
    cluster.sources = [...cluster.sources, kind.source];
    // KIND's nodes, unless a Node manifest says more about the same node
    const byName = new Map<string, NodeInfo>(cluster.nodes.map((n) => [n.name, n]));
    for (const n of kind.nodes) {
      const existing = byName.get(n.name);
      if (existing) existing.labels = { ...n.labels, ...existing.labels };
      else cluster.nodes.push({ name: n.name, labels: n.labels, source: n.source });
    }
  }
  return cluster;
}

interface CertRead {
  cert: CertificateInfo;
  chain: CertificateInfo[];
}

async function readCert(reader: CertificateReader, file: string | undefined, guard: Guard): Promise<CertRead | undefined> {
  if (!file) return undefined;
  const certs = await guard(reader.readFile(file));
  if (!certs || certs.length === 0) return undefined;
  // the node's own certificate is the first of the file; the rest is its chain
  return { cert: { ...certs[0], source: file }, chain: certs.slice(1) };
}

async function readCas(reader: CertificateReader, files: string[], guard: Guard): Promise<CertificateInfo[]> {
  const lists = await Promise.all(files.map((f) => guard(reader.readFile(f))));
  return lists.flatMap((l) => l ?? []);
}

async function collectFabric(descriptor: TargetDescriptor, reader: CertificateReader, guard: Guard, budget: InputBudget): Promise<FabricEvidence> {
  const spec = descriptor.fabric!;

  // regions one after the other: manifests are the slowest input to parse, and memory holds one file's text at a time
  const clustersP = (async () => {
    const out: Array<KubernetesClusterInfo | undefined> = [];
    for (const r of descriptor.regions) out.push(await collectCluster(r, guard, budget));
    return out;
  })();

  const orderingP = Promise.all(
    spec.ordering.map(async (org) => {
      const cas = await readCas(reader, org.ca, guard);
      const nodes = await Promise.all(
        org.nodes.map(async (n) => ({ n, tls: await readCert(reader, n.tlsCert, guard), enroll: await readCert(reader, n.enrollmentCert, guard) })),
      );
      return { org, cas, nodes };
    }),
  );
  const orgsP = Promise.all(
    spec.organizations.map(async (org) => {
      const cas = await readCas(reader, org.ca, guard);
      const peers = await Promise.all(
        org.peers.map(async (p) => ({ p, tls: await readCert(reader, p.tlsCert, guard), enroll: await readCert(reader, p.enrollmentCert, guard) })),
      );
      return { org, cas, peers };
    }),
  );
  // loaded only when a channel is listed: the Fabric protobuf definitions are the largest module of a validation
  const channelsP = spec.channels.length
    ? import('./fabric/channel-config.ts').then(({ readChannelConfig }) => Promise.all(spec.channels.map((c) => guard(readChannelConfig(c.config, { name: c.name, reader, budget })))))
    : Promise.resolve([]);
  // the orderer.yaml / core.yaml the descriptor names for nodes whose configuration no manifest shows
  const configFilesP = Promise.all([
    ...spec.ordering.flatMap((org, oi) =>
      org.nodes.map((n, ni) => (n.config ? guard(readNodeConfigFile(n.config, n.name, 'orderer', `fabric.ordering[${oi}].nodes[${ni}].config`)) : Promise.resolve(undefined))),
    ),
    ...spec.organizations.flatMap((org, oi) =>
      org.peers.map((p, pi) => (p.config ? guard(readNodeConfigFile(p.config, p.name, 'peer', `fabric.organizations[${oi}].peers[${pi}].config`)) : Promise.resolve(undefined))),
    ),
  ]);

  const [clusterList, ordering, orgs, channelList, configFileList] = await Promise.all([clustersP, orderingP, orgsP, channelsP, configFilesP]);
  const configFiles = configFileList.filter((f) => f !== undefined);
  const kubernetes = clusterList.filter((c): c is KubernetesClusterInfo => c !== undefined);
  const verify = (r: CertRead | undefined, cas: CertificateInfo[]) => (r ? reader.withVerification(r.cert, cas, r.chain) : undefined);

  const orderers: OrderingNodeInfo[] = [];
  const orderingOrgs: FabricOrgInfo[] = ordering.map(({ org, cas, nodes }, oi) => {
    for (const [ni, { n, tls, enroll }] of nodes.entries()) {
      const claims = claimsOf(n, `${descriptor.file}#fabric.ordering[${oi}].nodes[${ni}]`);
      const info: OrderingNodeInfo = { name: n.name, org: org.name, mspId: org.mspId, host: n.host, port: n.port, claims, placement: { conflicts: [] } };
      const t = verify(tls, cas);
      const e = verify(enroll, cas);
      if (t) info.tlsCert = t;
      if (e) info.enrollmentCert = e;
      orderers.push(info);
    }
    return { name: org.name, mspId: org.mspId, cas, peers: [] };
  });

  const fabricOrgs: FabricOrgInfo[] = orgs.map(({ org, cas, peers }, oi) => {
    const info: FabricOrgInfo = {
      name: org.name,
      mspId: org.mspId,
      cas,
      peers: peers.map(({ p, tls, enroll }, pi) => {
        const claims = claimsOf(p, `${descriptor.file}#fabric.organizations[${oi}].peers[${pi}]`);
        const peer: PeerInfo = { name: p.name, org: org.name, mspId: org.mspId, host: p.host, port: p.port, claims, placement: { conflicts: [] } };
        const t = verify(tls, cas);
        const e = verify(enroll, cas);
        if (t) peer.tlsCert = t;
        if (e) peer.enrollmentCert = e;
        if (p.channels) peer.channels = [...p.channels];
        return peer;
      }),
    };
    if (org.gatewayService) info.gatewayService = org.gatewayService;
    if (org.gatewayAliases) info.gatewayAliases = [...org.gatewayAliases];
    return info;
  });

  // consenter certificates are checked against the CAs of every ordering organization the descriptor names
  const orderingCas = orderingOrgs.flatMap((o) => o.cas);
  const channels = channelList
    .filter((c) => c !== undefined)
    .map((c) => {
      if (orderingCas.length === 0) return c;
      return {
        ...c,
        consenters: c.consenters.map((k) => ({
          ...k,
          ...(k.serverTlsCert ? { serverTlsCert: reader.withVerification(k.serverTlsCert, orderingCas) } : {}),
          ...(k.clientTlsCert ? { clientTlsCert: reader.withVerification(k.clientTlsCert, orderingCas) } : {}),
        })),
      };
    });

  const clusterNames = Object.fromEntries(descriptor.regions.filter((r) => r.kubernetes).map((r) => [r.name, r.kubernetes!.context ?? r.name]));
  // where every node runs: from the Kubernetes evidence, its descriptor claims cross-checked (placement.ts)
  const placed = placeFabric({
    regions: descriptor.regions.map((r) => r.name),
    orderingOrgs,
    orderers,
    orgs: fabricOrgs,
    channels,
    kubernetes,
    clusterNames,
    ...(configFiles.length ? { configFiles } : {}),
  });
  // how every node is configured, from its pods and files (a node's unreadable configuration file is bad input)
  const configured = await guard(Promise.resolve().then(() => withNodeConfigs(placed, true)));
  return configured ?? placed;
}

/** What a descriptor node claims about where it runs, and the entry that claims it. */
function claimsOf(n: { region?: string; workerNode?: string; zone?: string }, source: string): PlacementClaims {
  const claims: PlacementClaims = { source };
  if (n.region !== undefined) claims.region = n.region;
  if (n.workerNode !== undefined) claims.workerNode = n.workerNode;
  if (n.zone !== undefined) claims.zone = n.zone;
  return claims;
}

// ---------------------------------------------------------------------------------------------------------------
// Corda

async function collectCorda(descriptor: TargetDescriptor, options: CollectOptions, guard: Guard, budget: InputBudget): Promise<CordaEvidence> {
  const spec = descriptor.corda!;
  const [nodes, loadBalancer] = await Promise.all([
    Promise.all(spec.nodes.map((n) => guard(readCordaNode(n, { filesToMatch: spec.filesToMatch, processEnv: options.processEnv, budget })))),
    spec.loadBalancer?.export ? guard(readLoadBalancer(spec.loadBalancer.export, { format: spec.loadBalancer.format })) : Promise.resolve(undefined),
  ]);
  const corda: CordaEvidence = {
    nodes: nodes
      .filter((n) => n !== undefined)
      .map((n) => ({
        ...n,
        ...(n.dataSource.url ? { dataSource: { ...n.dataSource, url: redactUrlPassword(n.dataSource.url) } } : {}),
        // for display only: the descriptor's secrets (e.g. a password node.conf read from the environment)
        redactedConfig: redact(n.redactedConfig, descriptor.secrets),
      })),
    ports: { ...spec.ports },
  };
  if (loadBalancer) corda.loadBalancer = loadBalancer;
  if (spec.loadBalancer?.address) corda.loadBalancerAddress = spec.loadBalancer.address;
  const db = spec.database;
  if (db && (db.url || db.user)) {
    corda.database = { source: `${descriptor.file}#corda.database` };
    if (db.url) corda.database.url = redactUrlPassword(db.url);
    if (db.user) corda.database.user = db.user;
  }
  return corda;
}
