/**
 * Each peer's ledger height per channel, as the peer reports it on its own operations endpoint
 * (`ledger_blockchain_height{channel}`), for the peers whose descriptor entry names one (`operations`) at an address
 * the live section lets the harness dial. FAB-PEER-03 and FAB-PEER-06 judge them. A GET of `/metrics`, nothing else.
 */
import { readText } from '../input.ts';
import type { LiveEvidence } from '../model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { metricSamples } from '../../drills/prometheus.ts';
import { getMetrics } from './round-trips.ts';

export const PEER_HEIGHT_METHOD = "the peers' own ledger_blockchain_height on their operations endpoints";

export async function collectPeerHeights(d: TargetDescriptor, timeoutMs = 2000): Promise<Partial<LiveEvidence>> {
  const peers = (d.fabric?.organizations ?? []).flatMap((o) => o.peers.filter((p) => p.operations).map((p) => ({ peer: p, org: o })));
  if (!peers.length) return {};
  const cas = new Map<string, string[]>();
  for (const o of d.fabric!.organizations) cas.set(o.name, await Promise.all(o.ca.map((f) => readText(f, 'certificate').catch(() => ''))));
  const peerHeights: NonNullable<LiveEvidence['peerHeights']> = {};
  await Promise.all(
    peers.map(async ({ peer, org }) => {
      try {
        const samples = await getMetrics(d, `${peer.operations!.replace(/\/$/, '')}/metrics`, timeoutMs, false, cas.get(org.name)?.filter(Boolean));
        const heights = Object.fromEntries(
          metricSamples(samples, 'ledger_blockchain_height').filter((s) => s.labels.channel).map((s) => [s.labels.channel, s.value]),
        );
        if (Object.keys(heights).length) peerHeights[peer.name] = heights;
      } catch {
        // an endpoint that cannot be read reports no height; the checks say which peers they could not compare
      }
    }),
  );
  return Object.keys(peerHeights).length ? { peerHeights, peerHeightMethod: PEER_HEIGHT_METHOD } : {};
}
