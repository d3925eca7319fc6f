/**
 * Benchmark (not a test): generate a large synthetic deployment into a temporary folder — 3 regions, 7 ordering
 * nodes, 50 organizations × 4 peers, 20 channels, with certificates and config blocks — then time
 *   (a) in process: loadTarget → collectStaticEvidence → evaluateAll, per stage;
 *   (b) the whole CLI as a child process: node --import tsx scripts/validate.ts --target … --format json.
 * Generation is not timed. The temporary folder is removed in all cases.
 *
 *   npm run bench [-- --orgs 50 --peers 4 --channels 20 --orderers 7]
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generateDeployment, type OrganizationOption } from '../support/reference/generate.ts';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return n;
}

const sizes = {
  orgs: flag('orgs', 50),
  peers: flag('peers', 4),
  channels: flag('channels', 20),
  orderers: flag('orderers', 7),
};
const regions = ['r1', 'r2', 'r3'];

/** each organization in two neighbouring regions, peers split between them */
function organizations(): OrganizationOption[] {
  return Array.from({ length: sizes.orgs }, (_, i) => {
    const a = regions[i % regions.length];
    const b = regions[(i + 1) % regions.length];
    const first = Math.ceil(sizes.peers / 2);
    return { name: `org${i + 1}`, peers: { [a]: first, [b]: sizes.peers - first } };
  });
}

const ms = (t0: number, t1: number) => `${(t1 - t0).toFixed(0).padStart(7)} ms`;

function runCli(target: string): Promise<{ code: number | null; ms: number; stdoutBytes: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/validate.ts', '--target', target, '--format', 'json'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdoutBytes += d.length));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, ms: performance.now() - t0, stdoutBytes, stderr }));
  });
}

const dir = await mkdtemp(join(tmpdir(), 'ha-bench-'));
// Ctrl-C during generation or a stage: still remove the folder.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
let failed = false;
try {
  console.log(
    `bench: ${regions.length} regions, ${sizes.orderers} ordering nodes, ${sizes.orgs} organizations × ${sizes.peers} peers, ` +
      `${sizes.channels} channels`,
  );
  // Only the descriptor path leaves this block: the in-memory PKI (hundreds of key pairs) can be collected before
  // the timed stages.
  const descriptorFile = await (async () => {
    const g0 = performance.now();
    const gen = await generateDeployment(dir, {
      name: 'bench',
      regions,
      ordering: { count: sizes.orderers },
      organizations: organizations(),
      channels: Array.from({ length: sizes.channels }, (_, i) => `channel${String(i + 1).padStart(2, '0')}`),
      channelFormats: ['pb'],
    });
    const g1 = performance.now();
    const certs = gen.files.filter((f) => f.endsWith('.pem')).length;
    console.log(`generated ${gen.files.length} files (${certs} certificates) in ${dir} — ${ms(g0, g1)} (not timed)`);
    return gen.descriptorFile;
  })();

  // (a) in process. Imported here so that a missing module says which stage is not there yet.
  const { loadTarget } = await import('../support/descriptor/load.ts');
  const { collectStaticEvidence } = await import('../support/evidence/collect.ts');
  const { evaluateAll } = await import('../support/checks/catalogue.ts');
  const stages = async () => {
    const t0 = performance.now();
    const descriptor = await loadTarget(descriptorFile);
    const t1 = performance.now();
    const evidence = await collectStaticEvidence(descriptor);
    const t2 = performance.now();
    const verdicts = await evaluateAll(evidence);
    const t3 = performance.now();
    return { verdicts, load: t1 - t0, collect: t2 - t1, evaluate: t3 - t2, total: t3 - t0 };
  };
  const cold = await stages();
  const warm = await stages();
  const row = (label: string, a: number, b: number) => console.log(`  ${label.padEnd(22)} ${ms(0, a)}   ${ms(0, b)}`);
  console.log('\n(a) in process                first run    second run');
  row('loadTarget', cold.load, warm.load);
  row('collectStaticEvidence', cold.collect, warm.collect);
  row('evaluateAll', cold.evaluate, warm.evaluate);
  row('total', cold.total, warm.total);
  const counts: Record<string, number> = {};
  for (const v of cold.verdicts) counts[v.status] = (counts[v.status] ?? 0) + 1;
  console.log(`  verdicts: ${Object.entries(counts).map(([st, n]) => `${n} ${st}`).join(', ')}`);
  for (const v of cold.verdicts.filter((x) => x.status === 'failed' || x.status === 'broken')) {
    console.log(`  ! ${v.id} ${v.status}: ${v.message}`);
  }

  // (b) the CLI, end to end
  console.log('\n(b) CLI: node --import tsx scripts/validate.ts --target <dir>/target.yaml --format json');
  if (!existsSync(join(repo, 'scripts/validate.ts'))) {
    console.log('  skipped: scripts/validate.ts does not exist yet');
  } else {
    const r = await runCli(descriptorFile);
    console.log(`  wall time              ${ms(0, r.ms)}  (exit code ${r.code}, ${r.stdoutBytes} bytes of JSON)`);
    console.log(`  compare (a) first run  ${ms(0, cold.total)}  the difference is Node start, tsx compilation, module loading and the report`);
    if (r.code !== 0 && r.code !== 1) {
      failed = true;
      console.log(`  the CLI exited ${r.code}: ${r.stderr.trim().split('\n').slice(0, 5).join('\n  ')}`);
    }
  }
} catch (err) {
  failed = true;
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
