/**
 * `ha-validate serve`: validates its targets every interval and serves what it found over HTTP, for Prometheus
 * and for people.
 *
 * - `GET /metrics`: the Prometheus text format (support/serve/metrics.ts), rendered from the last run of each
 *   target at every scrape;
 * - `GET /healthz`: 200 while the loop is alive (JSON: runs so far, the last one); 503 when a run has been going
 *   for longer than `stuckAfterMs` (a hung connection the collectors did not time out), so a liveness probe
 *   restarts the pod;
 * - `GET /report.json`: the last full report (the `--format json` shape; several targets: `{"targets": […]}`;
 *   `?target=<name>` picks one); 503 until the first run has ended.
 *
 * Runs never overlap: the next starts one interval after the previous one started, or as soon as it ended when it
 * took longer. A run that cannot look at a target (its descriptor unreadable, its live evidence failing) does not
 * stop the server: that target's checks are reported `broken` with the reason and `ha_conformance_up` is 0.
 * Nothing is written anywhere: the validator only reads (files, and with `live` the endpoints the descriptor
 * names). Memory is bounded: what is kept is the last report and certificate list per target, nothing per run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { catalogue } from '../checks/catalogue.ts';
import { errorMessage } from '../errors.ts';
import { jsonReport, summarize, summaryLine, type RunReport } from '../report/formats.ts';
import { displayPath, expandTargets, runErrorOf, validateTargets, type RunError, type TargetOutcome, type ValidateTargetsOptions } from '../many-targets.ts';
import { toolVersion } from '../version.ts';
import { certificatesOf } from './certificates.ts';
import { CONTENT_TYPE, exposition, serveFamilies, type TargetState } from './metrics.ts';

export interface ServeOptions {
  /** descriptor files or folders, as for the one-shot CLI; folders are listed again at every run */
  targets: string[];
  intervalMs: number;
  listen: { host: string; port: number };
  only?: string[];
  concurrency?: number;
  /** live evidence of a target (`--live`) */
  liveOf?: ValidateTargetsOptions['liveOf'];
  /** an observation window per target at every run (`--observe`), shorter than the interval */
  observe?: ValidateTargetsOptions['observe'];
  /** one line per event (start, each run, stop); the CLI writes them to standard error */
  log?: (line: string) => void;
  /** told when run `n` starts and when it has ended (epoch ms), for an embedding program or a test of the schedule */
  onRun?: (event: { n: number; phase: 'start' | 'end'; at: number }) => void;
  /** a run going on for longer than this makes /healthz answer 503 (default: 3 intervals, at least 10 minutes) */
  stuckAfterMs?: number;
  /** how long stop() waits for a run in flight (default 10 s): a run only reads, so nothing is left half-done */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunningServe {
  /** `http://host:port` */
  url: string;
  /** resolves when `n` runs (in total) have ended */
  runs(n: number): Promise<void>;
  /** stops scheduling, closes the listener, waits for a run in flight (up to `graceMs`) */
  stop(): Promise<void>;
}

interface Run {
  n: number;
  startedAt: number;
}

/** A report for a run that could not look: every check it would have run is `broken`, with the reason. */
export function brokenReport(file: string, label: string, error: RunError, only: readonly string[] | undefined, startedAt: number, durationMs: number): RunReport {
  const checks = only?.length ? catalogue.filter((c) => only.some((id) => id.toUpperCase() === c.id)) : catalogue;
  const reason = error.kind === 'input' ? `the target cannot be read: ${error.problems.map((p) => p.message).join('; ')}` : error.message;
  const results = checks.map((c) => ({ id: c.id, title: c.title, severity: c.severity, status: 'broken' as const, message: `${c.id}: ${reason}`, evidence: { error: error.kind } }));
  return { target: { name: label, file }, startedAt: new Date(startedAt).toISOString(), durationMs: Math.round(durationMs), results, summary: summarize(results), waivers: [] };
}

