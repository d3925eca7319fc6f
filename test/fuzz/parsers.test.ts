/**
 * Property-based fuzzing (fast-check, fixed seed, a fixed number of inputs per parser) of everything that reads operator input:
 * the descriptor loader with the whole validation behind it, and the HOCON, PEM, protobuf, JSON, YAML manifest and
 * load-balancer export parsers. Inputs are random text and bytes, and mutations of the reference files (inserted,
 * deleted, repeated and swapped ranges), with canary secrets planted: as `${ENV}` values, as node.conf passwords,
 * in connection URLs, and as private keys pasted anywhere.
 *
 * The property, for every input: the parser returns (a verdict, for the loader) or throws an InputError (exit 2) —
 * nothing else; it uses at most 2 s of CPU; and no canary and no line of the key reaches what would be printed
 * (the messages and reports as the CLI writes them, through the redaction layer).
 *
 * The same inputs on every machine (a time budget would try more on a fast machine than on a slow one, and a failure
 * found by one would not replay on the other): RUNS below, about 4 s per parser here; HA_FUZZ_SCALE (default 1)
 * multiplies them for a longer campaign, HA_FUZZ_SEED (default 1103) is the seed; a failure prints
 * both, with the shrunk input, so it can be replayed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, createHash, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { InputError, InputErrors } from '../../support/errors.ts';
import { parseCertificates } from '../../support/evidence/certificates.ts';
import { parseNodeConf } from '../../support/evidence/corda/node-conf.ts';
import { decodeChannelConfig } from '../../support/evidence/fabric/channel-config.ts';
import { parseJson, parseYamlDocuments } from '../../support/evidence/input.ts';
import { addManifestObject, type ManifestContents } from '../../support/evidence/kubernetes/manifests.ts';
import { parseLoadBalancerExport } from '../../support/evidence/load-balancer/index.ts';
import { redactText } from '../../support/evidence/redact.ts';
import { formatJson, formatTable } from '../../support/report/formats.ts';
import { validateTarget } from '../../support/validate.ts';
import { repoRoot } from '../helpers/cli.ts';

const SEED = Number(process.env.HA_FUZZ_SEED ?? 1103);
const SCALE = Number(process.env.HA_FUZZ_SCALE ?? 1);
/** inputs per parser: what a 2-core machine tries in about 4 s (a verdict costs a whole validation of the reference) */
const RUNS = { descriptor: 200, HOCON: 1500, PEM: 40_000, protobuf: 10_000, JSON: 8_000, manifest: 1_200, export: 40_000 } as const;
const CPU_BOUND_MS = 2000;

const SECRET = 'fuzz-SECRET-c0ffee42';
/** A P-256 key derived from the seed, so that a failing input replays with the same key material in it. */
function seededKey(seed: number): string {
  const d = createHash('sha256').update(`ha-conformance fuzz key ${seed}`).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const b64 = (b: Buffer) => b.toString('base64url');
  return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64(d), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) }, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
}
const KEY = seededKey(SEED);
const KEY_LINES = KEY.split('\n').filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l)).map((l) => l.slice(0, 24));
const ENV = { HA_FUZZ_SECRET: SECRET, CORDA_DB_PASSWORD: SECRET, CORDA_KEYSTORE_PASSWORD: SECRET, CORDA_RPC_PASSWORD: SECRET, LB_ADDRESS: '10.0.0.10' };
/** what may be pasted into an input: the secret in the forms a careless operator would write it */
const PLANTS = [
  KEY,
  `\${HA_FUZZ_SECRET}`,
  `password = "${SECRET}"`,
  `"password": "${SECRET}"`,
  `jdbc:postgresql://db:5432/corda?user=corda&password=${SECRET}`,
  `jdbc:oracle:thin:corda/${SECRET}@//db:1521/ORCL`,
  `postgresql://corda:${SECRET}@db/corda`,
  `jdbc:sqlserver://db;user=corda;password=${SECRET}`,
];

const ref = (p: string) => join(repoRoot, 'fixtures', 'reference', p);
const runs: Record<string, number> = {};
/** of those, how many ended in an InputError (exit 2) rather than a result */
const refused: Record<string, number> = {};
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hac-fuzz-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`# fuzz runs per parser (seed ${SEED}, scale ${SCALE}): ${Object.entries(runs).map(([k, n]) => `${k} ${n} (${refused[k] ?? 0} refused as bad input)`).join(', ')}\n`);
});

// ---------------------------------------------------------------------------------------------------------------
// Inputs

type Edit = { op: 'insert' | 'delete' | 'repeat' | 'swap' | 'plant'; at: number; len: number; text: string; plant: number };

const edit: fc.Arbitrary<Edit> = fc.record({
  op: fc.constantFrom('insert', 'delete', 'repeat', 'swap', 'plant'),
  at: fc.nat(),
  len: fc.nat({ max: 64 }),
  text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('{', '}', '[', ']', ':', '=', '"', '\n', '  ', '- ', '&a ', '*a', '${', '---\n', '#', '\u0000', '\\')),
  plant: fc.nat({ max: PLANTS.length - 1 }),
});

