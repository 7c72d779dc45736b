// Syslog exporter against real TCP and UDP listeners: RFC 5424 header, structured data
// escaping of hostile values, RFC 6587 octet counting, reconnect after a receiver restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { AwEvent } from '../../../schema/index.js';
import { TcpReceiver, UdpReceiver, until } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { createSyslogExporter, sdEscape, syslogTime, unframe, type SyslogTcpTransport } from './index.js';

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\[.*?[^\\]\]|-) \uFEFF(.*)$/s;

/** Parses the RFC 6587 octet-counted stream, checking every length. */
function frames(buf: Buffer): string[] {
  return unframe(new Uint8Array(buf)).map((m) => Buffer.from(m).toString('utf8'));
}

/** SD params of our SD element, unescaped. */
function sdParams(sd: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = / ([^= \]"]+)="((?:[^"\\\]]|\\["\\\]])*)"/g;
  let m;
  while ((m = re.exec(sd))) out[m[1]] = m[2].replace(/\\(["\\\]])/g, '$1');
  return out;
}

test('helpers: SD escaping and time precision', () => {
  assert.equal(sdEscape('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  assert.equal(syslogTime('2026-12-03T15:43:41.123456789Z'), '2026-12-03T15:43:41.123456Z');
  assert.equal(syslogTime('2026-12-03T15:43:41+02:00'), '2026-12-03T15:43:41+02:00');
});

test('TCP: octet-counted RFC 5424 messages; hostile values cannot break the format', async () => {
  const r = await new TcpReceiver().start();
  const s = createSyslogExporter({ type: 'syslog', name: 'sl', host: '127.0.0.1', port: r.port, facility: 'local4' });
  const events = sampleEvents();
  const hostile: AwEvent = { ...events[0], id: 'x"] [evil@1 a="b', host: { name: 'bad host\nname' }, session: { id: 'sess\\"]\n', agent: { kind: 'claude-code' } } };
  for (const ev of [...events, hostile]) s.write(ev);
  await s.flush();
  await until(() => frames(r.data).length === events.length + 1, 5000, 'all frames');
  const msgs = frames(r.data);
  for (const [i, m] of msgs.entries()) {
    const p = RFC5424.exec(m);
    assert.ok(p, `message ${i} is RFC 5424: ${m.slice(0, 120)}`);
    const ev = i < events.length ? events[i] : hostile;
    const sev = ev.alert?.severity === 'high' ? 3 : 6;
    assert.equal(Number(p[1]), 20 * 8 + sev, 'PRI = local4 * 8 + severity');
    assert.equal(p[2], syslogTime(ev.time));
    assert.equal(p[6], ev.kind);
    const params = sdParams(p[7]);
    assert.equal(params.kind, ev.kind);
    if (ev.id) assert.equal(params.id, ev.id, 'escaped values round-trip');
    assert.deepEqual(JSON.parse(p[8]), ev);
  }
  const last = RFC5424.exec(msgs[msgs.length - 1])!;
  assert.equal(last[3], 'bad_host_name', 'header fields are sanitized');
  assert.ok(last[7].startsWith('[agentwarden@32473 '), 'exactly one SD element');
  assert.equal(sdParams(last[7]).session, 'sess\\"]\n');
  await s.close();
  await r.stop();
});

test('TCP: events written while the receiver is down are delivered after it restarts', async () => {
  const r = await new TcpReceiver().start();
  const s = createSyslogExporter({ type: 'syslog', name: 'sl', host: '127.0.0.1', port: r.port, batch: { flush_ms: 1 }, retry: { max_attempts: 2, initial_backoff_ms: 5, max_backoff_ms: 20 } });
  const events = sampleEvents();
  s.write(events[0]);
  await s.flush();
  await until(() => frames(r.data).length === 1, 5000, 'first frame');
  await r.stop();
  // The exporter notices the receiver closed the connection (FIN) before it writes again.
  const tcp = s.transport.inner as SyslogTcpTransport;
  await until(() => !tcp.connected, 5000, 'the close noticed');
  for (const ev of events.slice(1, 10)) s.write(ev);
  await until(() => s.counters.state === 'retrying', 5000, 'retrying');
  const before = r.data.length;
  await r.start();
  await s.flush();
  await until(() => frames(r.data.subarray(before)).length === 9, 5000, 'resent frames');
  const kinds = frames(r.data.subarray(before)).map((m) => RFC5424.exec(m)![6]);
  assert.deepEqual(kinds, events.slice(1, 10).map((e) => e.kind));
  assert.equal(r.connections, 2);
  await s.close();
  await r.stop();
});

test('UDP: one message per datagram', async () => {
  const r = await new UdpReceiver().start();
  const s = createSyslogExporter({ type: 'syslog', name: 'su', host: '127.0.0.1', port: r.port, protocol: 'udp', format: 'ecs' });
  const events = sampleEvents().slice(0, 12);
  for (const ev of events) s.write(ev);
  await s.close();
  await until(() => r.messages.length === events.length, 5000, 'datagrams');
  for (const [i, m] of r.messages.entries()) {
    const p = RFC5424.exec(m.toString('utf8'));
    assert.ok(p);
    assert.equal(JSON.parse(p[8]).event.action, events[i].kind);
  }
  await r.stop();
});

test('TLS (RFC 5425): the same framing inside TLS, server certificate verified against ca_file', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const tls = await import('node:tls');
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not installed (needed to make a test certificate)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'aw-syslog-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  let data = Buffer.alloc(0);
  const server = tls.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => s.on('data', (c: Buffer) => (data = Buffer.concat([data, c]))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const events = sampleEvents().slice(0, 5);
  const s = createSyslogExporter({ type: 'syslog', name: 'tls', host: '127.0.0.1', port, tls: true, ca_file: cert });
  for (const ev of events) s.write(ev);
  await s.close();
  await until(() => frames(data).length === 5, 5000, 'frames over TLS');
  assert.deepEqual(
    frames(data).map((m) => RFC5424.exec(m)![6]),
    events.map((e) => e.kind),
  );
  // Without the CA the certificate is refused and nothing is sent.
  const bad = createSyslogExporter({ type: 'syslog', name: 'tls2', host: '127.0.0.1', port, tls: true, close_timeout_ms: 300, retry: { max_attempts: 1 } });
  bad.write(events[0]);
  await bad.close();
  assert.equal(bad.counters.sent, 0);
  assert.match(bad.transport.lastError ?? '', /certificate/i);
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true });
});
