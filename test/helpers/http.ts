/**
 * GET over plain HTTP with node:http and a deadline, for servers behind a Docker-published port: before the
 * container listens, docker-proxy accepts a connection and drops it, which leaves a `fetch` promise pending with
 * nothing keeping the event loop alive (Node 20's undici). Never rejects: a failure is status 0 with the error.
 */
import { get } from 'node:http';

export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const req = get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        resolve({ status: 0, body, error: err.message });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 0, body: '', error: err.message });
    });
  });
}
