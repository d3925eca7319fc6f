/**
 * The in-cluster deployment (deploy/kubernetes), as `kubectl kustomize` renders it:
 * - every object is valid by the Kubernetes OpenAPI schemas (`kubernetes-models`) and, for ServiceMonitor and
 *   PrometheusRule, by the Prometheus Operator CRDs' schemas (`@kubernetes-models/prometheus-operator`);
 * - the pods are locked down (non-root, read-only root, no privilege escalation, no capabilities, seccomp) and
 *   bounded (requests and limits); the alerts are PromQL over the metrics `ha-validate serve` documents;
 * - the read-only promise: the fake API server, authorizing the service account by the rendered RBAC objects,
 *   refuses every verb and resource the ClusterRole does not grant (403), while the in-cluster collection gets
 *   every read it makes (no 403) and uses every rule, and the checks pass on what it read;
 * - the CronJob's report container, run from the offline image with its manifest's security settings, a mounted
 *   service-account token and CA and KUBERNETES_SERVICE_HOST/PORT, validates the reference in-cluster (exit 0).
 *
 * Skipped, with the reason, without kubectl (Debian: kubernetes-client); the image run without a Docker engine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { parser as promql } from '@prometheus-io/lezer-promql';
import { repoRoot } from '../helpers/cli.ts';
import { problemsOf } from '../helpers/k8s-schema.ts';
import { recordedRoutes, requestAttributes, startFakeKubeApi, type FakeKubeApi } from '../fakes/kube-api-server.ts';
import { collectKubernetesApiEvidence } from '../../support/evidence/kubernetes/api.ts';
import { loadTarget } from '../../support/descriptor/load.ts';
import { validateTarget } from '../../support/validate.ts';
import { engineProblems } from '../../support/environments/docker/engine.ts';
import { catalogue } from '../../support/checks/catalogue.ts';
import { readExposition } from '../helpers/exposition.ts';
import { httpGet } from '../helpers/http.ts';
import { buildOfflineImages } from '../../support/environments/docker/images/build.ts';

type Obj = Record<string, unknown>;
const rec = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

const RECORDED = join(repoRoot, 'test', 'recorded', 'kubernetes');
const NS = 'test-network';
const ACCOUNT = { namespace: 'ha-conformance', name: 'ha-validate' };
const TOKEN = 'ha-validate-service-account-token';
/** what `ha-validate serve` is documented to expose, with its labels */
const METRICS: Record<string, string[]> = {
  ha_conformance_check_status: ['id', 'area', 'severity', 'target', 'status'],
  ha_conformance_last_run_timestamp_seconds: ['target'],
  ha_conformance_last_run_duration_seconds: ['target'],
  ha_conformance_certificate_expiry_timestamp_seconds: ['target', 'subject', 'role', 'node', 'source'],
  ha_conformance_up: ['target'],
};
const RUN_LABEL = 'ha-conformance.test=deploy-kubernetes';
const SERVE_COMMAND = 'serve --target /etc/ha-conformance/target.yaml --interval 5m --listen 0.0.0.0:9464 --live';

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const skip = kubectl.error ? 'kubectl is not installed (Debian: apt-get install kubernetes-client, which scripts/setup.sh installs)' : false;
let objects: Obj[] = [];
if (!skip) {
  const r = spawnSync('kubectl', ['kustomize', join(repoRoot, 'deploy', 'kubernetes')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `kubectl kustomize deploy/kubernetes failed:\n${r.stderr}`);
  objects = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string) => {
  const found = byKind(kind);
  assert.equal(found.length, 1, `expected one ${kind}, found ${found.length}`);
  return found[0];
};
const podSpecs = (): Array<{ owner: string; spec: Obj }> => [
  ...byKind('Deployment').map((d) => ({ owner: `Deployment/${rec(d.metadata).name}`, spec: rec(rec(rec(d.spec).template).spec) })),
  ...byKind('CronJob').map((c) => ({ owner: `CronJob/${rec(c.metadata).name}`, spec: rec(rec(rec(rec(rec(c.spec).jobTemplate).spec).template).spec) })),
];
const containers = (spec: Obj) => (spec.containers as Obj[]).map((c) => ({ name: String(c.name), c }));

let api: FakeKubeApi;
let dir: string;
let saDir: string;
const figures: string[] = [];

before(async () => {
  if (skip) return;
  api = await startFakeKubeApi();
  api.record('', recordedRoutes(RECORDED, { kubeProxy: 'ipvs', endpointSlices: true, namespace: NS }));
  api.record('legacy', recordedRoutes(RECORDED, { kubeProxy: 'default', endpointSlices: false, namespace: NS }));
  api.serviceAccount(TOKEN, ACCOUNT, objects);
  dir = await mkdtemp(join(tmpdir(), 'hac-test-deploy-'));
  await chmod(dir, 0o755);
  saDir = join(dir, 'serviceaccount');
  await mkdir(saDir, { mode: 0o755 });
  await writeFile(join(saDir, 'token'), `${TOKEN}\n`, { mode: 0o644 });
  await writeFile(join(saDir, 'ca.crt'), api.ca.certPem, { mode: 0o644 });
  await writeFile(join(saDir, 'namespace'), ACCOUNT.namespace, { mode: 0o644 });
});

after(async () => {
  if (figures.length) process.stdout.write(`# ${figures.join('; ')}\n`);
  if (!skip) {
    const left = spawnSync('docker', ['ps', '-aq', '--filter', `label=${RUN_LABEL}`], { encoding: 'utf8' }).stdout?.trim();
    if (left) spawnSync('docker', ['rm', '-f', ...left.split('\n')]);
  }
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the base renders, and every object is valid by the Kubernetes and Prometheus Operator schemas', { skip }, async () => {
  assert.deepEqual(
    objects.map((o) => o.kind).sort(),
    ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'CronJob', 'Deployment', 'Namespace', 'PersistentVolumeClaim', 'PrometheusRule', 'Secret', 'Service', 'ServiceAccount', 'ServiceMonitor'],
  );
  const problems = (await Promise.all(objects.map((o) => problemsOf(o, `kustomize output ${String(o.kind)}/${String(rec(o.metadata).name)}`)))).flat();
  assert.deepEqual(problems, []);
  for (const o of objects) if (o.kind !== 'Namespace' && !['ClusterRole', 'ClusterRoleBinding'].includes(String(o.kind))) assert.equal(rec(o.metadata).namespace, 'ha-conformance', `${String(o.kind)} outside the namespace`);
});

