/**
 * The pieces every offline image's file system is made of: host binaries found where Debian installs them, the
 * shared libraries `ldd` lists for them (at the paths it reports), a static busybox, `/etc` files for the image's
 * users, and the image settings every image carries (its label).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { BrokenError } from '../../../errors.ts';
import { IMAGE_LABEL, type OfflineImageName } from './contract.ts';
import { lddLibraries } from './file-cache.ts';
import type { Entry } from './plan.ts';

const exec = promisify(execFile);

export function findBinary(candidates: string[], what: string, install: string): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new BrokenError(`${what} not found (looked in ${candidates.join(', ')}): ${install}`);
}

const BUSYBOX_MISSING = 'install the static busybox (Debian: `apt-get install -y busybox-static`)';

export async function busyboxEntries(): Promise<Entry[]> {
  const bin = findBinary(['/bin/busybox', '/usr/bin/busybox'], 'busybox', BUSYBOX_MISSING);
  const libs = await lddLibraries(bin);
  if (libs.length) throw new BrokenError(`${bin} is not statically linked: ${BUSYBOX_MISSING}`);
  const applets = (await exec(bin, ['--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/i.test(a) && a !== 'busybox');
  return [
    { path: 'bin/busybox', kind: 'file', src: bin, mode: 0o755 },
    ...applets.map((a): Entry => ({ path: `bin/${a}`, kind: 'symlink', target: 'busybox' })),
  ];
}

export async function libraryEntries(binaries: string[], skipUnder: string[] = []): Promise<Entry[]> {
  const seen = new Map<string, Entry>();
  for (const b of binaries) {
    for (const lib of await lddLibraries(b)) {
      if (skipUnder.some((d) => lib.startsWith(d))) continue;
      const path = lib.replace(/^\/+/, '');
      if (!seen.has(path)) seen.set(path, { path, kind: 'file', src: lib, mode: 0o755 });
    }
  }
  return [...seen.values()];
}

export function etcFiles(users: Array<{ name: string; uid: number; home: string }>): Entry[] {
  const all = [{ name: 'root', uid: 0, home: '/root' }, ...users, { name: 'nobody', uid: 65534, home: '/nonexistent' }];
  const text = (s: string): Buffer => Buffer.from(s);
  return [
    { path: 'etc/passwd', kind: 'content', mode: 0o644, content: text(all.map((u) => `${u.name}:x:${u.uid}:${u.uid}::${u.home}:/bin/sh`).join('\n') + '\n') },
    { path: 'etc/group', kind: 'content', mode: 0o644, content: text(all.map((u) => `${u.name === 'nobody' ? 'nogroup' : u.name}:x:${u.uid}:`).join('\n') + '\n') },
    // glibc looks names up in files, then DNS (Docker's embedded resolver on user-defined networks)
    { path: 'etc/nsswitch.conf', kind: 'content', mode: 0o644, content: text('passwd: files\ngroup: files\nhosts: files dns\n') },
    { path: 'tmp', kind: 'dir', mode: 0o1777 },
  ];
}

/** The image settings (`docker import --change`) with the label every offline image carries. */
export function changes(name: OfflineImageName, instructions: string[]): string[] {
  return [...instructions, `LABEL ${IMAGE_LABEL}=${name}`];
}
