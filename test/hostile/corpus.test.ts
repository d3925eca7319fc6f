/**
 * The hostile-input corpus: one folder per case under test/hostile/cases/, each a `case.json` (its class, why it is
 * hostile, the CLI arguments, the expected exit code and the texts the output must name) plus the files it reads.
 * What git cannot hold (FIFOs, sockets, links to devices, 50 MB files, private keys, modes) the case lists under
 * `make` and this runner creates in a scratch copy of the folder. `ref` in a case folder links to
 * fixtures/reference, so a case can be an overlay of the reference deployment.
 *
 * Every case runs the real CLI (test/helpers/cli.ts) and must:
 * - end with its exit code, naming what it must name, with no stack trace, nothing on stdout when the input is bad;
 * - print nothing secret: no value of the canary secrets in its environment, no line of a private key it was given,
 *   nothing the case lists as `absent`, in stdout, stderr or any report it wrote (under out/);
 * - stay bounded: at most 10 s of CPU and a heap capped at 512 MiB (the run dies otherwise); a run still going after
 *   60 s is killed as a hang. CPU time, not wall time, is the bound: a busy machine must not fail a case.
 * See test/hostile/README.md for the classes and how to add a case.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haValidateAsync, repoRoot } from '../helpers/cli.ts';

const CASES = fileURLToPath(new URL('./cases', import.meta.url));
const PROBE = fileURLToPath(new URL('../helpers/usage-probe.mjs', import.meta.url));

/** Canary secrets every case runs with: none may appear in any output. */
export const CANARIES = {
  HA_CANARY_PASSWORD: 'canary-PASSWORD-5e1f9c',
  HA_CANARY_TOKEN: 'canary-TOKEN-77ab20',
  CORDA_DB_PASSWORD: 'canary-DB-PASSWORD-3c4d',
};

export const CLASSES = [
  'non-regular file',
  'size cap',
  'YAML structure',
  'work-driving number',
  'strict schema',
  'envFile',
  'CLI arguments',
  'load-balancer export',
  'HOCON',
  'secret in output',
  'channel config',
  'certificate',
  'directory walk',
  '--live',
  'valid input',
] as const;

type MakeOp =
  | { fifo: string }
  | { socket: string }
  | { symlink: string; to: string; replace?: boolean }
  | { generate: string; parts: Array<{ text: string; times?: number }> }
  | { sparse: string; bytes: number }
  | { chmod: string; mode: string }
  | { chown: string; uid: number }
  | { key: string; type?: 'pkcs8' | 'rsa' | 'ec' | 'openssh' | 'encrypted'; before?: string; after?: string; base64?: boolean; indent?: string }
  | { lines: string; text: string; count: number; before?: string; after?: string }
  | { files: string; count: number }
  | { copy: string; to: string }
  | { mkdir: string }
  | { truncate: string; from: string; bytes: number };

interface CaseSpec {
  class: (typeof CLASSES)[number];
  why: string;
  args?: string[];
  exit: number;
  mentions: string[];
  absent?: string[];
  env?: Record<string, string>;
  make?: MakeOp[];
  rootOnly?: boolean;
}

interface Measured {
  name: string;
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
}

const measured: Measured[] = [];

function privateKeyPem(type: NonNullable<Extract<MakeOp, { key: string }>['type']>): string {
  switch (type) {
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    case 'ec':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    case 'encrypted':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    case 'openssh': {
      const body = randomBytes(300).toString('base64').replace(/(.{70})/g, '$1\n');
      return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
    }
    default:
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  }
}