test('the descriptor ConfigMap is mounted where the commands read it and is a valid in-cluster descriptor', { skip }, async () => {
  const cm = one('ConfigMap');
  const text = String(rec(cm.data)['target.yaml']);
  const file = join(dir, 'configmap-target.yaml');
  await writeFile(file, text);
  const d = await loadTarget(file, {});
  assert.ok(d.regions.some((r) => r.kubernetes?.inCluster === true), 'the example descriptor does not read its cluster in-cluster');
  for (const { owner, spec } of podSpecs()) {
    const volume = (spec.volumes as Obj[]).find((v) => rec(v.configMap).name === rec(cm.metadata).name);
    assert.ok(volume, `${owner} does not mount the descriptor ConfigMap ${String(rec(cm.metadata).name)}`);
    for (const { name, c } of containers(spec)) {
      const mount: Obj | undefined = (c.volumeMounts as Obj[]).find((m) => m.name === volume.name);
      assert.equal(mount?.mountPath, '/etc/ha-conformance', `${owner} ${name}`);
      assert.equal(mount?.readOnly, true, `${owner} ${name} mounts the descriptor writable`);
      assert.ok((c.args as string[]).join(' ').includes('--target /etc/ha-conformance/target.yaml'), `${owner} ${name}`);
      assert.deepEqual(c.envFrom, [{ secretRef: { name: 'ha-conformance-env', optional: true } }], `${owner} ${name} does not take the Secret as environment`);
    }
  }
  assert.equal(rec(one('Secret').metadata).name, 'ha-conformance-env');
});

