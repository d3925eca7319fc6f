/**
 * A KIND cluster configuration (`kind.x-k8s.io/v1alpha4`, kind `Cluster`): kube-proxy mode and node labels.
 * KIND's default kube-proxy mode is `iptables`; when the file does not set `networking.kubeProxyMode` the result
 * says so (`defaulted: true`, and the source names the default) rather than pretending the file chose it.
 * Node names follow KIND's scheme: `<cluster>-control-plane`, `<cluster>-control-plane2`, `<cluster>-worker`,
 * `<cluster>-worker2`, ...
 */
import { InputError } from '../../errors.ts';
import { isRecord, parseYaml, readText, showValue } from '../input.ts';
import type { NodeInfo } from '../model.ts';

export const KIND_DEFAULT_KUBE_PROXY_MODE = 'iptables';

export interface KindConfigInfo {
  /** `name` of the config, or KIND's default `kind` */
  clusterName: string;
  kubeProxyMode: { mode: string; source: string; defaulted: boolean };
  nodes: Array<NodeInfo & { role: string }>;
  source: string;
}

export async function readKindConfig(file: string, opts: { clusterName?: string } = {}): Promise<KindConfigInfo> {
  return parseKindConfig(await readText(file, 'kindConfig'), file, opts);
}

export function parseKindConfig(text: string, file: string, opts: { clusterName?: string } = {}): KindConfigInfo {
  const doc = parseYaml(text, file);
  if (!isRecord(doc)) throw new InputError(file, '', `expected a KIND Cluster config mapping, got ${showValue(doc, { file, field: '' })}`);
  if (doc.kind !== 'Cluster') throw new InputError(file, 'kind', `expected "Cluster" (a KIND cluster config), got ${showValue(doc.kind, { file, field: 'kind' })}`);
  if (typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('kind.x-k8s.io/')) {
    throw new InputError(file, 'apiVersion', `expected kind.x-k8s.io/v1alpha4, got ${showValue(doc.apiVersion, { file, field: 'apiVersion' })}`);
  }
  const clusterName = opts.clusterName ?? (typeof doc.name === 'string' && doc.name ? doc.name : 'kind');
  let networking: Record<string, unknown> = {};
  if (doc.networking !== undefined && doc.networking !== null) {
    if (!isRecord(doc.networking)) throw new InputError(file, 'networking', `expected a mapping, got ${showValue(doc.networking, { file, field: 'networking' })}`);
    networking = doc.networking;
  }
  const mode = networking.kubeProxyMode;
  let kubeProxyMode: KindConfigInfo['kubeProxyMode'];
  if (mode === undefined || mode === null) {
    kubeProxyMode = { mode: KIND_DEFAULT_KUBE_PROXY_MODE, source: `${file}#networking.kubeProxyMode (not set: KIND default)`, defaulted: true };
  } else if (typeof mode === 'string' && mode !== '') {
    kubeProxyMode = { mode, source: `${file}#networking.kubeProxyMode`, defaulted: false };
  } else {
    throw new InputError(file, 'networking.kubeProxyMode', `expected "iptables", "ipvs", "nftables" or "none", got ${showValue(mode, { file, field: 'networking.kubeProxyMode' })}`);
  }

  const rawNodes = doc.nodes === undefined || doc.nodes === null ? [{ role: 'control-plane' }] : doc.nodes;
  if (!Array.isArray(rawNodes)) throw new InputError(file, 'nodes', `expected a list, got ${showValue(rawNodes, { file, field: 'nodes' })}`);
  const counters: Record<string, number> = {};
  const nodes = rawNodes.map((n, i) => {
    if (!isRecord(n)) throw new InputError(file, `nodes[${i}]`, `expected a mapping, got ${showValue(n, { file, field: `nodes[${i}]` })}`);
    const role = n.role === undefined ? 'control-plane' : n.role;
    if (role !== 'control-plane' && role !== 'worker') throw new InputError(file, `nodes[${i}].role`, `expected "control-plane" or "worker", got ${showValue(role, { file, field: `nodes[${i}].role` })}`);
    const count = (counters[role] = (counters[role] ?? 0) + 1);
    const labels: Record<string, string> = {};
    if (n.labels !== undefined && n.labels !== null) {
      if (!isRecord(n.labels)) throw new InputError(file, `nodes[${i}].labels`, `expected a mapping, got ${showValue(n.labels, { file, field: `nodes[${i}].labels` })}`);
      for (const [k, v] of Object.entries(n.labels)) {
        if (v === null || typeof v === 'object') throw new InputError(file, `nodes[${i}].labels.${JSON.stringify(k)}`, `expected a label value, got ${showValue(v, { file, field: `nodes[${i}].labels.${JSON.stringify(k)}` })}`);
        labels[k] = String(v);
      }
    }
    const name = `${clusterName}-${role}${count > 1 ? count : ''}`;
    // every real node carries its host name label; anti-affinity on kubernetes.io/hostname relies on it
    return { name, role, labels: { 'kubernetes.io/hostname': name, ...labels }, source: `${file}#nodes[${i}]` };
  });
  return { clusterName, kubeProxyMode, nodes, source: file };
}
