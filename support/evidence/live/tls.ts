/**
 * Live TLS evidence: the certificate a server presents, and whether a handshake by a given name verifies
 * against the organization's CA, as a client dialling that name would. The handshake is a gRPC client's: the
 * name as SNI and ALPN `h2` offered. Nothing is sent after it: the connection is closed once the certificate is
 * in, so a handshake reads the server and writes nothing to it. The caller gives the address to dial
 * (`address.ts`: the descriptor's `live.hosts`, never the machine's DNS unless `live.resolveNames`).
 */
import { connect, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { certificateInfoFromX509 } from '../certificates.ts';
import type { CertificateInfo } from '../model.ts';

export interface HandshakeResult {
  name: string;
  address: string;
  verified: boolean;
  error?: string;
  cert?: CertificateInfo;
}

export function resolveHost(hosts: Record<string, string> | undefined, name: string): string {
  return hosts?.[name] ?? name;
}

export function handshake(opts: { name: string; address: string; port: number; ca?: string[]; timeoutMs?: number }): Promise<HandshakeResult> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const where = `${opts.address}:${opts.port}`;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HandshakeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({
      host: opts.address,
      port: opts.port,
      servername: isIP(opts.name) ? undefined : opts.name,
      ca: opts.ca,
      // what a gRPC client offers; a server without ALPN ignores it
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      // the chain and the name are judged apart below, so a name mismatch is reported as such
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => done({ name: opts.name, address: where, verified: false, error: `no TLS handshake within ${timeoutMs} ms` }), timeoutMs);
    socket.once('secureConnect', () => {
      const peer: PeerCertificate = socket.getPeerCertificate();
      let cert: CertificateInfo | undefined;
      let verifyError: string | undefined;
      if (peer?.raw) {
        const x = new X509Certificate(peer.raw);
        cert = certificateInfoFromX509(x, `tls://${opts.name}:${opts.port}`);
        if (opts.ca) {
          if (!socket.authorized) verifyError = `chain not trusted: ${String(socket.authorizationError)}`;
          else if (!(isIP(opts.name) ? x.checkIP(opts.name) : x.checkHost(opts.name))) verifyError = `certificate is not valid for ${opts.name} (SANs: ${cert.dnsNames.concat(cert.ipAddresses).join(', ')})`;
        }
      }
      done({ name: opts.name, address: where, verified: Boolean(opts.ca) && !verifyError && Boolean(cert), error: verifyError, cert });
    });
    socket.on('error', (err) => done({ name: opts.name, address: where, verified: false, error: err.message }));
    socket.on('close', () => done({ name: opts.name, address: where, verified: false, error: 'connection closed before the handshake' }));
  });
}
