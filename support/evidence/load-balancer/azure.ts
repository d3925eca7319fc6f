/**
 * Azure `az network lb show` JSON → `LoadBalancerInfo`. The CLI prints the resource flattened (no `properties`
 * wrapper); an ARM export with `properties` is accepted too. Per-backend health is not part of `lb show`.
 */
import { InputError } from '../../errors.ts';
import { boundedInt, isRecord, portNumber, showValue } from '../input.ts';
import type { LbPool, LbProbe, LbRule, LoadBalancerInfo, ProbeProtocol } from '../model.ts';

type Obj = Record<string, unknown>;

/** `{...properties, ...rest}`: ARM resources wrap their fields in `properties`, the CLI flattens them. */
function flat(v: unknown): Obj {
  if (!isRecord(v)) return {};
  return isRecord(v.properties) ? { ...v.properties, ...v, properties: undefined } : v;
}

function list(o: Obj, key: string, file: string, field = key): Obj[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError(file, field, `expected a list, got ${showValue(v, { file, field })}`);
  return v.map((item, i) => {
    if (!isRecord(item)) throw new InputError(file, `${field}[${i}]`, `expected an object, got ${showValue(item, { file, field: `${field}[${i}]` })}`);
    return flat(item);
  });
}

function num(v: unknown, file: string, field: string, dflt?: number): number {
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new InputError(file, field, `expected a number, got ${showValue(v, { file, field })}`);
  return n;
}

function str(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v === '') throw new InputError(file, field, `expected a non-empty string, got ${showValue(v, { file, field })}`);
  return v;
}

/** The last segment of an Azure resource id: `.../probes/p2p` → `p2p`. */
export function azureIdName(ref: unknown): string | undefined {
  const id = isRecord(ref) ? ref.id : ref;
  if (typeof id !== 'string' || id === '') return undefined;
  return id.split('/').filter(Boolean).pop();
}

function protocol(v: unknown, file: string, field: string): ProbeProtocol {
  const p = typeof v === 'string' ? v.toLowerCase() : v;
  if (p === 'tcp' || p === 'http' || p === 'https') return p;
  throw new InputError(file, field, `expected Tcp, Http or Https, got ${showValue(v, { file, field })}`);
}

/** Azure `loadDistribution` → session persistence: `Default` is "None". */
function persistence(v: unknown): string {
  if (v === undefined || v === null || v === 'Default') return 'none';
  if (v === 'SourceIP') return 'client-ip';
  if (v === 'SourceIPProtocol') return 'client-ip-protocol';
  return String(v);
}

function poolMember(cfg: Obj): string {
  const ip = cfg.ipAddress ?? cfg.privateIpAddress ?? cfg.privateIPAddress;
  if (typeof ip === 'string' && ip) return ip;
  const id = typeof cfg.id === 'string' ? cfg.id : '';
  // .../networkInterfaces/<nic>/ipConfigurations/<cfg>: the NIC names the machine
  const nic = /\/networkInterfaces\/([^/]+)/i.exec(id);
  if (nic) return nic[1];
  const vm = /\/virtualMachines\/([^/]+)/i.exec(id);
  if (vm) return vm[1];
  return typeof cfg.name === 'string' && cfg.name ? cfg.name : id;
}

export function parseAzureLb(doc: unknown, file: string): LoadBalancerInfo {
  if (!isRecord(doc)) throw new InputError(file, '', `expected the JSON object printed by "az network lb show", got ${showValue(doc, { file, field: '' })}`);
  const lb = flat(doc);
  const probes: LbProbe[] = list(lb, 'probes', file).map((p, i) => {
    const f = `probes[${i}]`;
    const proto = protocol(p.protocol, file, `${f}.protocol`);
    const probe: LbProbe = {
      name: str(p.name, file, `${f}.name`),
      protocol: proto,
      port: portNumber(p.port, file, `${f}.port`),
      intervalSeconds: num(p.intervalInSeconds, file, `${f}.intervalInSeconds`, 15),
      // probeThreshold is what the platform uses now; numberOfProbes is its older name
      unhealthyThreshold: num(p.probeThreshold ?? p.numberOfProbes, file, `${f}.${p.probeThreshold !== undefined ? 'probeThreshold' : 'numberOfProbes'}`, 1),
    };
    if (proto !== 'tcp') probe.path = typeof p.requestPath === 'string' && p.requestPath ? p.requestPath : '/';
    return probe;
  });
  const rules: LbRule[] = list(lb, 'loadBalancingRules', file).map((r, i) => {
    const f = `loadBalancingRules[${i}]`;
    const rule: LbRule = {
      name: str(r.name, file, `${f}.name`),
      protocol: typeof r.protocol === 'string' ? r.protocol.toLowerCase() : 'tcp',
      // 0 with protocol All: an HA-ports rule
      frontendPort: boundedInt(r.frontendPort, file, `${f}.frontendPort`, 0, 65535, 'a port number'),
      backendPort: boundedInt(r.backendPort, file, `${f}.backendPort`, 0, 65535, 'a port number'),
      sessionPersistence: persistence(r.loadDistribution),
    };
    const probe = azureIdName(r.probe);
    if (probe) rule.probe = probe;
    const pools = Array.isArray(r.backendAddressPools) ? r.backendAddressPools : [];
    const pool = azureIdName(r.backendAddressPool) ?? azureIdName(pools[0]);
    if (pool) rule.pool = pool;
    return rule;
  });
  const pools: LbPool[] = list(lb, 'backendAddressPools', file).map((p, i) => {
    const f = `backendAddressPools[${i}]`;
    const addresses = list(p, 'loadBalancerBackendAddresses', file, `${f}.loadBalancerBackendAddresses`);
    // an address entry of a NIC-based pool points at the NIC's ip configuration: count that machine once
    const covered = new Set(
      addresses.map((a) => (isRecord(a.networkInterfaceIPConfiguration) ? String(a.networkInterfaceIPConfiguration.id ?? '').toLowerCase() : '')).filter(Boolean),
    );
    const configs = list(p, 'backendIPConfigurations', file, `${f}.backendIPConfigurations`).filter(
      (c) => !(typeof c.id === 'string' && covered.has(c.id.toLowerCase())),
    );
    const members = [...addresses, ...configs].map(poolMember);
    return { name: str(p.name, file, `${f}.name`), members: [...new Set(members)] };
  });
  const info: LoadBalancerInfo = { kind: 'azure', source: file, probes, rules, pools };
  const fe = list(lb, 'frontendIPConfigurations', file)[0];
  const address = fe?.privateIPAddress ?? fe?.privateIpAddress ?? (isRecord(fe?.publicIPAddress) ? (fe.publicIPAddress as Obj).ipAddress : undefined);
  if (typeof address === 'string' && address) info.address = address;
  return info;
}
