/**
 * Ports on this machine's loopback addresses: one nobody uses, and whether a set of them is free. What every
 * environment asks before it binds a service of its own.
 */
import { createServer } from 'node:net';

/** A port nobody listens on right now, found by binding port 0 on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when every `host:port` can be bound right now (nobody else uses them). */
export async function canBind(pairs: Array<{ host: string; port: number }>): Promise<boolean> {
  const one = ({ host, port }: { host: string; port: number }) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
  const results = await Promise.all(pairs.map(one));
  return results.every(Boolean);
}
