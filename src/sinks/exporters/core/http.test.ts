// HttpTransport details against real servers: gzip bodies, HTTPS with an extra trusted CA
// (ca_file), credentials in the URL kept out of status output, timeouts retryable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { HttpReceiver } from '../testing/receivers.js';
import { HttpTransport } from './http.js';

const body = new TextEncoder().encode('{"a":1}\n'.repeat(100));

test('gzip: the receiver gets a gzip body with Content-Encoding', async () => {
  const r = await new HttpReceiver().start();
  const t = new HttpTransport({ url: `${r.url}/x`, contentType: 'application/json', gzip: true });
  assert.equal(await t.send(body, 2000), 'success');
  assert.equal(r.requests[0].headers['content-encoding'], 'gzip');
  assert.deepEqual(new Uint8Array(gunzipSync(r.requests[0].body)), body);
  await r.stop();
});

test('a receiver that never answers times out as retryable; URL credentials are not shown', async () => {
  const r = await new HttpReceiver().start();
  r.handler = () => undefined; // never answers
  const t = new HttpTransport({ url: `http://user:pa55@127.0.0.1:${r.port}/slow`, contentType: 'text/plain' });
  assert.equal(t.target, `http://127.0.0.1:${r.port}/slow`);
  const res = await t.send(body, 200);
  assert.ok(typeof res === 'object' && 'retryable' in res);
  assert.match(t.lastError ?? '', /timeout/);
  await r.stop();
});

const opensslMissing = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl is not installed (needed to make a test certificate)';
  }
})();

test('https with ca_file: trusted by the extra CA, refused without it', { skip: opensslMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  assert.ok(existsSync(cert));
  let auth = '';
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    auth = String(req.headers.authorization);
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  const trusted = new HttpTransport({ url, contentType: 'application/json', caFile: cert, headers: { authorization: 'Bearer x' } });
  assert.equal(await trusted.send(body, 5000), 'success');
  assert.equal(auth, 'Bearer x');
  const untrusted = new HttpTransport({ url, contentType: 'application/json' });
  const res = await untrusted.send(body, 5000);
  assert.ok(typeof res === 'object' && 'retryable' in res, 'an unverifiable certificate is never accepted');
  assert.match(untrusted.lastError ?? '', /self.signed|certificate/i);
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true });
});
