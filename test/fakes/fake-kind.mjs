// A fake `kind` (v0.29.0) for tests. It keeps clusters in a state file, prints what the real kind prints, and
// writes a kubeconfig context per cluster pointing at a test's fake API server.
//
// Environment:
//   FAKE_KIND_LOG     append one JSON line per call: {tool, argv, config?} (config: the --config file's text)
//   FAKE_KIND_STATE   directory holding clusters.json (shared with the fake docker)
//   FAKE_DOCKER_IMAGES images present in the (fake) local engine, for `kind load docker-image`
//   FAKE_KIND_FAIL    a regular expression; a call whose arguments (joined by spaces) match it fails as kind does
//   FAKE_KIND_API_SERVER, FAKE_KIND_CA_DATA, FAKE_KIND_CLIENT_CERT_DATA, FAKE_KIND_CLIENT_KEY_DATA
//                     what the kubeconfig it writes contains (server URL gets `/clusters/<name>` appended)
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import YAML from 'yaml';

const argv = process.argv.slice(2);
const env = process.env;
const stateDir = env.FAKE_KIND_STATE || join(process.cwd(), '.fake-kind');
const stateFile = join(stateDir, 'clusters.json');

function flag(name) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
function load() {
  return existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : { clusters: {} };
}
function save(s) {
  mkdirSync(stateDir, { recursive: true });
  // atomically: a reader (the fake docker, a test) never sees half a file
  writeFileSync(`${stateFile}.${process.pid}`, JSON.stringify(s, null, 2));
  renameSync(`${stateFile}.${process.pid}`, stateFile);
}
function log(extra = {}) {
  if (env.FAKE_KIND_LOG) appendFileSync(env.FAKE_KIND_LOG, JSON.stringify({ tool: 'kind', argv, ...extra }) + '\n');
}
function die(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function nodeNames(name, config) {
  const counts = {};
  return (config.nodes ?? [{ role: 'control-plane' }]).map((n) => {
    const role = n.role ?? 'control-plane';
    const c = (counts[role] = (counts[role] ?? 0) + 1);
    return `${name}-${role}${c > 1 ? c : ''}`;
  });
}

function kubeconfigFile() {
  return flag('--kubeconfig') || join(stateDir, 'default-kubeconfig');
}

function writeContext(name) {
  const file = kubeconfigFile();
  const kc = existsSync(file) ? YAML.parse(readFileSync(file, 'utf8')) ?? {} : {};
  const ctx = `kind-${name}`;
  const put = (list, item) => [...(list ?? []).filter((x) => x.name !== item.name), item];
  kc.apiVersion = 'v1';
  kc.kind = 'Config';
  kc.clusters = put(kc.clusters, {
    name: ctx,
    cluster: {
      server: `${env.FAKE_KIND_API_SERVER || 'https://127.0.0.1:6443'}/clusters/${name}`,
      'certificate-authority-data': env.FAKE_KIND_CA_DATA || '',
    },
  });
  kc.contexts = put(kc.contexts, { name: ctx, context: { cluster: ctx, user: ctx } });
  kc.users = put(kc.users, {
    name: ctx,
    user: { 'client-certificate-data': env.FAKE_KIND_CLIENT_CERT_DATA || '', 'client-key-data': env.FAKE_KIND_CLIENT_KEY_DATA || '' },
  });
  kc['current-context'] = ctx;
  kc.preferences = kc.preferences ?? {};
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, YAML.stringify(kc));
}

function removeContext(name) {
  const file = kubeconfigFile();
  if (!existsSync(file)) return;
  const kc = YAML.parse(readFileSync(file, 'utf8')) ?? {};
  const ctx = `kind-${name}`;
  for (const k of ['clusters', 'contexts', 'users']) kc[k] = (kc[k] ?? []).filter((x) => x.name !== ctx);
  if (kc['current-context'] === ctx) kc['current-context'] = '';
  writeFileSync(file, YAML.stringify(kc));
}

const joined = argv.join(' ');
const [a, b] = argv;
let configText;
if (a === 'create' && b === 'cluster' && flag('--config') && existsSync(flag('--config'))) configText = readFileSync(flag('--config'), 'utf8');
log(configText !== undefined ? { config: configText } : {});

