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


export type LbFormat = 'azure' | 'aws' | 'haproxy';

export interface LoadBalancerReadOptions {
  format?: LbFormat;
  /** AWS: a separate `describe-instance-health` JSON file */
  instanceHealthFile?: string;
}

const FORMAT_NAMES: Record<LbFormat, string> = {
  azure: 'an Azure "az network lb show" JSON',
  aws: 'an AWS "aws elb describe-load-balancers" JSON',
  haproxy: 'a HAProxy configuration',
};

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

/**
 * Parse export text. The shape is always detected; when the descriptor names a `format`, an export of another
 * provider's shape is bad input (its fields would be read as missing, and a check would blame the deployment).
 */
export function parseLoadBalancerExport(text: string, file: string, opts: { format?: LbFormat; instanceHealth?: { text: string; file: string } } = {}): LoadBalancerInfo {
  let detected: LbFormat;
  try {
    detected = detectLbFormat(text, file);
  } catch (err) {
    if (opts.format && err instanceof InputError && err.field === '' && /^unrecognized/.test(err.problem)) {
      throw new InputError(file, '', `corda.loadBalancer.format says ${opts.format}, but this is not ${FORMAT_NAMES[opts.format]}: ${err.problem}`, { cause: err });
    }
    throw err;
  }
  if (opts.format && opts.format !== detected) {
    throw new InputError(file, '', `corda.loadBalancer.format says ${opts.format}, but this export is ${FORMAT_NAMES[detected]}; set format: ${detected}, or export from ${opts.format}`);
  }
  const format = detected;
  if (format === 'haproxy') return parseHaproxyConfig(text, file);
  const doc = parseJson(text, file, 'load-balancer export JSON');
  if (format === 'azure') return parseAzureLb(doc, file);
  const health = opts.instanceHealth ? { doc: parseJson(opts.instanceHealth.text, opts.instanceHealth.file, 'instance health JSON'), file: opts.instanceHealth.file } : undefined;
  return parseAwsElb(doc, file, health);
}

/** Read a load-balancer export file. */
export async function readLoadBalancer(file: string, opts: LoadBalancerReadOptions = {}): Promise<LoadBalancerInfo> {
  const text = await readText(file, 'lbExport');
  const instanceHealth = opts.instanceHealthFile ? { text: await readText(opts.instanceHealthFile, 'lbExport'), file: opts.instanceHealthFile } : undefined;
  return parseLoadBalancerExport(text, file, { format: opts.format, instanceHealth });
}