export async function startServe(options: ServeOptions): Promise<RunningServe> {
  const log = options.log ?? (() => undefined);
  const startedAtMs = Date.now();
  const stuckAfterMs = options.stuckAfterMs ?? Math.max(3 * options.intervalMs, 10 * 60_000);
  const graceMs = options.graceMs ?? 10_000;
  const states = new Map<string, TargetState>();
  /** the label a file was last known by, so a descriptor that becomes unreadable keeps its series' target label */
  const labels = new Map<string, string>();
  const counters = new Map<string, { completed: number; error: number }>();
  let completed = 0;
  let current: (Run & { done: Promise<void> }) | undefined;
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const waiters: Array<{ n: number; resolve: () => void }> = [];

  const labelFor = (o: TargetOutcome, taken: Set<string>): string => {
    let label = o.report?.target.name ?? labels.get(o.file) ?? displayPath(o.file);
    // two descriptors with one name would share series: the later one is labelled by its path
    if (taken.has(label)) label = displayPath(o.file);
    taken.add(label);
    if (o.report) labels.set(o.file, label);
    return label;
  };

  async function runOnce(n: number): Promise<void> {
    const t0 = performance.now();
    const started = Date.now();
    let outcomes: TargetOutcome[];
    try {
      const files = await expandTargets(options.targets);
      outcomes = await validateTargets(files, { only: options.only, concurrency: options.concurrency, liveOf: options.liveOf, observe: options.observe, env: options.env, keepEvidence: true });
    } catch (err) {
      // the folder of targets cannot be listed: every target known so far cannot be looked at
      const error = runErrorOf(err);
      const known = [...states.values()].map((s) => s.file);
      outcomes = (known.length ? known : options.targets).map((file) => ({ file, error }));
    }
    const taken = new Set<string>();
    const next = new Map<string, TargetState>();
    for (const o of outcomes) {
      const label = labelFor(o, taken);
      const runs = counters.get(o.file) ?? { completed: 0, error: 0 };
      counters.set(o.file, runs);
      const durationMs = o.report?.durationMs ?? performance.now() - t0;
      if (o.report) {
        runs.completed++;
        next.set(o.file, { label, file: o.file, report: o.report, up: true, certificates: o.evidence ? certificatesOf(o.evidence) : [], endedAt: Date.now(), durationMs, runs });
        log(`ha-validate serve: run ${n}: ${label}: ${summaryLine(o.report)}`);
      } else {
        runs.error++;
        const report = brokenReport(o.file, label, o.error!, options.only, started, durationMs);
        next.set(o.file, { label, file: o.file, report, up: false, certificates: [], endedAt: Date.now(), durationMs, runs });
        log(`ha-validate serve: run ${n}: ${label}: cannot look, its checks are broken: ${o.error!.kind === 'input' ? o.error!.problems.map((p) => p.message).join('; ') : o.error!.message}`);
      }
    }
    // targets that are no longer listed leave no series behind
    states.clear();
    for (const [k, v] of next) states.set(k, v);
    for (const k of [...counters.keys()]) if (!next.has(k)) counters.delete(k);
  }

  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const send = (res: ServerResponse, status: number, type: string, body: string, head: boolean) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  };
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://ha-validate');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', false);
      return;
    }
    switch (url.pathname) {
      case '/metrics': {
        const body = exposition(serveFamilies([...states.values()], { version: toolVersion(), startedAtMs }));
        send(res, 200, CONTENT_TYPE, body, head);
        return;
      }
      case '/healthz': {
        const running = current ? Date.now() - current.startedAt : 0;
        const stuck = current !== undefined && running > stuckAfterMs;
        const body = {
          status: stuck ? 'stuck' : 'ok',
          runs: completed,
          ...(current ? { running: { run: current.n, forMs: running } } : {}),
          ...(stuck ? { problem: `run ${current!.n} has been going for ${(running / 1000).toFixed(1)} s, longer than ${(stuckAfterMs / 1000).toFixed(1)} s` } : {}),
          targets: [...states.values()].map((s) => ({ target: s.label, up: s.up, lastRunEndedAt: new Date(s.endedAt).toISOString() })),
        };
        send(res, stuck ? 503 : 200, 'application/json', json(body), head);
        return;
      }
      case '/report.json': {
        const all = [...states.values()];
        const wanted = url.searchParams.get('target');
        const list = wanted === null ? all : all.filter((s) => s.label === wanted);
        if (!all.length) return send(res, 503, 'application/json', json({ error: 'no run has ended yet' }), head);
        if (!list.length) return send(res, 404, 'application/json', json({ error: `no target ${JSON.stringify(wanted)}`, targets: all.map((s) => s.label) }), head);
        const doc = (s: TargetState) => ({ ...jsonReport(s.report), up: s.up });
        send(res, 200, 'application/json', json(list.length === 1 && (wanted !== null || all.length === 1) ? doc(list[0]) : { targets: list.map(doc) }), head);
        return;
      }
      case '/':
        send(res, 200, 'text/plain; charset=utf-8', 'ha-validate serve: /metrics (Prometheus), /healthz, /report.json\n', head);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', `no such path: ${url.pathname}\n`, head);
    }
  }

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `ha-validate serve: ${errorMessage(err)}\n`, false);
      else res.destroy();
    }
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listen.port, options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new Error(`cannot listen on ${options.listen.host}:${options.listen.port}: ${errorMessage(err)}`, { cause: err });
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log(`ha-validate serve: listening on ${url} (every ${Math.round(options.intervalMs / 1000)} s${options.liveOf ? ', live' : ''}; /metrics, /healthz, /report.json)`);

  // the first run starts now; each later one an interval after the previous one started, never two at once
  const loop = (async () => {
    for (let n = 1; !stopped; n++) {
      const run: Run = { n, startedAt: Date.now() };
      options.onRun?.({ n, phase: 'start', at: run.startedAt });
      const done = runOnce(n).catch((err: unknown) => log(`ha-validate serve: run ${n} failed: ${errorMessage(err)}`));
      current = { ...run, done };
      await done;
      current = undefined;
      options.onRun?.({ n, phase: 'end', at: Date.now() });
      completed = n;
      for (const w of waiters.splice(0)) {
        if (w.n <= completed) w.resolve();
        else waiters.push(w);
      }
      if (stopped) break;
      await sleep(Math.max(0, run.startedAt + options.intervalMs - Date.now()));
    }
  })();


  return {
    url,
    runs(n: number) {
      if (completed >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    stop() {
      stopping ??= stopNow();
      return stopping;
    },
  };

  async function stopNow(): Promise<void> {
    stopped = true;
    wake?.();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const inFlight = current;
    if (inFlight) log(`ha-validate serve: stopping; waiting up to ${Math.round(graceMs / 1000)} s for run ${inFlight.n}`);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([loop.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (late) log(`ha-validate serve: run ${inFlight?.n ?? '?'} still going after ${Math.round(graceMs / 1000)} s: stopping without it (it only reads)`);
    server.closeAllConnections();
    await closed;
    for (const w of waiters.splice(0)) w.resolve();
    log('ha-validate serve: stopped');
  }
}

/**
 * The CLI's `serve`: runs until SIGTERM or SIGINT (Kubernetes stops a pod with SIGTERM), then stops gracefully
 * and returns 0; a second signal exits at once. A listen address that cannot be bound is exit 2.
 */
export async function serve(options: ServeOptions): Promise<number> {
  let running: RunningServe;
  try {
    running = await startServe(options);
  } catch (err) {
    (options.log ?? (() => undefined))(`ha-validate serve: ${errorMessage(err)}`);
    return 2;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      // a second signal: stop now
      process.once('SIGTERM', () => process.exit(143));
      process.once('SIGINT', () => process.exit(130));
      resolve(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  (options.log ?? (() => undefined))(`ha-validate serve: ${signal}: stopping`);
  await running.stop();
  return 0;
}
