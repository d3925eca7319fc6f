import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, symlink } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { MISSING, parseNodeConf, readCordaNode } from '../../support/evidence/corda/node-conf.ts';
import { redactText } from '../../support/evidence/redact.ts';
import { assertError, expectInputErrors, tmp, type TmpDir } from '../helpers/input-files.ts';

const primaryConf = `
myLegalName = "O=PartyA,L=London,C=GB"
p2pAddress = \${LB_ADDRESS}":"\${P2P_PORT}
rpcSettings {
  address = "10.0.0.4:10003"
  adminAddress = "10.0.0.4:10005"
}
enterpriseConfiguration = {
  mutualExclusionConfiguration = {
    on = true
    machineName = "machine-a"
    updateInterval = 20000
    waitInterval = 40000
  }
}
dataSourceProperties = {
  dataSourceClassName = "org.postgresql.ds.PGSimpleDataSource"
  "dataSource.url" = "jdbc:postgresql://db:5432/corda"
  "dataSource.user" = corda
  "dataSource.password" = \${DB_PASSWORD}
}
keyStorePassword = "cordacadevpass"
`;

const backupConf = `
myLegalName = "O=PartyA,L=London,C=GB"
p2pAddress = "\${LB_ADDRESS}:10002"
rpcAddress = "10.0.0.5:10003"
enterpriseConfiguration.mutualExclusionConfiguration { on = "true", updateInterval = 20000, waitInterval = "40000" }
dataSourceProperties {
  dataSourceClassName = org.postgresql.ds.PGSimpleDataSource
  dataSource.url = "jdbc:postgresql://db:5432/corda"
  dataSource.user = corda
  dataSource.password = "plain-secret-value"
}
`;

