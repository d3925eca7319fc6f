/**
 * What release gates use, as a gate sees it through the CLI: `--format sarif` (valid SARIF 2.1.0 with the rules of
 * the catalogue, located results, waived results as accepted suppressions), `--fail-on`, waivers in every format
 * (and an expired one failing the gate again), JSON error objects on exit 2 and 3, and several targets in one run.
 */
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { haValidate, repoRoot } from '../helpers/cli.ts';
import { sarifSchemaSubset } from '../helpers/sarif-schema.ts';
import { catalogue } from '../../support/checks/catalogue.ts';

const fixtures = join(repoRoot, 'fixtures');
const reference = join(fixtures, 'reference', 'target.yaml');
const violation = (name: string) => join(fixtures, 'violations', name, 'target.yaml');
const secretEnv = { CORDA_DB_PASSWORD: 'fixture-db-secret-DO-NOT-LEAK' };
const figures: string[] = [];

// the standard's anyOf-of-required (a message has text or id) names properties defined beside it, not inside
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats.default(ajv);
const validateSarif = ajv.compile(sarifSchemaSubset);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** the table with its wrapping undone: one space for every run of white space */
const flat = (text: string) => text.replace(/\s+/g, ' ');

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hac-test-gates-'));
});
after(async () => {
  if (figures.length) process.stdout.write(`# ${figures.join('; ')}\n`);
  await rm(tmp, { recursive: true, force: true });
});

/** An overlay of a fixture with extra YAML (waivers), in the temporary folder. */
async function overlay(name: string, base: string, yaml: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'target.yaml');
  await writeFile(file, `extends: ${base}\nname: ${name}\n${yaml}`);
  return file;
}

const waiver = (id: string, expires: string, scope?: string) =>
  `  - id: ${id}\n${scope ? `    scope: ${scope}\n` : ''}    justification: "zone r1-b is being built; accepted by the platform team (CHG-42)"\n    expires: ${expires}\n`;

/** the text of line `n` (1-based) of a file given by a SARIF location relative to the repository */
async function lineAt(location: Json): Promise<string> {
  const uri = location.physicalLocation.artifactLocation.uri as string;
  const file = uri.startsWith('file:') ? new URL(uri).pathname : join(repoRoot, decodeURIComponent(uri));
  return (await readFile(file, 'utf8')).split('\n')[location.physicalLocation.region.startLine - 1];
}

