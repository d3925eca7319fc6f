/**
 * The settings checks judge against: every bound and threshold a verdict applies, with its documented default,
 * its unit, the checks that read it and the Gherkin step whose number sets it. One table feeds the defaults, the
 * descriptor schema (`settings:`), the scenario steps and docs/scenarios.md.
 *
 * Where a value comes from is kept beside it (`Evidence.settingOrigins`) so every verdict can say which bound it
 * applied and why: the documented default, the descriptor's `settings`, an environment's own default (a named
 * setting with its reason, e.g. the docker environment's wider tolerance), or the number in the scenario's step.
 * Precedence, lowest first: default < environment < descriptor < Gherkin (a Cucumber scenario judges what it says).
 * A bound never comes from the drill being judged: drills record what they did, not what they should achieve.
 */
import type { CheckSettings, Evidence, SettingKey } from './model.ts';

export interface SettingSpec {
  default: number;
  /** how a value is shown: `5000 ms`, `30 days`, `5 blocks`; '' for a bare number (a count, a port) */
  unit: 'ms' | 'days' | 'blocks' | '';
  integer: boolean;
  /** the smallest valid value; `exclusive` when the value must be above it */
  minimum: number;
  exclusive?: boolean;
  maximum?: number;
  /** the checks that apply it */
  checks: string[];
  /** what it is, one line (docs and the schema's description) */
  what: string;
  /** the Then step whose number sets it in a scenario (the features' numbers are the defaults) */
  step?: string;
  /** which of the step's numbers it is, when the step has several (default the first) */
  stepArg?: number;
}

export const SETTINGS: Record<SettingKey, SettingSpec> = {
  minConsenters: {
    default: 5,
    unit: '',
    integer: true,
    minimum: 1,
    checks: ['FAB-ORD-01'],
    what: 'the fewest Raft consenters a channel (and the live cluster size) may have',
    step: 'every channel has at least {int} consenters',
  },
  leaderElectionBoundMs: {
    default: 5000,
    unit: 'ms',
    integer: false,
    minimum: 0,
    exclusive: true,
    checks: ['FAB-ORD-03'],
    what: 'after a region stops, the time by which the remaining ordering nodes must have a leader and a committed write',
    step: 'a leader is elected among the remaining nodes within {duration}',
  },
  maxRoundTripMs: {
    default: 100,
    unit: 'ms',
    integer: false,
    minimum: 0,
    exclusive: true,
    checks: ['FAB-ORD-07', 'FAB-ORD-11'],
    what: 'the longest round trip allowed between ordering nodes of different regions (FAB-ORD-11 sizes the Raft election timeout for it)',
    step: 'every round trip stays under {duration}',
  },
  certExpiryWarningDays: {
    default: 30,
    unit: 'days',
    integer: false,
    minimum: 0,
    checks: ['FAB-ORD-08'],
    what: 'a consenter certificate expiring within this many days of now fails',
    step: "no consenter's certificate expires within {int} days",
  },
  certExpiryMajorityWindowDays: {
    default: 30,
    unit: 'days',
    integer: false,
    minimum: 0,
    checks: ['FAB-ORD-08'],
    what: "a majority of a channel's consenters whose certificates expire within this many days of each other fails",
    step: "no majority of the consenters' certificates expires within {int} days of each other",
  },
  channelCertExpiryWarningDays: {
    // replacing a CA, an intermediate or a listed admin certificate is a channel config update signed by a
    // majority of the organizations' admins, on every channel, then re-enrolment under the new CA: a quarter,
    // not the 30 days a node's own TLS certificate needs (docs/scenarios.md)
    default: 90,
    unit: 'days',
    integer: false,
    minimum: 0,
    checks: ['FAB-CERT-01'],
    what: 'a root, intermediate, TLS root, TLS intermediate or admin certificate in a channel configuration expiring within this many days of now fails',
    step: 'no certificate of any channel configuration expires within {int} days',
  },
  maxLedgerLag: {
    default: 5,
    unit: 'blocks',
    integer: true,
    minimum: 0,
    checks: ['FAB-PEER-03'],
    what: "the most blocks a peer's ledger may be behind the highest peer of the same channel",
    step: 'their ledger heights are within {int} blocks of each other',
  },
  gatewayPeerPort: {
    default: 7051,
    unit: '',
    integer: true,
    minimum: 1,
    maximum: 65535,
    checks: ['FAB-GW-01'],
    what: "the port every gateway Service exposes and forwards to the peers' port",
    step: 'it forwards the peer port {int} to at least {int} peers',
  },
  minGatewayPeers: {
    default: 2,
    unit: '',
    integer: true,
    minimum: 1,
    checks: ['FAB-GW-01'],
    what: 'the fewest peers of its organization a gateway Service must select in a cluster',
    step: 'it forwards the peer port {int} to at least {int} peers',
    stepArg: 1,
  },
  samplePeriodMs: {
    // the samplers aim at 40 ms and reach 50-90 ms on a loaded machine; a split brain lasts at least until a lease
    // expires (seconds), so sampling every 200 ms still sees it, and a slow machine does not break the verdict
    default: 200,
    unit: 'ms',
    integer: false,
    minimum: 0,
    exclusive: true,
    checks: ['CORDA-HA-01'],
    what: 'the coarsest sampling (median gap between samples) that can claim to have caught any overlap of two active nodes',
    step: 'the nodes were sampled at least every {duration}',
  },
  failoverToleranceMs: {
    default: 2000,
    unit: 'ms',
    integer: false,
    minimum: 0,
    checks: ['CORDA-HA-02', 'CORDA-LB-03'],
    what:
      'the tolerance on top of the bounds the deployment configures (2 × updateInterval for CORDA-HA-02; waitInterval + probe interval × unhealthy threshold for CORDA-LB-03)',
  },
  electionTimeoutRoundTrips: {
    // etcd's tuning guide (the Raft library Fabric's etcdraft uses): "Election timeouts must be at least 10 times the
    // round-trip time so it can account for variance in your network"
    default: 10,
    unit: '',
    integer: false,
    minimum: 1,
    checks: ['FAB-ORD-11'],
    what: 'how many times the longest round trip between regions the Raft election timeout (TickInterval × ElectionTick) must be at least',
    step: 'the election timeout is at least {int} times the longest round trip between regions',
  },
  grpcLimitBlockMultiple: {
    // a block travels twice inside one ProposalResponse (GetBlockByNumber): hyperledger/fabric issue 2820
    default: 2,
    unit: '',
    integer: false,
    minimum: 1,
    checks: ['FAB-ORD-11'],
    what: "how many times a channel's BatchSize AbsoluteMaxBytes every gRPC message limit of the orderers and peers must be at least",
    step: 'every gRPC message limit is at least {int} times the largest block a channel allows',
  },
  restartCatchUpBoundMs: {
    // a pod restart on Kubernetes (scheduling, volume attach, container start, WAL replay) takes tens of seconds; a
    // node that has not caught up a minute after it was started again is not recovering by itself
    default: 60000,
    unit: 'ms',
    integer: false,
    minimum: 0,
    exclusive: true,
    checks: ['FAB-ORD-12'],
    what: 'after an ordering node is started again with its data, the time by which it must serve the channel at the height of the others',
    step: 'it rejoins and catches up within {duration}',
  },
  maxGatewayHeightSpread: {
    // a peer within one block of the highest counts as current (fabric-sdk-node's peer selection), one more for heights
    // read a moment apart while a block is being delivered
    default: 2,
    unit: 'blocks',
    integer: true,
    minimum: 0,
    checks: ['FAB-PEER-06'],
    what: 'the most blocks the ledger heights of the peers behind one gateway Service may differ by, per channel',
    step: 'the ledger heights of the peers behind each gateway Service are within {int} blocks of each other',
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export const defaultSettings: CheckSettings = Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].default])) as unknown as CheckSettings;

