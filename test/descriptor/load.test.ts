import assert from 'node:assert/strict';
import { chmod, chown } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { loadTarget } from '../../support/descriptor/load.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

describe('loadTarget', () => {
  let t: TmpDir;
  before(async () => {
    t = await tmp();
    for (const f of ['base/crypto/ca.pem', 'base/crypto/o1.pem', 'base/crypto/o2.pem', 'base/k8s/r1.yaml', 'overlay/crypto/o1-new.pem', 'overlay/k8s/r1.yaml', 'base/corda/node.conf', 'base/lb.json']) {
      await t.write(f, '');
    }
    await t.write('base/corda/base-dir/.keep', '');
  });
  after(() => t.remove());

  it('merges an overlay over its base and resolves each path against the file that declared it', async () => {
    await t.write(
      'base/target.yaml',
      `name: reference
settings: { maxRoundTripMs: 100, certExpiryWarningDays: 30 }
regions:
  - { name: r1, kubernetes: { manifests: [k8s/r1.yaml], context: kind-r1 } }
  - { name: r2 }
fabric:
  ordering:
    - name: org0
      mspId: Org0MSP
      ca: [crypto/ca.pem]
      nodes:
        - { name: o1, region: r1, host: o1, port: 6050, tlsCert: crypto/o1.pem }
        - { name: o2, region: r2, host: o2, port: 6050, tlsCert: crypto/o2.pem }
corda:
  nodes:
    - { name: primary, role: primary, config: corda/node.conf, machine: 10.0.0.4, baseDirectory: corda/base-dir }
  loadBalancer: { export: lb.json }
`,
    );
    const overlay = await t.write(
      'overlay/target.yaml',
      `extends: ../base/target.yaml
name: overlay
disposable: true
settings: { maxRoundTripMs: 50 }
regions:
  - { name: r1, kubernetes: { manifests: [k8s/r1.yaml] } }
  - { name: r3 }
fabric:
  ordering:
    - name: org0
      nodes:
        - { name: o2, remove: true }
        - { name: o1, tlsCert: crypto/o1-new.pem }
        - { name: o3, region: r3, host: o3, port: 6050 }
`,
    );
    const d = await loadTarget(overlay, {});
    assert.equal(d.name, 'overlay');
    assert.equal(d.file, overlay);
    assert.equal(d.apiVersion, 'ha-conformance/v1');
    assert.equal(d.disposable, true);
    // maps merge deeply
    assert.deepEqual(d.settings, { maxRoundTripMs: 50, certExpiryWarningDays: 30 });
    // named lists merge by name; new items are appended
    assert.deepEqual(d.regions.map((r) => r.name), ['r1', 'r2', 'r3']);
    // the overlay's manifests list replaces the base's, and resolves against the overlay's folder; the base's context stays
    assert.deepEqual(d.regions[0].kubernetes, { manifests: [t.path('overlay/k8s/r1.yaml')], context: 'kind-r1' });
    const org0 = d.fabric!.ordering[0];
    assert.equal(org0.mspId, 'Org0MSP');
    assert.deepEqual(org0.ca, [t.path('base/crypto/ca.pem')]);
    assert.deepEqual(org0.nodes.map((n) => n.name), ['o1', 'o3']);
    assert.equal(org0.nodes[0].tlsCert, t.path('overlay/crypto/o1-new.pem'));
    assert.equal(org0.nodes[0].host, 'o1');
    assert.equal(org0.nodes[1].tlsCert, undefined);
    // paths declared only in the base stay relative to the base
    assert.equal(d.corda!.nodes[0].config, t.path('base/corda/node.conf'));
    assert.equal(d.corda!.nodes[0].baseDirectory, t.path('base/corda/base-dir'));
    assert.equal(d.corda!.loadBalancer!.export, t.path('base/lb.json'));
    // defaults
    assert.deepEqual(d.corda!.ports, { p2p: 10002, rpc: 10003, web: 10004 });
    assert.deepEqual(d.corda!.filesToMatch, ['certificates', 'additional-node-infos', 'network-parameters', 'cordapps']);
    assert.deepEqual(d.fabric!.organizations, []);
    assert.deepEqual(d.live, {});
    assert.deepEqual(d.secrets, []);
  });

  it('collects every error, each naming the declaring file, the field path and the value', async () => {
    const base = await t.write(
      'errs/base.yaml',
      `name: base
regions: [{ name: r1 }, { name: r2 }, { name: r1 }]
fabric:
  ordering:
    - name: org0
      mspId: Org0MSP
      nodes:
        - { name: o1, region: r1, host: o1, port: 6050 }
`,
    );
    const overlay = await t.write(
      'errs/overlay.yaml',
      `extends: base.yaml
name: overlay
fabric:
  ordering:
    - name: org0
      nodes:
        - { name: o2, region: r9, host: o2, port: seven, tlsCert: nowhere.pem, tlscert: typo }
  organizations:
    - name: org1
      mspId: Org1MSP
      peers:
        - { name: p1, region: r1, host: p1, port: 7051 }
        - { name: p1, region: r5, host: p1b, port: 7051 }
corda:
  nodes:
    - { name: primary, role: main, config: missing.conf, machine: m1 }
`,
    );
    const errors = await expectInputErrors(() => loadTarget(overlay, {}));
    assertError(errors, { file: base, field: 'regions[2].name', includes: ['duplicate region name "r1"'] });
    assertError(errors, { file: overlay, field: 'fabric.ordering[0].nodes[1].region', includes: ['unknown region "r9"'] });
    assertError(errors, { file: overlay, field: 'fabric.ordering[0].nodes[1].port', includes: ['must be integer', '"seven"'] });
    assertError(errors, { file: overlay, field: 'fabric.ordering[0].nodes[1].tlscert', includes: ['unknown field "tlscert"'] });
    assertError(errors, { file: overlay, field: 'fabric.ordering[0].nodes[1].tlsCert', includes: ['file not found', t.path('errs/nowhere.pem')] });
    assertError(errors, { file: overlay, field: 'fabric.organizations[0].peers[1].name', includes: ['duplicate peer name "p1"'] });
    assertError(errors, { file: overlay, field: 'fabric.organizations[0].peers[1].region', includes: ['unknown region "r5"'] });
    assertError(errors, { file: overlay, field: 'corda.nodes[0].role', includes: ['must be one of', '"main"'] });
    assertError(errors, { file: overlay, field: 'corda.nodes[0].config', includes: ['file not found'] });
    assert.ok(errors.length >= 9, `expected all errors, got ${errors.length}`);
  });

  it('reports a missing environment variable by file and field, and records expanded values as secrets', async () => {
    const f = await t.write(
      'env/target.yaml',
      `name: env
corda:
  database: { url: "jdbc:postgresql://\${DB_HOST}:5432/corda", user: corda, password: "\${CORDA_DB_PASSWORD}" }
live:
  database: { host: db, port: 5432, database: corda, user: corda, password: literal-pass }
`,
    );
    const errors = await expectInputErrors(() => loadTarget(f, { DB_HOST: 'db' }));
    assert.equal(errors.length, 1);
    assertError(errors, { file: f, field: 'corda.database.password', includes: ['CORDA_DB_PASSWORD', 'not set'] });

    const d = await loadTarget(f, { DB_HOST: 'db.internal', CORDA_DB_PASSWORD: 'hunter2-secret' });
    assert.equal(d.corda!.database!.url, 'jdbc:postgresql://db.internal:5432/corda');
    assert.equal(d.corda!.database!.password, 'hunter2-secret');
    assert.ok(d.secrets.includes('hunter2-secret'));
    assert.ok(d.secrets.includes('db.internal'));
    // a literal password is a secret too
    assert.ok(d.secrets.includes('literal-pass'));
  });

  it('reports YAML syntax errors with line and column', async () => {
    const f = await t.write('yaml/bad.yaml', 'name: x\nregions: [ { name: r1 }\nfabric: {}\n');
    const errors = await expectInputErrors(() => loadTarget(f, {}));
    assertError(errors, { file: f, includes: [/YAML syntax error at line \d+, column \d+/] });
  });

  it('reports a wrong type, a missing base and an extends cycle', async () => {
    const wrong = await t.write('types/target.yaml', 'name: x\nregions: { r1: {} }\ndisposable: perhaps\n');
    let errors = await expectInputErrors(() => loadTarget(wrong, {}));
    assertError(errors, { file: wrong, field: 'regions', includes: ['must be array'] });
    assertError(errors, { file: wrong, field: 'disposable', includes: ['must be boolean', '"perhaps"'] });

    const orphan = await t.write('types/orphan.yaml', 'extends: ../nope/base.yaml\nname: x\n');
    errors = await expectInputErrors(() => loadTarget(orphan, {}));
    assertError(errors, { file: orphan, field: 'extends', includes: ['file not found'] });

    const a = await t.write('cycle/a.yaml', 'extends: b.yaml\nname: a\n');
    await t.write('cycle/b.yaml', 'extends: a.yaml\nname: b\n');
    errors = await expectInputErrors(() => loadTarget(a, {}));
    assertError(errors, { includes: ['cycle'], file: t.path('cycle/b.yaml'), field: 'extends' });
  });

  it('reports a missing descriptor file and a remove that matches nothing', async () => {
    const missing = t.path('none/target.yaml');
    let errors = await expectInputErrors(() => loadTarget(missing, {}));
    assertError(errors, { file: missing, includes: ['file not found'] });

    const f = await t.write('remove/target.yaml', 'name: x\nregions: [{ name: r1, remove: true }]\n');
    errors = await expectInputErrors(() => loadTarget(f, {}));
    assertError(errors, { file: f, field: 'regions[0].remove', includes: ['"r1"'] });
  });

  it('reads ${VAR} values from an envFile beside the descriptor, the process environment winning, and redacts them', async () => {
    const envFile = await t.write('envfile/secrets.env', '# secrets\nDB_PW=from-file-secret\nexport OTHER="quoted value"\n');
    await chmod(envFile, 0o600);
    const f = await t.write('envfile/target.yaml', 'name: e\nenvFile: secrets.env\ncorda:\n  nodes: []\n  database:\n    url: jdbc:x\n    user: u\n    password: ${DB_PW}\n');
    const d = await loadTarget(f, {});
    assert.equal(d.corda?.database?.password, 'from-file-secret');
    assert.ok(d.secrets.includes('from-file-secret'), 'a value from the env file is a secret');
    const d2 = await loadTarget(f, { DB_PW: 'from-process' });
    assert.equal(d2.corda?.database?.password, 'from-process');
    const bad = await t.write('envfile-bad/target.yaml', 'name: e\nenvFile: nope.env\n');
    const errors = await expectInputErrors(() => loadTarget(bad, {}));
    assertError(errors, { file: bad, field: 'envFile', includes: ['nope.env'] });
  });

  it('takes inCluster: true for one region, alone: not with a context or kubeconfig, not for two regions', async () => {
    const ok = await t.write('in-cluster/target.yaml', 'name: c\nregions:\n  - { name: r1, kubernetes: { inCluster: true } }\n  - { name: r2, kubernetes: { context: kind-r2 } }\n');
    const d = await loadTarget(ok, {});
    assert.equal(d.regions[0].kubernetes?.inCluster, true);

    const mixed = await t.write('in-cluster-mixed/target.yaml', 'name: c\nregions:\n  - { name: r1, kubernetes: { inCluster: true, context: kind-r1 } }\n');
    let errors = await expectInputErrors(() => loadTarget(mixed, {}));
    assertError(errors, { file: mixed, field: 'regions[0].kubernetes.context', includes: ['cannot be combined with inCluster: true'] });

    const two = await t.write('in-cluster-two/target.yaml', 'name: c\nregions:\n  - { name: r1, kubernetes: { inCluster: true } }\n  - { name: r2, kubernetes: { inCluster: true } }\n');
    errors = await expectInputErrors(() => loadTarget(two, {}));
    assertError(errors, { file: two, field: 'regions[1].kubernetes.inCluster', includes: ['only one region', '"r1", "r2"'] });

    const typo = await t.write('in-cluster-type/target.yaml', 'name: c\nregions:\n  - { name: r1, kubernetes: { inCluster: maybe } }\n');
    errors = await expectInputErrors(() => loadTarget(typo, {}));
    assertError(errors, { file: typo, field: 'regions[0].kubernetes.inCluster', includes: ['must be boolean'] });
  });

  it('refuses an envFile that group or others may read, or that another user owns, as the README promises', async () => {
    const envFile = await t.write('envfile-loose/secrets.env', 'DB_PW=loose-secret\n');
    const f = await t.write('envfile-loose/target.yaml', 'name: e\nenvFile: secrets.env\n');
    for (const mode of [0o640, 0o604, 0o620]) {
      await chmod(envFile, mode);
      const errors = await expectInputErrors(() => loadTarget(f, {}));
      assertError(errors, { file: f, field: 'envFile', includes: ['secrets.env', mode.toString(8), 'chmod 600'] });
    }
    await chmod(envFile, 0o600);
    if (process.getuid?.() === 0) {
      await chown(envFile, 65534, 65534);
      const errors = await expectInputErrors(() => loadTarget(f, {}));
      assertError(errors, { file: f, field: 'envFile', includes: ['uid 65534', 'uid 0'] });
    }
  });
});
