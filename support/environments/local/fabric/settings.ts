/**
 * The Fabric part's knobs (the environment's `settings`, e.g. `HA_LOCAL_SETTINGS` or `npm run local -- --settings`).
 * Timings are compressed so the drills run in seconds; the verdict bounds stay generous so a slow machine does not
 * change a verdict. Unknown keys belong to other parts and are ignored; a known key with a wrong value is an
 * InputError naming the key.
 */
import { InputError } from '../../../errors.ts';

export interface FabricSettings {
  /** etcd `--heartbeat-interval`, ms */
  etcdHeartbeatMs: number;
  /** etcd `--election-timeout`, ms */
  etcdElectionTimeoutMs: number;
  /**
   * how long the FAB-ORD-03 drill waits for a leader and a committed write after a region stops, ms (its horizon;
   * the drill waits at least as long as the bound it is judged by, the check setting of the same name)
   */
  leaderElectionBoundMs: number;
  /** how long stopped ordering members may take to catch up after they return, ms */
  catchUpBoundMs: number;
  /**
   * how long the FAB-ORD-12 drill waits for a restarted member to catch up, ms (its horizon; the drill waits at least
   * as long as the bound it is judged by, the check setting restartCatchUpBoundMs)
   */
  restartBoundMs: number;
  /** drill sampling interval, ms (at most 50; 40 by default leaves room for timer drift on a busy machine) */
  sampleIntervalMs: number;
  /**
   * how the FAB-ORD-03 drill stops a region's members: SIGKILL (a crash, as a region outage is), SIGTERM (etcd's
   * graceful stop, which first hands leadership to another member — Fabric orderers do not), SIGSTOP (frozen)
   */
  ordererStopSignal: 'SIGTERM' | 'SIGKILL' | 'SIGSTOP';
  /** FAB-GW-04: new connections per gateway before and after the stop */
  gatewayConnections: number;
  /** HAProxy TCP check interval of the gateway Services, ms (fall 2, rise 1) */
  gatewayCheckIntervalMs: number;
  /** how long a gateway may take to mark a stopped peer down (and a restored one up), ms */
  gatewayViewBoundMs: number;
  /** FAB-PEER-05: how long each organization's query may keep trying, ms */
  peerQueryBoundMs: number;
  /** how often the running peers take the blocks the ordering service committed (their ledger heights follow), ms */
  peerSyncIntervalMs: number;
  /** third octet of every address (127.<region>.<slot>.<host>); undefined = pick a free one */
  addressSlot?: number;
}

export const defaultFabricSettings: FabricSettings = {
  etcdHeartbeatMs: 50,
  etcdElectionTimeoutMs: 300,
  leaderElectionBoundMs: 5000,
  catchUpBoundMs: 10000,
  restartBoundMs: 10000,
  sampleIntervalMs: 40,
  ordererStopSignal: 'SIGKILL',
  gatewayConnections: 12,
  gatewayCheckIntervalMs: 100,
  gatewayViewBoundMs: 5000,
  peerQueryBoundMs: 2000,
  peerSyncIntervalMs: 200,
};

const FILE = 'local environment settings';

function int(settings: Record<string, unknown>, key: keyof FabricSettings, min: number, max: number): number | undefined {
  const v = settings[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InputError(FILE, key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function fabricSettings(settings: Record<string, unknown>): FabricSettings {
  const s: FabricSettings = { ...defaultFabricSettings };
  const ints: Array<[keyof FabricSettings, number, number]> = [
    ['etcdHeartbeatMs', 10, 5000],
    ['etcdElectionTimeoutMs', 50, 50000],
    ['leaderElectionBoundMs', 100, 600000],
    ['catchUpBoundMs', 100, 600000],
    ['restartBoundMs', 100, 600000],
    ['sampleIntervalMs', 5, 50],
    ['gatewayConnections', 2, 1000],
    ['gatewayCheckIntervalMs', 20, 10000],
    ['gatewayViewBoundMs', 100, 600000],
    ['peerQueryBoundMs', 100, 600000],
    ['peerSyncIntervalMs', 20, 60000],
    ['addressSlot', 1, 254],
  ];
  for (const [key, min, max] of ints) {
    const v = int(settings, key, min, max);
    if (v !== undefined) (s as unknown as Record<string, number>)[key] = v;
  }
  if (s.etcdElectionTimeoutMs < 5 * s.etcdHeartbeatMs) {
    throw new InputError(FILE, 'etcdElectionTimeoutMs', `must be at least 5 × etcdHeartbeatMs (${5 * s.etcdHeartbeatMs}), got ${s.etcdElectionTimeoutMs} (etcd refuses less)`);
  }
  const sig = settings.ordererStopSignal;
  if (sig !== undefined) {
    if (sig !== 'SIGTERM' && sig !== 'SIGKILL' && sig !== 'SIGSTOP') {
      throw new InputError(FILE, 'ordererStopSignal', `must be SIGTERM, SIGKILL or SIGSTOP, got ${JSON.stringify(sig)}`);
    }
    s.ordererStopSignal = sig;
  }
  return s;
}
