/**
 * Run by test/serve/serve.test.ts with --expose-gc: `ha-validate serve` in process on the given targets with no
 * pause between runs, scraped once per run, and the heap after a full collection at run `warm` and at run `total`.
 * Prints one JSON line: { warm, total, heapWarm, heapEnd, rssEnd, msPerRun }.
 */
import { startServe } from '../../support/serve/index.ts';

const [warm, total] = [Number(process.argv[2]), Number(process.argv[3])];
const targets = process.argv.slice(4);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const serve = await startServe({ targets, intervalMs: 1, listen: { host: '127.0.0.1', port: 0 }, stuckAfterMs: 600_000 });
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let heapWarm = 0;
let heapEnd = 0;
const t0 = performance.now();
let tWarm = 0;
for (let n = 1; n <= total; n++) {
  await serve.runs(n);
  // right after a run has ended, before the next one starts (it waits for a timer): nothing of a run is in flight
  if (n === warm) {
    heapWarm = heap();
    tWarm = performance.now();
  }
  if (n === total) heapEnd = heap();
  const res = await fetch(`${serve.url}/metrics`);
  await res.text();
}
const msPerRun = (performance.now() - tWarm) / (total - warm);
await serve.stop();
process.stdout.write(`${JSON.stringify({ warm, total, heapWarm, heapEnd, rssEnd: process.memoryUsage().rss, msPerRun, totalMs: performance.now() - t0 })}\n`);
