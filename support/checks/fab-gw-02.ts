import { verdict, type Check } from './types.ts';
import { names, noFabric, summarize, unique } from './common.ts';
import { cite, DOCS } from './sources.ts';

const ID = 'FAB-GW-02';

export const check: Check = {
  id: ID,
  title: 'kube-proxy runs in ipvs mode so connections to the gateway Service are balanced',
  area: 'fabric',
  kinds: ['static', 'live'],
  guarantee:
    'kube-proxy runs in `ipvs` mode (round robin by default), so connections to the gateway Service are ' +
    'balanced.',
  evidence: {
    static: 'the KIND cluster configuration: `networking.kubeProxyMode: ipvs`',
    live: 'the kube-proxy configuration in the cluster (ConfigMap kube-system/kube-proxy)',
  },
  violation: '`iptables` mode',
  sources: [cite(DOCS.k8sGateway, 'Kube Proxy Configuration')],
  severity: 'normal',
  remediation:
    'Run kube-proxy in ipvs mode (round robin by default): for KIND add `networking: { kubeProxyMode: "ipvs" }` to the ' +
    'cluster configuration and recreate the cluster; elsewhere set `mode: ipvs` in the kube-proxy ConfigMap ' +
    '(kube-system/kube-proxy) and restart the kube-proxy pods.',
  needs: ['fabric.kubernetes', 'fabric.kubeProxyMode'],
  evaluate(evidence) {
    const fabric = evidence.fabric;
    if (!fabric) return noFabric(ID);
    const clusters = fabric.kubernetes ?? [];
    if (!clusters.length) return verdict.skipped(ID, 'no Kubernetes evidence for any region: cannot see kube-proxy mode');
    const peerRegions = new Set((fabric.orgs ?? []).flatMap((o) => o.peers.map((p) => p.region)));
    const relevant = peerRegions.size ? clusters.filter((c) => peerRegions.has(c.region)) : clusters;
    const failures: string[] = [];
    const unknown: string[] = [];
    const good: string[] = [];
    const facts = relevant.map((c) => ({ region: c.region, mode: c.kubeProxyMode?.mode ?? null, source: c.kubeProxyMode?.source ?? null }));
    for (const c of relevant) {
      const m = c.kubeProxyMode;
      if (!m) {
        unknown.push(c.region);
        continue;
      }
      const mode = (m.mode || 'iptables').toLowerCase();
      if (mode === 'ipvs') good.push(c.region);
      else {
        failures.push(
          `cluster ${c.region}: kube-proxy mode ${mode}${m.mode ? '' : ' (the default when none is set)'} (${m.source}): connections to the gateway Service are not balanced round robin`,
        );
      }
    }
    if (failures.length) return verdict.failed(ID, summarize(failures), facts);
    if (!good.length) {
      return verdict.skipped(ID, `kube-proxy mode unknown for cluster${unknown.length > 1 ? 's' : ''} ${names(unknown)}: no KIND config or kube-proxy ConfigMap`, facts);
    }
    return verdict.passed(
      ID,
      `kube-proxy in ipvs mode in ${good.length} cluster${good.length > 1 ? 's' : ''} (${names(good)}; ${names(unique(relevant.filter((c) => c.kubeProxyMode).map((c) => c.kubeProxyMode!.source)), 3)})` +
        (unknown.length ? `; unknown for ${names(unknown)}` : ''),
      facts,
    );
  },
};
