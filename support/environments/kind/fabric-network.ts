/**
 * What a run adds to the bundled reference so that it really runs on KIND clusters, one per region.
 *
 * The reference manifests (`support/reference/kubernetes.ts`) hold the topology and runnable workloads but no private
 * key and nothing that depends on the run. For each region's cluster this adds:
 *
 * - the namespace;
 * - per node of the region, its identity as two Secrets (`<node>-msp`: an MSP folder with NodeOUs; `<node>-tls`),
 *   from a PKI issued fresh for the run;
 * - per organization with nodes in the region, its admin identity (`<org>-admin`), used by the join Job;
 * - the channel's genesis block (ConfigMap `channel-genesis`), built by our encoder from the same PKI: consenters,
 *   orderer endpoints, organizations, **anchor peers** (so they are set from block 0), policies, capabilities;
 * - cross-region names: KIND clusters do not share DNS, so every node of *another* region gets a Service of its own
 *   name in this cluster, without a selector, whose EndpointSlice points at that region's worker nodes on the
 *   node's NodePort (a `<node>-x` NodePort Service in its home cluster). A consenter dialling `org0-orderer3:6050`
 *   from region r1 reaches the pod in r2, and the name it dialled is the one in the certificate's SANs. When a
 *   region's node containers stop, its names stop answering everywhere — a region loss as the other regions see it;
 * - a Job (`channel-join-<region>`, image fabric-tools) that joins the region's ordering nodes to the channel
 *   through the channel participation API (`osnadmin`, mutual TLS with the ordering org's admin), joins the
 *   region's peers (`peer channel join`, each org's admin) and prints each node's channel height. It retries until
 *   its nodes answer, and is idempotent (it checks before joining), so readiness waits on it like on a workload.
 */
import type { IssuedCertificate } from '../../pki/issue.ts';
import type { DeploymentPki } from '../../reference/pki.ts';
import type { DeploymentPlan } from '../../reference/plan.ts';
import { FABRIC_IMAGES, MSP_ITEMS, mspSecret, tlsSecret } from '../../reference/kubernetes.ts';

type Obj = Record<string, unknown>;

export const GENESIS_CONFIGMAP = 'channel-genesis';
export const MIRROR_LABEL = 'ha-conformance/remote-of';
export const NODE_PORT_BASE = 30600;
export const GATEWAY_NODE_PORT_BASE = 30800;
export const adminSecret = (org: string): string => `${org}-admin`;
export const joinJobName = (region: string): string => `channel-join-${region}`;

interface FabricNode {
  name: string;
  host: string;
  port: number;
  org: string;
  mspId: string;
  region: string;
  kind: 'orderer' | 'peer';
  portName: string;
}

/** Every orderer and peer of the plan, in a stable order (the order fixes the NodePorts). */
export function fabricNodes(plan: DeploymentPlan): FabricNode[] {
  return [
    ...plan.ordering.nodes.map((o) => ({ name: o.name, host: o.host, port: o.port, org: o.org, mspId: o.mspId, region: o.region, kind: 'orderer' as const, portName: 'general' })),
    ...plan.orgs.flatMap((g) =>
      g.peers.map((p) => ({ name: p.name, host: p.host, port: p.port, org: p.org, mspId: p.mspId, region: p.region, kind: 'peer' as const, portName: 'grpc' })),
    ),
  ];
}

/** The NodePort each node is published on in its home cluster: 30600, 30601, … in `fabricNodes` order. */
export function nodePorts(plan: DeploymentPlan): Record<string, number> {
  const nodes = fabricNodes(plan);
  if (NODE_PORT_BASE + nodes.length - 1 > 32767) throw new Error(`${nodes.length} Fabric nodes do not fit in the NodePort range from ${NODE_PORT_BASE}`);
  return Object.fromEntries(nodes.map((n, i) => [n.name, NODE_PORT_BASE + i]));
}

export interface GatewayPlacement {
  /** `<service>@<region>`, as the FAB-GW-04 drill names a gateway */
  gateway: string;
  service: string;
  org: string;
  region: string;
  /** the peers behind it in that region */
  peers: string[];
  port: number;
  /** the NodePort of its `<service>-np` twin, published on the host by the cluster config */
  nodePort: number;
}

/** Every organization's gateway Service in every region where it has peers, with the NodePort of its twin. */
export function gatewayPlacements(plan: DeploymentPlan): GatewayPlacement[] {
  const out: GatewayPlacement[] = [];
  for (const org of plan.orgs) {
    for (const region of [...new Set(org.peers.map((p) => p.region))]) {
      const peers = org.peers.filter((p) => p.region === region);
      out.push({ gateway: `${org.gatewayService}@${region}`, service: org.gatewayService, org: org.name, region, peers: peers.map((p) => p.name), port: peers[0].port, nodePort: GATEWAY_NODE_PORT_BASE + out.length });
    }
  }
  return out;
}

