import type { ChannelConfigInfo, Evidence, FabricEvidence } from '../evidence/model.ts';
import { podsNamed } from '../evidence/kubernetes/pods.ts';
import { verdict, type Check } from './types.ts';
import { channelOrgOf, findOrderer, names, noFabric, plural, summarize } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-CAP-01';

export type Version = [number, number, number];
type Group = 'channel' | 'orderer' | 'application';

/**
 * The Fabric release that introduced each capability level: the oldest binary that supports it. A capability is
 * named after the release that introduced it (capabilities_concept.md, "Node versions and capability versions"),
 * and these are the names Fabric's common/capabilities/{channel,orderer,application}.go define (V3_0: channel only,
 * Fabric 3.0, needed for BFT; V2_5: application only, Fabric 2.5, private data purge). A name missing here is one
 * this harness cannot place: the verdict says so rather than guess.
 */
export const CAPABILITY_RELEASES: Record<Group, Record<string, Version>> = {
  channel: { V1_1: [1, 1, 0], V1_3: [1, 3, 0], V1_4_2: [1, 4, 2], V1_4_3: [1, 4, 3], V2_0: [2, 0, 0], V3_0: [3, 0, 0] },
  orderer: { V1_1: [1, 1, 0], V1_4_2: [1, 4, 2], V2_0: [2, 0, 0] },
  application: { V1_1: [1, 1, 0], V1_2: [1, 2, 0], V1_3: [1, 3, 0], V1_4_2: [1, 4, 2], V2_0: [2, 0, 0], V2_5: [2, 5, 0] },
};

/** Which capability groups a node must support (capabilities_concept.md, "Capability configuration groupings"). */
const GROUPS: Record<'orderer' | 'peer', Group[]> = { orderer: ['channel', 'orderer'], peer: ['channel', 'application'] };

/** the image repositories of Fabric's nodes (Docker Hub hyperledger/…, ghcr.io/hyperledger/…, a mirror of either) */
const IMAGE_NAMES: Record<'orderer' | 'peer', string> = { orderer: 'fabric-orderer', peer: 'fabric-peer' };