describe('--format sarif', () => {
  test('is valid SARIF 2.1.0: one run per target, one rule per guarantee with its help, located results at the severity level', async () => {
    const t = Date.now();
    const r = haValidate(['--target', reference, '--target', violation('FAB-ORD-01-three-consenters'), '--target', violation('FAB-GW-02-iptables'), '--format', 'sarif'], secretEnv);
    figures.push(`sarif of 3 targets ${Date.now() - t} ms`);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as Json;
    assert.ok(validateSarif(log), `not valid SARIF 2.1.0:\n${ajv.errorsText(validateSarif.errors, { separator: '\n' })}`);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 3);
    assert.deepEqual(log.runs.map((run: Json) => run.automationDetails.id), ['ha-validate/reference/', 'ha-validate/FAB-ORD-01-three-consenters/', 'ha-validate/FAB-GW-02-iptables/']);

    const rules = log.runs[0].tool.driver.rules as Json[];
    assert.deepEqual(rules.map((x) => x.id), catalogue.map((c) => c.id));
    for (const [i, c] of catalogue.entries()) {
      assert.equal(rules[i].shortDescription.text, c.title);
      assert.ok(rules[i].help.text.includes(c.remediation), `${c.id}: the help does not carry the remediation`);
      assert.equal(rules[i].defaultConfiguration.level, { blocker: 'error', critical: 'error', normal: 'warning' }[c.severity as string]);
      assert.match(rules[i].helpUri, /^https:\/\//);
    }

    assert.deepEqual(log.runs[0].results, [], 'the reference has no violation');
    assert.equal(log.runs[0].properties.summary.failed, 0);
    assert.ok(log.runs[0].invocations[0].executionSuccessful);

    const [ord01] = log.runs[1].results as Json[];
    assert.deepEqual([log.runs[1].results.length, ord01.ruleId, ord01.kind, ord01.level], [1, 'FAB-ORD-01', 'fail', 'error']);
    assert.equal(ord01.ruleIndex, catalogue.findIndex((c) => c.id === 'FAB-ORD-01'));
    assert.match(ord01.message.text, /3 consenters/);
    // the channel block is binary: the result points at the descriptor line that names it, the block is related
    assert.equal(ord01.locations[0].physicalLocation.artifactLocation.uri, 'fixtures/violations/FAB-ORD-01-three-consenters/target.yaml');
    assert.equal(ord01.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
    assert.match(await lineAt(ord01.locations[0]), /config: channels\/mychannel\.pb/);
    assert.ok(ord01.relatedLocations.some((l: Json) => l.physicalLocation.artifactLocation.uri.endsWith('FAB-ORD-01-three-consenters/channels/mychannel.pb')));
    assert.match(ord01.partialFingerprints['haConformance/v1'], /^[0-9a-f]{32}$/);

    // a normal guarantee is a warning, located at the YAML field of the evidence file
    const [gw02] = log.runs[2].results as Json[];
    assert.deepEqual([gw02.ruleId, gw02.level], ['FAB-GW-02', 'warning']);
    assert.equal(gw02.locations[0].physicalLocation.artifactLocation.uri, 'fixtures/violations/FAB-GW-02-iptables/k8s/r2/kind-config.yaml');
    assert.match(await lineAt(gw02.locations[0]), /kubeProxyMode: iptables/);
    assert.equal(gw02.locations[0].logicalLocations[0].fullyQualifiedName, 'networking.kubeProxyMode');
  });

  test('a Kubernetes object is located at its document; the SARIF of the reference is measured', async () => {
    const r = haValidate(['--target', violation('FAB-GW-01-one-peer'), '--format', 'sarif', '--only', 'FAB-GW-01'], secretEnv);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout) as Json;
    assert.ok(validateSarif(log), ajv.errorsText(validateSarif.errors));
    const loc = log.runs[0].results[0].locations[0];
    assert.equal(loc.logicalLocations[0].fullyQualifiedName, 'Service/org1-peer-gateway-svc');
    const file = join(repoRoot, loc.physicalLocation.artifactLocation.uri);
    const lines = (await readFile(file, 'utf8')).split('\n');
    // the object's document starts at the line given: its kind and name follow before the next document
    const doc = lines.slice(loc.physicalLocation.region.startLine - 1).join('\n').split(/^---$/m)[0];
    assert.match(doc, /kind: Service/);
    assert.match(doc, /name: org1-peer-gateway-svc/);

    const ref = haValidate(['--target', reference, '--format', 'sarif'], secretEnv);
    assert.equal(ref.code, 0, ref.stderr);
    figures.push(`SARIF of the reference ${Buffer.byteLength(ref.stdout)} bytes`);
  });
});

describe('--fail-on', () => {
  test('default: any failed guarantee fails; --fail-on chooses the severities that do, and the others are still reported', async () => {
    const normal = violation('FAB-GW-02-iptables'); // FAB-GW-02 is of normal severity
    const critical = violation('FAB-ORD-05-same-zone'); // FAB-ORD-05 is critical
    assert.equal(haValidate(['--target', normal], secretEnv).code, 1, 'by default any failure fails the gate');
    assert.equal(haValidate(['--target', normal, '--fail-on', 'normal'], secretEnv).code, 1);
    const lenient = haValidate(['--target', normal, '--fail-on', 'critical'], secretEnv);
    assert.equal(lenient.code, 0, lenient.stderr);
    assert.match(lenient.stdout, /FAIL {3}FAB-GW-02/);
    assert.match(lenient.stdout, /1 failed below --fail-on critical \(FAB-GW-02\): reported, not failing the gate/);
    assert.equal(haValidate(['--target', critical, '--fail-on', 'critical'], secretEnv).code, 1);
    assert.equal(haValidate(['--target', critical, '--fail-on', 'blocker'], secretEnv).code, 0);
    const bad = haValidate(['--target', critical, '--fail-on', 'minor']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--fail-on must be one of blocker, critical, normal, not "minor"/);
  });
});

