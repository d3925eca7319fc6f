import assert from 'node:assert/strict';
import { it } from 'node:test';
import { issueCA } from '../../support/pki/issue.ts';
import { redact, redactString, REDACTED } from '../../support/evidence/redact.ts';

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
