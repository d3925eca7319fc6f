/**
 * FAB-CAP-01's live evidence: the Fabric release each node runs, as it says itself. A peer's or orderer's
 * operations service answers `GET /version` with `{"Version": "2.5.12", "CommitSHA": "…"}` (hyperledger/fabric
 * core/operations/system.go registers the handler, core/operations/version.go writes the JSON); the nodes read are
 * those with an `operations` endpoint in the descriptor, over TLS verified against their organization's CAs.
 * Every request is a GET; nothing is written to a node.
 */
import { readText } from '../input.ts';
import type { LiveEvidence } from '../model.ts';
import type { TargetDescriptor } from '../../descriptor/types.ts';
import { operationsGet } from './operations.ts';

type NodeVersions = NonNullable<LiveEvidence['nodeVersions']>;

/** `{"Version", "CommitSHA"}` → the entry of one node; an answer without a Version string says so */
export function versionAnswer(body: string, source: string): NodeVersions[string] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return { source, error: `answered ${JSON.stringify(body.slice(0, 60))}, not the JSON of GET /version` };
  }
  const rec = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  if (typeof rec.Version !== 'string' || !rec.Version.trim()) return { source, error: `answered ${JSON.stringify(doc)} without a Version` };
  return { version: rec.Version.trim(), ...(typeof rec.CommitSHA === 'string' && rec.CommitSHA ? { commitSha: rec.CommitSHA } : {}), source };
}

/** `GET /version` on every node with an operations endpoint; why not, when none has one. */
export async function collectNodeVersions(d: TargetDescriptor, options: { timeoutMs?: number } = {}): Promise<Partial<LiveEvidence>> {
  if (!d.fabric) return {};
  const timeoutMs = options.timeoutMs ?? 2000;
  const nodes = [
    ...d.fabric.ordering.flatMap((org) => org.nodes.map((n) => ({ name: n.name, operations: n.operations, ca: org.ca }))),
    ...d.fabric.organizations.flatMap((org) => org.peers.map((p) => ({ name: p.name, operations: p.operations, ca: org.ca }))),
  ].filter((n): n is { name: string; operations: string; ca: string[] } => Boolean(n.operations));
  if (!nodes.length) {
    return {
      unobserved: {
        'FAB-CAP-01':
          'no Fabric node of the descriptor has an operations endpoint (fabric.ordering[].nodes[].operations, fabric.organizations[].peers[].operations) to read GET /version from',
      },
    };
  }
  const cas = new Map<string, Promise<string[]>>();
  const caOf = (files: string[]) => {
    const key = files.join('\n');
    if (!cas.has(key)) cas.set(key, Promise.all(files.map((f) => readText(f, 'certificate'))));
    return cas.get(key)!;
  };
  const nodeVersions: NodeVersions = {};
  await Promise.all(
    nodes.map(async (n) => {
      const url = `${n.operations.replace(/\/$/, '')}/version`;
      try {
        nodeVersions[n.name] = versionAnswer(await operationsGet(d, url, { timeoutMs, ca: await caOf(n.ca) }), url);
      } catch (err) {
        nodeVersions[n.name] = { source: url, error: (err as Error).message };
      }
    }),
  );
  return { nodeVersions: Object.fromEntries(Object.entries(nodeVersions).sort(([a], [b]) => a.localeCompare(b))) };
}
