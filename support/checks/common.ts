/**
 * Shared vocabulary of the checks: the one place that reads the clock, host-name matching as a TLS client does it,
 * and small wording helpers so every verdict reads the same way (the documents they cite are in sources.ts).
 * Everything here is pure.
 */
import { isIP } from 'node:net';
import type {
  CertificateInfo,
  ChannelConfigInfo,
  ChannelOrgInfo,
  ConsenterInfo,
  FabricEvidence,
  FabricOrgInfo,
  Evidence,
  OrderingNodeInfo,
  Timeline,
} from '../evidence/model.ts';
import { verdict, type Verdict } from './types.ts';
import { redactCredentials } from '../evidence/redact.ts';

// ---------------------------------------------------------------------------------------------------------------
// Time

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The reference time of a verdict, in ms since the epoch: `settings.now` when given (tests and reports pin it),
 * the current time otherwise. The only place a check may read the clock.
 */
export function nowOf(evidence: Evidence): number {
  const now = evidence.settings?.now;
  if (now === undefined || now === null || now === '') return Date.now();
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) throw new Error(`settings.now is not an ISO-8601 time: ${JSON.stringify(now)}`);
  return ms;
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------------------------
// Quorum

/** ⌊n/2⌋+1: the members Raft needs for a quorum */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Hosts and addresses

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export function hostPort(host: string, port: number | string): string {
  const h = normalizeHost(host);
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export function isIpAddress(host: string): boolean {
  return isIP(normalizeHost(host)) !== 0;
}

/** canonical text of an IP address so that `::1` and `0:0:0:0:0:0:0:1` compare equal */
export function canonicalIp(ip: string): string {
  const h = normalizeHost(ip);
  if (isIP(h) === 6) {
    try {
      return new URL(`http://[${h}]/`).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return h;
    }
  }
  return h;
}

/** `host:port`, `[v6]:port` or a bare host; undefined when empty */
export function splitHostPort(address: string | undefined): { host: string; port?: number } | undefined {
  if (!address) return undefined;
  const a = address.trim();
  if (!a) return undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (v6) return { host: v6[1], port: v6[2] === undefined ? undefined : Number(v6[2]) };
  const colons = a.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = a.split(':');
    return { host, port: /^\d+$/.test(port) ? Number(port) : undefined };
  }
  return { host: a };
}

/**
 * Host-name matching as Go's crypto/tls (and so Fabric) does it: case-insensitive, trailing dots ignored, a
 * wildcard only as the whole left-most label and matching exactly one label. The common name is not consulted.
 */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (!p || !h) return false;
  const pp = p.split('.');
  const hp = h.split('.');
  if (pp.length !== hp.length) return false;
  return pp.every((label, i) => (i === 0 && label === '*' ? hp[0].length > 0 : label === hp[i]));
}

/** whether a client dialling `host` verifies this certificate: DNS SANs for names, IP SANs for addresses */
export function certCoversHost(cert: CertificateInfo, host: string): boolean {
  if (isIpAddress(host)) {
    const want = canonicalIp(host);
    return (cert.ipAddresses ?? []).some((ip) => canonicalIp(ip) === want);
  }
  return (cert.dnsNames ?? []).some((name) => dnsNameMatches(name, host));
}

export function sansOf(cert: CertificateInfo): string[] {
  return [...(cert.dnsNames ?? []), ...(cert.ipAddresses ?? [])];
}

// ---------------------------------------------------------------------------------------------------------------
// Fabric lookups

export function findOrderer(orderers: OrderingNodeInfo[], c: { host: string; port: number }): OrderingNodeInfo | undefined {
  const key = hostPort(c.host, c.port);
  return orderers.find((o) => hostPort(o.host, o.port) === key);
}

export function consenterName(c: ConsenterInfo): string {
  return hostPort(c.host, c.port);
}

/** the organization's group in a channel's Application group (by MSP ID, else by name), if it is a member */
export function channelOrgOf(ch: ChannelConfigInfo, org: FabricOrgInfo): ChannelOrgInfo | undefined {
  return (
    ch.applicationOrgs.find((a) => a.mspId !== undefined && a.mspId !== '' && a.mspId === org.mspId) ??
    ch.applicationOrgs.find((a) => a.name === org.name)
  );
}

export function orgIsMember(ch: ChannelConfigInfo, org: FabricOrgInfo): boolean {
  return channelOrgOf(ch, org) !== undefined;
}

/**
 * Channels the ordering nodes take part in (their channel participation, live) that the descriptor gives no
 * configuration for: a guarantee "in every channel" cannot be passed over them. Channel → the nodes that report it.
 */
export function channelsNotGiven(evidence: Evidence): Array<{ channel: string; orderers: string[] }> {
  const given = new Set((evidence.fabric?.channels ?? []).map((c) => c.name));
  const seen = new Map<string, string[]>();
  for (const [orderer, channels] of Object.entries(evidence.live?.participation ?? {})) {
    for (const channel of Object.keys(channels ?? {})) {
      if (!given.has(channel)) seen.set(channel, [...(seen.get(channel) ?? []), orderer]);
    }
  }
  return [...seen].map(([channel, orderers]) => ({ channel, orderers: orderers.sort() })).sort((a, b) => a.channel.localeCompare(b.channel));
}