describe('node.conf', () => {
  let t: TmpDir;
  before(async () => {
    t = await tmp();
  });
  after(() => t.remove());

  it('a secret environment variable the file references stays secret wherever a mistyped line puts its value', async () => {
    const conf = await t.write('typo/node.conf', 'rpcUsers = [ { use${CORDA_RPC_PASSWORD}r = corda, password = ${CORDA_RPC_PASSWORD} } ]\nnote = "cut ${CORDA_RPC_PASSWORD}"\naddress = ${LB_ADDRESS}\n');
    const parsed = await parseNodeConf(conf, { CORDA_RPC_PASSWORD: 'rpc-s3cret-typo', LB_ADDRESS: '10.0.0.10' }, {});
    const shown = redactText(JSON.stringify(parsed));
    assert.ok(!shown.includes('rpc-s3cret-typo'), shown);
    assert.match(shown, /"address":"10\.0\.0\.10"/, 'a variable whose name is not secret is shown');
  });

  it('reads the HA fields, substitutes from the descriptor env, redacts secrets and hashes the files to match', async () => {
    const conf = await t.write('primary/node.conf', primaryConf);
    await t.write('primary/certificates/nodekeystore.jks', 'keystore');
    await t.write('primary/certificates/truststore.jks', 'truststore');
    await t.write('primary/network-parameters', 'params-v1');
    await mkdir(t.path('shared/artemis'), { recursive: true });
    await symlink(t.path('shared/artemis'), t.path('primary/artemis'));
    const n = await readCordaNode(
      { name: 'primary', role: 'primary', config: conf, machine: '10.0.0.4', baseDirectory: t.path('primary'), env: { LB_ADDRESS: '10.0.0.10', P2P_PORT: '10002', DB_PASSWORD: 'db-password-xyz' } },
      { filesToMatch: ['certificates', 'network-parameters', 'cordapps'], processEnv: {} },
    );
    assert.equal(n.name, 'primary');
    assert.equal(n.source, conf);
    assert.equal(n.myLegalName, 'O=PartyA,L=London,C=GB');
    assert.equal(n.p2pAddress, '10.0.0.10:10002');
    assert.equal(n.rpcAddress, '10.0.0.4:10003');
    assert.equal(n.adminAddress, '10.0.0.4:10005');
    assert.deepEqual(n.mutualExclusion, { on: true, machineName: 'machine-a', updateInterval: 20000, waitInterval: 40000 });
    assert.deepEqual(n.dataSource, { className: 'org.postgresql.ds.PGSimpleDataSource', url: 'jdbc:postgresql://db:5432/corda', user: 'corda' });
    assert.deepEqual(n.literalPlaceholders, []);
    assert.equal(n.artemis!.exists, true);
    assert.equal(n.artemis!.path, t.path('primary/artemis'));
    assert.equal(n.artemis!.realPath, t.path('shared/artemis'));
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    assert.deepEqual(n.fileHashes, {
      'certificates/nodekeystore.jks': sha('keystore'),
      'certificates/truststore.jks': sha('truststore'),
      cordapps: MISSING,
      'network-parameters': sha('params-v1'),
    });
    const shown = JSON.stringify(n);
    assert.ok(!shown.includes('db-password-xyz'), 'the database password must not appear');
    assert.ok(!shown.includes('cordacadevpass'), 'a keystore password must not appear');
    assert.equal((n.redactedConfig.dataSourceProperties as Record<string, unknown>)['dataSource.password'], '[REDACTED]');
  });

  it('reports ${X} left literal inside quotes, legacy rpcAddress, unquoted dotted keys', async () => {
    const conf = await t.write('backup/node.conf', backupConf);
    const n = await readCordaNode({ name: 'backup', role: 'backup', config: conf, machine: '10.0.0.5' }, { processEnv: {} });
    assert.deepEqual(n.literalPlaceholders, [{ field: 'p2pAddress', value: '${LB_ADDRESS}:10002' }]);
    assert.equal(n.rpcAddress, '10.0.0.5:10003');
    assert.deepEqual(n.mutualExclusion, { on: true, updateInterval: 20000, waitInterval: 40000 });
    assert.equal(n.dataSource.url, 'jdbc:postgresql://db:5432/corda');
    assert.equal(n.dataSource.user, 'corda');
    assert.equal(n.artemis, undefined);
    assert.ok(!JSON.stringify(n).includes('plain-secret-value'));
  });

  it('falls back to the process environment without modifying it', async () => {
    const conf = await t.write('env/node.conf', 'p2pAddress = ${HAC_TEST_LB}":10002"\n');
    const before = { ...process.env };
    const n = await readCordaNode({ name: 'p', role: 'primary', config: conf, machine: 'm' }, { processEnv: { HAC_TEST_LB: 'lb.example' } });
    assert.equal(n.p2pAddress, 'lb.example:10002');
    assert.equal(process.env.HAC_TEST_LB, undefined);
    assert.deepEqual(Object.keys(process.env).sort(), Object.keys(before).sort());
  });

  it('reports malformed HOCON with file and line, unset variables and wrong types', async () => {
    const bad = await t.write('bad/node.conf', 'myLegalName = "O=A,L=B,C=GB"\nrpcSettings {\n  address = "x:1"\n');
    let errors = await expectInputErrors(() => readCordaNode({ name: 'p', role: 'primary', config: bad, machine: 'm' }, { processEnv: {} }));
    assertError(errors, { file: bad, includes: [/malformed HOCON at line \d+, column \d+/] });

    const unset = await t.write('bad/unset.conf', 'myLegalName = "O=A,L=B,C=GB"\np2pAddress = ${NOT_SET_ANYWHERE}\n');
    errors = await expectInputErrors(() => readCordaNode({ name: 'p', role: 'primary', config: unset, machine: 'm' }, { processEnv: {} }));
    assertError(errors, { file: unset, includes: ['${NOT_SET_ANYWHERE}', 'line 2'] });

    const wrong = await t.write('bad/wrong.conf', 'enterpriseConfiguration.mutualExclusionConfiguration { on = true, waitInterval = soon }\n');
    errors = await expectInputErrors(() => readCordaNode({ name: 'p', role: 'primary', config: wrong, machine: 'm' }, { processEnv: {} }));
    assertError(errors, { file: wrong, field: 'enterpriseConfiguration.mutualExclusionConfiguration.waitInterval', includes: ['"soon"'] });

    const evil = await t.write('bad/eval.conf', 'x = 1 | eval { expr = "process.exit(3)" }\n');
    errors = await expectInputErrors(() => readCordaNode({ name: 'p', role: 'primary', config: evil, machine: 'm' }, { processEnv: {} }));
    assertError(errors, { file: evil, includes: ['disabled'] });

    const missing = t.path('bad/none.conf');
    errors = await expectInputErrors(() => readCordaNode({ name: 'p', role: 'primary', config: missing, machine: 'm' }, { processEnv: {} }));
    assertError(errors, { file: missing, includes: ['file not found'] });
  });
});
