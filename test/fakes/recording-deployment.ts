/**
 * A deployment made of recording fake endpoints (see recording-endpoints.ts), and the target descriptor that
 * describes it: a Corda hot-cold pair (the hot node's P2P a TLS server, RPC a silent TCP server, web an HTTP
 * server; the cold node's ports closed) behind a load balancer in TCP mode with HAProxy's runtime API, a
 * PostgreSQL server holding the lease row, three Fabric ordering nodes in three regions (TLS, and operations
 * endpoints serving cluster_comm_msg_send_time) and two peers behind a gateway Service (TLS). Names are mapped by
 * `live.hosts` to a free 127.a.b.0/24 block.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { issueCA, issueLeaf } from '../../support/pki/issue.ts';
import { renderNodeConf } from '../../support/environments/common/corda/layout.ts';
import { canBind } from '../../support/environments/common/ports.ts';
import {
  recordingForwarder,
  recordingHttp,
  recordingPostgres,
  recordingRuntimeApi,
  recordingTcp,
  recordingTls,
  type Closable,
  type ForwardRecord,
  type HttpRecord,
  type PgRecord,
  type RuntimeApiRecord,
  type TcpRecord,
  type TlsRecord,
} from './recording-endpoints.ts';

const PORTS = { p2p: 10002, rpc: 10003, web: 10004 };

/** A free 127.a.b.0/24 block: every host:port the fakes use can be bound. */
async function freeBlock(hostsAndPorts: Array<[number, number]>): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const base = `127.${100 + Math.floor(Math.random() * 100)}.${1 + Math.floor(Math.random() * 250)}`;
    if (await canBind(hostsAndPorts.map(([h, port]) => ({ host: `${base}.${h}`, port })))) return base;
  }
  throw new Error('no free loopback block for the fakes');
}

export interface Fakes {
  dir: string;
  descriptor: string;
  primaryP2p: TlsRecord;
  primaryRpc: TcpRecord;
  primaryWeb: HttpRecord;
  lb: Record<'p2p' | 'rpc' | 'web', ForwardRecord>;
  pg: PgRecord;
  api: RuntimeApiRecord;
  orderers: TlsRecord[];
  operations: HttpRecord[];
  peers: TlsRecord[];
  gateway: TlsRecord;
  all: Closable[];
}

