// A fake `docker` CLI for tests: `info`, `image inspect`, `container inspect` (a node's address), `stop` and
// `start` of the fake kind's node containers.
//
// Environment:
//   FAKE_DOCKER_LOG     append one JSON line per call: {tool: 'docker', argv}
//   FAKE_KIND_STATE     the fake kind's state directory (node containers and whether they run)
//   FAKE_DOCKER_ENGINE  `down`: the engine is not reachable (`info` and everything else fail as docker does)
//   FAKE_DOCKER_IMAGES  comma-separated image references present locally
//   FAKE_DOCKER_FAIL    a regular expression; a call whose arguments match it fails
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const env = process.env;
if (env.FAKE_DOCKER_LOG) appendFileSync(env.FAKE_DOCKER_LOG, JSON.stringify({ tool: 'docker', argv }) + '\n');

function die(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const SOCKET_ERROR = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
if (env.FAKE_DOCKER_ENGINE === 'down') {
  if (argv[0] === 'info') process.stdout.write('Client:\n Version:    28.3.2\n Context:    default\n\nServer:\n');
  die(argv[0] === 'info' ? `ERROR: ${SOCKET_ERROR}\nerrors pretty printing info` : SOCKET_ERROR);
}
if (env.FAKE_DOCKER_FAIL && new RegExp(env.FAKE_DOCKER_FAIL).test(argv.join(' '))) die('Error response from daemon: injected failure');

const stateFile = join(env.FAKE_KIND_STATE || join(process.cwd(), '.fake-kind'), 'clusters.json');
const state = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { clusters: {} };
const containers = () => Object.values(state.clusters).flatMap((c) => c.nodes.map((n) => ({ c, n })));
const positional = (args) => args.filter((x, i) => !x.startsWith('-') && !(i > 0 && ['--time', '-t', '--format', '-f'].includes(args[i - 1])));

const [cmd, sub] = argv;
if (cmd === 'info') {
  process.stdout.write('28.3.2\n');
} else if (cmd === 'image' && sub === 'inspect') {
  const images = (env.FAKE_DOCKER_IMAGES || '').split(',').filter(Boolean);
  const wanted = positional(argv.slice(2));
  const missing = wanted.filter((i) => !images.includes(i));
  if (missing.length) {
    process.stdout.write('[]\n');
    die(`Error response from daemon: No such image: ${missing[0]}`);
  }
  process.stdout.write(wanted.map(() => 'sha256:3a9c1f0e2d8b7c6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a').join('\n') + '\n');
} else if (cmd === 'container' && sub === 'inspect') {
  // the address of a fake kind node on the `kind` network: 172.18.<cluster index + 1>.<node index + 2>
  const [name] = positional(argv.slice(2));
  const clusters = Object.values(state.clusters);
  const ci = clusters.findIndex((c) => c.nodes.includes(name));
  if (ci < 0) die(`Error response from daemon: No such container: ${name}`);
  process.stdout.write(`172.18.${ci + 1}.${clusters[ci].nodes.indexOf(name) + 2}\n`);
} else if (cmd === 'stop' || cmd === 'start') {
  const names = positional(argv.slice(1));
  const all = containers();
  for (const name of names) {
    const hit = all.find((x) => x.n === name);
    if (!hit) die(`Error response from daemon: No such container: ${name}`);
    hit.c.running = { ...(hit.c.running ?? {}), [name]: cmd === 'start' };
  }
  writeFileSync(`${stateFile}.${process.pid}`, JSON.stringify(state, null, 2));
  renameSync(`${stateFile}.${process.pid}`, stateFile);
  process.stdout.write(names.join('\n') + '\n');
} else {
  die(`docker: '${argv.join(' ')}' is not a docker command the fake knows.`);
}