/** `text` after a few random edits: the shapes a file takes when it is cut, pasted, truncated or doubled. */
function mutate(text: string, edits: Edit[]): string {
  let s = text;
  for (const e of edits) {
    const at = s.length ? e.at % (s.length + 1) : 0;
    if (e.op === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.op === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
    else if (e.op === 'repeat') s = s.slice(0, at + e.len) + s.slice(at, at + e.len).repeat(1 + (e.len % 4)) + s.slice(at + e.len);
    else if (e.op === 'swap') s = s.slice(at, at + e.len) + s.slice(0, at) + s.slice(at + e.len);
    else s = s.slice(0, at) + PLANTS[e.plant] + s.slice(at);
  }
  return s;
}

function mutated(seedText: string): fc.Arbitrary<string> {
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => mutate(seedText, edits));
}

const randomText = fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 400 }));

// ---------------------------------------------------------------------------------------------------------------
// The property

/** What the CLI would print for this outcome, through the redaction layer. */
function printed(outcome: unknown): string {
  if (outcome instanceof InputErrors) return redactText(outcome.errors.map((e) => e.message).join('\n'));
  if (outcome instanceof InputError) return redactText(outcome.message);
  return redactText(JSON.stringify(outcome) ?? '');
}

function assertClean(text: string, input: string): void {
  assert.ok(!text.includes(SECRET), `the secret was printed for input ${JSON.stringify(input.slice(0, 300))}:\n${text.slice(0, 2000)}`);
  for (const line of KEY_LINES) assert.ok(!text.includes(line), `key material was printed for input ${JSON.stringify(input.slice(0, 300))}:\n${text.slice(0, 2000)}`);
}

/** Runs `parse`; it must return or throw an InputError, within the CPU bound, printing nothing secret. */
async function judge(name: string, input: string, parse: () => unknown | Promise<unknown>): Promise<void> {
  runs[name] = (runs[name] ?? 0) + 1;
  const cpu = process.cpuUsage();
  let outcome: unknown;
  try {
    outcome = await parse();
  } catch (err) {
    if (!(err instanceof InputError || err instanceof InputErrors)) {
      assert.fail(`${name}: not an input error but ${(err as Error)?.name}: ${(err as Error)?.message} for input ${JSON.stringify(input.slice(0, 300))}`);
    }
    outcome = err;
    refused[name] = (refused[name] ?? 0) + 1;
  }
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms <= CPU_BOUND_MS, `${name}: ${Math.round(ms)} ms of CPU for one input of ${input.length} characters`);
  assertClean(printed(outcome), input);
}

async function property<T>(name: keyof typeof RUNS, arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      await run(v);
    }),
    { seed: SEED, numRuns: Math.max(1, Math.round(RUNS[name] * SCALE)), endOnFailure: true },
  );
  assert.equal(runs[name], Math.max(1, Math.round(RUNS[name] * SCALE)), `${name}: every input was tried`);
}

// ---------------------------------------------------------------------------------------------------------------

