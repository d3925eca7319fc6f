/**
 * The nodes' network paths to the database: one TCP relay (listener) per node, in a process of its own so that
 * the path is never slowed by the harness's event loop. The environment controls it over stdin, one command a
 * line, each answered by one line on stdout:
 *
 *   add <node>      → `added <node> <port>`   a listener on 127.0.0.1:<free port>, relaying to the database
 *   cut <node>      → `cut <node>`            close every connection of that node, stop listening (new ones are refused)
 *   restore <node>  → `restored <node>`       listen again, on the same port
 *   remove <node>   → `removed <node>`
 *   (any failure)   → `error <node> <message>`
 *
 * So "the node lost its database" is real at the socket level, for that node only. The process exits when its
 * stdin closes (the harness is gone).
 *
 * Usage: `node --import tsx db-relay.ts <db host:port> <run dir>` (the run dir is only there so that the command
 * line names the run, for reaping).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const [targetArg] = process.argv.slice(2);
const m = /^(.+):(\d+)$/.exec(targetArg ?? '');
if (!m) {
  process.stderr.write('usage: db-relay.ts <db host:port> <run dir>\n');
  process.exit(2);
}
const target = { host: m[1], port: Number(m[2]) };

interface Path {
  port: number;
  server: Server | null;
  sockets: Set<Socket>;
}
const paths = new Map<string, Path>();

function relay(path: Path, client: Socket): void {
  const upstream = createConnection(target);
  for (const s of [client, upstream]) {
    path.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      path.sockets.delete(s);
      (s === client ? upstream : client).destroy();
    });
  }
  client.pipe(upstream);
  upstream.pipe(client);
}

function listen(path: Path, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => relay(path, c));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      const a = server.address();
      path.port = typeof a === 'object' && a ? a.port : port;
      path.server = server;
      resolve();
    });
  });
}

async function cut(path: Path): Promise<void> {
  const server = path.server;
  path.server = null;
  for (const s of path.sockets) s.destroy();
  path.sockets.clear();
  if (server) await new Promise<void>((r) => server.close(() => r()));
}

async function handle(line: string): Promise<string> {
  const [cmd, name] = line.trim().split(/\s+/);
  if (!cmd || !name) return `error - bad command ${JSON.stringify(line)}`;
  const path = paths.get(name);
  switch (cmd) {
    case 'add': {
      if (path) return `added ${name} ${path.port}`;
      const p: Path = { port: 0, server: null, sockets: new Set() };
      await listen(p, 0);
      paths.set(name, p);
      return `added ${name} ${p.port}`;
    }
    case 'cut':
      if (!path) return `error ${name} unknown`;
      await cut(path);
      return `cut ${name}`;
    case 'restore':
      if (!path) return `error ${name} unknown`;
      if (!path.server) await listen(path, path.port);
      return `restored ${name}`;
    case 'remove':
      if (path) await cut(path);
      paths.delete(name);
      return `removed ${name}`;
    default:
      return `error ${name} unknown command ${cmd}`;
  }
}

// Commands run one after the other, in order.
let queue: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    queue = queue.then(async () => {
      let answer: string;
      try {
        answer = await handle(line);
      } catch (err) {
        answer = `error ${line.trim().split(/\s+/)[1] ?? '-'} ${(err as Error).message}`;
      }
      process.stdout.write(`${answer}\n`);
    });
  })
  .on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
