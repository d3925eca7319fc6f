import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InputError } from '../../support/errors.ts';
import { issueCA } from '../../support/pki/issue.ts';
import { hideKeyLike, isSecretField, redact, redactString, redactText, registerSecrets, REDACTED } from '../../support/evidence/redact.ts';

it('replaces secret strings and PEM private keys deeply, without touching the input', async () => {
  const ca = await issueCA({ commonName: 'ca' });
  const input = {
    message: 'connecting to jdbc:postgresql://db/corda as corda with hunter2-password',
    nested: [{ key: ca.keyPem, cert: ca.certPem }, 'hunter2-password'],
    n: 42,
    flag: true,
    none: null,
  };
  const out = redact(input, ['hunter2-password', '', 'ab']);
  assert.equal(out.message, `connecting to jdbc:postgresql://db/corda as corda with ${REDACTED}`);
  assert.equal((out.nested[0] as { key: string }).key.trim(), REDACTED);
  assert.equal((out.nested[0] as { cert: string }).cert, ca.certPem, 'certificates are public');
  assert.equal(out.nested[1], REDACTED);
  assert.equal(out.n, 42);
  assert.equal(out.flag, true);
  assert.equal(out.none, null);
  assert.ok(!JSON.stringify(out).includes('PRIVATE KEY'));
  assert.ok(input.message.includes('hunter2-password'), 'the input is not modified');
  // a short secret is only redacted where it is the whole value, so it does not blank every occurrence of "ab"
  assert.equal(redactString('tab', ['ab']), 'tab');
  assert.equal(redactString('ab', ['ab']), REDACTED);
});

it('optionally redacts values under secret-looking keys, and survives cycles', () => {
  const a: Record<string, unknown> = { password: 'x', keyStorePassword: 'y', nested: { clientSecret: 'z', name: 'n' } };
  a.self = a;
  const out = redact(a, [], { redactKeys: true }) as Record<string, unknown>;
  assert.equal(out.password, REDACTED);
  assert.equal(out.keyStorePassword, REDACTED);
  assert.deepEqual(out.nested, { clientSecret: REDACTED, name: 'n' });
  assert.equal(out.self, out);
});

it('redacts credentials in URLs and connection strings of every common form, keeping the rest readable', () => {
  const cases: Array<[string, string]> = [
    ['postgresql://corda:s3cret@db:5432/corda', 'postgresql://corda:[REDACTED]@db:5432/corda'],
    ['server backup 10.0.0.5:10002postgresql://corda:s3cret@db/corda check', 'server backup 10.0.0.5:10002postgresql://corda:[REDACTED]@db/corda check'],
    ['jdbc:postgresql://db/corda?user=u&password=p4ss&ssl=true', 'jdbc:postgresql://db/corda?user=u&password=[REDACTED]&ssl=true'],
    ['jdbc:sqlserver://h:1433;user=u;password=p4ss;encrypt=true', 'jdbc:sqlserver://h:1433;user=u;password=[REDACTED];encrypt=true'],
    ['jdbc:sqlserver://h;user=u;password={p;4ss}', 'jdbc:sqlserver://h;user=u;password=[REDACTED]'],
    ['jdbc:mysql://h/db?pwd=p4ss', 'jdbc:mysql://h/db?pwd=[REDACTED]'],
    ['jdbc:h2:tcp://h/db;USER=sa;PASSWORD=p4ss', 'jdbc:h2:tcp://h/db;USER=sa;PASSWORD=[REDACTED]'],
    ['jdbc:oracle:thin:corda/p4ss@//db:1521/ORCL', 'jdbc:oracle:thin:corda/[REDACTED]@//db:1521/ORCL'],
    ['jdbc:oracle:thin:corda/p4ss@CORDADB', 'jdbc:oracle:thin:corda/[REDACTED]@CORDADB'],
    ['jdbc:oracle:thin:corda/"p/4ss"@db:1521:ORCL', 'jdbc:oracle:thin:corda/[REDACTED]@db:1521:ORCL'],
    ['sqlplus corda/p4ss@//db:1521/ORCL', 'sqlplus corda/[REDACTED]@//db:1521/ORCL'],
    ['https://user:tok%40en@registry.example/v2', 'https://user:[REDACTED]@registry.example/v2'],
    ['dataSource.password = "p4ss"', 'dataSource.password = [REDACTED]'],
    ['{"password": "p4ss", "user": "u"}', '{"password": [REDACTED], "user": "u"}'],
    ['CORDA_DB_PASSWORD=p4ss', 'CORDA_DB_PASSWORD=[REDACTED]'],
    ['keyStorePassword: p4ss', 'keyStorePassword: [REDACTED]'],
  ];
  for (const [input, expected] of cases) assert.equal(redactString(input, []), expected, input);
});

