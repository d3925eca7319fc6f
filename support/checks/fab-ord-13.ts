import type { ChannelConfigInfo, ChannelOrgInfo, FabricOrgInfo, OrderingNodeInfo } from '../evidence/model.ts';
import { verdict, type Check } from './types.ts';
import { certCoversHost, names, noFabric, normalizeHost, splitHostPort, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-ORD-13';

/**
 * The ordering node an endpoint names: the one whose host it is, else the one node whose TLS certificate names
 * that host (a client dialling the endpoint verifies that certificate). Undefined when none, or several, do.
 */
function nodeOf(endpoint: string, orderers: OrderingNodeInfo[]): OrderingNodeInfo | undefined {
  const host = splitHostPort(endpoint)?.host;
  if (!host) return undefined;
  const exact = orderers.filter((o) => normalizeHost(o.host) === normalizeHost(host));
  if (exact.length === 1) return exact[0];
  const named = orderers.filter((o) => o.tlsCert && certCoversHost(o.tlsCert, host));
  return named.length === 1 ? named[0] : undefined;
}

/** the organization's group in the channel's Orderer group (by MSP ID, else by name) */
function ordererGroupOf(ch: ChannelConfigInfo, org: FabricOrgInfo): ChannelOrgInfo | undefined {
  return ch.ordererOrgs.find((g) => g.mspId && g.mspId === org.mspId) ?? ch.ordererOrgs.find((g) => g.name === org.name);
}

interface OrgFacts {
  channel: string;
  org: string;
  endpoints: Array<{ endpoint: string; node?: string; region?: string }>;
  regions: string[];
  covered: string[];
  channelOrdererAddresses?: string[];
}

export const check: Check = {
  id: ID,
  title: 'Every organization hosting orderers publishes org-level orderer endpoints that cover every region it runs orderers in',
  area: 'fabric',
  kinds: ['static'],
  guarantee:
    'Every organization that hosts ordering nodes publishes its orderer endpoints in each channel (the org-level ' +
    '`Endpoints` value, `OrdererEndpoints` in configtx.yaml; the channel-level `OrdererAddresses` are deprecated and ' +
    'Fabric 3 ignores them), and they name an ordering node in every region where the organization runs one, so ' +
    'that peers and clients can still reach the ordering service from the regions left after a region is lost.',
  evidence: {
    static:
      "each orderer organization's `Endpoints` in every channel configuration, each endpoint mapped to the ordering node whose host (or TLS certificate) it names and to that node's region",
    live: null,
  },
  violation: 'an ordering organization whose endpoints list only its r1 and r2 nodes, or a channel with only the channel-level OrdererAddresses',
  sources: [
    cite(DOCS.ordererEndpoints, 'Description'),
    cite(DOCS.globalEndpointsRemoved, 'Description'),
    cite(DOCS.staleOrdererAddress, 'Description'),
  ],
  severity: 'critical',
  remediation:
    "Set the organization's OrdererEndpoints (configtx.yaml) or update its Endpoints value in every channel with the " +
    'address of at least one ordering node in each region it runs nodes in, and keep it up to date when nodes move ' +
    '(a client keeps dialling the addresses the channel gives). Move the channel-level OrdererAddresses into the ' +
    'organizations\' Endpoints before upgrading to Fabric 3.',
  needs: ['fabric.channels', 'fabric.orderers', 'fabric.kubernetes'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const orderers = fabric.orderers ?? [];
    const hosting = (fabric.orderingOrgs ?? []).filter((org) => orderers.some((o) => o.org === org.name));
    if (!hosting.length) return verdict.skipped(ID, 'no organization of the descriptor hosts ordering nodes');
    const channels = (fabric.channels ?? []).filter((c) => c.ordererOrgs.length > 0);
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration with an Orderer group: cannot see the orderer endpoints');

    const problems: string[] = [];
    const cannotTell: string[] = [];
    const notes: string[] = [];
    const facts: OrgFacts[] = [];
    for (const ch of channels) {
      for (const org of hosting) {
        const group = ordererGroupOf(ch, org);
        const nodes = orderers.filter((o) => o.org === org.name);
        if (!group) {
          notes.push(`${org.name} is not an orderer organization of ${ch.name}`);
          continue;
        }
        const who = `channel ${ch.name}: ${org.name} (${group.mspId ?? group.name})`;
        const endpoints = group.endpoints ?? [];
        const fact: OrgFacts = { channel: ch.name, org: org.name, endpoints: [], regions: [], covered: [] };
        if (ch.ordererAddresses?.length) fact.channelOrdererAddresses = ch.ordererAddresses;
        facts.push(fact);
        if (!endpoints.length) {
          problems.push(
            `${who} hosts ordering nodes (${names(nodes.map((n) => n.name), 4)}) but publishes no orderer endpoints (no Endpoints value in Orderer/${group.name}; ${ch.source})` +
              (ch.ordererAddresses?.length
                ? `; the channel gives only the deprecated channel-level OrdererAddresses (${names(ch.ordererAddresses, 4)}), which Fabric 3 ignores`
                : ''),
          );
          continue;
        }
        if (ch.ordererAddresses?.length) notes.push(`${ch.name} still carries the deprecated channel-level OrdererAddresses (the organizations' endpoints take precedence)`);
        for (const endpoint of endpoints) {
          const node = nodeOf(endpoint, nodes) ?? nodeOf(endpoint, orderers);
          fact.endpoints.push({ endpoint, ...(node ? { node: node.name } : {}), ...(node?.region ? { region: node.region } : {}) });
        }
        const unplaced = nodes.filter((n) => !n.region).map((n) => n.name);
        if (unplaced.length) cannotTell.push(`${who}: cannot place ${names(unplaced, 4)} in a region (no Kubernetes evidence shows them and the descriptor claims no region)`);
        fact.regions = unique(nodes.flatMap((n) => (n.region ? [n.region] : []))).sort();
        fact.covered = unique(fact.endpoints.flatMap((e) => (e.region ? [e.region] : []))).sort();
        const unknown = fact.endpoints.filter((e) => !e.node).map((e) => e.endpoint);
        const uncovered = fact.regions.filter((r) => !fact.covered.includes(r));
        for (const region of uncovered) {
          const there = nodes.filter((n) => n.region === region).map((n) => n.name);
          if (unknown.length) {
            cannotTell.push(`${who}: no endpoint names a node of ${region} (${names(there, 4)}), and ${names(unknown, 4)} name no ordering node of the descriptor: cannot tell whether they are in ${region}`);
          } else {
            problems.push(
              `${who} publishes orderer endpoints only in ${names(fact.covered) || 'no region'} (${names(endpoints, 5)}), none in ${region} where ${names(there, 4)} run: clients and peers are never told of them (${ch.source})`,
            );
          }
        }
        if (unknown.length && !uncovered.length) notes.push(`${who}: ${names(unknown, 4)} name no ordering node of the descriptor`);
      }
    }
    const out = { organizations: facts, notes };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (cannotTell.length) return verdict.skipped(ID, summarize(cannotTell), out);
    if (!facts.length) return verdict.skipped(ID, `no organization that hosts ordering nodes is an orderer organization of a channel: ${summarize(notes)}`, out);
    const judged = facts.filter((f) => f.endpoints.length);
    return verdict.passed(
      ID,
      judged
        .map((f) => `${f.channel}: ${f.org} publishes ${f.endpoints.length} orderer endpoints covering ${names(f.covered)} (every region its ordering nodes run in)`)
        .join('; ') + (notes.length ? `; ${summarize(unique(notes), 2)}` : ''),
      out,
    );
  },
};
