/**
 * # The peers
 *
 * `startPeers` starts every peer of the plan and returns the started handle the rest of the part works with: each
 * peer's address and port, stop and start by name (the drills' faults), `follow` (their ledgers follow the ordering
 * service), their own live evidence (the certificate each presents by its host name, its ledger heights), and
 * `stop`. Its release is registered with the run's resources before any peer listens.
 *
 * ## Here: TLS peers in the harness process
 *
 * Fabric's peer cannot be built on this machine, so each peer is a TLS server (peer-stand-in.ts) on its own address
 * and port 7051, presenting its certificate from its organization's TLS CA, answering INFO/QUERY with its name and
 * ledger heights. Their ledgers follow the ordering service: every `peerSyncIntervalMs` the part hands the running
 * peers the height the ordering service committed, as a peer's deliver client pulls new blocks; a peer the variant
 * makes lag (`changes.faults.lagging`) takes none.
 *
 * ## What a real peer module would do differently, behind the same handle
 *
 * - run Fabric's `peer node start` per peer with FABRIC_CFG_PATH at the core.yaml node-configs.ts writes for it, its
 *   MSP and TLS files, and join it to each channel with the genesis block (`peer channel join`);
 * - pull blocks from the ordering service itself: `follow` would only wait for the first block, and a lagging peer
 *   would be one whose deliver client cannot reach the orderers rather than a flag;
 * - be stopped and started as a process (the drills' faults), not by closing a listener;
 * - report its ledger heights from its operations endpoint (`ledger_blockchain_height`, as `ha-validate --live`
 *   reads them) and its release on GET /version, instead of the stand-in's INFO line.
 */
import type { LiveEvidence } from '../../../evidence/model.ts';
import { handshake } from '../../../evidence/live/tls.ts';
import { askPeer } from '../../../drills/peer-client.ts';
import type { Resources } from '../../common/resources.ts';
import type { NameResolver } from './names.ts';
import { LocalPeer, type PeerSpec } from './peer-stand-in.ts';

export interface PeerNodeSpec extends PeerSpec {
  /** the host name clients dial it by */
  host: string;
}

export interface PeersSpec {
  peers: PeerNodeSpec[];
  /** organization → its CA certificates (PEM), that verify what its peers present */
  ca: Record<string, string[]>;
  resolver: NameResolver;
  /** how often the running peers take the blocks the ordering service committed, ms */
  syncIntervalMs: number;
}

export interface PeerNode {
  name: string;
  org: string;
  region: string;
  host: string;
  address: string;
  port: number;
}

export interface StartedPeers {
  readonly peers: readonly PeerNode[];
  /** close these peers, as a process exit would (FAB-PEER-05, FAB-GW-04) */
  stopPeers(names: readonly string[]): Promise<void>;
  startPeers(names: readonly string[]): Promise<void>;
  /** take the ordering service's committed height now, then every `syncIntervalMs` until stopped */
  follow(committedHeight: () => Promise<number | undefined>): Promise<void>;
  /** what each peer presents by its host name, and its ledger heights */
  evidence(): Promise<Partial<LiveEvidence>>;
  stop(): Promise<void>;
}

export async function startPeers(resources: Resources, spec: PeersSpec): Promise<StartedPeers> {
  const running = new Map(spec.peers.map((p) => [p.name, new LocalPeer(p)]));
  let following = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = async () => {
    following = false;
    clearTimeout(timer);
    await Promise.all([...running.values()].map((p) => p.retire()));
  };
  // Released with the run whatever happens after this line (failure, Ctrl-C): a peer is not restarted after it.
  resources.onRelease('fabric peers', stop);
  await Promise.all([...running.values()].map((p) => p.start()));
  const each = (names: readonly string[], f: (p: LocalPeer) => Promise<void>) => Promise.all(names.map((n) => f(running.get(n)!))).then(() => undefined);
  return {
    peers: spec.peers.map((p) => ({ name: p.name, org: p.org, region: p.region, host: p.host, address: p.address, port: p.port })),
    stopPeers: (names) => each(names, (p) => p.stop()),
    startPeers: (names) => each(names, (p) => p.start()),
    async follow(committedHeight) {
      const deliver = async () => {
        const h = await committedHeight();
        if (h !== undefined) for (const p of running.values()) p.deliver(h);
      };
      await deliver();
      following = true;
      const tick = async () => {
        await deliver();
        if (following) timer = setTimeout(tick, spec.syncIntervalMs).unref();
      };
      timer = setTimeout(tick, spec.syncIntervalMs).unref();
    },
    evidence: () => peersEvidence(spec),
    stop,
  };
}

/**
 * Every peer by its host name: the certificate it presents (a TLS handshake, as `ha-validate --live` makes it), and
 * its ledger heights (the stand-ins' own INFO line: the local environment talks to its stand-ins).
 */
async function peersEvidence(spec: PeersSpec): Promise<Partial<LiveEvidence>> {
  const presentedCerts: NonNullable<LiveEvidence['presentedCerts']> = {};
  const peerHeights: NonNullable<LiveEvidence['peerHeights']> = {};
  await Promise.all(
    spec.peers.map(async (p) => {
      const target = { name: p.host, address: spec.resolver.resolve(p.host), port: p.port, ca: spec.ca[p.org] };
      const [h, info] = await Promise.all([handshake({ ...target, timeoutMs: 2000 }), askPeer(target, undefined, 2000)]);
      if (h.cert) presentedCerts[`${p.host}:${p.port}`] = h.cert;
      if (info.info?.heights) peerHeights[p.name] = info.info.heights;
    }),
  );
  return { presentedCerts, peerHeights, peerHeightMethod: "the local stand-in peers' own report (their heights follow the etcd ordering stand-in)" };
}