export async function startFakes(): Promise<Fakes> {
  const dir = await mkdtemp(join(tmpdir(), 'ha-conformance-observe-test-'));
  const all: Closable[] = [];
  // hosts of the block: 1 primary, 2 backup, 10 load balancer, 20 database, 11-13 orderers, 21-22 peers, 30 gateway
  const base = await freeBlock([
    [1, PORTS.p2p], [1, PORTS.rpc], [1, PORTS.web], [2, PORTS.p2p],
    [10, PORTS.p2p], [10, PORTS.rpc], [10, PORTS.web], [20, 5432],
    [11, 7050], [12, 7050], [13, 7050], [11, 9443], [12, 9443], [13, 9443], [21, 7051], [22, 7051], [30, 7051],
  ]);
  const at = (h: number) => `${base}.${h}`;
  const track = <T extends Closable>(c: T): T => (all.push(c), c);

  // --- PKI: one CA per organization, a TLS certificate per node -------------------------------------------------
  const org0Ca = await issueCA({ commonName: 'tlsca.org0', organization: 'org0' });
  const org1Ca = await issueCA({ commonName: 'tlsca.org1', organization: 'org1' });
  await writeFile(join(dir, 'org0-ca.pem'), org0Ca.certPem);
  await writeFile(join(dir, 'org1-ca.pem'), org1Ca.certPem);
  const orderers = ['org0-orderer1', 'org0-orderer2', 'org0-orderer3'];
  const peers = ['org1-peer1', 'org1-peer2'];
  const certs: Record<string, { certPem: string; keyPem: string }> = {};
  for (const o of orderers) certs[o] = await issueLeaf(org0Ca, { commonName: o, dnsNames: [o] });
  for (const p of peers) certs[p] = await issueLeaf(org1Ca, { commonName: p, dnsNames: [p, 'org1-peer-gateway-svc'] });
  for (const [name, c] of Object.entries(certs)) await writeFile(join(dir, `${name}.pem`), c.certPem);

  // --- Corda: the hot primary (TLS P2P, silent RPC, HTTP web), the cold backup (nothing listens) ---------------
  const primaryP2p = track(await recordingTls(at(1), PORTS.p2p, certs['org1-peer1'].certPem, certs['org1-peer1'].keyPem));
  const primaryRpc = track(await recordingTcp(at(1), PORTS.rpc));
  const primaryWeb = track(await recordingHttp(at(1), PORTS.web, () => 'node web server\n'));
  const lb = {
    p2p: track(await recordingForwarder(at(10), PORTS.p2p, { host: at(1), port: PORTS.p2p })),
    rpc: track(await recordingForwarder(at(10), PORTS.rpc, { host: at(1), port: PORTS.rpc })),
    web: track(await recordingForwarder(at(10), PORTS.web, { host: at(1), port: PORTS.web })),
  };
  const primaryBase = join(dir, 'primary');
  const backupBase = join(dir, 'backup');
  const pg = track(await recordingPostgres(at(20), 5432, () => ({ machineName: `${primaryBase}/corda-primary`, pid: '4242', timestamp: new Date().toISOString().replace('T', ' ').replace('Z', ''), version: 7 })));
  const stat = () =>
    [
      '# pxname,svname,qcur,status,weight,addr',
      ...(['p2p', 'rpc', 'web'] as const).flatMap((t) => [
        `corda_${t}_in,FRONTEND,,OPEN,,`,
        `corda_${t},primary,0,UP,1,${at(1)}:${PORTS[t]}`,
        `corda_${t},backup,0,DOWN,1,${at(2)}:${PORTS[t]}`,
        `corda_${t},BACKEND,0,UP,1,`,
      ]),
      '',
    ].join('\n');
  const api = track(await recordingRuntimeApi(join(dir, 'lb.sock'), stat));
  for (const [name, b, m] of [['primary', primaryBase, at(1)], ['backup', backupBase, at(2)]]) {
    await mkdir(b, { recursive: true });
    await writeFile(
      join(b, 'node.conf'),
      renderNodeConf({
        name,
        machine: m,
        lbAddress: at(10),
        ports: { ...PORTS, admin: 10005, monitoring: 7005, agent: 9100 },
        database: { url: `jdbc:postgresql://${at(20)}:5432/corda`, user: 'corda' },
        mutualExclusion: { on: true, machineName: `corda-${name}`, updateInterval: 20000, waitInterval: 40000 },
        runId: 'observe-test',
      }),
    );
  }

  // --- Fabric: ordering nodes (TLS, operations /metrics), peers and a gateway Service (TLS) ---------------------
  const ordererFakes: TlsRecord[] = [];
  const operations: HttpRecord[] = [];
  for (const [i, o] of orderers.entries()) {
    ordererFakes.push(track(await recordingTls(at(11 + i), 7050, certs[o].certPem, certs[o].keyPem)));
    let reads = 0;
    // every read finds 10 more messages sent to each other node, 12 ms each (20 ms from orderer1 to orderer3)
    operations.push(
      track(
        await recordingHttp(at(11 + i), 9443, () => {
          reads++;
          const lines = ['# HELP cluster_comm_msg_send_time The time it takes to send a message in seconds.', '# TYPE cluster_comm_msg_send_time histogram'];
          for (const other of orderers.filter((x) => x !== o)) {
            const each = o === 'org0-orderer1' && other === 'org0-orderer3' ? 0.02 : 0.012;
            const n = 10 * reads;
            lines.push(`cluster_comm_msg_send_time_bucket{channel="mychannel",host="${other}:7050",le="+Inf"} ${n}`);
            lines.push(`cluster_comm_msg_send_time_sum{channel="mychannel",host="${other}:7050"} ${(n * each).toFixed(6)}`);
            lines.push(`cluster_comm_msg_send_time_count{channel="mychannel",host="${other}:7050"} ${n}`);
          }
          return lines.join('\n') + '\n';
        }),
      ),
    );
  }
  const peerFakes = [];
  for (const [i, p] of peers.entries()) peerFakes.push(track(await recordingTls(at(21 + i), 7051, certs[p].certPem, certs[p].keyPem)));
  // the gateway Service: its one endpoint right now is org1-peer1
  const gateway = track(await recordingTls(at(30), 7051, certs['org1-peer1'].certPem, certs['org1-peer1'].keyPem));

  const descriptor = join(dir, 'target.yaml');
  await writeFile(
    descriptor,
    stringify({
      apiVersion: 'ha-conformance/v1',
      name: 'recording-fakes',
      disposable: false,
      regions: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }],
      fabric: {
        ordering: [
          {
            name: 'org0',
            mspId: 'Org0MSP',
            ca: ['org0-ca.pem'],
            nodes: orderers.map((o, i) => ({ name: o, region: `r${i + 1}`, host: o, port: 7050, tlsCert: `${o}.pem`, operations: `http://${o}:9443` })),
          },
        ],
        organizations: [
          {
            name: 'org1',
            mspId: 'Org1MSP',
            ca: ['org1-ca.pem'],
            gatewayService: 'org1-peer-gateway-svc',
            peers: peers.map((p, i) => ({ name: p, region: `r${i + 1}`, host: p, port: 7051, tlsCert: `${p}.pem` })),
          },
        ],
        channels: [],
      },
      corda: {
        nodes: [
          { name: 'primary', role: 'primary', config: 'primary/node.conf', machine: 'corda-primary', baseDirectory: 'primary', env: { LB_ADDRESS: at(10), CORDA_DB_PASSWORD: '${FAKE_DB_PASSWORD}' } },
          { name: 'backup', role: 'backup', config: 'backup/node.conf', machine: 'corda-backup', baseDirectory: 'backup', env: { LB_ADDRESS: at(10), CORDA_DB_PASSWORD: '${FAKE_DB_PASSWORD}' } },
        ],
        loadBalancer: { address: 'corda-lb' },
        database: { url: `jdbc:postgresql://${at(20)}:5432/corda`, user: 'corda', password: '${FAKE_DB_PASSWORD}' },
        ports: PORTS,
      },
      live: {
        hosts: {
          'corda-primary': at(1),
          'corda-backup': at(2),
          'corda-lb': at(10),
          ...Object.fromEntries(orderers.map((o, i) => [o, at(11 + i)])),
          ...Object.fromEntries(peers.map((p, i) => [p, at(21 + i)])),
          'org1-peer-gateway-svc': at(30),
        },
        database: { host: at(20), port: 5432, database: 'corda', user: 'corda', password: '${FAKE_DB_PASSWORD}' },
        loadBalancerAdmin: join(dir, 'lb.sock'),
      },
    }),
  );
  return { dir, descriptor, primaryP2p, primaryRpc, primaryWeb, lb, pg, api, orderers: ordererFakes, operations, peers: peerFakes, gateway, all };
}