describe('waivers', () => {
  const zone = violation('FAB-ORD-05-same-zone');

  test('a waiver in force reports the violation as waived in every format and does not fail the gate', async () => {
    const file = await overlay('waived', zone, `waivers:\n${waiver('fab-ord-05', '2026-03-31', 'org0')}`);
    const allure = join(tmp, 'allure-waived');

    const table = haValidate(['--target', file, '--allure-results', allure], secretEnv);
    assert.equal(table.code, 0, table.stderr + table.stdout);
    assert.match(flat(table.stdout), /WAIVED FAB-ORD-05 .*the check failed: org0 in r1/);
    assert.match(flat(table.stdout), /waived until 2026-03-31 for org0: zone r1-b is being built/);
    assert.match(flat(table.stdout), /Waivers \(1\): APPLIED FAB-ORD-05 @org0 until 2026-03-31/);
    assert.match(table.stdout, /0 failed, 0 broken, 8 skipped, 1 waived/);

    const json = JSON.parse(haValidate(['--target', file, '--format', 'json'], secretEnv).stdout) as Json;
    const r = json.results.find((x: Json) => x.id === 'FAB-ORD-05');
    assert.deepEqual([r.status, r.verdict, r.waivers[0].state, r.waivers[0].scope], ['waived', 'failed', 'applied', 'org0']);
    assert.deepEqual([json.summary.failed, json.summary.waived], [0, 1]);
    assert.equal(json.waivers[0].declaredIn.field, 'waivers[0]');

    const junit = haValidate(['--target', file, '--format', 'junit'], secretEnv).stdout;
    assert.match(junit, /name="FAB-ORD-05 [^"]*"[^>]*><properties><property name="status" value="waived"\/><property name="verdict" value="failed"\/><\/properties><skipped message="Waived \(waived until 2026-03-31 for org0/);
    assert.match(junit, /failures="0"/);
    assert.match(junit, /<property name="waiver.0" value="FAB-ORD-05 @org0 until 2026-03-31 applied/);

    const sarif = JSON.parse(haValidate(['--target', file, '--format', 'sarif'], secretEnv).stdout) as Json;
    assert.ok(validateSarif(sarif), ajv.errorsText(validateSarif.errors));
    const [result] = sarif.runs[0].results as Json[];
    assert.equal(result.ruleId, 'FAB-ORD-05');
    assert.equal(result.suppressions.length, 1);
    assert.deepEqual([result.suppressions[0].kind, result.suppressions[0].status], ['external', 'accepted']);
    assert.match(result.suppressions[0].justification, /zone r1-b is being built.*waived until 2026-03-31 for org0/);
    assert.match(await lineAt(result.suppressions[0].location), /- id: fab-ord-05/);

    const results = await Promise.all((await readdir(allure)).filter((f) => f.endsWith('-result.json')).map(async (f) => JSON.parse(await readFile(join(allure, f), 'utf8')) as Json));
    const a = results.find((x) => x.name.startsWith('FAB-ORD-05'))!;
    assert.equal(a.status, 'skipped');
    assert.match(a.statusDetails.message, /^Waived \(waived until 2026-03-31 for org0: .*\)\. The check failed: org0 in r1/);
    assert.ok(a.labels.some((l: Json) => l.name === 'tag' && l.value === 'waived'));
    const categories = JSON.parse(await readFile(join(allure, 'categories.json'), 'utf8')) as Json[];
    assert.equal(categories[0].name, 'Waived (accepted violation)');
    assert.ok(new RegExp(`^(?:${categories[0].messageRegex})$`).test(a.statusDetails.message));
  });

  test('an expired waiver covers nothing: the violation fails the gate again, and every format says the waiver expired', async () => {
    // the reference's pinned time is 2026-01-01T00:00:00Z: a waiver through 2025-12-31 has just expired
    const file = await overlay('expired', zone, `waivers:\n${waiver('FAB-ORD-05', '2025-12-31')}`);
    const table = haValidate(['--target', file], secretEnv);
    assert.equal(table.code, 1, table.stderr);
    assert.match(flat(table.stdout), /FAIL FAB-ORD-05 [^\]]*\[waiver expired on 2025-12-31\]/);
    assert.match(flat(table.stdout), /EXPIRED FAB-ORD-05 until 2025-12-31: expired on 2025-12-31: it no longer covers the failed FAB-ORD-05, which fails again/);
    const json = JSON.parse(haValidate(['--target', file, '--format', 'json'], secretEnv).stdout) as Json;
    const r = json.results.find((x: Json) => x.id === 'FAB-ORD-05');
    assert.deepEqual([r.status, r.waivers[0].state], ['failed', 'expired']);
    const junit = haValidate(['--target', file, '--format', 'junit'], secretEnv).stdout;
    assert.match(junit, /<failure message="[^"]*\[waiver expired on 2025-12-31\]"/);
    const sarif = JSON.parse(haValidate(['--target', file, '--format', 'sarif'], secretEnv).stdout) as Json;
    assert.ok(validateSarif(sarif), ajv.errorsText(validateSarif.errors));
    assert.equal(sarif.runs[0].results[0].suppressions, undefined, 'an expired waiver must not suppress');
    assert.ok(sarif.runs[0].invocations[0].toolExecutionNotifications.some((n: Json) => n.level === 'warning' && /expired on 2025-12-31/.test(n.message.text)));
  });

  test('a scoped waiver covers only the problems naming its scope; a waiver for a passing check is reported as not needed', async () => {
    const other = await overlay('other-scope', zone, `waivers:\n${waiver('FAB-ORD-05', '2026-03-31', 'org1')}`);
    const r = haValidate(['--target', other, '--format', 'json'], secretEnv);
    assert.equal(r.code, 1, 'a waiver for org1 does not cover a problem of org0');
    const w = (JSON.parse(r.stdout) as Json).waivers[0];
    assert.equal(w.state, 'not-covering');
    assert.match(w.note, /does not cover the failed FAB-ORD-05: 1 of its 1 problems name no waived scope/);

    const unneeded = await overlay('unneeded', reference, `waivers:\n${waiver('FAB-ORD-05', '2026-03-31')}`);
    const ok = haValidate(['--target', unneeded], secretEnv);
    assert.equal(ok.code, 0);
    assert.match(flat(ok.stdout), /NOT-NEEDED FAB-ORD-05 until 2026-03-31: not needed: FAB-ORD-05 passed/);
  });

  test('a waiver naming an unknown guarantee, an impossible date, no justification or a second time is bad input (exit 2, file and field)', async () => {
    const file = await overlay(
      'bad-waivers',
      reference,
      'waivers:\n  - { id: FAB-NOPE-01, justification: x, expires: 2026-01-31 }\n  - { id: FAB-ORD-01, justification: x, expires: 2026-02-30 }\n  - { id: FAB-ORD-02, expires: 2026-02-01 }\n  - { id: FAB-ORD-01, justification: y, expires: 2026-03-01 }\n',
    );
    const r = haValidate(['--target', file], secretEnv);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad-waivers\/target\.yaml \(field waivers\[0\]\.id\): unknown guarantee ID "FAB-NOPE-01"/);
    assert.match(r.stderr, /\(field waivers\[1\]\.expires\): not a valid date or ISO-8601 time: "2026-02-30"/);
    assert.match(r.stderr, /\(field waivers\[2\]\.justification\): missing required field/);
    assert.match(r.stderr, /\(field waivers\[3\]\): a second waiver for FAB-ORD-01 without a scope \(first at waivers\[1\]\)/);
    assert.equal(r.stdout, '');
  });
});