/** An MSP folder's `config.yaml` with NodeOUs, identifying roles by OU under the org's CA (as fabric-samples). */
export function nodeOusConfig(): string {
  const id = (ou: string) => `    Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: ${ou}\n`;
  return (
    'NodeOUs:\n  Enable: true\n' +
    `  ClientOUIdentifier:\n${id('client')}` +
    `  PeerOUIdentifier:\n${id('peer')}` +
    `  AdminOUIdentifier:\n${id('admin')}` +
    `  OrdererOUIdentifier:\n${id('orderer')}`
  );
}

function secret(namespace: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ha-conformance', ...labels } },
    // stringData: the API server encodes it; nothing here is logged (apply logs refs only)
    stringData: data,
  };
}

function mspData(identity: IssuedCertificate, caPem: string, tlsCaPem: string): Record<string, string> {
  return { 'signcert.pem': identity.certPem, 'key.pem': identity.keyPem, 'cacert.pem': caPem, 'tlscacert.pem': tlsCaPem, 'config.yaml': nodeOusConfig() };
}

export interface NetworkOptions {
  plan: DeploymentPlan;
  /** with private keys (as `generateDeployment` returns it) */
  pki: DeploymentPki;
  /** genesis block per channel */
  genesis: Record<string, Uint8Array>;
  region: string;
  /** per region, the addresses of its worker node containers on the KIND network */
  nodeAddresses: Record<string, string[]>;
  namespace?: string;
}

