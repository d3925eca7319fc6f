/**
 * Load-balancer exports → `LoadBalancerInfo`, whichever the deployment uses: an Azure `az network lb show` JSON,
 * an AWS classic ELB `describe-load-balancers` JSON, or a HAProxy configuration file. The format is detected
 * from the content unless the descriptor names it.
 */
import { InputError } from '../../errors.ts';
import { isRecord, parseJson, readText } from '../input.ts';
import type { LoadBalancerInfo } from '../model.ts';
import { parseAwsElb } from './aws.ts';
import { parseAzureLb } from './azure.ts';
import { parseHaproxyConfig } from './haproxy.ts';

export { parseAwsElb, parseInstanceHealth, parseHealthCheckTarget } from './aws.ts';
export { parseAzureLb, azureIdName } from './azure.ts';
export { parseHaproxyConfig, haproxyTime } from './haproxy.ts';

export type LbFormat = 'azure' | 'aws' | 'haproxy';

export interface LoadBalancerReadOptions {
  format?: LbFormat;
  /** AWS: a separate `describe-instance-health` JSON file */
  instanceHealthFile?: string;
}

/** Which format a load-balancer export is in, from its content (and file name). */
export function detectLbFormat(text: string, file: string): LbFormat {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('{') || t.startsWith('[') || /\.json$/i.test(file)) {
    const doc = parseJson(text, file, 'load-balancer export JSON');
    if (isRecord(doc)) {
      if ('LoadBalancerDescriptions' in doc) return 'aws';
      const body = isRecord(doc.properties) ? { ...doc, ...doc.properties } : doc;
      if (['probes', 'loadBalancingRules', 'backendAddressPools', 'frontendIPConfigurations'].some((k) => k in body)) return 'azure';
      if (typeof doc.type === 'string' && /Microsoft\.Network\/loadBalancers/i.test(doc.type)) return 'azure';
    }
    throw new InputError(file, '', 'unrecognized load-balancer export: expected "az network lb show" JSON (probes, loadBalancingRules, backendAddressPools) or "aws elb describe-load-balancers" JSON (LoadBalancerDescriptions)');
  }
  if (/^\s*(frontend|backend|listen|defaults|global)\b/m.test(t)) return 'haproxy';
  throw new InputError(file, '', 'unrecognized load-balancer export: not JSON and no HAProxy frontend/backend/listen section');
}

/** Parse export text in a known or detected format. */
export function parseLoadBalancerExport(text: string, file: string, opts: { format?: LbFormat; instanceHealth?: { text: string; file: string } } = {}): LoadBalancerInfo {
  const format = opts.format ?? detectLbFormat(text, file);
  if (format === 'haproxy') return parseHaproxyConfig(text, file);
  const doc = parseJson(text, file, 'load-balancer export JSON');
  if (format === 'azure') return parseAzureLb(doc, file);
  const health = opts.instanceHealth ? { doc: parseJson(opts.instanceHealth.text, opts.instanceHealth.file, 'instance health JSON'), file: opts.instanceHealth.file } : undefined;
  return parseAwsElb(doc, file, health);
}

/** Read a load-balancer export file. */
export async function readLoadBalancer(file: string, opts: LoadBalancerReadOptions = {}): Promise<LoadBalancerInfo> {
  const text = await readText(file);
  const instanceHealth = opts.instanceHealthFile ? { text: await readText(opts.instanceHealthFile), file: opts.instanceHealthFile } : undefined;
  return parseLoadBalancerExport(text, file, { format: opts.format, instanceHealth });
}
