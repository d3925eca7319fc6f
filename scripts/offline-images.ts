/**
 * Builds the offline images of the docker environment (what `scripts/build-offline-images` runs):
 *
 *   node --import tsx scripts/offline-images.ts [build|tags|check|tar <image>] [--force] [--keep-old]
 *
 * `build` (the default) builds what is missing or out of date and removes older tags (`--keep-old` keeps them);
 * `tags` prints the current tags; `check` says whether each is present (exit 1 if one is not); `tar <image>`
 * writes an image's root file system to stdout, for inspection (`| tar -tvf -`).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokenError } from '../support/errors.ts';
import { OFFLINE_IMAGES, type OfflineImageName } from '../support/environments/docker/images/contract.ts';
import { imagePlan, offlineImageRefs } from '../support/environments/docker/images/plan.ts';
import { imageTar } from '../support/environments/docker/images/tar.ts';
import { buildOfflineImages, imagePresent } from '../support/environments/docker/images/build.ts';

async function main(argv: string[]): Promise<number> {
  const cmd = argv.find((a) => !a.startsWith('--')) ?? 'build';
  const log = (l: string) => process.stderr.write(`build-offline-images: ${l}\n`);
  if (cmd === 'tags') {
    for (const [name, ref] of Object.entries(await offlineImageRefs())) process.stdout.write(`${name} ${ref}\n`);
    return 0;
  }
  if (cmd === 'check') {
    let missing = 0;
    for (const [name, ref] of Object.entries(await offlineImageRefs())) {
      const ok = await imagePresent(ref);
      if (!ok) missing++;
      process.stdout.write(`${name} ${ref} ${ok ? 'present' : 'MISSING'}\n`);
    }
    return missing ? 1 : 0;
  }
  if (cmd === 'tar') {
    // for inspection: `scripts/build-offline-images tar postgres | tar -tvf -`
    const name = argv.find((a, i) => i > argv.indexOf('tar') && OFFLINE_IMAGES.includes(a as OfflineImageName)) as OfflineImageName | undefined;
    if (!name) throw new BrokenError(`usage: offline-images.ts tar <${OFFLINE_IMAGES.join('|')}>`);
    const plan = await imagePlan(name);
    await new Promise<void>((res, rej) => imageTar(plan).pipe(process.stdout).on('finish', res).on('error', rej));
    return 0;
  }
  if (cmd !== 'build') {
    process.stderr.write('usage: offline-images.ts [build|tags|check|tar <image>] [--force] [--keep-old]\n');
    return 2;
  }
  const t0 = Date.now();
  await buildOfflineImages({ force: argv.includes('--force'), prune: !argv.includes('--keep-old'), log });
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`build-offline-images: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

