/**
 * Live TLS evidence: the certificate a server presents, and whether a handshake by a given name verifies
 * against the organization's CA, as a client dialling that name would. The caller gives the address to dial
 * (`addressOf` in collect.ts: the descriptor's `live.hosts`, never the machine's DNS unless `live.resolveNames`).
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
  /** the first line the server sent after the handshake, when it sends one (local stand-ins name themselves) */
  banner?: string;
}

export function handshake(opts: {
  name: string;
  address: string;
  port: number;
  ca?: string[];
  timeoutMs?: number;
  /** send this after the handshake and keep the first line of the answer */
  request?: string;
}): Promise<HandshakeResult> {
  const timeoutMs = opts.timeoutMs ?? 2000;
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
      servername: /^[\d.]+$/.test(opts.name) ? undefined : opts.name,
      ca: opts.ca,
      rejectUnauthorized: false,
      // the chain and the name are judged apart below, so a name mismatch is reported as such
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(
      () => done({ name: opts.name, address: `${opts.address}:${opts.port}`, verified: false, error: `no TLS handshake within ${timeoutMs} ms` }),
      timeoutMs,
    );
    let result: HandshakeResult | undefined;
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
      result = { name: opts.name, address: `${opts.address}:${opts.port}`, verified: Boolean(opts.ca) && !verifyError && Boolean(cert), error: verifyError, cert };
      if (!opts.request) return done(result);
      socket.write(opts.request);
    });
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0 && result) done({ ...result, banner: buf.slice(0, nl) });
    });
    socket.on('error', (err) => done(result ?? { name: opts.name, address: `${opts.address}:${opts.port}`, verified: false, error: err.message }));
    socket.on('close', () => done(result ?? { name: opts.name, address: `${opts.address}:${opts.port}`, verified: false, error: 'connection closed before the handshake' }));
  });
}