test('pods run non-root on a read-only root file system, without privilege escalation or capabilities, with bounds', { skip }, () => {
  const specs = podSpecs();
  assert.equal(specs.length, 2);
  for (const { owner, spec } of specs) {
    assert.equal(spec.serviceAccountName, ACCOUNT.name, owner);
    const pod = rec(spec.securityContext);
    assert.equal(pod.runAsNonRoot, true, owner);
    assert.ok(Number(pod.runAsUser) > 0, `${owner} runs as root`);
    assert.deepEqual(pod.seccompProfile, { type: 'RuntimeDefault' }, owner);
    const tmp = (spec.volumes as Obj[]).find((v) => v.name === 'tmp');
    assert.ok(tmp && rec(tmp.emptyDir), `${owner}: /tmp is not an emptyDir`);
    for (const { name, c } of containers(spec)) {
      const where = `${owner} container ${name}`;
      const sc = rec(c.securityContext);
      assert.equal(sc.readOnlyRootFilesystem, true, where);
      assert.equal(sc.allowPrivilegeEscalation, false, where);
      assert.deepEqual(rec(sc.capabilities).drop, ['ALL'], where);
      assert.equal(rec(sc.capabilities).add, undefined, where);
      assert.notEqual(sc.privileged, true, where);
      const res = rec(c.resources);
      for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(rec(res[kind])[r], `${where}: no ${kind}.${r}`);
      assert.match(String(c.image), /^ha-validate(:|$)/, where);
      // writable places are the declared volumes only: /tmp, and the reports volume for the CronJob
      const writable = (c.volumeMounts as Obj[]).filter((m) => m.readOnly !== true).map((m) => m.mountPath).sort();
      assert.deepEqual(writable, owner.startsWith('CronJob') ? ['/reports', '/tmp'] : ['/tmp'], where);
    }
  }
});

test('the CronJob writes JUnit, Allure results and JSON to the reports volume; the Deployment runs the documented serve command behind the Service', { skip }, () => {
  const cron = one('CronJob');
  const spec = podSpecs().find((p) => p.owner.startsWith('CronJob'))!.spec;
  assert.equal(rec(rec(rec(cron.spec).jobTemplate).spec).backoffLimit, 0, 'a failed guarantee must not be retried');
  const args = containers(spec).map(({ c }) => (c.args as string[]).join(' '));
  assert.ok(args.some((a) => /--format junit --output \/reports\/\$\(POD_NAME\)\/junit\.xml --allure-results \/reports\/\$\(POD_NAME\)\/allure-results/.test(a)), args.join('\n'));
  assert.ok(args.some((a) => /--format json --output \/reports\/\$\(POD_NAME\)\/report\.json/.test(a)), args.join('\n'));
  assert.ok(args.every((a) => a.includes('--live')));
  const reports = (spec.volumes as Obj[]).find((v) => v.name === 'reports');
  assert.equal(rec(reports?.persistentVolumeClaim).claimName, rec(one('PersistentVolumeClaim').metadata).name);

  const deployment = one('Deployment');
  const serve = containers(podSpecs().find((p) => p.owner.startsWith('Deployment'))!.spec)[0].c;
  assert.equal((serve.args as string[]).join(' '), SERVE_COMMAND);
  const port = (serve.ports as Obj[])[0];
  assert.equal(port.containerPort, 9464);
  for (const probe of ['readinessProbe', 'livenessProbe']) assert.equal(rec(rec(serve[probe]).httpGet).path, '/healthz', probe);
  const svc = one('Service');
  const podLabels = rec(rec(rec(rec(deployment.spec).template).metadata).labels);
  assert.ok(Object.entries(rec(rec(svc.spec).selector)).every(([k, v]) => podLabels[k] === v), 'the Service does not select the serve pods');
  assert.deepEqual((rec(svc.spec).ports as Obj[]).map((p) => [p.name, p.port, p.targetPort]), [['metrics', 9464, 'metrics']]);
  const monitor = one('ServiceMonitor');
  const svcLabels = rec(rec(svc.metadata).labels);
  assert.ok(Object.entries(rec(rec(rec(monitor.spec).selector).matchLabels)).every(([k, v]) => svcLabels[k] === v), 'the ServiceMonitor does not select the Service');
  assert.deepEqual((rec(monitor.spec).endpoints as Obj[]).map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
});

test('the alerts are valid PromQL over the documented metrics and labels: a blocker failed, a certificate within 30 days, the validator not reporting', { skip }, () => {
  const rules = (rec(one('PrometheusRule').spec).groups as Obj[]).flatMap((g) => g.rules as Obj[]);
  for (const r of rules) {
    const expr = String(r.expr);
    const tree = promql.parse(expr);
    const errors: number[] = [];
    const used: Array<{ metric: string; labels: string[] }> = [];
    tree.iterate({
      enter: (n) => {
        if (n.type.isError) errors.push(n.from);
        if (n.name === 'VectorSelector') {
          const metric = n.node.getChild('Identifier');
          const labels = n.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher').map((m) => expr.slice(m.getChild('LabelName')!.from, m.getChild('LabelName')!.to)) ?? [];
          if (metric) used.push({ metric: expr.slice(metric.from, metric.to), labels });
        }
      },
    });
    assert.deepEqual(errors, [], `${String(r.alert)}: PromQL syntax error at ${errors.join(', ')} in ${expr}`);
    assert.ok(used.length, `${String(r.alert)} reads no metric`);
    for (const u of used) {
      assert.ok(u.metric in METRICS, `${String(r.alert)} reads ${u.metric}, which serve does not expose`);
      for (const l of u.labels) assert.ok(METRICS[u.metric].includes(l), `${String(r.alert)}: ${u.metric} has no label ${l}`);
    }
    assert.ok(['critical', 'warning'].includes(String(rec(r.labels).severity)), `${String(r.alert)} has no severity`);
    assert.ok(rec(r.annotations).summary, `${String(r.alert)} has no summary`);
  }
  const exprOf = (alert: string) => String(rules.find((r) => r.alert === alert)?.expr ?? assert.fail(`no alert ${alert}`));
  assert.match(exprOf('HaConformanceBlockerFailed'), /ha_conformance_check_status\{severity="blocker", status="failed"\} == 1/);
  assert.match(exprOf('HaConformanceCertificateExpiresSoon'), /ha_conformance_certificate_expiry_timestamp_seconds - time\(\) < 30 \* 86400/);
  assert.match(exprOf('HaConformanceValidatorAbsent'), /^absent\(ha_conformance_up\)$/);
  assert.match(exprOf('HaConformanceRunsStale'), /time\(\) - ha_conformance_last_run_timestamp_seconds >/);
});

/** A child process without blocking the event loop; killed after `timeoutMs`. */
function runAsync(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
  });
}

