/**
 * The certificate an API server serves, read from a TLS handshake: what `status` reports the expiry
 * of, and what `certs renew --kubeconfig` compares with the certificate it installed. The chain is
 * not verified here (an expired or replaced certificate must still be read); the caller compares.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';

export interface ServedCertificate {
  x509: X509Certificate;
  pem: string;
}

/** The leaf certificate `server` presents (SNI: its host name); rejects when no handshake completes within `timeoutMs`. */
export function servedCertificate(server: URL, timeoutMs = 5000): Promise<ServedCertificate> {
  const host = server.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(server.port || 443),
      // SNI takes a name only; an IP address is sent as none, as kubectl does.
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate()?.raw;
      socket.end();
      if (!raw) return reject(new Error(`${server.origin} presented no certificate`));
      const x509 = new X509Certificate(raw);
      resolve({ x509, pem: x509.toString() });
    });
    socket.once('timeout', () =>
      fail(new Error(`no TLS handshake with ${server.origin} within ${timeoutMs} ms`)),
    );
    socket.once('error', fail);
  });
}