if (env.FAKE_KIND_FAIL && new RegExp(env.FAKE_KIND_FAIL).test(joined)) {
  if (a === 'create') {
    const name = flag('--name') ?? 'kind';
    process.stderr.write(`Creating cluster "${name}" ...\n ✓ Ensuring node image (${flag('--image') ?? 'kindest/node:v1.33.1'}) 🖼\n ✗ Preparing nodes 📦 📦 📦 📦\n`);
    die(`Deleted nodes: ["${name}-control-plane"]\nERROR: failed to create cluster: command "docker run --name ${name}-worker2 --hostname ${name}-worker2 ..." failed with error: exit status 125`);
  }
  die(`ERROR: failed to ${a} ${b ?? ''}: injected failure (FAKE_KIND_FAIL=${env.FAKE_KIND_FAIL})`.replace(/ +:/, ':'));
}

const state = load();

if (a === 'version') {
  process.stdout.write('kind v0.29.0 go1.24.2 linux/amd64\n');
} else if (a === 'create' && b === 'cluster') {
  const config = configText ? YAML.parse(configText) : {};
  const name = flag('--name') ?? config.name ?? 'kind';
  if (state.clusters[name]) die(`ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"`);
  const nodes = nodeNames(name, config);
  const image = flag('--image') ?? 'kindest/node:v1.33.1@sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f';
  state.clusters[name] = { name, nodes, image, running: Object.fromEntries(nodes.map((n) => [n, true])) };
  save(state);
  writeContext(name);
  const workers = nodes.filter((n) => n.includes('-worker')).length;
  process.stderr.write(
    [
      `Creating cluster "${name}" ...`,
      ` ✓ Ensuring node image (${image.split('@')[0]}) 🖼`,
      ` ✓ Preparing nodes ${nodes.map(() => '📦').join(' ')}`,
      ' ✓ Writing configuration 📜',
      ' ✓ Starting control-plane 🕹️',
      ' ✓ Installing CNI 🔌',
      ' ✓ Installing StorageClass 💾',
      ...(workers ? [' ✓ Joining worker nodes 🚜'] : []),
      ...(flag('--wait') ? [` ✓ Waiting ≤ ${flag('--wait')} for control-plane = Ready ⏳`, ' • Ready after 14s 💚'] : []),
      `Set kubectl context to "kind-${name}"`,
      'You can now use your cluster with:',
      '',
      `kubectl cluster-info --context kind-${name}${flag('--kubeconfig') ? ` --kubeconfig ${flag('--kubeconfig')}` : ''}`,
      '',
      'Have a nice day! 👋',
      '',
    ].join('\n'),
  );
} else if (a === 'delete' && b === 'cluster') {
  const name = flag('--name') ?? 'kind';
  const c = state.clusters[name];
  process.stderr.write(`Deleting cluster "${name}" ...\n`);
  if (c) {
    process.stderr.write(`Deleted nodes: [${c.nodes.map((n) => `"${n}"`).join(' ')}]\n`);
    delete state.clusters[name];
    save(state);
  }
  removeContext(name);
} else if (a === 'get' && b === 'clusters') {
  const names = Object.keys(state.clusters).sort();
  if (!names.length) process.stderr.write('No kind clusters found.\n');
  else process.stdout.write(names.join('\n') + '\n');
} else if (a === 'get' && b === 'nodes') {
  const name = flag('--name') ?? 'kind';
  const c = state.clusters[name];
  if (!c) process.stderr.write(`No kind nodes found for cluster "${name}".\n`);
  else process.stdout.write(c.nodes.join('\n') + '\n');
} else if (a === 'load' && b === 'docker-image') {
  const name = flag('--name') ?? 'kind';
  const c = state.clusters[name];
  const images = argv.slice(2).filter((x, i, all) => !x.startsWith('-') && all[i - 1] !== '--name');
  if (!c) die(`ERROR: no nodes found for cluster "${name}"`);
  const present = (env.FAKE_DOCKER_IMAGES || '').split(',').filter(Boolean);
  const missing = images.find((i) => !present.includes(i));
  if (missing) die(`ERROR: image: "${missing}" not present locally`);
  c.loaded = [...new Set([...(c.loaded ?? []), ...images])];
  save(state);
  for (const i of images) for (const n of c.nodes) process.stderr.write(`Image: "${i}" with ID "sha256:5f1e0c" not yet present on node "${n}", loading...\n`);
} else if (a === 'export' && b === 'kubeconfig') {
  const name = flag('--name') ?? 'kind';
  if (!state.clusters[name]) die(`ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster`);
  writeContext(name);
  process.stderr.write(`Set kubectl context to "kind-${name}"\n`);
} else {
  die(`ERROR: unknown command "${joined}" for "kind"`);
}
