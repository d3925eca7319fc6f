/**
 * The stand-in node's reading of a real `node.conf` (HOCON): the addresses it serves on, the data source, and the
 * mutual-exclusion block — what a Corda Enterprise node reads about high availability, nothing else. A value it
 * cannot use is a `StandInConfigError` ("Config error: ..."), which the node reports before it exits.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const hocon = createRequire(import.meta.url)('@pushcorn/hocon-parser') as {
  parse(options: { text: string; strict?: boolean }): Promise<unknown>;
};

export class StandInConfigError extends Error {
  constructor(message: string) {
    super(`Config error: ${message}`);
  }
}

function fail(message: string): never {
  throw new StandInConfigError(message);
}

export interface StandInConfig {
  legalName: string;
  machineAddress: string;
  p2pPort: number;
  rpcPort: number;
  web?: { host: string; port: number };
  monitoringPort?: number;
  db: { host: string; port: number; database: string; user: string; password?: string };
  mutualExclusion: { on: boolean; machineName?: string; updateInterval: number; waitInterval: number };
}

function get(obj: unknown, path: string): unknown {
  // HOCON nests `dataSource.url = …` into objects; a quoted key "dataSource.url" stays flat. Accept both.
  let cur: unknown = obj;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    const flat = parts.slice(i).join('.');
    if (i < parts.length - 1 && flat in rec) return rec[flat];
    cur = rec[parts[i]];
  }
  return cur;
}

export function hostPort(value: unknown, field: string): { host: string; port: number } {
  const m = typeof value === 'string' ? /^(.+):(\d+)$/.exec(value.trim()) : null;
  if (!m) fail(`${field} must be "host:port", got ${JSON.stringify(value)}`);
  return { host: m[1], port: Number(m[2]) };
}

function number(value: unknown, field: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) fail(`${field} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

export async function loadConfig(file: string): Promise<StandInConfig> {
  let parsed: unknown;
  try {
    parsed = await hocon.parse({ text: await readFile(file, 'utf8'), strict: true });
  } catch (err) {
    fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const rpc = hostPort(get(parsed, 'rpcSettings.address'), 'rpcSettings.address');
  const p2p = hostPort(get(parsed, 'p2pAddress'), 'p2pAddress');
  const webAddress = get(parsed, 'webAddress');
  const url = get(parsed, 'dataSourceProperties.dataSource.url');
  const m = typeof url === 'string' ? /^jdbc:postgresql:\/\/([^/:]+)(?::(\d+))?\/([^?]+)/.exec(url) : null;
  if (!m) fail(`dataSourceProperties.dataSource.url must be jdbc:postgresql://host:port/database, got ${JSON.stringify(url)}`);
  const me = get(parsed, 'enterpriseConfiguration.mutualExclusionConfiguration') as Record<string, unknown> | undefined;
  const on = me?.on === true || me?.on === 'true';
  const machineName = me?.machineName;
  const monitoring = get(parsed, 'jmxMonitoringHttpPort');
  const user = get(parsed, 'dataSourceProperties.dataSource.user');
  const password = get(parsed, 'dataSourceProperties.dataSource.password');
  return {
    legalName: String(get(parsed, 'myLegalName') ?? ''),
    machineAddress: rpc.host,
    rpcPort: rpc.port,
    p2pPort: p2p.port,
    web: webAddress === undefined ? undefined : hostPort(webAddress, 'webAddress'),
    monitoringPort: monitoring === undefined ? undefined : number(monitoring, 'jmxMonitoringHttpPort'),
    db: {
      host: m[1],
      port: m[2] ? Number(m[2]) : 5432,
      database: m[3],
      user: String(user ?? ''),
      password: password === undefined ? undefined : String(password),
    },
    mutualExclusion: {
      on,
      machineName: typeof machineName === 'string' && machineName ? machineName : undefined,
      updateInterval: number(me?.updateInterval, 'mutualExclusionConfiguration.updateInterval', 20000),
      waitInterval: number(me?.waitInterval, 'mutualExclusionConfiguration.waitInterval', 40000),
    },
  };
}
