// HTTP forward and reverse proxies against loopback servers, with real clients (node:http,
// node:tls and curl when installed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { resolvePaths, type AwPaths } from '../../core/paths.js';
import { validateEvent, type AwEvent } from '../../schema/index.js';
import { tempHome } from '../../testing/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import { issueToken } from '../identity/identity.js';
import { listRecordings, loadRecordingKeys, readRecording } from '../recording/recording.js';
import { loadOrCreateTls } from '../postgres/tls.js';
import { ForwardProxy, hostAllowed } from './forward.js';
import { ReverseProxy, pathMatches } from './reverse.js';

function request(opts: http.RequestOptions, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(opts, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

test('host patterns and path patterns', () => {
  assert.ok(hostAllowed(['example.com'], 'example.com', 443));
  assert.ok(!hostAllowed(['example.com'], 'evil-example.com', 443));
  assert.ok(hostAllowed(['*.example.com'], 'api.example.com', 443));
  assert.ok(!hostAllowed(['*.example.com'], 'example.com', 443));
  assert.ok(!hostAllowed(['*.example.com'], 'example.com.evil.net', 443));
  assert.ok(hostAllowed(['127.0.0.1:8443'], '127.0.0.1', 8443));
  assert.ok(!hostAllowed(['127.0.0.1:8443'], '127.0.0.1', 22));
  assert.ok(pathMatches('/api/*', '/api/users/1'));
  assert.ok(!pathMatches('/api/*', '/apix'));
  assert.ok(pathMatches('/users/*/orders', '/users/7/orders'));
  assert.ok(!pathMatches('/users/*/orders', '/users/7/x/orders'));
});

describe('HTTP proxies', () => {
  let paths: AwPaths;
  const events: AwEvent[] = [];
  let upstream: http.Server;
  let upPort = 0;
  let tlsServer: tls.Server;
  let tlsPort = 0;
  let fwd: ForwardProxy;
  let fwdPort = 0;
  let rev: ReverseProxy;
  let revPort = 0;
  const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders }> = [];

  before(async () => {
    paths = resolvePaths(tempHome('aw-http-'));
    upstream = http.createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, user: { name: 'Ada', email: 'ada@example.com', ssn: '123-45-6789' }, secret: 's3cr3t', note: 'card 4111 1111 1111 1111' }));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upPort = (upstream.address() as net.AddressInfo).port;
    const mat = loadOrCreateTls(paths);
    tlsServer = tls.createServer({ cert: mat.cert, key: mat.key }, (s) => s.end('hello over tls'));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    tlsPort = (tlsServer.address() as net.AddressInfo).port;
    const config = {
      http: {
        forward: { listen: '127.0.0.1:0', allow: { 'agent-a': ['127.0.0.1', 'localhost'], builders: ['registry.example'] } },
        reverse: [
          {
            name: 'api',
            listen: '127.0.0.1:0',
            upstream: `http://127.0.0.1:${upPort}`,
            rules: [
              { methods: ['GET'], path: '/api/*', action: 'allow' as const },
              { methods: ['DELETE'], path: '/api/*', action: 'require_approval' as const },
              { path: '/admin/*', action: 'block' as const },
            ],
            mask_fields: ['secret', 'user.ssn'],
            inject_header: { name: 'X-Api-Key', value: 'real-upstream-key' },
          },
        ],
      },
      masking: { detectors: ['email' as const, 'card' as const] },
      approvals: { hold_ms: 200 },
    };
    fwd = new ForwardProxy({ paths, config, emit: (e) => events.push(e) });
    ({ port: fwdPort } = await fwd.start());
    rev = new ReverseProxy({ paths, config, route: config.http.reverse[0], emit: (e) => events.push(e) });
    ({ port: revPort } = await rev.start());
  });

  after(async () => {
    await fwd?.stop();
    await rev?.stop();
    upstream?.close();
    tlsServer?.close();
  });

  test('forward proxy: plain HTTP allowed per agent, 403 for other hosts, 407 without a token', async () => {
    const tok = (await issueToken(paths, undefined, { agent: 'agent-a', groups: [], ttl: '5m' })).token;
    const ok = await request({ host: '127.0.0.1', port: fwdPort, path: `http://127.0.0.1:${upPort}/x`, headers: { 'proxy-authorization': `Bearer ${tok}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /"ok":true/);
    assert.equal(seen.at(-1)?.headers['proxy-authorization'], undefined);
    const other = (await issueToken(paths, undefined, { agent: 'agent-b', groups: ['builders'], ttl: '5m' })).token;
    const blocked = await request({ host: '127.0.0.1', port: fwdPort, path: `http://127.0.0.1:${upPort}/x`, headers: { 'proxy-authorization': `Bearer ${other}` } });
    assert.equal(blocked.status, 403);
    assert.match(blocked.body, /not in the egress allowlist for agent agent-b/);
    const anon = await request({ host: '127.0.0.1', port: fwdPort, path: `http://127.0.0.1:${upPort}/x` });
    assert.equal(anon.status, 407);
    const ev = events.find((e) => e.kind === 'gateway.http' && e.gateway?.http?.status === 200);
    assert.equal(ev?.gateway?.identity?.subject, 'agent-a');
    assert.ok((ev?.network?.bytes_in ?? 0) > 0);
  });

  test('forward proxy: CONNECT tunnel logs SNI; a tunnel whose SNI is not allowed is cut', async () => {
    const tok = (await issueToken(paths, undefined, { agent: 'agent-a', groups: [], ttl: '5m' })).token;
    const tunnel = async (sni: string): Promise<string> => {
      const s = net.connect(fwdPort, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.write(`CONNECT 127.0.0.1:${tlsPort} HTTP/1.1\r\nHost: 127.0.0.1:${tlsPort}\r\nProxy-Authorization: Basic ${Buffer.from(`agent-a:${tok}`).toString('base64')}\r\n\r\n`);
      const head = await new Promise<string>((r) => s.once('data', (d) => r(d.toString())));
      assert.match(head, /^HTTP\/1.1 200/);
      return new Promise((resolve) => {
        const t = tls.connect({ socket: s, servername: sni, rejectUnauthorized: false });
        let got = '';
        t.on('data', (d) => (got += d));
        t.on('error', () => resolve(`error:${got}`));
        t.on('close', () => resolve(got));
      });
    };
    assert.equal(await tunnel('localhost'), 'hello over tls');
    assert.ok(!(await tunnel('evil.example')).includes('hello'));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.some((e) => e.kind === 'gateway.http' && e.tls?.sni === 'localhost' && e.gateway?.http?.method === 'CONNECT'));
    assert.ok(events.some((e) => e.kind === 'gateway.block' && e.tls?.sni === 'evil.example'));
    const nope = net.connect(fwdPort, '127.0.0.1');
    await new Promise((r) => nope.once('connect', r));
    nope.write(`CONNECT 10.1.2.3:443 HTTP/1.1\r\nProxy-Authorization: Bearer ${tok}\r\n\r\n`);
    const resp = await new Promise<string>((r) => nope.once('data', (d) => r(d.toString())));
    assert.match(resp, /^HTTP\/1.1 403/);
    nope.destroy();
  });

  test('forward proxy with curl', { skip: spawnSync('curl', ['--version']).status === 0 ? false : 'needs curl' }, async () => {
    const tok = (await issueToken(paths, undefined, { agent: 'agent-a', groups: [], ttl: '5m' })).token;
    const run = (url: string) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const c = spawn('curl', ['-s', '-S', '-k', '-o', '-', '-w', '\n%{http_code}', '-x', `http://127.0.0.1:${fwdPort}`, '-U', `agent-a:${tok}`, url]);
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.on('close', (code) => resolve({ code: code ?? -1, out }));
      });
    const ok = await run(`http://127.0.0.1:${upPort}/hello`);
    assert.match(ok.out, /200$/);
    const blocked = await run('http://blocked.invalid/');
    assert.match(blocked.out, /403$/);
  });

  test('reverse proxy: bearer identity, method+path rules, JSON masking, injected credential, approvals, recording', async () => {
    const tok = (await issueToken(paths, undefined, { agent: 'api-agent', groups: [], ttl: '5m' })).token;
    const auth = { authorization: `Bearer ${tok}` };
    const none = await request({ host: '127.0.0.1', port: revPort, path: '/api/users' });
    assert.equal(none.status, 401);
    const get = await request({ host: '127.0.0.1', port: revPort, path: '/api/users', headers: auth });
    assert.equal(get.status, 200);
    const j = JSON.parse(get.body);
    assert.equal(j.secret, '****');
    assert.equal(j.user.ssn, '****');
    assert.equal(j.user.email, '****@****');
    assert.equal(j.note, 'card ****-card');
    assert.equal(j.user.name, 'Ada');
    assert.equal(seen.at(-1)?.headers['x-api-key'], 'real-upstream-key');
    assert.equal(seen.at(-1)?.headers.authorization, undefined);
    const adm = await request({ host: '127.0.0.1', port: revPort, path: '/admin/reset', method: 'POST', headers: auth });
    assert.equal(adm.status, 403);
    const unknown = await request({ host: '127.0.0.1', port: revPort, path: '/other', headers: auth });
    assert.equal(unknown.status, 403);
    const del = await request({ host: '127.0.0.1', port: revPort, path: '/api/users/7', method: 'DELETE', headers: auth });
    assert.equal(del.status, 428);
    const id = JSON.parse(del.body).approval as string;
    const store = ApprovalStore.open(paths);
    assert.throws(() => store.approve(id, 'api-agent'), /self-approval/);
    store.approve(id, 'dana');
    store.close();
    const again = await request({ host: '127.0.0.1', port: revPort, path: '/api/users/7', method: 'DELETE', headers: auth });
    assert.equal(again.status, 200);
    assert.equal(seen.at(-1)?.method, 'DELETE');
    await rev.stop();
    const recs = listRecordings(`${paths.home}/gateway/recordings`).filter((r) => r.header.protocol === 'http');
    assert.equal(recs.length, 1);
    const rec = readRecording(recs[0].file, loadRecordingKeys(paths).all);
    assert.ok(rec.records.some((r) => r.status === 403));
    assert.ok(!JSON.stringify(rec.records).includes('ada@example.com'));
    const bad = events.map((e) => validateEvent(JSON.parse(JSON.stringify(e)))).filter((r) => !r.ok);
    assert.deepEqual(bad, []);
  });
});