/** One request as the service account, answered with its status. */
function asServiceAccount(method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { method, ca: api.ca.certPem, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(method === 'GET' || method === 'DELETE' ? undefined : '{}');
  });
}

test('the ClusterRole grants get/list/watch only: every other verb and every other resource is refused (403)', { skip }, async () => {
  const role = one('ClusterRole');
  for (const rule of role.rules as Obj[]) {
    assert.deepEqual((rule.verbs as string[]).filter((v) => !['get', 'list', 'watch'].includes(v)), [], 'a verb beyond get/list/watch');
    assert.ok(![...(rule.resources as string[]), ...(rule.apiGroups as string[]), ...(rule.verbs as string[])].includes('*'), 'a wildcard');
  }
  // every resource the fake API serves, namespaced ones in the deployment's namespace, with every verb
  const resources: Array<{ group: string; version: string; resource: string; namespaced: boolean }> = [
    ...['pods', 'services', 'endpoints', 'configmaps', 'secrets', 'serviceaccounts', 'persistentvolumeclaims'].map((resource) => ({ group: '', version: 'v1', resource, namespaced: true })),
    ...['namespaces', 'nodes', 'persistentvolumes'].map((resource) => ({ group: '', version: 'v1', resource, namespaced: false })),
    ...['deployments', 'statefulsets', 'daemonsets', 'replicasets'].map((resource) => ({ group: 'apps', version: 'v1', resource, namespaced: true })),
    { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true },
    { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true },
    ...['roles', 'rolebindings'].map((resource) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, namespaced: true })),
    ...['clusterroles', 'clusterrolebindings'].map((resource) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, namespaced: false })),
  ];
  const readable = new Set(['/pods', '/services', '/endpoints', '/nodes', 'discovery.k8s.io/endpointslices']);
  const verbs: Array<{ verb: string; method: string; named: boolean; query?: string }> = [
    { verb: 'get', method: 'GET', named: true },
    { verb: 'list', method: 'GET', named: false },
    { verb: 'watch', method: 'GET', named: false, query: '?watch=true' },
    { verb: 'create', method: 'POST', named: false },
    { verb: 'update', method: 'PUT', named: true },
    { verb: 'patch', method: 'PATCH', named: true },
    { verb: 'delete', method: 'DELETE', named: true },
    { verb: 'deletecollection', method: 'DELETE', named: false },
  ];
  const wrong: string[] = [];
  let asked = 0;
  for (const r of resources) {
    for (const v of verbs) {
      const base = r.group ? `/apis/${r.group}/${r.version}` : '/api/v1';
      const path = `${base}${r.namespaced ? `/namespaces/${NS}` : ''}/${r.resource}${v.named ? '/some-name' : ''}${v.query ?? ''}`;
      const granted = readable.has(`${r.group}/${r.resource}`) && ['get', 'list', 'watch'].includes(v.verb);
      const status = await asServiceAccount(v.method, path);
      asked++;
      if ((status === 403) === granted) wrong.push(`${v.verb} ${r.group || 'core'}/${r.resource}: ${status}, expected ${granted ? 'not 403' : '403'}`);
    }
  }
  // ConfigMaps: the kube-proxy one, by name, with get only
  const cm = '/api/v1/namespaces/kube-system/configmaps';
  for (const [method, path, granted] of [
    ['GET', `${cm}/kube-proxy`, true],
    ['GET', `${cm}/coredns`, false],
    ['GET', cm, false],
    ['PUT', `${cm}/kube-proxy`, false],
    ['DELETE', `${cm}/kube-proxy`, false],
    ['GET', `/api/v1/namespaces/${NS}/pods/some-pod/log`, false],
    ['POST', `/api/v1/namespaces/${NS}/pods/some-pod/exec`, false],
  ] as const) {
    const status = await asServiceAccount(method, path);
    asked++;
    if ((status === 403) === granted) wrong.push(`${method} ${path}: ${status}, expected ${granted ? 'not 403' : '403'}`);
  }
  figures.push(`${asked} RBAC probes`);
  assert.deepEqual(wrong, []);
});