/** Create what git cannot hold. Returns the key lines that must never be printed, and what to close afterwards. */
async function make(dir: string, ops: MakeOp[]): Promise<{ keyLines: string[]; servers: Server[] }> {
  const keyLines: string[] = [];
  const servers: Server[] = [];
  const at = (p: string) => join(dir, p);
  for (const op of ops) {
    if ('fifo' in op) {
      mkdirSync(dirname(at(op.fifo)), { recursive: true });
      execFileSync('mkfifo', [at(op.fifo)]);
    } else if ('socket' in op) {
      mkdirSync(dirname(at(op.socket)), { recursive: true });
      const server = createServer();
      await new Promise<void>((res) => server.listen(at(op.socket), () => res()));
      servers.push(server);
    } else if ('symlink' in op) {
      mkdirSync(dirname(at(op.symlink)), { recursive: true });
      if (op.replace) rmSync(at(op.symlink), { recursive: true, force: true });
      symlinkSync(op.to, at(op.symlink));
    } else if ('generate' in op) {
      mkdirSync(dirname(at(op.generate)), { recursive: true });
      const fd = openSync(at(op.generate), 'w');
      try {
        for (const part of op.parts) {
          const times = part.times ?? 1;
          // write in blocks: a 50 MB file is made in a few writes
          const per = Math.max(1, Math.floor((1 << 20) / Math.max(1, part.text.length)));
          for (let done = 0; done < times; done += per) writeSync(fd, part.text.repeat(Math.min(per, times - done)));
        }
      } finally {
        closeSync(fd);
      }
    } else if ('sparse' in op) {
      mkdirSync(dirname(at(op.sparse)), { recursive: true });
      writeFileSync(at(op.sparse), '');
      truncateSync(at(op.sparse), op.bytes);
    } else if ('chmod' in op) {
      chmodSync(at(op.chmod), parseInt(op.mode, 8));
    } else if ('chown' in op) {
      chownSync(at(op.chown), op.uid, op.uid);
    } else if ('key' in op) {
      const pem = privateKeyPem(op.type ?? 'pkcs8');
      for (const line of pem.split('\n')) if (/^[A-Za-z0-9+/=]{16,}$/.test(line)) keyLines.push(line.slice(0, 32));
      const encoded = op.base64 ? Buffer.from(pem).toString('base64') : pem;
      // indented to sit in a YAML block scalar
      const body = op.indent ? encoded.trimEnd().split('\n').map((l) => op.indent + l).join('\n') + '\n' : encoded;
      if (op.base64) keyLines.push(body.slice(20, 60));
      mkdirSync(dirname(at(op.key)), { recursive: true });
      writeFileSync(at(op.key), `${op.before ?? ''}${body}${op.after ?? ''}`);
    } else if ('lines' in op) {
      // `{i}` in the text is the line number: distinct keys, distinct names
      mkdirSync(dirname(at(op.lines)), { recursive: true });
      const body = Array.from({ length: op.count }, (_, i) => op.text.replaceAll('{i}', String(i))).join('');
      writeFileSync(at(op.lines), `${op.before ?? ''}${body}${op.after ?? ''}`);
    } else if ('files' in op) {
      // `{i}` in the path: that many empty files, a thousand per folder
      for (let i = 0; i < op.count; i++) {
        const p = at(op.files.replaceAll('{i}', String(i)).replaceAll('{k}', String(Math.floor(i / 1000))));
        if (i % 1000 === 0) mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, '');
      }
    } else if ('copy' in op) {
      cpSync(at(op.copy), at(op.to), { recursive: true, dereference: true });
    } else if ('mkdir' in op) {
      mkdirSync(at(op.mkdir), { recursive: true });
    } else if ('truncate' in op) {
      const bytes = readFileSync(at(op.from));
      writeFileSync(at(op.truncate), bytes.subarray(0, op.bytes));
    }
  }
  return { keyLines, servers };
}

async function reportFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(await readFile(p, 'utf8'));
    }
  };
  if (existsSync(join(dir, 'out'))) await walk(join(dir, 'out'));
  return out;
}

const names = readdirSync(CASES)
  .filter((n) => statSync(join(CASES, n)).isDirectory())
  .sort();

test('the corpus is large and every case names its class', () => {
  assert.ok(names.length >= 120, `only ${names.length} cases`);
  const byClass = new Map<string, number>();
  for (const n of names) {
    const spec = JSON.parse(readFileSync(join(CASES, n, 'case.json'), 'utf8')) as CaseSpec;
    assert.ok((CLASSES as readonly string[]).includes(spec.class), `${n}: unknown class ${spec.class}`);
    assert.ok(spec.why && spec.mentions && typeof spec.exit === 'number', `${n}: why, mentions and exit are required`);
    byClass.set(spec.class, (byClass.get(spec.class) ?? 0) + 1);
  }
  for (const c of CLASSES) assert.ok((byClass.get(c) ?? 0) > 0, `no case of class ${c}`);
});

