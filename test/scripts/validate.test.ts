import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, readdir, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haValidate, repoRoot } from '../helpers/cli.ts';
import { assertNoInternalNames, isPublicSourceUrl } from '../helpers/public-sources.ts';
import { byId, catalogue } from '../../support/checks/catalogue.ts';
import { catalogueSpec, type GuaranteeSpec } from '../../support/report/spec.ts';

const reference = join(repoRoot, 'fixtures', 'reference', 'target.yaml');
const SECRET = 'fixture-db-secret-DO-NOT-LEAK';
const secretEnv = { CORDA_DB_PASSWORD: SECRET };

const tmp = await mkdtemp(join(tmpdir(), 'ha-validate-test-'));
after(() => rm(tmp, { recursive: true, force: true }));

function noStackTrace(text: string) {
  assert.doesNotMatch(text, /\n\s+at .+\(.+:\d+:\d+\)/, `a stack trace was printed:\n${text}`);
}

describe('ha-validate on the reference deployment', () => {
  test('exits 0 with every statically checkable guarantee passed', () => {
    const r = haValidate(['--target', reference, '--format', 'json'], secretEnv);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    assert.equal(out.summary.failed, 0);
    assert.equal(out.summary.broken, 0);
    assert.ok(out.summary.passed >= 18, `only ${out.summary.passed} passed`);
    for (const res of out.results) {
      assert.ok(['passed', 'skipped'].includes(res.status), `${res.id} ${res.status}: ${res.message}`);
      assert.ok(res.message.length > 10, `${res.id} has no message`);
      if (res.status === 'skipped') assert.match(res.message, /live|drill|timeline|round trip|no /i, `${res.id} skipped without a reason`);
    }
  });

  test('table output is for people and ends with a summary', () => {
    const r = haValidate(['--target', reference], secretEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /PASS\s+FAB-ORD-01/);
    assert.match(r.stdout, /\d+ checks: \d+ passed, 0 failed, 0 broken, \d+ skipped/);
  });

  test('--only runs just the named guarantees, junit is valid-looking XML', () => {
    const r = haValidate(['--target', reference, '--only', 'FAB-ORD-01,CORDA-LB-01', '--format', 'junit'], secretEnv);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^<\?xml/);
    assert.equal((r.stdout.match(/<testcase /g) ?? []).length, 2);
  });

  test('no secret reaches any output format, nor the Allure results', async () => {
    const allure = join(tmp, 'allure');
    const outputs: string[] = [];
    for (const format of ['table', 'json', 'junit']) {
      const r = haValidate(['--target', reference, '--format', format, '--allure-results', allure], secretEnv);
      assert.equal(r.code, 0, r.stderr);
      outputs.push(r.stdout, r.stderr);
    }
    for (const f of await readdir(allure)) outputs.push(await readFile(join(allure, f), 'utf8'));
    const all = outputs.join('\n');
    assert.ok(!all.includes(SECRET), 'the database password leaked');
    assert.doesNotMatch(all, /PRIVATE KEY/);
    assert.doesNotMatch(all, /enroll(ment)?[-_ ]?secret\s*[:=]\s*\S/i);
  });

  test('--list prints the whole catalogue: markdown is docs/guarantees.md, json the same data', async () => {
    const json = haValidate(['--list', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const specs = JSON.parse(json.stdout) as GuaranteeSpec[];
    assert.equal(specs.length, catalogue.length);
    assert.deepEqual(specs, JSON.parse(JSON.stringify(await catalogueSpec())));
    const markdown = haValidate(['--list', '--format', 'markdown']);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.equal(markdown.stdout, await readFile(join(repoRoot, 'docs', 'guarantees.md'), 'utf8'));
    const table = haValidate(['--list']);
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout.trim().split('\n').length, catalogue.length);
  });

  test('the Allure results link each guarantee to its public sources, and name no internal file', async () => {
    const allure = join(tmp, 'allure-links');
    const r = haValidate(['--target', reference, '--only', 'FAB-ORD-08,CORDA-LB-01', '--allure-results', allure], secretEnv);
    assert.equal(r.code, 0, r.stderr);
    const results: Array<{ labels: Array<{ name: string; value: string }>; links: Array<{ url: string; name: string }> }> = [];
    for (const f of await readdir(allure)) {
      const text = await readFile(join(allure, f), 'utf8');
      assertNoInternalNames(text, `allure-results/${f}`);
      if (f.endsWith('-result.json')) results.push(JSON.parse(text));
    }
    assert.equal(results.length, 2);
    for (const res of results) {
      const id = res.labels.find((l) => l.name === 'tag' && /^(FAB|CORDA)-/.test(l.value))!.value;
      assert.deepEqual(
        res.links.map((l) => l.url),
        byId(id)!.sources.map((s) => s.url),
        id,
      );
      for (const l of res.links) assert.ok(isPublicSourceUrl(l.url) && l.name, `${id}: ${JSON.stringify(l)}`);
    }
  });
});