describe('fuzzing: exit 2 or a verdict, bounded, nothing secret printed', () => {
  test('the descriptor loader and the validation behind it', async () => {
    const base = `extends: ${ref('target.yaml')}\nname: fuzz\n`;
    const overlay = `${base}settings:\n  maxRoundTripMs: 80\n  now: 2026-01-01T00:00:00Z\ncorda:\n  database:\n    url: jdbc:postgresql://db:5432/corda\n    password: \${HA_FUZZ_SECRET}\n  nodes:\n    - name: primary\n      env:\n        CORDA_DB_PASSWORD: \${HA_FUZZ_SECRET}\nregions:\n  - name: r1\n    kubernetes:\n      manifests: [${ref('k8s/r1/pods.yaml')}]\n`;
    // well-formed overlays, mostly with values of the right type, secrets and URLs where they go: these end in verdicts
    const value = fc.oneof(fc.constantFrom(...PLANTS), fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const often = <T>(right: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: value });
    const text = fc.oneof(fc.constantFrom(...PLANTS), fc.string({ minLength: 1, maxLength: 30 }));
    const structured = fc
      .record(
        {
          description: often(text),
          settings: fc.record(
            { maxRoundTripMs: often(fc.integer({ min: 1, max: 10_000 })), certExpiryWarningDays: often(fc.integer({ min: 0, max: 365 })), now: often(fc.constantFrom('2026-01-01T00:00:00Z', '2025-06-30T12:00:00+02:00')) },
            { requiredKeys: [] },
          ),
          corda: fc.record({ database: fc.record({ url: often(text), user: often(fc.string({ minLength: 1, maxLength: 12 })), password: often(text) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
          live: fc.record({ hosts: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), often(fc.ipV4()), { maxKeys: 3 }), resolveNames: often(fc.boolean()) }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      )
      .map((o) => `${base}${YAML.stringify(o)}`);
    let n = 0;
    await property(
      'descriptor',
      fc.oneof({ weight: 3, arbitrary: structured }, { weight: 3, arbitrary: mutated(overlay) }, { weight: 1, arbitrary: mutated(base) }, { weight: 1, arbitrary: randomText }),
      async (text) => {
        const file = join(dir, `target-${n++}.yaml`);
        await writeFile(file, text);
        await judge('descriptor', text, async () => {
          const { report } = await validateTarget(file, { env: ENV });
          return `${formatJson(report)}\n${formatTable(report)}`;
        });
      },
    );
  });

  test('HOCON (node.conf)', async () => {
    const conf = (await readFile(ref('corda/primary/node.conf'), 'utf8')).replace('dataSource.password = ${CORDA_DB_PASSWORD}', `dataSource.password = "${SECRET}"`);
    let n = 0;
    await property('HOCON', fc.oneof({ weight: 4, arbitrary: mutated(conf) }, { weight: 1, arbitrary: randomText }), async (text) => {
      const file = join(dir, `node-${n++}.conf`);
      await writeFile(file, text);
      await judge('HOCON', text, async () => {
        const conf = await parseNodeConf(file, { LB_ADDRESS: '10.0.0.10' }, ENV);
        // what a report shows of it
        const { redactConfig } = await import('../../support/evidence/corda/node-conf.ts');
        return redactConfig(conf);
      });
    });
  });

  test('PEM and DER certificates', async () => {
    const pem = await readFile(ref('crypto/org1/ca.pem'), 'utf8');
    await property(
      'PEM',
      fc.oneof(
        { weight: 3, arbitrary: mutated(pem).map((t) => ({ text: t, bytes: false })) },
        { weight: 1, arbitrary: mutated(`${pem}${KEY}`).map((t) => ({ text: t, bytes: false })) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => ({ text: Buffer.from(b).toString('latin1'), bytes: true })) },
      ),
      async ({ text, bytes }) => {
        await judge('PEM', text, () => parseCertificates(bytes ? Buffer.from(text, 'latin1') : text, 'fuzz.pem'));
      },
    );
  });

  test('protobuf channel configurations', async () => {
    const block = await readFile(ref('channels/mychannel.pb'));
    const flips = fc.array(fc.record({ at: fc.nat(), value: fc.nat({ max: 255 }), cut: fc.boolean() }), { minLength: 1, maxLength: 8 });
    await property(
      'protobuf',
      fc.oneof(
        {
          weight: 4,
          arbitrary: flips.map((fs) => {
            let b = Buffer.from(block);
            for (const f of fs) {
              if (f.cut) b = b.subarray(0, f.at % (b.length + 1));
              else if (b.length) b[f.at % b.length] = f.value;
            }
            return b;
          }),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 800 }).map((a) => Buffer.from(a)) },
      ),
      async (bytes) => {
        await judge('protobuf', bytes.toString('latin1'), () => decodeChannelConfig(bytes, 'fuzz.pb', { format: 'protobuf' }));
      },
    );
  });

  test('JSON: configtxlator channel configurations and manifests', async () => {
    const json = await readFile(ref('channels/mychannel.json'), 'utf8');
    await property('JSON', fc.oneof({ weight: 3, arbitrary: mutated(json) }, { weight: 1, arbitrary: fc.json({ depthSize: 'large' }) }, { weight: 1, arbitrary: randomText }), async (text) => {
      await judge('JSON', text, () => {
        parseJson(text, 'fuzz.json');
        return decodeChannelConfig(Buffer.from(text), 'fuzz.json', { format: 'json' });
      });
    });
  });

  test('YAML Kubernetes manifests', async () => {
    const yaml = await readFile(ref('k8s/r1/orderers.yaml'), 'utf8');
    await property('manifest', fc.oneof({ weight: 4, arbitrary: mutated(yaml) }, { weight: 1, arbitrary: randomText }), async (text) => {
      await judge('manifest', text, () => {
        const into: ManifestContents = { pods: [], services: [], nodes: [], configMaps: [], files: [] };
        for (const { index, value } of parseYamlDocuments(text, 'fuzz.yaml')) addManifestObject(into, value, 'fuzz.yaml', `documents[${index}]`);
        return into;
      });
    });
  });

  test('load-balancer exports (Azure, AWS, HAProxy)', async () => {
    const azure = await readFile(ref('lb/azure-lb.json'), 'utf8');
    const aws = await readFile(ref('lb/aws-elb.json'), 'utf8');
    const haproxy = 'global\n  maxconn 100\ndefaults\n  mode tcp\n  timeout connect 2s\nfrontend p2p\n  bind 10.0.0.10:10002\n  default_backend nodes\nbackend nodes\n  option httpchk GET /health\n  server primary 10.0.0.4:10002 check inter 200ms fall 2 rise 1 port 10004\n  server backup 10.0.0.5:10002 check backup\n';
    const formats = [undefined, 'azure', 'aws', 'haproxy'] as const;
    await property(
      'export',
      fc.record({
        text: fc.oneof(mutated(azure), mutated(aws), mutated(haproxy), randomText),
        format: fc.constantFrom(...formats),
      }),
      async ({ text, format }) => {
        await judge('export', text, () => parseLoadBalancerExport(text, 'fuzz-lb', format ? { format } : {}));
      },
    );
  });
});