describe('--format json when there is no report', () => {
  test('bad usage, bad input and a run that cannot complete each write {"error": …} with the exit code', async () => {
    const usage = haValidate(['--target', reference, '--format', 'json', '--bogus']);
    assert.equal(usage.code, 2);
    assert.deepEqual(JSON.parse(usage.stdout), { error: { exitCode: 2, kind: 'usage', message: 'unknown argument "--bogus"', problems: [] } });

    const missing = join(tmp, 'no-such-target.yaml');
    const input = haValidate(['--target', missing, '--format', 'json']);
    assert.equal(input.code, 2);
    const e = (JSON.parse(input.stdout) as Json).error;
    assert.deepEqual([e.exitCode, e.kind, e.problems[0].file], [2, 'input', missing]);
    assert.match(e.problems[0].message, /file not found/);

    // the report cannot be written under a file: the run does not complete
    const unwritable = haValidate(['--target', reference, '--format', 'json', '--output', '/dev/null/report.json'], secretEnv);
    assert.ok([2, 3].includes(unwritable.code!), `exit ${unwritable.code}`);
    const u = (JSON.parse(unwritable.stdout) as Json).error;
    assert.equal(u.exitCode, unwritable.code);
    assert.equal(u.kind, unwritable.code === 3 ? 'broken' : 'usage');
    assert.equal(u.stack, undefined);
  });
});