/** the skip reason for channels seen live without a configuration (see `channelsNotGiven`) */
export function notGivenReason(missing: Array<{ channel: string; orderers: string[] }>): string {
  return (
    `the ordering nodes take part in ${plural(missing.length, 'channel')} the descriptor gives no configuration for ` +
    `(${missing.map((m) => `${m.channel} on ${names(m.orderers, 3)}`).join('; ')}): add them to fabric.channels ` +
    '(peer channel fetch config) to judge every channel'
  );
}

/** channels whose consensus type has a consenter set the Raft rules apply to */
export function isRaft(consensusType: string): boolean {
  const t = (consensusType ?? '').toLowerCase();
  return t === 'etcdraft' || t === 'raft' || t === '';
}

/**
 * The round trips measured between ordering nodes of different regions, with the regions as placed from the
 * evidence (the live collector only knew the descriptor's claims), else as recorded.
 */
export function crossRegionTrips(evidence: Evidence): NonNullable<Evidence['live']['roundTrips']> {
  const placed = new Map((evidence.fabric?.orderers ?? []).filter((o) => o.region !== undefined).map((o) => [o.name, o.region!]));
  return (evidence.live?.roundTrips ?? [])
    .map((r) => ({ ...r, fromRegion: placed.get(r.from) ?? r.fromRegion, toRegion: placed.get(r.to) ?? r.toRegion }))
    .filter((r) => r.fromRegion !== undefined && r.toRegion !== undefined && r.fromRegion !== r.toRegion);
}

// ---------------------------------------------------------------------------------------------------------------
// Wording

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** `a, b, c` — at most `max` names, then `and N more` */
export function names(xs: readonly string[], max = 8): string {
  if (xs.length <= max) return xs.join(', ');
  return `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

export function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/** the first `limit` problems, and how many more there are */
export function summarize(problems: readonly string[], limit = 4): string {
  if (problems.length <= limit) return problems.join('; ');
  return `${problems.slice(0, limit).join('; ')}; and ${problems.length - limit} more`;
}

// ---------------------------------------------------------------------------------------------------------------
// Standard skips

export function noFabric(id: string): Verdict {
  return verdict.skipped(id, 'the target describes no Fabric deployment');
}

/**
 * The Fabric evidence and the organizations that run peers, or the skip to return when there are none: the
 * opening of every peer and gateway check.
 */
export function peerOrgs(evidence: Evidence, id: string): { fabric: FabricEvidence; orgs: FabricOrgInfo[] } | { verdict: Verdict } {
  const fabric = evidence.fabric;
  if (!fabric) return { verdict: noFabric(id) };
  const orgs = (fabric.orgs ?? []).filter((o) => o.peers.length > 0);
  if (!orgs.length) return { verdict: verdict.skipped(id, 'no peer organizations with peers in the descriptor') };
  return { fabric, orgs };
}

export function noCorda(id: string): Verdict {
  return verdict.skipped(id, 'the target describes no Corda deployment');
}

// ---------------------------------------------------------------------------------------------------------------
// Timelines

export function timelineOf(evidence: Evidence, id: string): Timeline | undefined {
  return evidence.live?.timelines?.[id];
}

/**
 * The skip for an absent timeline: why the live collection could not observe it here when it says
 * (`live.unobserved`), else how to get one; a disruptive drill says how to allow it.
 */
export function noTimeline(id: string, what: 'drill' | 'sampling', evidence?: Evidence): Verdict {
  const why = evidence?.live?.unobserved?.[id];
  if (why) return verdict.skipped(id, `${id} could not be observed: ${why}`);
  return what === 'drill'
    ? verdict.skipped(id, `no live timeline for the ${id} drill: drills run where the harness provisions the target (npx cucumber-js on the local, docker or kind profile; HA_ALLOW_DISRUPTIVE=1 for a target not marked disposable)`)
    : verdict.skipped(
        id,
        `no live timeline for ${id}: it is judged from a sampling window that injects nothing (ha-validate --live --observe [window], or npx cucumber-js on any profile)`,
      );
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** events a drill recorded as its own failure to look (`kind: 'error'`), with their messages */
export function harnessErrors(tl: Timeline): string[] {
  return tl.events
    .filter((e) => e.kind === 'error')
    .map((e) => `t=${e.t} ms: ${str(e.message) ?? str(e.error) ?? 'error'}`);
}

/** errors that say the endpoint could not be reached at all, as opposed to an answer that was wrong */
export function isReachabilityError(message: string | undefined): boolean {
  if (!message) return false;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|timed? ?out|socket hang up|connection refused/i.test(
    message,
  );
}

/** a URL or JDBC URL with any password in it masked (every form the redaction layer knows) */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

/** the compact, secret-free summary of a certificate for a verdict's evidence */
export function certFacts(cert: CertificateInfo): Record<string, unknown> {
  return {
    source: cert.source,
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    sans: sansOf(cert),
    notAfter: cert.notAfter,
    verifiedBy: cert.verifiedBy,
  };
}
