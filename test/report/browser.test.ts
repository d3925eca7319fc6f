/**
 * The Allure report as a reader sees it: a small Cucumber run against a broken local variant (one guarantee
 * violated, one holding, one not observable here), `npm run report`, the report served on 127.0.0.1 and opened in
 * headless Chromium. Allure renders client-side and keeps its trees collapsed, so the page is opened through a
 * small probe page that shows the report in a frame, expands every tree node and writes what it sees into its
 * own DOM, which `--dump-dom` returns once the virtual time budget is spent. A screenshot goes to
 * reports/allure-report-screenshot.png.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { findJava } from '../../scripts/report.ts';
import { repoRoot } from '../helpers/cli.ts';
import { runCucumber, runNode } from '../helpers/cucumber-run.ts';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = join(repoRoot, 'reports', 'allure-report-screenshot.png');

const FAILING = "Every peer's TLS certificate names its own host and its organization's gateway Service";
const PASSING = 'Every redundant peer is an anchor peer of its organization on every channel';
const SKIPPED = 'kube-proxy balances connections to the gateway Service in ipvs mode';

function whyNot(): string | false {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  if (!findJava()) return 'no Java: allure-commandline needs a Java runtime to generate the report';
  return false;
}

const PROBE = `<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%}#out{display:none}</style></head>
<body><iframe id="report"></iframe><pre id="out">not rendered</pre><script>
const frame = document.getElementById('report');
frame.src = 'index.html' + location.hash;
const out = document.getElementById('out');
let rounds = 0;
function look() {
  rounds++;
  try {
    const doc = frame.contentDocument;
    const closed = [...doc.querySelectorAll('.node:not(.node__expanded) > .node__title')].filter((t) => !t.closest('.node__leaf'));
    closed.forEach((t) => t.click());
    const leaves = [...doc.querySelectorAll('.node__leaf')].map((leaf) => {
      const icon = leaf.querySelector('[class*="status-icon_status_"]');
      const status = icon ? (/status-icon_status_(\\w+)/.exec(icon.getAttribute('class')) || [])[1] : undefined;
      const name = leaf.querySelector('.node__name');
      return { name: name ? name.textContent.trim() : '', status };
    });
    out.textContent = JSON.stringify({ rounds, closed: closed.length, leaves, text: doc.body ? doc.body.innerText : '' });
  } catch (err) {
    out.textContent = JSON.stringify({ rounds, error: String(err) });
  }
  if (rounds < 40) setTimeout(look, 250);
}
setTimeout(look, 500);
</script></body></html>`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** A tiny static file server for one folder, on 127.0.0.1 and a free port. */
async function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function chromium(args: string[], profile: string, timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--window-size=1400,1000',
        '--virtual-time-budget=15000',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chromium ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(stdout);
    });
  });
}

interface Seen {
  leaves: Array<{ name: string; status?: string }>;
  text: string;
  error?: string;
}

function decode(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

async function look(url: string, view: string, profile: string): Promise<Seen> {
  const dom = await chromium(['--dump-dom', `${url}/__probe.html#${view}`], profile);
  const m = /<pre id="out">([\s\S]*?)<\/pre>/.exec(dom);
  assert.ok(m, `the probe page did not render (#${view})`);
  const seen = JSON.parse(decode(m[1])) as Seen;
  assert.equal(seen.error, undefined, `the probe could not read the report: ${seen.error}`);
  return seen;
}

describe('the Allure report in a browser', { skip: whyNot() }, () => {
  let work = '';
  let served: { server: Server; url: string } | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ha-allure-browser-'));
  });
  after(async () => {
    served?.server.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('shows the scenarios of the run with their statuses, and the violation under "Guarantee violated"', { timeout: 420_000 }, async () => {
    const reports = join(work, 'reports');
    const run = await runCucumber(['--tags', '@FAB-GW-03 or @FAB-PEER-04 or @FAB-GW-02'], reports, {
      HA_LOCAL_VARIANT: 'peer-cert-missing-gateway-san',
    });
    assert.equal(run.code, 1, `a violated guarantee fails the run\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /GuaranteeAssertionError: FAB-GW-03/);

    const report = await runNode(['--import', 'tsx', join(repoRoot, 'scripts', 'report.ts')], { HA_REPORTS_DIR: reports }, 180_000);
    assert.equal(report.code, 0, `npm run report failed\n${report.stdout}\n${report.stderr}`);
    const site = join(reports, 'allure-report');
    assert.ok(existsSync(join(site, 'index.html')), 'index.html written');
    await writeFile(join(site, '__probe.html'), PROBE);
    served = await serve(site);

    const suites = await look(served.url, 'suites', join(work, 'chromium-suites'));
    const status = (name: string) => suites.leaves.find((l) => l.name === name)?.status;
    assert.equal(status(FAILING), 'failed', `suites page: ${JSON.stringify(suites.leaves)}`);
    assert.equal(status(PASSING), 'passed', `suites page: ${JSON.stringify(suites.leaves)}`);
    assert.equal(status(SKIPPED), 'skipped', `suites page: ${JSON.stringify(suites.leaves)}`);
    assert.match(suites.text, /Fabric/);

    const categories = await look(served.url, 'categories', join(work, 'chromium-categories'));
    assert.match(categories.text, /Guarantee violated/);
    assert.ok(categories.leaves.some((l) => l.name === FAILING), `categories page: ${categories.text}`);
    assert.doesNotMatch(categories.text, /Environment problem/, 'nothing broken in this run');

    await mkdir(join(repoRoot, 'reports'), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    await chromium([`--screenshot=${SCREENSHOT}`, `${served.url}/__probe.html#suites`], join(work, 'chromium-shot'));
    assert.ok(existsSync(SCREENSHOT), `screenshot saved to ${SCREENSHOT}`);
  });
});