it('leaves what only looks like a credential alone: paths, URLs without a password, prose about passwords', () => {
  for (const text of [
    '/etc/passwd: outside the folder of node.conf',
    '/srv/secrets/db-password: file not found',
    'https://registry.example/v2/app@sha256:abc',
    'jdbc:postgresql://db:5432/corda',
    'environment variable CORDA_DB_PASSWORD is not set (referenced as ${CORDA_DB_PASSWORD})',
    'target.yaml (field corda.database.password): missing required field',
    'images/logo@2x.png',
  ]) {
    assert.equal(redactString(text, []), text, text);
  }
});

it('redacts private keys cut short by an excerpt, and base64 of a private key', async () => {
  const ca = await issueCA({ commonName: 'ca' });
  const cut = ca.keyPem.slice(0, 60);
  assert.equal(redactString(`got "${cut}`, []), `got "${REDACTED}`);
  const b64 = Buffer.from(ca.keyPem).toString('base64');
  assert.equal(redactString(`client-key-data: ${b64}`, []), `client-key-data: ${REDACTED}`);
  const certB64 = Buffer.from(ca.certPem).toString('base64');
  assert.equal(redactString(certB64, []), certB64, 'base64 of a certificate is public');
});

it('redacts every secret registered by whatever read it, in any later output', () => {
  registerSecrets(['registered-s3cret-value', '']);
  assert.equal(redactText('the value was registered-s3cret-value, then'), `the value was ${REDACTED}, then`);
});

it('knows secret fields by the last segment of their path', () => {
  for (const f of ['corda.database.password', 'dataSourceProperties."dataSource.password"', 'env.CORDA_DB_PASSWORD', 'users[0].token', 'apiKey', 'DB_PASS']) assert.ok(isSecretField(f), f);
  for (const f of ['corda.database.user', 'tokenFile', 'privateIPAddress', 'passwordFile', 'bypass']) assert.equal(isSecretField(f), f === 'passwordFile', f);
});

it('an input error that quotes a line of a pasted key shows neither the line nor a piece of it; field names, paths and addresses stay', async () => {
  const ca = await issueCA({ commonName: 'ca' });
  const lines = ca.keyPem.split('\n').filter((l) => /^[A-Za-z0-9+/=]{20,}$/.test(l));
  assert.ok(lines.length > 0);
  for (const line of lines) {
    for (const quoted of [line, `${line.slice(0, 30)}global`, `server ${line.slice(8)} 10.0.0.5:10002`]) {
      const err = new InputError('lb.cfg', 'line 1', `${JSON.stringify(quoted)} outside of any section`);
      assert.ok(!err.message.includes(line.slice(0, 20)) && !err.message.includes(line.slice(8, 28)), err.message);
      assert.match(err.message, /^lb\.cfg \(field line 1\): /);
    }
  }
  for (const plain of ['expected one of global, defaults, frontend, backend or listen', 'server primary 10.0.0.4:10002 check inter 200ms', '/work/main/fixtures/reference/k8s/r1/pods.yaml', 'sha256:0123456789abcdef0123456789abcdef', 'OrdererMSP.consenters[0].client_tls_cert']) {
    assert.equal(hideKeyLike(plain), plain);
  }
});

it('redacts a password quoted the way a JSON string quotes it, and user:password@host left by a cut URL; an image digest stays', () => {
  assert.equal(redactText('got "\\"password\\": \\"s3cret-value\\""'), `got "\\"password\\": ${REDACTED}`);
  assert.equal(redactText('"da:s3cret-value@db/corda" outside of any section'), `"da:${REDACTED}@db/corda" outside of any section`);
  assert.equal(redactText(':s3cret-value@db:5432'), `:${REDACTED}@db:5432`);
  for (const text of ['hyperledger/fabric-peer:2.5.12@sha256:0123abcd', 'kindest/node:v1.33.1@sha256:050072256b9a', 'admin@corda-ha.example', 'O=Corda HA, L=London, C=GB']) {
    assert.equal(redactText(text), text);
  }
});
