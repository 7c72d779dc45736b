// TLS for the agent-facing listeners. A configured certificate is used as is; otherwise a
// self-signed one is generated once for local use (node:crypto cannot build X.509, so the
// `openssl` CLI does it) and its SHA-256 fingerprint is printed for pinning.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';

export interface TlsMaterial {
  context: tls.SecureContext;
  cert: string;
  key: string;
  certFile: string;
  fingerprint: string;
  generated: boolean;
}

export function gatewayDir(paths: AwPaths): string {
  return join(paths.home, 'gateway');
}

export function loadOrCreateTls(paths: AwPaths, cfg?: { cert?: string; key?: string }): TlsMaterial {
  let certFile = cfg?.cert;
  let keyFile = cfg?.key;
  let generated = false;
  if (!certFile || !keyFile) {
    const dir = join(gatewayDir(paths), 'tls');
    certFile = join(dir, 'gateway-cert.pem');
    keyFile = join(dir, 'gateway-key.pem');
    if (!existsSync(certFile) || !existsSync(keyFile)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      try {
        execFileSync('openssl', [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
          '-subj', '/CN=agentwarden-gateway', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
          '-keyout', keyFile, '-out', certFile,
        ], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        throw new AwError('TLS_GENERATE', `cannot generate a self-signed certificate with openssl (install openssl or set gateway.postgres.tls): ${(err as Error).message}`, { cause: err });
      }
      generated = true;
    }
  }
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  const fingerprint = new X509Certificate(cert).fingerprint256;
  const context = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  return { context, cert, key, certFile, fingerprint, generated };
}
