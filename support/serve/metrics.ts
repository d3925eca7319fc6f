/**
 * The Prometheus text exposition format (version 0.0.4), written here rather than with prom-client: every scrape
 * renders the state of the last runs as a whole (a target that went away, a certificate that was renewed, a check
 * that is no longer run leave no stale series behind, which a registry of long-lived gauges would need resetting
 * for), the families are a handful of gauges and one counter, and the image and the package keep one dependency
 * less. What the format needs is here: HELP and TYPE lines, label values escaped (backslash, double quote,
 * line feed), HELP text escaped (backslash, line feed), Go-style float values (NaN, +Inf, -Inf).
 *
 * The families `ha-validate serve` exposes (docs/operations.md has them with their meaning):
 *
 * | metric | labels | value |
 * |---|---|---|
 * | ha_conformance_check_status | id, area, severity, target, status | 1 for the check's current status, 0 for the four others (passed, failed, broken, skipped, waived) |
 * | ha_conformance_certificate_expiry_timestamp_seconds | target, subject, role, node, source | notAfter, seconds since the epoch |
 * | ha_conformance_waiver_expiry_timestamp_seconds | target, id, scope, state | when the waiver stops holding |
 * | ha_conformance_up | target | 1 when the last run could look at the target, 0 when it could not |
 * | ha_conformance_last_run_timestamp_seconds | target | when the last run ended |
 * | ha_conformance_last_run_duration_seconds | target | how long it took |
 * | ha_conformance_runs_total | target, result (completed, error) | runs since start |
 * | ha_conformance_build_info | version, node_version | 1 |
 * | process_*, nodejs_heap_size_used_bytes | | the server's own resources |
 */
import { catalogue } from '../checks/catalogue.ts';
import type { ReportStatus } from '../waivers.ts';
import type { RunReport } from '../report/formats.ts';
import type { CertificateEntry } from './certificates.ts';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The text of the families that have samples, in the order given. */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
      lines.push(`${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** What serve knows of one target after its last run. */
export interface TargetState {
  /** the `target` label: the descriptor's name (the file's path until it could be read once) */
  label: string;
  file: string;
  report: RunReport;
  /** false when the run could not look at the target (its checks are all broken) */
  up: boolean;
  certificates: CertificateEntry[];
  endedAt: number;
  durationMs: number;
  runs: { completed: number; error: number };
}

export const STATUSES: ReportStatus[] = ['passed', 'failed', 'broken', 'skipped', 'waived'];

const seconds = (ms: number) => Math.round(ms) / 1000;

/** The families for the given targets' last runs, and the process's own figures. */
export function serveFamilies(targets: readonly TargetState[], build: { version: string; startedAtMs: number }): Family[] {
  const area = new Map(catalogue.map((c) => [c.id, c.area]));
  const status: Sample[] = [];
  const certs: Sample[] = [];
  const waivers: Sample[] = [];
  for (const t of targets) {
    for (const r of t.report.results) {
      for (const s of STATUSES) {
        status.push({ labels: { id: r.id, area: area.get(r.id) ?? 'unknown', severity: r.severity, target: t.label, status: s }, value: r.status === s ? 1 : 0 });
      }
    }
    for (const c of t.certificates) {
      const notAfter = Date.parse(c.notAfter);
      if (!Number.isNaN(notAfter)) certs.push({ labels: { target: t.label, subject: c.subject, role: c.role, node: c.node, source: c.source }, value: notAfter / 1000 });
    }
    for (const w of t.report.waivers) {
      const end = Date.parse(w.expiresAt);
      if (!Number.isNaN(end)) waivers.push({ labels: { target: t.label, id: w.id, scope: w.scope ?? '', state: w.state }, value: end / 1000 });
    }
  }
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return [
    { name: 'ha_conformance_check_status', type: 'gauge', help: 'Status of a guarantee on a target at the last run: 1 for its current status (passed, failed, broken, skipped, waived), 0 for the others.', samples: status },
    { name: 'ha_conformance_certificate_expiry_timestamp_seconds', type: 'gauge', help: 'notAfter of each certificate the evidence holds, seconds since the epoch.', samples: certs },
    { name: 'ha_conformance_waiver_expiry_timestamp_seconds', type: 'gauge', help: 'When each waiver of the target descriptor stops holding, seconds since the epoch.', samples: waivers },
    { name: 'ha_conformance_up', type: 'gauge', help: '1 when the last run could look at the target, 0 when it could not (its checks are then broken).', samples: targets.map((t) => ({ labels: { target: t.label }, value: t.up ? 1 : 0 })) },
    { name: 'ha_conformance_last_run_timestamp_seconds', type: 'gauge', help: 'When the last run of the target ended, seconds since the epoch.', samples: targets.map((t) => ({ labels: { target: t.label }, value: t.endedAt / 1000 })) },
    { name: 'ha_conformance_last_run_duration_seconds', type: 'gauge', help: 'How long the last run of the target took, seconds.', samples: targets.map((t) => ({ labels: { target: t.label }, value: seconds(t.durationMs) })) },
    {
      name: 'ha_conformance_runs_total',
      type: 'counter',
      help: 'Runs of the target since the validator started, by result: completed (it could look) or error (it could not).',
      samples: targets.flatMap((t) => [
        { labels: { target: t.label, result: 'completed' }, value: t.runs.completed },
        { labels: { target: t.label, result: 'error' }, value: t.runs.error },
      ]),
    },
    { name: 'ha_conformance_build_info', type: 'gauge', help: 'The running validator: 1, labelled with its version.', samples: [{ labels: { version: build.version, node_version: process.version }, value: 1 }] },
    { name: 'process_start_time_seconds', type: 'gauge', help: 'Start time of the process since the epoch, seconds.', samples: [{ labels: {}, value: seconds(build.startedAtMs) }] },
    { name: 'process_cpu_seconds_total', type: 'counter', help: 'User and system CPU time spent, seconds.', samples: [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }] },
    { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory size, bytes.', samples: [{ labels: {}, value: mem.rss }] },
    { name: 'nodejs_heap_size_used_bytes', type: 'gauge', help: 'V8 heap in use, bytes.', samples: [{ labels: {}, value: mem.heapUsed }] },
  ];
}
