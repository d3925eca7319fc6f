import type { CertificateInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { DAY_MS, consenterName, findOrderer, isoDay, majority, names, noFabric, nowOf, summarize } from './common.ts';
import { presentedCert } from './identity.ts';
import { settingOf } from '../evidence/settings.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-08';

interface ConsenterCerts {
  consenter: string;
  certs: Array<{ role: string; cert: CertificateInfo }>;
  /** the consenter drops out when its first certificate expires */
  firstExpiry?: number;
}

export const check: Check = {
  id: ID,
  title: 'No consenter TLS certificate is about to expire, and no majority of them expire within one window of each other',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "No consenter's TLS certificate expires within the warning window (default 30 days), and no majority of " +
    "the consenters' certificates expire within one window of each other: otherwise one missed renewal loses " +
    'the quorum on every channel at once.',
  evidence: {
    static:
      '`server_tls_cert` / `client_tls_cert` of each consenter in each channel configuration; the certificate ' +
      'files',
    live: 'the certificates presented on the cluster port',
  },
  violation: 'three of five consenter certificates expiring in the same week',
  sources: [cite(DOCS.certificateRenewal, 'Description')],
  severity: 'blocker',
  remediation:
    'Renew the consenters\' TLS certificates that expire within the warning window now, and update the consenter ' +
    'entries (server_tls_cert/client_tls_cert) in every channel config, one consenter at a time. Stagger renewals so ' +
    'that fewer than a majority of consenters expire within one window of each other: a single missed renewal must ' +
    'not take the quorum down on every channel at once.',
  needs: ['fabric.channels', 'fabric.certificates', 'live.presentedCerts'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const now = nowOf(evidence);
    const warning = settingOf(evidence, 'certExpiryWarningDays');
    const spread = settingOf(evidence, 'certExpiryMajorityWindowDays');
    const windowDays = warning.value;
    const windowMs = windowDays * DAY_MS;
    const spreadDays = spread.value;
    const spreadMs = spreadDays * DAY_MS;
    const channels = (fabric.channels ?? []).filter((c) => c.consenters.length > 0);
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with consenters: cannot see the consenter certificates');
    const problems: string[] = [];
    const reported = new Set<string>();
    const facts: Array<{ channel: string; consenters: Array<{ consenter: string; expiries: Record<string, string> }> }> = [];
    const judged = new Set<string>();
    const presentedSeen = new Set<string>();

    for (const ch of channels) {
      const list: ConsenterCerts[] = [];
      for (const c of ch.consenters) {
        const name = consenterName(c);
        const certs: ConsenterCerts['certs'] = [];
        if (c.serverTlsCert) certs.push({ role: 'server TLS', cert: c.serverTlsCert });
        if (c.clientTlsCert && c.clientTlsCert.fingerprint256 !== c.serverTlsCert?.fingerprint256) certs.push({ role: 'client TLS', cert: c.clientTlsCert });
        if (!certs.length) {
          const tls = findOrderer(fabric.orderers ?? [], c)?.tlsCert;
          if (tls) certs.push({ role: 'TLS (descriptor file)', cert: tls });
        }
        const live = presentedCert(evidence, c.host, c.port);
        if (live) {
          certs.push({ role: 'presented TLS', cert: live });
          presentedSeen.add(consenterName(c));
        }
        const expiries = certs.map((x) => Date.parse(x.cert.notAfter)).filter((t) => !Number.isNaN(t));
        list.push({ consenter: name, certs, firstExpiry: expiries.length ? Math.min(...expiries) : undefined });
      }
      facts.push({
        channel: ch.name,
        consenters: list.map((l) => ({ consenter: l.consenter, expiries: Object.fromEntries(l.certs.map((x) => [x.role, x.cert.notAfter])) })),
      });

      for (const l of list) {
        for (const { role, cert } of l.certs) {
          judged.add(cert.fingerprint256);
          const end = Date.parse(cert.notAfter);
          if (Number.isNaN(end)) continue;
          const key = `${ch.name}|${l.consenter}|${cert.fingerprint256}`;
          if (reported.has(key)) continue;
          const days = Math.floor((end - now) / DAY_MS);
          if (end <= now) {
            reported.add(key);
            problems.push(`channel ${ch.name}: consenter ${l.consenter} ${role} certificate expired on ${isoDay(end)} (${cert.source})`);
          } else if (end - now <= windowMs) {
            reported.add(key);
            problems.push(
              `channel ${ch.name}: consenter ${l.consenter} ${role} certificate expires on ${isoDay(end)}, in ${days} days, within the warning window of ${warning.text} (${cert.source})`,
            );
          }
        }
      }

      // A majority expiring within one window of each other: slide a window of that width over the sorted expiries.
      const timed = list.filter((l) => l.firstExpiry !== undefined).sort((a, b) => a.firstExpiry! - b.firstExpiry!);
      const need = majority(ch.consenters.length);
      let worst: ConsenterCerts[] = [];
      for (let i = 0, j = 0; i < timed.length; i++) {
        while (timed[i].firstExpiry! - timed[j].firstExpiry! > spreadMs) j++;
        if (i - j + 1 > worst.length) worst = timed.slice(j, i + 1);
      }
      if (worst.length >= need) {
        problems.push(
          `channel ${ch.name}: ${worst.length} of ${ch.consenters.length} consenters' certificates expire within ${spread.text} of each other ` +
            `(${isoDay(worst[0].firstExpiry!)} … ${isoDay(worst[worst.length - 1].firstExpiry!)}: ${names(worst.map((w) => w.consenter))}); ` +
            `one missed renewal loses the quorum of ${need}`,
        );
      }
    }
    const out = {
      now: new Date(now).toISOString(),
      windowDays,
      windowOrigin: warning.origin,
      majorityWindowDays: spreadDays,
      majorityWindowOrigin: spread.origin,
      channels: facts,
    };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (!judged.size) {
      return verdict.skipped(ID, 'the consenters carry no TLS certificates in the channel config and none were named or presented: cannot see expiry', out);
    }
    const all = facts.flatMap((f) => f.consenters.flatMap((c) => Object.values(c.expiries))).map((s) => Date.parse(s)).filter((t) => !Number.isNaN(t));
    const first = Math.min(...all);
    return verdict.passed(
      ID,
      `${judged.size} consenter certificates on ${names(channels.map((c) => c.name))}: the first expires ${isoDay(first)} ` +
        `(${Math.floor((first - now) / DAY_MS)} days away; warning window ${warning.text}) and no majority expires within ${spread.text} of each other` +
        (presentedSeen.size ? `; ${presentedSeen.size} presented live` : ''),
      out,
    );
  },
};
