/**
 * What goes into each offline image: the node-standin and haproxy images here, the postgres and validator images
 * in their own modules.
 */
import { dirname } from 'node:path';
import { IN_IMAGE, type OfflineImageName } from './contract.ts';
import type { Entry, ImagePlan } from './plan.ts';
import { busyboxEntries, changes, etcFiles, findBinary, libraryEntries } from './rootfs.ts';
import { BUNDLES, bundle } from './bundle.ts';
import { postgresPlan } from './postgres.ts';
import { validatorPlan } from './validator.ts';

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

export const PLANNERS: Record<OfflineImageName, () => Promise<Omit<ImagePlan, 'ref' | 'tag'>>> = {
  'node-standin': nodeStandinPlan,
  haproxy: haproxyPlan,
  postgres: postgresPlan,
  validator: validatorPlan,
};