describe('ha-validate takes the bounds from the descriptor\'s settings', () => {
  async function overlay(name: string, settings: string): Promise<string> {
    const dir = join(tmp, name);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'target.yaml');
    await writeFile(file, `extends: ${JSON.stringify(reference)}\nname: ${name}\nsettings:\n${settings}`);
    return file;
  }

  test('settings.minConsenters: 7 makes FAB-ORD-01 fail on the reference, and the verdict names the setting', async () => {
    const file = await overlay('seven-consenters', '  minConsenters: 7\n');
    const r = haValidate(['--target', file, '--only', 'FAB-ORD-01', '--format', 'json'], secretEnv);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const [v] = JSON.parse(r.stdout).results;
    assert.equal(v.status, 'failed');
    assert.match(v.message, /channel mychannel has 5 consenters .*; at least 7 are needed \(minimum 7: descriptor settings\.minConsenters\)/);
    const five = haValidate(['--target', await overlay('five-consenters', '  minConsenters: 5\n'), '--only', 'FAB-ORD-01'], secretEnv);
    assert.equal(five.code, 0, five.stderr + five.stdout);
  });

  test('an invalid or unknown setting is bad input: exit 2 naming the file and the field', async () => {
    const zero = haValidate(['--target', await overlay('zero-consenters', '  minConsenters: 0\n')], secretEnv);
    assert.equal(zero.code, 2, zero.stderr + zero.stdout);
    assert.match(zero.stderr, /zero-consenters\/target\.yaml.*settings\.minConsenters.*must be >= 1/);
    const typo = haValidate(['--target', await overlay('typo', '  minConsenter: 7\n')], secretEnv);
    assert.equal(typo.code, 2, typo.stderr + typo.stdout);
    assert.match(typo.stderr, /settings\.minConsenter.*unknown field "minConsenter"/);
    noStackTrace(zero.stderr + typo.stderr);
  });
});

describe('ha-validate usage and bad input: exit 2, a clear message, no stack trace', () => {
  test('usage errors', () => {
    for (const args of [[], ['--target'], ['--target', reference, '--format', 'xml'], ['--bogus'], ['--target', reference, '--only', 'FAB-NOPE-01']]) {
      const r = haValidate(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage:/);
      noStackTrace(r.stderr);
    }
  });

  /** An overlay of the reference whose one source is replaced by a malformed file. */
  async function overlay(name: string, yaml: string, files: Record<string, string | Buffer> = {}): Promise<string> {
    const dir = join(tmp, name);
    await mkdir(dir, { recursive: true });
    for (const [f, content] of Object.entries(files)) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), content);
    }
    const file = join(dir, 'target.yaml');
    await writeFile(file, `extends: ${reference}\n${yaml}`);
    return file;
  }

  const cases: Array<{ name: string; make: () => Promise<string>; expect: RegExp[] }> = [
    {
      name: 'broken YAML',
      make: async () => {
        const f = join(tmp, 'broken.yaml');
        await writeFile(f, 'name: broken\nregions:\n  - name: r1\n   bad: [unclosed\n');
        return f;
      },
      expect: [/broken\.yaml/, /line \d+/i],
    },
    {
      name: 'wrong type',
      make: () => overlay('wrong-type', 'disposable: "maybe"\ncorda:\n  ports:\n    p2p: "ten"\n'),
      expect: [/target\.yaml/, /disposable/, /corda\.ports\.p2p/],
    },
    {
      name: 'missing file',
      make: () => overlay('missing-file', 'fabric:\n  channels:\n    - name: mychannel\n      config: channels/nope.pb\n'),
      expect: [/nope\.pb/, /fabric\.channels\[0\]\.config/],
    },
    {
      name: 'broken protobuf',
      make: () => overlay('bad-pb', 'fabric:\n  channels:\n    - name: mychannel\n      config: bad.pb\n', { 'bad.pb': Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02, 0x12]) }),
      expect: [/bad\.pb/],
    },
    {
      name: 'broken PEM',
      make: () =>
        overlay('bad-pem', 'fabric:\n  organizations:\n    - name: org1\n      ca: [bad-ca.pem]\n', {
          'bad-ca.pem': '-----BEGIN CERTIFICATE-----\nMIIBnotbase64!!\n-----END CERTIFICATE-----\n',
        }),
      expect: [/bad-ca\.pem/],
    },
    {
      name: 'broken HOCON',
      make: () =>
        overlay('bad-hocon', 'corda:\n  nodes:\n    - name: primary\n      config: node.conf\n', {
          'node.conf': 'myLegalName = "O=Bank A, L=London, C=GB"\np2pAddress = {{ broken\n',
        }),
      expect: [/node\.conf/],
    },
    {
      name: 'broken JSON (load-balancer export)',
      make: () => overlay('bad-json', 'corda:\n  loadBalancer:\n    export: lb.json\n    format: azure\n', { 'lb.json': '{"probes": [ {"name": "p2p", }' }),
      expect: [/lb\.json/],
    },
    {
      name: 'missing environment variable',
      make: () => overlay('missing-env', 'corda:\n  database:\n    password: ${HA_TEST_SURELY_UNSET_VAR}\n'),
      expect: [/HA_TEST_SURELY_UNSET_VAR/, /corda\.database\.password/],
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const file = await c.make();
      const r = haValidate(['--target', file], secretEnv);
      assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
      for (const re of c.expect) assert.match(r.stderr, re);
      noStackTrace(r.stderr);
      assert.equal(r.stdout, '', 'nothing on stdout when the input is bad');
    });
  }

  test('all problems are listed at once', async () => {
    const file = await overlay('many', 'disposable: 3\nfabric:\n  channels:\n    - name: mychannel\n      config: nope1.pb\n    - name: other\n      config: nope2.pb\n');
    const r = haValidate(['--target', file], secretEnv);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope1\.pb/);
    assert.match(r.stderr, /nope2\.pb/);
    assert.match(r.stderr, /disposable/);
  });
});
