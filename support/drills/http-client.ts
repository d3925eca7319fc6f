/**
 * A small HTTP(S) client for operations, admin and gateway endpoints: a hard time bound per request (a frozen
 * process must not stall a sampler), optional client TLS (Fabric's admin endpoint wants mutual TLS), and the
 * status and body returned as they are, so callers decide what an answer means.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ClientTls {
  /** PEM CA certificates to trust */
  ca?: string[];
  /** PEM client certificate and key, for mutual TLS */
  cert?: string;
  key?: string;
  /** the name to verify the server's certificate against (default: the URL's host) */
  servername?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpCall(
  url: string,
  options: { method?: 'GET' | 'POST'; body?: string; timeoutMs: number; tls?: ClientTls },
): Promise<HttpAnswer> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const common = { method: options.method ?? 'GET', headers, agent: false as const };
    const req = isHttps
      ? httpsRequest(u, {
          ...common,
          ca: options.tls?.ca,
          cert: options.tls?.cert,
          key: options.tls?.key,
          servername: options.tls?.servername,
        })
      : httpRequest(u, common);
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(options.body);
  });
}