export function showVersion(v: Version): string {
  return v.join('.');
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** `2.5.12`, `v2.5`, `2.5.12-amd64` → [2, 5, 12]; a version without a patch is the first of its line */
export function parseVersion(text: string | undefined): Version | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+._].*)?$/.exec((text ?? '').trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/**
 * An image reference's repository name and tag: `hyperledger/fabric-peer:2.5.12`, `ghcr.io/hyperledger/fabric-peer:2.5`,
 * `registry:5000/x/fabric-peer:2.5.12@sha256:…`. No tag (or only a digest) gives no tag.
 */
export function imageParts(image: string): { repository: string; name: string; tag?: string } {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const last = noDigest.slice(slash + 1);
  const colon = last.indexOf(':');
  const name = colon < 0 ? last : last.slice(0, colon);
  const tag = colon < 0 ? undefined : last.slice(colon + 1);
  return { repository: noDigest.slice(0, slash + 1) + name, name, ...(tag ? { tag } : {}) };
}

interface Need {
  version: Version;
  /** `channel mychannel: application capability V2_5` */
  because: string;
}

interface NodeVersion {
  version?: Version;
  /** where it was read: `live GET /version (…)`, `image hyperledger/fabric-peer:2.5.12 (k8s/r1/peers.yaml#…)` */
  basis: string;
  /** why the version cannot be told, when it cannot */
  unknown?: string;
  /** the live endpoint did not answer and nothing static tells either: the harness could not look */
  unreachable?: boolean;
}

interface NodeRef {
  name: string;
  kind: 'orderer' | 'peer';
  region?: string;
  channels: ChannelConfigInfo[];
}

/** The node's version: what it says live (`GET /version`), else the tag of its Fabric image in the manifests. */
function versionOf(evidence: Evidence, fabric: FabricEvidence, node: NodeRef): NodeVersion | undefined {
  const live = evidence.live?.nodeVersions?.[node.name];
  if (live?.version) {
    const v = parseVersion(live.version);
    const basis = `live GET /version: "${live.version}" (${live.source})`;
    return v ? { version: v, basis } : { basis, unknown: `the operations endpoint reports version "${live.version}", which is not a release number` };
  }
  const cluster = (fabric.kubernetes ?? []).find((k) => k.region === node.region);
  const pods = cluster ? podsNamed(cluster, node.name) : [];
  if (!pods.length) {
    return live?.error ? { basis: `live GET /version (${live.source})`, unknown: `its operations endpoint did not answer: ${live.error}`, unreachable: true } : undefined;
  }
  const images = pods.flatMap((p) => (p.images ?? []).map((i) => ({ ...i, source: p.source })));
  const fabricImages = images.filter((i) => imageParts(i.image).name === IMAGE_NAMES[node.kind]);
  if (!fabricImages.length) {
    return {
      basis: `pods ${names(pods.map((p) => p.source), 2)}`,
      unknown: images.length ? `no ${IMAGE_NAMES[node.kind]} image among its containers (${names(images.map((i) => i.image), 4)})` : 'its pods name no container image',
    };
  }
  // several pods or containers: the oldest one bounds what the node supports
  let oldest: { v: Version; image: string; source: string } | undefined;
  for (const i of fabricImages) {
    const tag = imageParts(i.image).tag;
    const v = parseVersion(tag);
    if (!v) {
      const why = !tag ? 'no tag (only a digest, or the default latest)' : `the tag "${tag}" names no release`;
      return { basis: `image ${i.image} (${i.source})`, unknown: `image ${i.image}: ${why}` };
    }
    if (!oldest || compare(v, oldest.v) < 0) oldest = { v, image: i.image, source: i.source };
  }
  return { version: oldest!.v, basis: `image ${oldest!.image} (${oldest!.source})` };
}

function nodesOf(fabric: FabricEvidence, channels: ChannelConfigInfo[]): NodeRef[] {
  const out: NodeRef[] = [];
  for (const o of fabric.orderers ?? []) {
    const org = (fabric.orderingOrgs ?? []).find((x) => x.name === o.org);
    const mine = channels.filter(
      (ch) => ch.consenters.some((c) => findOrderer([o], c)) || ch.ordererOrgs.some((g) => (g.mspId && g.mspId === (org?.mspId ?? o.mspId)) || g.name === o.org),
    );
    out.push({ name: o.name, kind: 'orderer', ...(o.region ? { region: o.region } : {}), channels: mine });
  }
  for (const org of fabric.orgs ?? []) {
    for (const p of org.peers) {
      const mine = channels.filter((ch) => channelOrgOf(ch, org) && (p.channels === undefined || p.channels.includes(ch.name)));
      out.push({ name: p.name, kind: 'peer', ...(p.region ? { region: p.region } : {}), channels: mine });
    }
  }
  return out.filter((n) => n.channels.length > 0);
}

export const check: Check = {
  id: ID,
  title: "Every node runs a Fabric version that supports its channels' capability levels",
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    "Every ordering node runs a Fabric release at least at the level of the channel and orderer capabilities of " +
    "every channel it serves, and every peer at least at the level of the channel and application capabilities of " +
    'every channel it has joined. A node below a capability level crashes on the config block that sets it, by design.',
  evidence: {
    static:
      "the channel, orderer and application capabilities of every channel configuration; each node's Fabric image tag in the Kubernetes manifests (an untagged, `latest` or digest-only image cannot tell)",
    live: "each node's operations endpoint: `GET /version` answers the release it runs",
  },
  violation: 'a peer image still at 2.4 on a channel whose application capability is V2_5',
  sources: [
    cite(DOCS.capabilities, 'Node versions and capability versions'),
    cite(DOCS.capabilities, 'Capability configuration groupings'),
  ],
  severity: 'critical',
  remediation:
    'Upgrade the nodes below the level (orderers first, then peers, one at a time) to a release that supports the ' +
    'capability, and raise a capability only after every node of the channel runs such a release. Pin images to a ' +
    'release tag (hyperledger/fabric-peer:2.5.12), not latest, so the version the nodes run can be told.',
  needs: ['fabric.channels', 'fabric.orderers', 'fabric.orgs', 'fabric.kubernetes', 'live.nodeVersions'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const channels = fabric.channels ?? [];
    if (!channels.length) return verdict.skipped(ID, 'no channel configuration in the descriptor: cannot see the capability levels');

    const unplaceable: string[] = [];
    const needOf = (node: NodeRef): Need | undefined => {
      let need: Need | undefined;
      for (const ch of node.channels) {
        for (const group of GROUPS[node.kind]) {
          for (const cap of ch.capabilities?.[group] ?? []) {
            const v = CAPABILITY_RELEASES[group][cap];
            if (!v) {
              unplaceable.push(`channel ${ch.name}: ${group} capability ${cap}`);
              continue;
            }
            if (!need || compare(v, need.version) > 0) need = { version: v, because: `channel ${ch.name}: ${group} capability ${cap}` };
          }
        }
      }
      return need;
    };

    const nodes = nodesOf(fabric, channels);
    const needs = new Map(nodes.map((n) => [n.name, needOf(n)]));
    const problems: string[] = [];
    /** why a node's version cannot be told → the nodes it applies to */
    const unknownWhy = new Map<string, string[]>();
    const unknown: string[] = [];
    const cannotTell = (node: string, why: string) => {
      unknown.push(node);
      unknownWhy.set(why, [...(unknownWhy.get(why) ?? []), node]);
    };
    const unreachable: string[] = [];
    const facts: Array<{ node: string; kind: string; requires?: string; because?: string; runs?: string; basis?: string }> = [];
    let judged = 0;
    for (const node of nodes) {
      const need = needs.get(node.name);
      const have = versionOf(evidence, fabric, node);
      facts.push({
        node: node.name,
        kind: node.kind,
        ...(need ? { requires: showVersion(need.version), because: need.because } : {}),
        ...(have?.version ? { runs: showVersion(have.version) } : {}),
        ...(have ? { basis: have.basis } : {}),
      });
      if (!need) continue;
      if (!have) {
        cannotTell(node.name, 'no Kubernetes manifest or API shows its pod, and no live version');
        continue;
      }
      if (!have.version) {
        cannotTell(node.name, have.unknown ?? 'unknown');
        if (have.unreachable) unreachable.push(node.name);
        continue;
      }
      judged++;
      if (compare(have.version, need.version) < 0) {
        problems.push(
          `${node.name} (${node.kind}) runs Fabric ${showVersion(have.version)} (${have.basis}) but ${need.because} needs ${showVersion(need.version)} or later: it crashes on that config block`,
        );
      }
    }
    const grouped = () => summarize([...unknownWhy].map(([why, ns]) => `${names(ns, 4)}: ${why}`), 3);
    const out = { nodes: facts, capabilities: channels.map((c) => ({ channel: c.name, ...c.capabilities })), unplaceable: [...new Set(unplaceable)] };
    if (problems.length) return verdict.failed(ID, summarize(problems), out);
    if (![...needs.values()].some(Boolean)) {
      return verdict.skipped(
        ID,
        unplaceable.length
          ? `the channels set only capability levels this harness cannot place in a release: ${names(out.unplaceable, 4)}`
          : 'the channel configurations set no capability level: nothing to require of the nodes',
        out,
      );
    }
    if (unknown.length && !judged && unreachable.length === unknown.length) {
      return verdict.broken(ID, `could not read the version of any node: ${grouped()}`, out);
    }
    if (unknown.length) {
      const why = evidence.live?.unobserved?.[ID];
      return verdict.skipped(
        ID,
        `cannot tell the Fabric version of ${plural(unknown.length, 'node')}: ${grouped()}` +
          (judged ? ` (${judged} other nodes support their channels' levels)` : '') +
          (why ? `; live: ${why}` : '; live: ha-validate --live reads GET /version on each node\'s operations endpoint (fabric.*.operations)'),
        out,
      );
    }
    if (unplaceable.length) {
      return verdict.skipped(ID, `${judged} nodes support the levels this harness knows, but it cannot place ${names(out.unplaceable, 4)} in a release`, out);
    }
    const highest = [...needs.values()].filter((n): n is Need => Boolean(n)).reduce((a, b) => (compare(b.version, a.version) > 0 ? b : a));
    const live = facts.filter((f) => f.runs && f.basis?.startsWith('live')).length;
    const from = [live ? `${live} from live GET /version` : '', judged > live ? `${judged - live} from image tags` : ''].filter(Boolean).join(', ');
    return verdict.passed(
      ID,
      `${judged} nodes run a Fabric release at or above the capability levels of their channels (the highest: ${showVersion(highest.version)}, ${highest.because}); versions: ${from}`,
      out,
    );
  },
};
