/**
 * The Corda pair's knobs, read from the environment's settings (`LocalPartOptions.settings`, the docker
 * environment's `settings`; flat keys, all prefixed `corda`, so they never collide with the Fabric part's). Every
 * key is optional; the defaults are the compressed timings the tests run with (the docker environment puts its own
 * defaults on top: docker/corda.ts). See the notes at the top of local/corda/index.ts for what each one means for
 * the timings.
 */
import { InputError } from '../../../errors.ts';

export interface CordaPorts {
  p2p: number;
  rpc: number;
  web: number;
  /** `rpcSettings.adminAddress` port (written to node.conf; the stand-in does not serve it) */
  admin: number;
  /** `jmxMonitoringHttpPort`: the monitoring endpoint every stand-in opens at start, hot or cold */
  monitoring: number;
  /** a machine agent that answers HTTP 200 on both machines at all times (`web-probe-always-open` probes it) */
  agent: number;
}

export interface CordaPairSettings {
  updateIntervalMs: number;
  waitIntervalMs: number;
  probeIntervalMs: number;
  probeFall: number;
  probeRise: number;
  sampleIntervalMs: number;
  restartBackoffMs: number;
  /**
   * the environment's failover tolerance (the check setting `failoverToleranceMs` of CORDA-HA-02 and CORDA-LB-03): as set, or
   * waitInterval + 4000; the local environment widens the default to the restart cycle it measures (`failoverTolerance`)
   */
  failoverToleranceMs: number;
  /** true when the settings stated the tolerance (then it is used as is) */
  failoverToleranceSet: boolean;
  /** length of a steady sampling window (CORDA-LB-02, the first half of CORDA-HA-01) */
  windowMs: number;
  /** how long drills wait for the environment to settle before giving up */
  settleBoundMs: number;
  /** how long start-up waits for the primary to be hot and the load balancer to route to it */
  startBoundMs: number;
  ports: CordaPorts;
  /** first two octets of the per-run machine addresses: `<base>.<k>.1` primary, `.2` backup, `.3` duplicate, `.10` LB */
  addressBase: string;
}

/** setting key (as given in `options.settings`) → default */
export const CORDA_SETTING_DEFAULTS = {
  cordaUpdateIntervalMs: 300,
  cordaWaitIntervalMs: 1000,
  cordaProbeIntervalMs: 200,
  cordaProbeFall: 2,
  cordaProbeRise: 1,
  cordaSampleIntervalMs: 40,
  cordaRestartBackoffMs: 250,
  /** default: derived from the measured restart cycle of a stand-in, at least waitInterval + 4000 (see local/corda/index.ts) */
  cordaFailoverToleranceMs: undefined as number | undefined,
  cordaWindowMs: 2000,
  cordaSettleBoundMs: 15000,
  cordaStartBoundMs: 60000,
  cordaPorts: { p2p: 10002, rpc: 10003, web: 10004, admin: 10005, monitoring: 7005, agent: 9100 } as CordaPorts,
  cordaAddressBase: '127.20',
};

const WHERE = 'local environment settings';

function positive(settings: Record<string, unknown>, key: keyof typeof CORDA_SETTING_DEFAULTS, fallback: number): number {
  const v = settings[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new InputError(WHERE, key, `must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function cordaSettings(settings: Record<string, unknown>): CordaPairSettings {
  const d = CORDA_SETTING_DEFAULTS;
  const waitIntervalMs = positive(settings, 'cordaWaitIntervalMs', d.cordaWaitIntervalMs);
  const portsIn = settings.cordaPorts;
  if (portsIn !== undefined && (typeof portsIn !== 'object' || portsIn === null || Array.isArray(portsIn))) {
    throw new InputError(WHERE, 'cordaPorts', `must be a mapping of p2p/rpc/web/admin/monitoring/agent to port numbers, got ${JSON.stringify(portsIn)}`);
  }
  const ports = { ...d.cordaPorts, ...(portsIn as Partial<CordaPorts> | undefined) };
  for (const [k, v] of Object.entries(ports)) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) throw new InputError(WHERE, `cordaPorts.${k}`, `must be a port number, got ${JSON.stringify(v)}`);
  }
  const addressBase = settings.cordaAddressBase ?? d.cordaAddressBase;
  if (typeof addressBase !== 'string' || !/^127\.\d{1,3}$/.test(addressBase)) {
    throw new InputError(WHERE, 'cordaAddressBase', `must be "127.<n>" (loopback only), got ${JSON.stringify(addressBase)}`);
  }
  return {
    updateIntervalMs: positive(settings, 'cordaUpdateIntervalMs', d.cordaUpdateIntervalMs),
    waitIntervalMs,
    probeIntervalMs: positive(settings, 'cordaProbeIntervalMs', d.cordaProbeIntervalMs),
    probeFall: positive(settings, 'cordaProbeFall', d.cordaProbeFall),
    probeRise: positive(settings, 'cordaProbeRise', d.cordaProbeRise),
    sampleIntervalMs: positive(settings, 'cordaSampleIntervalMs', d.cordaSampleIntervalMs),
    restartBackoffMs: positive(settings, 'cordaRestartBackoffMs', d.cordaRestartBackoffMs),
    failoverToleranceMs: positive(settings, 'cordaFailoverToleranceMs', waitIntervalMs + 4000),
    failoverToleranceSet: settings.cordaFailoverToleranceMs !== undefined,
    windowMs: positive(settings, 'cordaWindowMs', d.cordaWindowMs),
    settleBoundMs: positive(settings, 'cordaSettleBoundMs', d.cordaSettleBoundMs),
    startBoundMs: positive(settings, 'cordaStartBoundMs', d.cordaStartBoundMs),
    ports,
    addressBase,
  };
}

/**
 * The tolerance on top of CORDA-LB-03's bound (waitInterval + inter × fall) when the settings do not state one:
 * it must cover one restart cycle of the cold node (it may have just failed a claim when the hot node stops), i.e.
 * backoff + start-up + waitInterval, with the start-up as measured for the primary on this machine, doubled for
 * slack; at least waitInterval + 4000. A slow machine gets a wider bound, stated in the descriptor and the params.
 */
export function failoverTolerance(s: CordaPairSettings, measuredStartMs: number): number {
  if (s.failoverToleranceSet) return s.failoverToleranceMs;
  const cycle = s.restartBackoffMs + 2 * measuredStartMs + s.waitIntervalMs;
  return Math.max(s.failoverToleranceMs, Math.ceil((cycle + 1000) / 100) * 100);
}