export const ORIGIN_DEFAULT = 'default';
export const ORIGIN_GHERKIN = 'Gherkin';

export function descriptorOrigin(key: SettingKey): string {
  return `descriptor settings.${key}`;
}

/**
 * The largest valid value of a setting: its own, else a bound by unit that no deployment needs to exceed (an hour
 * of milliseconds, ten years of days), so a typo of a few digits is refused instead of driving a wait or a loop.
 */
export function maximumOf(key: SettingKey): number {
  const s = SETTINGS[key];
  if (s.maximum !== undefined) return s.maximum;
  return { ms: 3_600_000, days: 3650, blocks: 1_000_000_000, '': 1_000_000 }[s.unit];
}

/** why a value is not valid for `key`, or undefined when it is */
export function settingProblem(key: SettingKey, value: unknown): string | undefined {
  const s = SETTINGS[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, got ${JSON.stringify(value)}`;
  if (s.integer && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (s.exclusive ? value <= s.minimum : value < s.minimum) return `must be ${s.exclusive ? 'greater than' : 'at least'} ${s.minimum}, got ${value}`;
  if (value > maximumOf(key)) return `must be at most ${maximumOf(key)}, got ${value}`;
  return undefined;
}

/** `5000 ms`, `30 days`, `5 blocks`, `7` */
export function showValue(key: SettingKey, value: number): string {
  const unit = SETTINGS[key].unit;
  return unit ? `${value} ${unit}` : String(value);
}

export interface AppliedSetting {
  key: SettingKey;
  value: number;
  origin: string;
  /** `5000 ms (Gherkin)` */
  text: string;
}

/** A setting as a verdict states it: value, unit and where it came from. */
export function settingOf(evidence: Evidence, key: SettingKey): AppliedSetting {
  const raw = evidence.settings?.[key];
  const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : SETTINGS[key].default;
  const origin = evidence.settingOrigins?.[key] ?? ORIGIN_DEFAULT;
  return { key, value, origin, text: `${showValue(key, value)} (${origin})` };
}

/** measured / bound with two decimals: `0.25` */
export function ratio(measured: number, bound: number): string {
  if (!(bound > 0)) return 'n/a';
  return (measured / bound).toFixed(2);
}

/**
 * The settings with `values` laid over them, each recorded with `origin`. `only: 'unset'` keeps what the descriptor
 * (or a later layer) already set and replaces only defaults, which is how an environment's defaults apply.
 */
export function withSettings(
  evidence: Evidence,
  values: Partial<Record<SettingKey, number>>,
  origin: string | ((key: SettingKey) => string),
  only: 'all' | 'unset' = 'all',
): Evidence {
  const settings = { ...evidence.settings };
  const origins = { ...(evidence.settingOrigins ?? {}) };
  for (const key of SETTING_KEYS) {
    const v = values[key];
    if (v === undefined) continue;
    if (only === 'unset' && (origins[key] ?? ORIGIN_DEFAULT) !== ORIGIN_DEFAULT) continue;
    settings[key] = v;
    origins[key] = typeof origin === 'function' ? origin(key) : origin;
  }
  return { ...evidence, settings, settingOrigins: origins };
}

/** How a drill verdict states a measurement: `1240 ms; bound 5000 ms (Gherkin); 0.25 of the bound`. */
export function againstBound(measuredMs: number, boundMs: number, boundText: string): string {
  return `${Math.round(measuredMs)} ms; bound ${boundText}; ${ratio(measuredMs, boundMs)} of the bound`;
}
