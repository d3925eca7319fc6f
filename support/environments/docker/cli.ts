/**
 * Start the docker environment by hand, run drills on it and print their verdicts.
 *
 *   node --import tsx support/environments/docker/cli.ts [--variant <name>] [--drill <key>]... [--hold]
 *
 * `--drill` takes an observation key (CORDA-HA-01, CORDA-HA-02, CORDA-LB-02, CORDA-LB-03, CORDA-HA-01:partition)
 * or `all`; `--hold` keeps the environment up until Ctrl-C. Progress goes to stderr; stdout gets one line
 * `ready run=<id> descriptor=<file>` once the environment is up, then one line per verdict. Exit code: 0 when every
 * verdict passed, 1 when one did not, 2 when the environment cannot run here (the reasons are printed).
 */
import { validateTarget } from '../../validate.ts';
import { errorMessage } from '../../errors.ts';
import { dockerEnvironment } from './index.ts';

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => argv.flatMap((a, i) => (a === name && argv[i + 1] ? [argv[i + 1]] : []));
  const variant = arg('--variant')[0];
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const env = dockerEnvironment({ variant, log });
  const problems = await env.preflight();
  if (problems.length) {
    for (const p of problems) process.stderr.write(`docker environment cannot run: ${p}\n`);
    return 2;
  }
  const started = await env.start();
  try {
    process.stdout.write(`ready run=${started.runId} descriptor=${started.descriptorFile}\n`);
    let drills = arg('--drill');
    if (drills.includes('all')) drills = Object.keys(started.observations);
    let ok = true;
    for (const key of drills) {
      const obs = started.observations[key];
      if (!obs) {
        process.stdout.write(`${key}: not available here${started.unavailable[key] ? `: ${started.unavailable[key]}` : ''}\n`);
        ok = false;
        continue;
      }
      const t = Date.now();
      const timeline = await obs.run();
      const result = await validateTarget(started.descriptorFile, { only: [obs.id], live: { ...(await started.collectLive()), timelines: { [obs.id]: timeline } } });
      for (const r of result.report.results) {
        process.stdout.write(`${key} → ${r.id} ${r.status} (${Date.now() - t} ms): ${r.message}\n`);
        if (r.status !== 'passed') ok = false;
      }
    }
    if (argv.includes('--hold')) {
      log('holding the environment; Ctrl-C stops it');
      await new Promise(() => undefined);
    }
    return ok ? 0 : 1;
  } finally {
    await started.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`docker environment: ${errorMessage(err)}\n`);
    process.exit(2);
  },
);