/** The objects a run applies to one region's cluster, besides the reference manifests. */
export function regionNetworkObjects(o: NetworkOptions): Obj[] {
  const { plan, pki, region } = o;
  const ns = o.namespace ?? plan.namespace;
  const ports = nodePorts(plan);
  const nodes = fabricNodes(plan);
  const local = nodes.filter((n) => n.region === region);
  const out: Obj[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }];

  for (const n of local) {
    const org = pki.orgs[n.org];
    const node = pki.nodes[n.name];
    if (!org || !node) throw new Error(`no certificates for ${n.kind} ${n.name} of ${n.org}`);
    out.push(secret(ns, mspSecret(n.name), mspData(node.enrollment, org.ca.certPem, org.tlsCa.certPem), { app: n.name }));
    out.push(secret(ns, tlsSecret(n.name), { 'tls.crt': node.tls.certPem, 'tls.key': node.tls.keyPem, 'ca.crt': org.tlsCa.certPem }, { app: n.name }));
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${n.name}-x`, namespace: ns, labels: { app: n.name, 'app.kubernetes.io/managed-by': 'ha-conformance' } },
      spec: { type: 'NodePort', selector: { app: n.name }, ports: [{ name: n.portName, port: n.port, targetPort: n.port, nodePort: ports[n.name], protocol: 'TCP' }] },
    });
  }

  for (const n of nodes.filter((x) => x.region !== region)) {
    const addresses = o.nodeAddresses[n.region] ?? [];
    if (!addresses.length) throw new Error(`no node addresses for region ${n.region}: ${n.name} cannot be reached from ${region}`);
    const labels = { [MIRROR_LABEL]: n.region, 'app.kubernetes.io/managed-by': 'ha-conformance' };
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: n.host, namespace: ns, labels },
      spec: { type: 'ClusterIP', ports: [{ name: n.portName, port: n.port, targetPort: ports[n.name], protocol: 'TCP' }] },
    });
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${n.host}-remote`, namespace: ns, labels: { ...labels, 'kubernetes.io/service-name': n.host, 'endpointslice.kubernetes.io/managed-by': 'ha-conformance' } },
      addressType: 'IPv4',
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: n.portName, port: ports[n.name], protocol: 'TCP' }],
    });
  }

  // a NodePort twin of each gateway Service here (same selector, so kube-proxy spreads over the same endpoints),
  // which the cluster config publishes on the host's loopback for FAB-GW-04
  for (const g of gatewayPlacements(plan).filter((x) => x.region === region)) {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${g.service}-np`, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'ha-conformance', 'ha-conformance/twin-of': g.service } },
      spec: { type: 'NodePort', selector: { org: g.org }, ports: [{ name: 'grpc', port: g.port, targetPort: g.port, nodePort: g.nodePort, protocol: 'TCP' }] },
    });
  }

  const orgsHere = [...new Set(local.map((n) => n.org))];
  for (const orgName of orgsHere) {
    const org = pki.orgs[orgName];
    if (!org.admin) throw new Error(`no admin identity for ${orgName}`);
    out.push(
      secret(ns, adminSecret(orgName), {
        ...mspData(org.admin.enrollment, org.ca.certPem, org.tlsCa.certPem),
        'tls.crt': org.admin.tls.certPem,
        'tls.key': org.admin.tls.keyPem,
      }),
    );
  }

  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: GENESIS_CONFIGMAP, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'ha-conformance' } },
    binaryData: Object.fromEntries(Object.entries(o.genesis).map(([ch, block]) => [`${ch}.block`, Buffer.from(block).toString('base64')])),
  });

  if (local.length) out.push(joinJob(plan, ns, region, local));
  return out;
}

/** The shell script of the join Job (POSIX sh; fabric-tools has osnadmin, peer and grep). */
export function joinScript(plan: DeploymentPlan, nodes: FabricNode[]): string {
  const lines = ['set -eu', 'try() { n=0; until "$@"; do n=$((n+1)); [ "$n" -ge 60 ] && return 1; sleep 5; done; }'];
  for (const ch of plan.channels) {
    for (const n of nodes.filter((x) => x.kind === 'orderer')) {
      const a = `/admin/${n.org}`;
      const tls = `--ca-file ${a}/msp/tlscacerts/tlsca.pem --client-cert ${a}/tls.crt --client-key ${a}/tls.key`;
      lines.push(
        `joined_${safe(n.name)}() { osnadmin channel list --channelID ${ch} -o ${n.host}:9443 ${tls} 2>&1 | grep -q 'Status: 200'; }`,
        `join_${safe(n.name)}() { joined_${safe(n.name)} || { osnadmin channel join --channelID ${ch} --config-block /genesis/${ch}.block -o ${n.host}:9443 ${tls} || true; joined_${safe(n.name)}; }; }`,
        `echo "orderer ${n.name}: joining ${ch}"`,
        `try join_${safe(n.name)}`,
        `osnadmin channel list --channelID ${ch} -o ${n.host}:9443 ${tls}`,
      );
    }
    for (const n of nodes.filter((x) => x.kind === 'peer')) {
      const env = [
        `CORE_PEER_LOCALMSPID=${n.mspId}`,
        `CORE_PEER_MSPCONFIGPATH=/admin/${n.org}/msp`,
        'CORE_PEER_TLS_ENABLED=true',
        `CORE_PEER_TLS_ROOTCERT_FILE=/admin/${n.org}/msp/tlscacerts/tlsca.pem`,
        `CORE_PEER_ADDRESS=${n.host}:${n.port}`,
      ].join(' ');
      lines.push(
        `joined_${safe(n.name)}() { env ${env} peer channel list 2>/dev/null | grep -qx '${ch}'; }`,
        `join_${safe(n.name)}() { joined_${safe(n.name)} || { env ${env} peer channel join -b /genesis/${ch}.block || true; joined_${safe(n.name)}; }; }`,
        `echo "peer ${n.name}: joining ${ch}"`,
        `try join_${safe(n.name)}`,
        `env ${env} peer channel getinfo -c ${ch}`,
      );
    }
  }
  lines.push(`echo "region joined: ${nodes.map((n) => n.name).join(' ')} (anchor peers are in the channel's genesis configuration)"`);
  return lines.join('\n') + '\n';
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function joinJob(plan: DeploymentPlan, ns: string, region: string, local: FabricNode[]): Obj {
  const orgs = [...new Set(local.map((n) => n.org))];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: joinJobName(region), namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'ha-conformance' } },
    spec: {
      backoffLimit: 4,
      template: {
        metadata: { labels: { job: joinJobName(region) } },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'join',
              image: FABRIC_IMAGES.tools,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', joinScript(plan, local)],
              env: [{ name: 'FABRIC_CFG_PATH', value: '/etc/hyperledger/fabric' }],
              volumeMounts: [
                { name: 'genesis', mountPath: '/genesis', readOnly: true },
                ...orgs.map((org) => ({ name: `admin-${org}`, mountPath: `/admin/${org}`, readOnly: true })),
              ],
            },
          ],
          volumes: [
            { name: 'genesis', configMap: { name: GENESIS_CONFIGMAP } },
            ...orgs.map((org) => ({
              name: `admin-${org}`,
              secret: {
                secretName: adminSecret(org),
                items: [...MSP_ITEMS.map((i) => ({ key: i.key, path: `msp/${i.path}` })), { key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }],
              },
            })),
          ],
        },
      },
    },
  };
}
