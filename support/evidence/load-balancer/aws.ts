/**
 * AWS classic ELB `aws elb describe-load-balancers` JSON (+ optional `describe-instance-health`) →
 * `LoadBalancerInfo`. A classic ELB has one health check, so a Corda deployment uses one ELB per traffic type:
 * each ELB becomes one probe (named after the ELB), one pool (its instances) and one rule per listener.
 *
 * Instance health may be given in the same file, either as a top-level `InstanceStates` (one ELB) or as
 * `InstanceHealth: { <LoadBalancerName>: { InstanceStates: [...] } }`, or passed separately.
 */
import { InputError } from '../../errors.ts';
import { isRecord, portNumber, showValue } from '../input.ts';
import type { LbPool, LbProbe, LbRule, LoadBalancerInfo, ProbeProtocol } from '../model.ts';

type Obj = Record<string, unknown>;

function list(o: Obj, key: string, file: string, field: string): Obj[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError(file, field, `expected a list, got ${showValue(v, { file, field })}`);
  return v.map((item, i) => {
    if (!isRecord(item)) throw new InputError(file, `${field}[${i}]`, `expected an object, got ${showValue(item, { file, field: `${field}[${i}]` })}`);
    return item;
  });
}

function num(v: unknown, file: string, field: string, dflt?: number): number {
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new InputError(file, field, `expected a number, got ${showValue(v, { file, field })}`);
  return n;
}

/** `TCP:10002`, `HTTP:10004/`, `HTTPS:443/health`, `SSL:443` → protocol, port and path. */
export function parseHealthCheckTarget(target: unknown, file: string, field: string): { protocol: ProbeProtocol; port: number; path?: string } {
  const m = typeof target === 'string' ? /^(TCP|SSL|HTTP|HTTPS):(\d+)(\/.*)?$/i.exec(target.trim()) : null;
  if (!m) throw new InputError(file, field, `expected a health check target such as "TCP:10002" or "HTTP:10004/", got ${showValue(target, { file, field })}`);
  const proto = m[1].toUpperCase();
  const protocol: ProbeProtocol = proto === 'HTTP' ? 'http' : proto === 'HTTPS' ? 'https' : 'tcp';
  const out: { protocol: ProbeProtocol; port: number; path?: string } = { protocol, port: portNumber(m[2], file, field) };
  if (protocol !== 'tcp') out.path = m[3] ?? '/';
  return out;
}

export interface AwsInstanceState {
  loadBalancer?: string;
  instanceId: string;
  state: string;
  reasonCode?: string;
}

export function parseInstanceHealth(doc: unknown, file: string, field = '', loadBalancer?: string): AwsInstanceState[] {
  if (!isRecord(doc)) throw new InputError(file, field, `expected the JSON printed by "describe-instance-health", got ${showValue(doc, { file, field })}`);
  return list(doc, 'InstanceStates', file, field ? `${field}.InstanceStates` : 'InstanceStates').map((s, i) => {
    const f = `${field ? `${field}.` : ''}InstanceStates[${i}]`;
    if (typeof s.InstanceId !== 'string') throw new InputError(file, `${f}.InstanceId`, `expected a string, got ${showValue(s.InstanceId, { file, field: `${f}.InstanceId` })}`);
    const out: AwsInstanceState = { instanceId: s.InstanceId, state: typeof s.State === 'string' ? s.State : 'Unknown' };
    if (loadBalancer) out.loadBalancer = loadBalancer;
    if (typeof s.ReasonCode === 'string' && s.ReasonCode !== 'N/A') out.reasonCode = s.ReasonCode;
    return out;
  });
}

