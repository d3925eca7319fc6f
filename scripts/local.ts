/**
 * npm run local -- [--variant NAME] [--parts corda,fabric] [--settings '{"waitIntervalMs":1000}']
 * Starts the embedded local environment on its own, prints where its target descriptor is and how to validate
 * it, and tears everything down on Ctrl-C.
 */
import { localEnvironment, localVariants } from '../support/environments/local/index.ts';
import { describeStandIns } from '../support/environments/index.ts';
import { errorMessage } from '../support/errors.ts';
import { redactText } from '../support/evidence/redact.ts';

function usage(): string {
  const variants = Object.entries(localVariants()).map(([k, v]) => `    ${k.padEnd(32)} ${v}`).join('\n');
  return `Usage: npm run local -- [--variant NAME] [--parts corda,fabric] [--settings JSON]\n\n  Variants:\n${variants}\n`;
}

async function main(argv: string[]): Promise<number> {
  let variant: string | undefined;
  let parts: Array<'corda' | 'fabric'> | undefined;
  let settings: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--variant') variant = argv[++i];
    else if (a === '--parts') parts = (argv[++i] ?? '').split(',').filter(Boolean) as Array<'corda' | 'fabric'>;
    else if (a === '--settings') {
      try {
        settings = JSON.parse(argv[++i] ?? '{}') as Record<string, unknown>;
      } catch (err) {
        process.stderr.write(`local: --settings is not valid JSON: ${errorMessage(err)}\n`);
        return 2;
      }
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(usage());
      return 0;
    } else {
      process.stderr.write(`local: unknown argument "${a}"\n\n${usage()}`);
      return 2;
    }
  }
  const env = localEnvironment({ variant, parts, settings, log: (l) => process.stderr.write(`local: ${redactText(l)}\n`) });
  const problems = await env.preflight();
  if (problems.length) {
    process.stderr.write(problems.map((p) => `local: ${p}\n`).join(''));
    return 2;
  }
  const started = await env.start();
  process.stdout.write(
    `\nThe local environment is running (run ${started.runId}).\n` +
      `  ${describeStandIns('local', started.standIns) ?? 'no stand-ins'}\n` +
      `  target descriptor: ${started.descriptorFile}\n` +
      `  validate it:       npx ha-validate --target ${started.descriptorFile} --live\n` +
      `  observe it:        npx ha-validate --target ${started.descriptorFile} --live --observe 10s\n` +
      (Object.keys(started.unavailable).length
        ? `  not observable here:\n${Object.entries(started.unavailable).map(([id, why]) => `    ${id}: ${why}`).join('\n')}\n`
        : '') +
      `Press Ctrl-C to stop it and remove everything it started.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('local: stopping\n');
  await started.stop();
  process.stderr.write('local: stopped, nothing left behind\n');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`local: ${redactText(errorMessage(err))}\n`);
    process.exit(3);
  },
);
