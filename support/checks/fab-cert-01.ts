import type { CertificateInfo, ChannelOrgInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { DAY_MS, channelsNotGiven, isoDay, names, noFabric, notGivenReason, nowOf, plural, summarize } from './common.ts';
import { settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-CERT-01';

/** the certificate lists of an MSP in a channel configuration, and how a verdict names each */
const KINDS: ReadonlyArray<{ field: keyof ChannelOrgInfo; what: string }> = [
  { field: 'rootCerts', what: 'root CA' },
  { field: 'intermediateCerts', what: 'intermediate CA' },
  { field: 'tlsRootCerts', what: 'TLS root CA' },
  { field: 'tlsIntermediateCerts', what: 'TLS intermediate CA' },
  { field: 'admins', what: 'admin certificate' },
];

interface Seen {
  channel: string;
  /** the channel configuration's file */
  file: string;
  org: string;
  group: 'Application' | 'Orderer';
  what: string;
  cert: CertificateInfo;
}

export const check: Check = {
  id: ID,
  title: 'No certificate a channel depends on is about to expire: MSP and TLS root and intermediate CAs, admin certificates',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "No certificate a channel's configuration depends on expires within the warning window (default 90 days): the " +
    'root and intermediate CAs and the TLS root and intermediate CAs of every organization, and the admin ' +
    'certificates its MSP lists, in every channel configuration, rarely used channels included. An expired CA in ' +
    'a forgotten channel has kept orderers from starting; an expired admin certificate can no longer sign the ' +
    'config update that would replace it.',
  evidence: {
    static: 'the `root_certs`, `intermediate_certs`, `tls_root_certs`, `tls_intermediate_certs` and `admins` of every organization in every channel configuration',
    live: 'the channels each ordering node takes part in (channel participation), so a channel the descriptor leaves out is named instead of passed over; the certificates themselves come from the channel configurations',
  },
  violation: "an intermediate CA of one organization's MSP that expires next week, in a channel nobody looks at",
  sources: [
    cite(DOCS.expiredIntermediate, 'Description'),
    cite(DOCS.raftConfiguration, 'Certificate expiration related authentication'),
  ],
  severity: 'blocker',
  remediation:
    'Issue the replacement CA, intermediate or admin certificate now, add it to the MSP of every channel the ' +
    'organization belongs to (a config update signed under the channel\'s Admins policy) next to the old one, ' +
    're-enrol the identities it covers, and remove the old certificate only after that. List every channel an ' +
    'orderer serves (osnadmin channel list) so that none is forgotten.',
  needs: ['fabric.channels', 'fabric.certificates', 'live.participation'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = fabric.channels ?? [];
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration in the descriptor: cannot see the certificates the channels depend on');
    const now = nowOf(evidence);
    const window = settingOf(evidence, 'channelCertExpiryWarningDays');
    const windowMs = window.value * DAY_MS;

    const seen: Seen[] = [];
    const reported = new Set<string>();
    for (const ch of channels) {
      const groups: Array<['Application' | 'Orderer', ChannelOrgInfo[]]> = [
        ['Application', ch.applicationOrgs],
        ['Orderer', ch.ordererOrgs],
      ];
      for (const [group, orgs] of groups) {
        for (const org of orgs) {
          for (const { field, what } of KINDS) {
            for (const cert of (org[field] as CertificateInfo[] | undefined) ?? []) {
              const key = `${ch.name}|${group}|${org.name}|${what}|${cert.fingerprint256}`;
              if (reported.has(key)) continue;
              reported.add(key);
              seen.push({ channel: ch.name, file: ch.source, org: org.mspId ?? org.name, group, what, cert });
            }
          }
        }
      }
    }
    const facts = seen.map((s) => ({ channel: s.channel, org: s.org, group: s.group, what: s.what, subject: s.cert.subject, notAfter: s.cert.notAfter, source: s.cert.source }));
    const missing = channelsNotGiven(evidence);
    const out = { now: new Date(now).toISOString(), windowDays: window.value, windowOrigin: window.origin, certificates: facts, channelsNotGiven: missing };
    if (!seen.length) return verdict.skipped(ID, `the ${plural(channels.length, 'channel configuration')} carry no MSP certificates: nothing to judge`, out);

    const problems: string[] = [];
    for (const s of seen) {
      const end = Date.parse(s.cert.notAfter);
      if (Number.isNaN(end)) continue;
      const whose = `channel ${s.channel}: ${s.org} (${s.group}) ${s.what} "${s.cert.subject}"`;
      if (end <= now) {
        problems.push(`${whose} expired on ${isoDay(end)} (${s.cert.source} in ${s.file})`);
      } else if (end - now <= windowMs) {
        problems.push(
          `${whose} expires on ${isoDay(end)}, in ${Math.floor((end - now) / DAY_MS)} days, within the warning window of ${window.text} (${s.cert.source} in ${s.file})`,
        );
      }
    }
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (missing.length) return verdict.skipped(ID, `${seen.length} certificates of the given channels are valid beyond the warning window, but ${notGivenReason(missing)}`, out);
    const first = seen.reduce((a, b) => (Date.parse(b.cert.notAfter) < Date.parse(a.cert.notAfter) ? b : a));
    const firstEnd = Date.parse(first.cert.notAfter);
    const kinds = [...new Set(seen.map((s) => s.what))];
    return verdict.passed(
      ID,
      `${plural(seen.length, 'certificate')} (${kinds.join(', ')}) of ${plural(new Set(seen.map((s) => s.org)).size, 'organization')} on ` +
        `${names(channels.map((c) => c.name))}: the first to expire is ${first.org}'s ${first.what} "${first.cert.subject}" on ${isoDay(firstEnd)} ` +
        `(${Math.floor((firstEnd - now) / DAY_MS)} days away; warning window ${window.text})`,
      out,
    );
  },
};
