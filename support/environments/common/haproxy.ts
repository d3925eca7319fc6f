/**
 * HAProxy as the local load balancer (Corda) and as the local stand-in for a Kubernetes Service (Fabric gateway).
 * One process per `startHaproxy` call, its configuration written into the run's temp dir, its runtime API on a
 * unix socket there, so the harness can read the load balancer's own view of each backend (`show stat`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Resources, ManagedProcess } from './resources.ts';
import { BrokenError, SkipError } from '../../errors.ts';
import { parseShowStat, runtimeApi } from '../../evidence/live/haproxy-stats.ts';

export { parseShowStat, runtimeApi };

export interface HealthCheck {
  type: 'tcp' | 'http';
  /** HTTP path for `http` checks */
  path?: string;
  /** probe interval, ms */
  interMs: number;
  /** consecutive failures before DOWN (the unhealthy threshold) */
  fall: number;
  /** consecutive successes before UP (the healthy threshold) */
  rise: number;
}

export interface Backend {
  name: string;
  balance: 'roundrobin' | 'first' | 'leastconn';
  check: HealthCheck | null;
  servers: Array<{ name: string; address: string; port: number; checkPort?: number }>;
}

export interface Frontend {
  name: string;
  address: string;
  port: number;
  backend: string;
}

export interface HaproxyConfig {
  frontends: Frontend[];
  backends: Backend[];
}

/** The haproxy binary that runs: `HAPROXY_BIN` when set (only that one), else the usual install paths. */
export function haproxyBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.HAPROXY_BIN ? [env.HAPROXY_BIN] : ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'];
  for (const p of candidates) {
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch {
      /* try next */
    }
  }
  return null;
}

export const HAPROXY_MISSING = 'haproxy is not installed: install it with `apt-get install -y haproxy` (Debian) to run the load-balancer scenarios';

export function renderConfig(cfg: HaproxyConfig, socketPath: string): string {
  const lines: string[] = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    '  maxconn 2000',
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout check 1s',
    '',
  ];
  for (const f of cfg.frontends) {
    lines.push(`frontend ${f.name}`, `  bind ${f.address}:${f.port}`, `  default_backend ${f.backend}`, '');
  }
  for (const b of cfg.backends) {
    lines.push(`backend ${b.name}`, `  balance ${b.balance}`);
    if (b.check?.type === 'http') {
      lines.push(`  option httpchk GET ${b.check.path ?? '/'}`, '  http-check expect status 200');
    }
    for (const s of b.servers) {
      const check = b.check
        ? ` check inter ${b.check.interMs}ms fall ${b.check.fall} rise ${b.check.rise}${s.checkPort ? ` port ${s.checkPort}` : ''}`
        : '';
      lines.push(`  server ${s.name} ${s.address}:${s.port}${check}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export interface RunningHaproxy {
  configFile: string;
  socketPath: string;
  process: ManagedProcess;
  /** backend → server → status (`UP`, `DOWN`, `UP 1/2`, `no check`, ...) from the runtime API */
  showStat(): Promise<Record<string, Record<string, string>>>;
  stop(): Promise<void>;
}

async function waitForSocket(socketPath: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.isRunning()) throw new BrokenError(`haproxy exited at start:\n${proc.output()}`);
    try {
      await runtimeApi(socketPath, 'show info', 500);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new BrokenError(`haproxy did not open its runtime API ${socketPath} within ${timeoutMs} ms:\n${proc.output()}`);
}

export async function startHaproxy(resources: Resources, dir: string, name: string, cfg: HaproxyConfig): Promise<RunningHaproxy> {
  const bin = haproxyBinary();
  if (!bin) throw new SkipError(HAPROXY_MISSING);
  const configFile = join(dir, `${name}.cfg`);
  const socketPath = join(dir, `${name}.sock`);
  await writeFile(configFile, renderConfig(cfg, socketPath));
  const proc = resources.spawn(`haproxy ${name}`, bin, ['-db', '-f', configFile]);
  await waitForSocket(socketPath, proc, 5000);
  return {
    configFile,
    socketPath,
    process: proc,
    showStat: async () => parseShowStat(await runtimeApi(socketPath, 'show stat')),
    stop: () => resources.stopProcess(proc),
  };
}
