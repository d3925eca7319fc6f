/**
 * The observer: a small HTTP service that runs in its own container on the load-balancer network of a docker run
 * and dials the Corda nodes there, as the load balancer and the nodes' peers do. It answers one question, often:
 * which of each node's ports accept a TCP connection right now, seen from inside the network?
 *
 * Why it exists: the harness reaches containers only through ports published on localhost, and Docker's userland
 * proxy accepts every connection to a published port and only then dials the container. Through a published port
 * a cold node (which opens no port) would look as open as the hot one. From inside the network a closed port
 * refuses, a stopped or disconnected container does not resolve, and a paused one still completes the handshake
 * in the kernel — the same answers a load balancer's TCP probe gets.
 *
 * `GET /watch?targets=primary@172.18.0.11,backup@172.18.0.12&ports=10002,10003,10004&intervalMs=20&timeoutMs=150`
 * streams NDJSON: one line `{"seq":n,"at":ms,"state":{"primary":{"10002":true,...},...}}` whenever an answer
 * changes (once every target has been probed), and at least once a second.
 * `GET /healthz` answers 200. Built only on Node's standard library; bundled into the node-standin image.
 *
 * Usage: `node observer.js --port 8080`
 */
import { createServer, type ServerResponse } from 'node:http';
import { createConnection } from 'node:net';

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

type State = Record<string, Record<string, boolean>>;

function intParam(url: URL, key: string, fallback: number, min: number, max: number): number {
  const v = Number(url.searchParams.get(key) ?? fallback);
  return Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
}

/**
 * Every (node, port) is probed in its own loop, so a node that does not answer (stopped, partitioned: the probe
 * waits out its timeout) does not slow down the answers about the others. Targets are given by address
 * (`name@ip`): no DNS on the probe path, whose lookups can be slower than the probe itself.
 */
function watch(res: ServerResponse, url: URL): void {
  const targets = (url.searchParams.get('targets') ?? '')
    .split(',')
    .map((t) => /^([A-Za-z0-9._-]+)@([0-9.]+|[A-Za-z0-9._-]+)$/.exec(t))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], host: m[2] }));
  const ports = (url.searchParams.get('ports') ?? '').split(',').map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
  if (!targets.length || !ports.length) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('targets (name@address,...) and ports are required\n');
    return;
  }
  const intervalMs = intParam(url, 'intervalMs', 20, 5, 1000);
  const timeoutMs = intParam(url, 'timeoutMs', 150, 20, 2000);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.socket?.setNoDelay(true);
  let closed = false;
  const state: State = Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(ports.map((p) => [String(p), false]))]));
  const known = new Set<string>();
  let seq = 0;
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (closed || known.size < targets.length * ports.length) return;
    res.write(`{"seq":${++seq},"at":${Date.now()},"state":${JSON.stringify(state)}}\n`);
  };
  const heartbeat = setInterval(flush, 1000);
  res.on('close', () => {
    closed = true;
    clearInterval(heartbeat);
  });
  for (const t of targets) {
    for (const p of ports) {
      void (async () => {
        while (!closed) {
          const started = Date.now();
          const ok = await accepts(t.host, p, timeoutMs);
          const key = `${t.name}:${p}`;
          if (!known.has(key) || state[t.name][String(p)] !== ok) {
            known.add(key);
            state[t.name][String(p)] = ok;
            if (!flushQueued) {
              flushQueued = true;
              setImmediate(flush);
            }
          }
          await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
        }
      })();
    }
  }
}

function main(): void {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  if (!Number.isInteger(port) || port <= 0) {
    process.stderr.write('usage: observer.js --port <port>\n');
    process.exit(2);
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://observer');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (url.pathname === '/watch') {
      watch(res, url);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write(`observer listening on 0.0.0.0:${port}\n`));
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