describe('hostile-input corpus through ha-validate', { concurrency: 3 }, () => {
  after(() => {
    if (!measured.length) return;
    const slowest = [...measured].sort((a, b) => b.wallMs - a.wallMs).slice(0, 5);
    const costliest = [...measured].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 5);
    const biggest = [...measured].sort((a, b) => b.maxRssKb - a.maxRssKb).slice(0, 5);
    const fmt = (m: Measured) => `${m.name} ${Math.round(m.wallMs)} ms wall, ${m.cpuMs} ms CPU, ${Math.round(m.maxRssKb / 1024)} MiB peak RSS`;
    process.stdout.write(
      `# corpus: ${measured.length} cases, ${Math.round(measured.reduce((t, m) => t + m.cpuMs, 0) / 1000)} s of CPU in all\n` +
        `# slowest (wall):\n${slowest.map((m) => `#   ${fmt(m)}`).join('\n')}\n` +
        `# costliest (CPU):\n${costliest.map((m) => `#   ${fmt(m)}`).join('\n')}\n` +
        `# largest (peak RSS):\n${biggest.map((m) => `#   ${fmt(m)}`).join('\n')}\n`,
    );
  });

  for (const name of names) {
    const spec = JSON.parse(readFileSync(join(CASES, name, 'case.json'), 'utf8')) as CaseSpec;
    const skip = spec.rootOnly && process.getuid?.() !== 0 ? 'needs root (chown)' : false;
    test(`${name} (${spec.class})`, { skip }, async () => {
      const scratch = await mkdtemp(join(tmpdir(), 'hac-hostile-'));
      const dir = join(scratch, name);
      cpSync(join(CASES, name), dir, { recursive: true });
      symlinkSync(join(repoRoot, 'fixtures', 'reference'), join(dir, 'ref'));
      const made = await make(dir, spec.make ?? []);
      const usage = join(scratch, 'usage.json');
      try {
        const r = await haValidateAsync(spec.args ?? ['--target', 'target.yaml'], {
          cwd: dir,
          env: { ...CANARIES, ...spec.env, HA_USAGE_FILE: usage, NODE_OPTIONS: '' },
          nodeOptions: ['--max-old-space-size=512', '--import', PROBE],
          killAfterMs: 60_000,
        });
        const output = `${r.stdout}\n${r.stderr}`;
        assert.equal(r.killed, false, `${name}: still running after 60 s (a hang)`);
        assert.equal(r.code, spec.exit, `${name}: exit ${r.code}, expected ${spec.exit}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
        for (const m of spec.mentions) assert.ok(output.includes(m), `${name}: the output does not name ${JSON.stringify(m)}:\n${r.stderr}${r.stdout.slice(0, 2000)}`);
        assert.doesNotMatch(output, /\n\s+at .+[(\s].+:\d+:\d+\)?/, `${name}: a stack trace was printed:\n${output}`);
        if (spec.exit === 2) assert.equal(r.stdout, '', `${name}: bad input, yet something on stdout`);
        const everything = [output, ...(await reportFiles(dir))].join('\n');
        const forbidden = [...Object.values(CANARIES), ...(spec.absent ?? []), ...made.keyLines];
        for (const secret of forbidden) assert.ok(!everything.includes(secret), `${name}: a secret reached the output: ${secret}`);
        assert.doesNotMatch(everything, /PRIVATE KEY-----[\s\\n]*[A-Za-z0-9+/]{16}/, `${name}: private key material in the output`);
        const u = JSON.parse(await readFile(usage, 'utf8')) as { cpuMs: number; maxRssKb: number };
        measured.push({ name, wallMs: r.ms, cpuMs: u.cpuMs, maxRssKb: u.maxRssKb });
        assert.ok(u.cpuMs <= 10_000, `${name}: ${u.cpuMs} ms of CPU, more than 10 s`);
      } finally {
        for (const s of made.servers) s.close();
        await rm(scratch, { recursive: true, force: true });
      }
    });
  }
});