test('read-only promise: in-cluster collection with that role gets every read it makes, uses every rule, and the checks pass', { skip }, async () => {
  const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
  const from = api.requests.length;
  const live = await collectKubernetesApiEvidence('r1', { inCluster: true, serviceAccountDir: saDir, env, namespace: NS });
  const made = api.requests.slice(from);
  assert.deepEqual(made.filter((r) => r.status !== 200).map((r) => `${r.method} ${r.path} ${r.status}`), [], 'a read the role does not cover');
  assert.ok(made.every((r) => r.method === 'GET' && r.user === `system:serviceaccount:${ACCOUNT.namespace}:${ACCOUNT.name}`));

  // the Endpoints fallback, on a cluster without EndpointSlices: the one rule the first cluster did not need
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'legacy', cluster: { server: `${api.url}/legacy`, 'certificate-authority-data': Buffer.from(api.ca.certPem).toString('base64') } }],
    users: [{ name: 'sa', user: { token: TOKEN } }],
    contexts: [{ name: 'legacy', context: { cluster: 'legacy', user: 'sa' } }],
    'current-context': 'legacy',
  }));
  const fromLegacy = api.requests.length;
  await collectKubernetesApiEvidence('r1', { kubeconfig: kc, context: 'legacy', namespace: NS });
  const legacy = api.requests.slice(fromLegacy);
  assert.deepEqual(legacy.filter((r) => r.status !== 200 && r.status !== 404).map((r) => `${r.method} ${r.path} ${r.status}`), []);
  const used = new Set(
    [...made, ...legacy].filter((r) => r.status === 200).map((r) => {
      const a = requestAttributes(r.method, r.path.replace(/^\/legacy/, ''), r.query);
      return `${a.verb} ${a.apiGroup}/${a.resource}`;
    }),
  );
  const granted = (one('ClusterRole').rules as Obj[]).flatMap((rule) =>
    (rule.apiGroups as string[]).flatMap((g) => (rule.resources as string[]).flatMap((res) => (rule.verbs as string[]).filter((v) => v !== 'watch').map((v) => `${v} ${g}/${res}`))),
  );
  // get on a collection's items is not needed where list is (one LIST reads them all): a read is used when any of its verbs is
  const unused = [...new Set(granted.map((g) => g.split(' ')[1]))].filter((res) => ![...used].some((u) => u.endsWith(` ${res}`)));
  assert.deepEqual(unused, [], `a granted resource the collector never reads (read: ${[...used].join(', ')})`);

  const { report } = await validateTarget(join(repoRoot, 'fixtures', 'reference', 'target.yaml'), { live: { kubernetes: [live] }, only: ['FAB-ORD-05', 'FAB-GW-01', 'FAB-GW-02'] });
  for (const r of report.results) {
    assert.equal(r.status, 'passed', `${r.id}: ${r.message}`);
  }
  assert.match(report.results.find((r) => r.id === 'FAB-GW-01')!.message, /live/);
  assert.match(report.results.find((r) => r.id === 'FAB-GW-02')!.message, /kube-api:in-cluster\//);
});