export function parseAwsElb(doc: unknown, file: string, health?: { doc: unknown; file: string }): LoadBalancerInfo {
  if (!isRecord(doc)) throw new InputError(file, '', `expected the JSON printed by "aws elb describe-load-balancers", got ${showValue(doc, { file, field: '' })}`);
  const elbs = list(doc, 'LoadBalancerDescriptions', file, 'LoadBalancerDescriptions');
  const probes: LbProbe[] = [];
  const rules: LbRule[] = [];
  const pools: LbPool[] = [];
  const names: string[] = [];
  elbs.forEach((elb, i) => {
    const f = `LoadBalancerDescriptions[${i}]`;
    if (typeof elb.LoadBalancerName !== 'string' || !elb.LoadBalancerName) {
      throw new InputError(file, `${f}.LoadBalancerName`, `expected a non-empty string, got ${showValue(elb.LoadBalancerName, { file, field: `${f}.LoadBalancerName` })}`);
    }
    const name = elb.LoadBalancerName;
    names.push(name);
    const hc = elb.HealthCheck;
    let probeName: string | undefined;
    if (hc !== undefined && hc !== null) {
      if (!isRecord(hc)) throw new InputError(file, `${f}.HealthCheck`, `expected an object, got ${showValue(hc, { file, field: `${f}.HealthCheck` })}`);
      const t = parseHealthCheckTarget(hc.Target, file, `${f}.HealthCheck.Target`);
      const probe: LbProbe = {
        name,
        protocol: t.protocol,
        port: t.port,
        intervalSeconds: num(hc.Interval, file, `${f}.HealthCheck.Interval`, 30),
        unhealthyThreshold: num(hc.UnhealthyThreshold, file, `${f}.HealthCheck.UnhealthyThreshold`, 2),
        healthyThreshold: num(hc.HealthyThreshold, file, `${f}.HealthCheck.HealthyThreshold`, 10),
      };
      if (t.path !== undefined) probe.path = t.path;
      probes.push(probe);
      probeName = name;
    }
    const policies = isRecord(elb.Policies) ? elb.Policies : {};
    const sticky =
      (Array.isArray(policies.LBCookieStickinessPolicies) && policies.LBCookieStickinessPolicies.length > 0) ||
      (Array.isArray(policies.AppCookieStickinessPolicies) && policies.AppCookieStickinessPolicies.length > 0);
    list(elb, 'ListenerDescriptions', file, `${f}.ListenerDescriptions`).forEach((ld, j) => {
      const lf = `${f}.ListenerDescriptions[${j}].Listener`;
      const l = isRecord(ld.Listener) ? ld.Listener : undefined;
      if (!l) throw new InputError(file, lf, `expected an object, got ${showValue(ld.Listener, { file, field: lf })}`);
      const frontendPort = portNumber(l.LoadBalancerPort, file, `${lf}.LoadBalancerPort`);
      const rule: LbRule = {
        name: `${name}:${frontendPort}`,
        protocol: typeof l.Protocol === 'string' ? l.Protocol.toLowerCase() : 'tcp',
        frontendPort,
        backendPort: portNumber(l.InstancePort, file, `${lf}.InstancePort`),
        pool: name,
        sessionPersistence: sticky ? 'cookie' : 'none',
      };
      if (probeName) rule.probe = probeName;
      rules.push(rule);
    });
    const members = list(elb, 'Instances', file, `${f}.Instances`).map((inst, k) => {
      if (typeof inst.InstanceId !== 'string') throw new InputError(file, `${f}.Instances[${k}].InstanceId`, `expected a string, got ${showValue(inst.InstanceId, { file, field: `${f}.Instances[${k}].InstanceId` })}`);
      return inst.InstanceId;
    });
    pools.push({ name, members });
  });
  const info: LoadBalancerInfo = { kind: 'aws', source: file, probes, rules, pools, loadBalancers: names };
  if (elbs.length === 1 && typeof elbs[0].DNSName === 'string') info.address = elbs[0].DNSName;

  const states: AwsInstanceState[] = [];
  if (Array.isArray(doc.InstanceStates)) states.push(...parseInstanceHealth(doc, file, '', names.length === 1 ? names[0] : undefined));
  if (isRecord(doc.InstanceHealth)) {
    for (const [lb, h] of Object.entries(doc.InstanceHealth)) states.push(...parseInstanceHealth(h, file, `InstanceHealth.${lb}`, lb));
  }
  if (health) states.push(...parseInstanceHealth(health.doc, health.file, '', names.length === 1 ? names[0] : undefined));
  if (states.length) {
    info.memberHealth = states.map((s) => ({ pool: s.loadBalancer ?? '', member: s.instanceId, state: s.state, ...(s.reasonCode ? { reason: s.reasonCode } : {}) }));
  }
  return info;
}