describe('several targets', () => {
  test('--target a --target b: a report each, then a summary; the exit code is the worst', () => {
    const t = Date.now();
    const r = haValidate(['--target', reference, '--target', violation('FAB-ORD-05-same-zone')], secretEnv);
    figures.push(`2 targets ${Date.now() - t} ms`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal((r.stdout.match(/^Target /gm) ?? []).length, 2);
    assert.match(r.stdout, /Summary of 2 targets \(exit 1\)\nTARGET\s+DESCRIPTOR\s+PASSED\s+FAILED\s+BROKEN\s+SKIPPED\s+WAIVED\s+EXIT\s+TIME\n/);
    // the reference skips its drills and live-only checks (8) and passes every other check of the catalogue
    const passed = catalogue.length - 8;
    assert.match(r.stdout, new RegExp(`^reference\\s+fixtures/reference/target\\.yaml\\s+${passed}\\s+0\\s+0\\s+8\\s+0\\s+0\\s+\\d+ ms$`, 'm'));
    assert.match(r.stdout, new RegExp(`^FAB-ORD-05-same-zone\\s+\\S+\\s+${passed - 1}\\s+1\\s+0\\s+8\\s+0\\s+1\\s+\\d+ ms$`, 'm'));

    const json = JSON.parse(haValidate(['--target', reference, '--target', violation('FAB-ORD-05-same-zone'), '--format', 'json'], secretEnv).stdout) as Json;
    assert.deepEqual(json.targets.map((x: Json) => x.target.name), ['reference', 'FAB-ORD-05-same-zone']);
    assert.deepEqual(json.summary.map((x: Json) => x.exitCode), [0, 1]);
    assert.equal(json.exitCode, 1);

    const junit = haValidate(['--target', reference, '--target', violation('FAB-ORD-05-same-zone'), '--format', 'junit'], secretEnv).stdout;
    assert.equal((junit.match(/<testsuite /g) ?? []).length, 2);
    assert.match(junit, new RegExp(`<testsuites name="ha-conformance" tests="${2 * catalogue.length}" failures="1" errors="0" skipped="16">`));
  });

  test('a folder of descriptors, an unreadable one among them: the others are reported, exit 2; ten targets are timed', async () => {
    const dir = join(tmp, 'fleet');
    await mkdir(dir);
    await writeFile(join(dir, 'a.yaml'), `extends: ${reference}\nname: fleet-a\n`);
    await writeFile(join(dir, 'b.yml'), `extends: ${violation('FAB-GW-02-iptables')}\nname: fleet-b\n`);
    await writeFile(join(dir, 'c.yaml'), 'name: fleet-c\ndisposable: "maybe"\n');
    await writeFile(join(dir, 'notes.txt'), 'not a descriptor');
    const r = haValidate(['--target', dir, '--format', 'json'], secretEnv);
    assert.equal(r.code, 2, r.stderr);
    const json = JSON.parse(r.stdout) as Json;
    assert.deepEqual(json.summary.map((x: Json) => [x.name, x.exitCode]), [['fleet-a', 0], ['fleet-b', 1], [null, 2]]);
    assert.match(json.targets[2].error.problems[0].message, /c\.yaml \(field disposable\)/);
    assert.match(r.stderr, /ha-validate: the target \S+c\.yaml cannot be read/);

    const empty = join(tmp, 'empty-fleet');
    await mkdir(empty);
    const none = haValidate(['--target', empty]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /empty-fleet: the directory given as --target holds no target descriptor/);

    const ten = join(tmp, 'ten');
    await mkdir(ten);
    for (let i = 0; i < 10; i++) await writeFile(join(ten, `t${i}.yaml`), `extends: ${i % 2 ? violation('FAB-ORD-05-same-zone') : reference}\nname: t${i}\n`);
    const t = Date.now();
    const many = haValidate(['--target', ten], secretEnv);
    figures.push(`10 targets ${Date.now() - t} ms`);
    assert.equal(many.code, 1, many.stderr);
    assert.match(many.stdout, /Summary of 10 targets \(exit 1\)/);
    assert.equal((many.stdout.match(/^t\d\s/gm) ?? []).length, 10);
  });
});

describe('the example GitHub Actions job (docs/examples/github-actions-sarif.yml)', () => {
  test('is a workflow outside .github/workflows whose ha-validate calls the CLI accepts, uploading the SARIF it writes', async () => {
    const { parse } = await import('yaml');
    const text = await readFile(join(repoRoot, 'docs', 'examples', 'github-actions-sarif.yml'), 'utf8');
    const wf = parse(text) as Json;
    assert.ok(wf.on.pull_request !== undefined && wf.permissions['security-events'] === 'write');
    const steps = wf.jobs.validate.steps as Json[];
    const script = steps.find((s) => s.id === 'validate')!.run as string;
    const common = /"\$HA_VALIDATE_IMAGE" (.*) "\$@"/.exec(script)![1].split(/\s+/);
    const calls = [...script.matchAll(/^\s*validate (--.*?) \|\|/gm)].map((m) => [...common, ...m[1].split(/\s+/)]);
    assert.equal(calls.length, 2);
    for (const args of calls) {
      const r = haValidate([...args, '--help']);
      assert.equal(r.code, 0, `the example passes arguments ha-validate refuses: ${args.join(' ')}\n${r.stderr}`);
    }
    const sarifOut = calls.find((a) => a.includes('sarif'))![calls.find((a) => a.includes('sarif'))!.indexOf('--output') + 1];
    const upload = steps.find((s) => String(s.uses).startsWith('github/codeql-action/upload-sarif'))!;
    assert.equal(upload.with.sarif_file, sarifOut);
    assert.match(upload.if, /always\(\)/, 'the SARIF must be uploaded when the gate fails too');
  });
});