const engine = skip ? ['kubectl missing'] : await engineProblems();
const dockerSkip = skip || (engine.length ? `no Docker engine here: ${engine.join('; ')}` : false);

test('the CronJob report container, from the offline image, validates the reference in-cluster with the role (exit 0)', { skip: dockerSkip }, async () => {
  const [image] = await buildOfflineImages({ only: ['validator'] });
  const spec = podSpecs().find((p) => p.owner.startsWith('CronJob'))!.spec;
  const json = containers(spec).find((c) => c.name === 'json')!.c;
  const pod = rec(spec.securityContext);
  const sc = rec(json.securityContext);
  // what the kubelet would do with the manifest: $(VAR) in args from the container's env, the security settings
  const podName = 'ha-validate-report-29000000-test';
  const args = (json.args as string[]).map((a) => a.replace(/\$\(POD_NAME\)/g, podName));
  const flags = [
    '--user', `${String(pod.runAsUser)}:${String(pod.runAsGroup)}`,
    ...(sc.readOnlyRootFilesystem ? ['--read-only'] : []),
    ...(sc.allowPrivilegeEscalation === false ? ['--security-opt', 'no-new-privileges'] : []),
    ...(rec(sc.capabilities).drop as string[]).flatMap((c) => ['--cap-drop', c]),
    '--tmpfs', '/tmp',
  ];
  const etc = join(dir, 'etc-ha-conformance');
  await mkdir(etc, { mode: 0o755 });
  // the reference, with region r1 read in-cluster from the recorded API (namespace test-network)
  await writeFile(join(etc, 'target.yaml'), 'extends: /fixtures/reference/target.yaml\nname: reference-in-cluster\nregions:\n  - name: r1\n    kubernetes:\n      inCluster: true\nlive:\n  namespace: test-network\n', { mode: 0o644 });
  const reports = join(dir, 'reports');
  await mkdir(reports);
  await chown(reports, Number(pod.runAsUser), Number(pod.runAsGroup));
  const from = api.requests.length;
  const t = Date.now();
  // asynchronously: the fake API server answering the container runs in this process
  const r = await runAsync(
    'docker',
    [
      'run', '--rm', '--label', RUN_LABEL,
      // the fake API server listens on the host's loopback
      '--network', 'host',
      ...flags,
      '-e', 'KUBERNETES_SERVICE_HOST=127.0.0.1', '-e', `KUBERNETES_SERVICE_PORT=${api.port}`,
      '-v', `${saDir}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
      '-v', `${etc}:/etc/ha-conformance:ro`,
      '-v', `${join(repoRoot, 'fixtures')}:/fixtures:ro`,
      '-v', `${reports}:/reports`,
      image.ref, ...args,
    ],
    120_000,
  );
  figures.push(`in-cluster docker run ${Date.now() - t} ms`);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const report = JSON.parse(await readFile(join(reports, podName, 'report.json'), 'utf8')) as { results: Array<{ id: string; status: string; message: string }> };
  const byId = new Map(report.results.map((x) => [x.id, x]));
  for (const id of ['FAB-ORD-05', 'FAB-GW-01', 'FAB-GW-02']) assert.equal(byId.get(id)?.status, 'passed', `${id}: ${byId.get(id)?.message}`);
  assert.match(byId.get('FAB-GW-02')!.message, /kube-api:in-cluster\//);
  const made = api.requests.slice(from);
  assert.ok(made.length >= 6, 'the container did not read the API');
  assert.deepEqual(made.filter((x) => x.method !== 'GET' || x.status !== 200 || x.user !== `system:serviceaccount:${ACCOUNT.namespace}:${ACCOUNT.name}`).map((x) => `${x.method} ${x.path} ${x.status} ${x.user}`), []);
});

test('the Deployment\'s serve container, from the offline image with its manifest\'s settings, answers its probes and serves the metrics the alerts read', { skip: dockerSkip }, async () => {
  const [image] = await buildOfflineImages({ only: ['validator'] });
  const spec = podSpecs().find((p) => p.owner.startsWith('Deployment'))!.spec;
  const [{ c: serve }] = containers(spec);
  const pod = rec(spec.securityContext);
  const sc = rec(serve.securityContext);
  const port = (serve.ports as Obj[]).find((p) => p.name === 'metrics')!;
  const probePort = (probe: string) => {
    const p = rec(rec(serve[probe]).httpGet).port;
    return typeof p === 'string' ? (serve.ports as Obj[]).find((x) => x.name === p)?.containerPort : p;
  };
  for (const probe of ['readinessProbe', 'livenessProbe']) assert.equal(probePort(probe), port.containerPort, `${probe} probes another port`);
  const tmpVolume = (spec.volumes as Obj[]).find((v) => v.name === 'tmp');
  const flags = [
    '--user', `${String(pod.runAsUser)}:${String(pod.runAsGroup)}`,
    ...(sc.readOnlyRootFilesystem ? ['--read-only'] : []),
    ...(sc.allowPrivilegeEscalation === false ? ['--security-opt', 'no-new-privileges'] : []),
    ...(rec(sc.capabilities).drop as string[]).flatMap((c) => ['--cap-drop', c]),
    ...(rec(rec(tmpVolume).emptyDir).medium === 'Memory' ? ['--tmpfs', '/tmp'] : []),
    ...(serve.env as Obj[]).flatMap((e) => ['-e', `${String(e.name)}=${String(e.value)}`]),
  ];
  // the descriptor ConfigMap's place, holding a static descriptor: the pod's own network namespace (a Docker bridge
  // here) reaches no API server, and --live then reads nothing
  const etc = join(dir, 'etc-serve');
  await mkdir(etc, { mode: 0o755 });
  await writeFile(join(etc, 'target.yaml'), 'extends: /fixtures/reference/target.yaml\nname: reference-serve\n', { mode: 0o644 });
  const run = spawnSync(
    'docker',
    ['run', '-d', '--label', RUN_LABEL, ...flags, '-p', `127.0.0.1::${String(port.containerPort)}`, '-v', `${etc}:/etc/ha-conformance:ro`, '-v', `${join(repoRoot, 'fixtures')}:/fixtures:ro`, image.ref, ...(serve.args as string[])],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const published = spawnSync('docker', ['port', id, `${String(port.containerPort)}/tcp`], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    const base = `http://${published}`;
    // the kubelet's probe, until the container answers (bounded by attempts, not time)
    let probe = await httpGet(`${base}${String(rec(rec(serve.readinessProbe).httpGet).path)}`);
    for (let i = 0; i < 600 && probe.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      probe = await httpGet(`${base}/healthz`);
    }
    assert.equal(probe.status, 200, `readiness probe: ${probe.error ?? probe.body}\n${spawnSync('docker', ['logs', id], { encoding: 'utf8' }).stderr}`);
    let text = '';
    for (let i = 0; i < 600 && !text.includes('ha_conformance_up{'); i++) {
      text = (await httpGet(`${base}/metrics`)).body;
      if (!text.includes('ha_conformance_up{')) await new Promise((r) => setTimeout(r, 100));
    }
    const { samples, problems } = readExposition(text);
    assert.deepEqual(problems, []);
    // every metric the alerts read is served, with exactly the labels the alerts may use
    for (const [metric, labels] of Object.entries(METRICS)) {
      const found = samples.filter((x) => x.name === metric);
      assert.ok(found.length, `serve does not expose ${metric}`);
      for (const x of found) assert.deepEqual(Object.keys(x.labels).sort(), [...labels].sort(), metric);
    }
    assert.equal(samples.find((x) => x.name === 'ha_conformance_up')?.value, 1);
    assert.equal(samples.filter((x) => x.name === 'ha_conformance_check_status' && x.labels.target === 'reference-serve' && x.value === 1).length, catalogue.length);
    assert.ok(samples.some((x) => x.name === 'ha_conformance_certificate_expiry_timestamp_seconds' && x.labels.target === 'reference-serve'));
    // the kubelet stops a pod with SIGTERM and waits terminationGracePeriodSeconds (30 s by default)
    const grace = Number(spec.terminationGracePeriodSeconds ?? 30);
    const stop = spawnSync('docker', ['stop', '-t', String(grace), id], { encoding: 'utf8', timeout: (grace + 30) * 1000 });
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(spawnSync('docker', ['inspect', '-f', '{{.State.ExitCode}}', id], { encoding: 'utf8' }).stdout.trim(), '0', 'serve did not stop cleanly on SIGTERM');
  } finally {
    spawnSync('docker', ['rm', '-f', id]);
  }
});
