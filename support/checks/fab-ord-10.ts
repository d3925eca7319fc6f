import type { CertificateInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { channelsNotGiven, consenterName, findOrderer, isReachabilityError, names, noFabric, normalizeHost, notGivenReason, plural, summarize, unique } from './common.ts';
import { presentedCert } from './identity.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-10';

/** how a certificate is named in a verdict: where it was read, its serial and the start of its key's fingerprint */
function described(cert: CertificateInfo): string {
  return `${cert.source}, serial ${cert.serialNumber.slice(0, 16)}, key ${cert.publicKeyFingerprint.slice(0, 16)}…`;
}

interface Pair {
  channel: string;
  consenter: string;
  node?: string;
  /** the channel's server_tls_cert of this consenter */
  entry: string;
  file?: { cert: string; sameKey: boolean; sameCert: boolean };
  presented?: { cert: string; sameKey: boolean; sameCert: boolean };
}

export const check: Check = {
  id: ID,
  title: "Every consenter entry holds the public key of its ordering node's current TLS certificate, in every channel",
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "A consenter's TLS key is unchanged by renewal: the public key of each ordering node's current server TLS " +
    'certificate equals the key of its `server_tls_cert` in the consenter entry of every channel, rarely used ' +
    'channels included. The other orderers authenticate a consenter by that key, so a renewal with a new key that ' +
    'misses one channel takes the node out of that channel; a renewal with the same key needs no config update.',
  evidence: {
    static: "each consenter's `server_tls_cert` in every channel configuration compared with its node's TLS certificate file (by public key)",
    live: 'the certificate each consenter presents on its cluster port, compared with its entry in every channel; the channels each ordering node takes part in (channel participation), so a channel the descriptor leaves out is named',
  },
  violation: "orderer3's TLS certificate renewed with a new key while a rarely used channel still lists the old one",
  sources: [
    cite(DOCS.raftConfiguration, 'TLS certificate rotation for an orderer node'),
    cite(DOCS.rekeyedConsenters, 'Description'),
    cite(DOCS.sameKeyRenewal, 'Description'),
  ],
  severity: 'blocker',
  remediation:
    'Renew consenter TLS certificates with the same private key (fabric-ca-client reenroll --csr.keyrequest.reusekey), ' +
    'which needs no channel update. Where a node already has a new key, update its consenter entry ' +
    '(server_tls_cert and client_tls_cert) in every channel it belongs to, one node at a time, before the old ' +
    'certificate leaves the node; list the channels with osnadmin channel list so none is forgotten.',
  needs: ['fabric.channels', 'fabric.orderers', 'fabric.certificates', 'live.presentedCerts', 'live.participation'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = (fabric.channels ?? []).filter((c) => c.consenters.length > 0);
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with consenters: cannot see the consenter entries');
    const problems: string[] = [];
    const pairs: Pair[] = [];
    const noEntry: string[] = [];
    const nothingToCompare: string[] = [];
    const unreachable = new Set<string>();
    for (const ch of channels) {
      for (const c of ch.consenters) {
        const name = consenterName(c);
        const entry = c.serverTlsCert;
        if (!entry) {
          noEntry.push(`${ch.name}/${name}`);
          continue;
        }
        const node = findOrderer(fabric.orderers ?? [], c);
        const current: Array<{ what: 'file' | 'presented'; cert: CertificateInfo }> = [];
        if (node?.tlsCert) current.push({ what: 'file', cert: node.tlsCert });
        const live = presentedCert(evidence, c.host, c.port);
        if (live) current.push({ what: 'presented', cert: live });
        if (!current.length) {
          nothingToCompare.push(`${ch.name}/${name}`);
          const failed = (evidence.live?.handshakes ?? []).find((h) => normalizeHost(h.name) === normalizeHost(c.host) && isReachabilityError(h.error));
          if (failed) unreachable.add(`${name} (${failed.address}): ${failed.error}`);
          continue;
        }
        const pair: Pair = { channel: ch.name, consenter: name, ...(node ? { node: node.name } : {}), entry: described(entry) };
        for (const { what, cert } of current) {
          const sameKey = cert.publicKeyFingerprint === entry.publicKeyFingerprint;
          pair[what] = { cert: described(cert), sameKey, sameCert: cert.fingerprint256 === entry.fingerprint256 };
          if (sameKey) continue;
          const whose = node ? `${node.name}'s` : `the node's`;
          problems.push(
            `channel ${ch.name}: consenter ${name} lists a server_tls_cert (${described(entry)}) whose public key is not the key of ` +
              `${whose} ${what === 'file' ? 'current TLS certificate' : 'certificate presented live'} (${described(cert)}): ` +
              `the other orderers refuse it on ${ch.name} (${ch.source})`,
          );
        }
        pairs.push(pair);
      }
    }
    const missing = channelsNotGiven(evidence);
    const out = { channels: channels.map((c) => c.name), pairs, noEntry, nothingToCompare, channelsNotGiven: missing };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (!pairs.length && unreachable.size) {
      return verdict.broken(ID, `no certificate file names the consenters' current TLS certificates, and they could not be reached live: ${summarize([...unreachable], 2)}`, out);
    }
    if (!pairs.length) {
      return verdict.skipped(
        ID,
        'no consenter entry could be compared: none carries a server_tls_cert whose ordering node has a TLS certificate file in the descriptor or presented one live',
        out,
      );
    }
    if (missing.length) return verdict.skipped(ID, `${pairs.length} consenter entries match their nodes' keys, but ${notGivenReason(missing)}`, out);
    const renewed = pairs.filter((p) => [p.file, p.presented].some((x) => x && x.sameKey && !x.sameCert));
    const presented = pairs.filter((p) => p.presented).length;
    return verdict.passed(
      ID,
      `${pairs.length} consenter entries on ${names(channels.map((c) => c.name))}: each holds the public key of its node's current TLS certificate` +
        (presented ? ` (${presented} also compared with the certificate presented live)` : ' (no certificate presented live)') +
        (renewed.length
          ? `; ${plural(renewed.length, 'entry', 'entries')} (${names(unique(renewed.map((p) => p.consenter)), 4)}) hold an older certificate of the same key: renewed with the same key, which needs no config update`
          : '') +
        (noEntry.length ? `; no server_tls_cert for ${names(noEntry, 4)}` : '') +
        (nothingToCompare.length ? `; nothing to compare for ${names(nothingToCompare, 4)} (no node certificate)` : ''),
      out,
    );
  },
};
