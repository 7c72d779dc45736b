// Identity: our own issuer and an OIDC issuer (discovery document + JWKS served on
// loopback), plus the approval gate's hold, grants and webhook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { resolvePaths, type AwPaths } from '../../core/paths.js';
import { tempHome } from '../../testing/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import { ApprovalGate } from '../approvals/gate.js';
import { IdentityVerifier, issueToken } from './identity.js';

describe('identity', () => {
  let paths: AwPaths;
  let server: http.Server;
  let base = '';
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  const webhooks: unknown[] = [];

  before(async () => {
    paths = resolvePaths(tempHome('aw-id-'));
    keys = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, jwks_uri: `${base}/jwks` }));
      } else if (req.url === '/jwks') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else if (req.url === '/hook' && req.method === 'POST') {
        let b = '';
        req.on('data', (c) => (b += c));
        req.on('end', () => {
          webhooks.push(JSON.parse(b));
          res.writeHead(204).end();
        });
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  after(() => server.close());

  test('own issuer: groups, expiry, ttl cap, session claim', async () => {
    const v = new IdentityVerifier(paths);
    const t = await issueToken(paths, undefined, { agent: 'claude-1', groups: ['readers', 'ops'], ttl: '15m', session: 'sess-42' });
    const id = await v.verify(t.token);
    assert.equal(id.subject, 'claude-1');
    assert.deepEqual(id.groups, ['readers', 'ops']);
    assert.equal(id.sessionId, 'sess-42');
    assert.ok(id.expiresAt > Date.now() + 14 * 60_000 && id.expiresAt <= Date.now() + 15 * 60_000);
    await assert.rejects(issueToken(paths, undefined, { agent: 'x', groups: [], ttl: '2d' }), /exceeds/);
    await assert.rejects(issueToken(paths, { max_ttl: '10m' }, { agent: 'x', groups: [], ttl: '15m' }), /exceeds/);
    await assert.rejects(v.verify(undefined), /no token/);
    // Another audience is refused.
    const other = await issueToken(paths, { audience: 'elsewhere' }, { agent: 'x', groups: [], ttl: '5m' });
    await assert.rejects(v.verify(other.token), /token rejected/);
  });

  test('OIDC issuer via discovery + JWKS; audience, groups claim, expiry', async () => {
    const v = new IdentityVerifier(paths, { oidc: { discovery_url: `${base}/.well-known/openid-configuration`, audience: 'aw', groups_claim: 'roles', subject_claim: 'email' } });
    const sign = (claims: Record<string, unknown>, aud = 'aw', exp: string | number = '5m') =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(base).setAudience(aud).setExpirationTime(exp).setSubject('u1').sign(keys.privateKey);
    const id = await v.verify(await sign({ email: 'bot@corp.example', roles: ['readers'] }));
    assert.equal(id.subject, 'bot@corp.example');
    assert.deepEqual(id.groups, ['readers']);
    assert.equal(id.issuer, base);
    await assert.rejects(v.verify(await sign({ email: 'a@b.c' }, 'wrong-aud')), /token rejected/);
    await assert.rejects(v.verify(await sign({ email: 'a@b.c' }, 'aw', Math.floor(Date.now() / 1000) - 60)), /expired/);
    const noExp = await new SignJWT({ email: 'a@b.c' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(base).setAudience('aw').sign(keys.privateKey);
    await assert.rejects(v.verify(noExp), /no expiry/);
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://other.example').setAudience('aw').setExpirationTime('5m').setSubject('z').sign(keys.privateKey);
    await assert.rejects(v.verify(foreign), /not trusted/);
  });

  test('approval gate: hold, webhook, one-time grant, denial', async () => {
    const store = ApprovalStore.open(paths);
    const gate = new ApprovalGate(store, { hold_ms: 150, webhook: `${base}/hook` });
    const identity = { subject: 'ag', groups: [], issuer: 'agentwarden', expiresAt: Date.now() + 60_000 };
    const req = { session: { id: 's1' }, identity, sql: 'DELETE FROM t WHERE id = 1', decision: { action: 'require_approval' as const, reason: 'write on t', rule: 'p#0' }, resource: 'postgres:app' };
    const r1 = await gate.request(req);
    assert.equal(r1.status, 'pending');
    for (let i = 0; i < 50 && !webhooks.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((webhooks[0] as { id: string }).id, r1.id);
    assert.equal((webhooks[0] as { statement: string }).statement, 'DELETE FROM t WHERE id = 1');
    assert.equal((await gate.request(req)).id, r1.id);
    assert.equal(webhooks.length, 1, 'one notification per request');
    store.approve(r1.id, 'rev');
    const r2 = await gate.request(req);
    assert.equal(r2.approved, true);
    assert.equal(r2.approver, 'rev');
    assert.equal((await gate.request(req)).status, 'pending');
    const pending = store.list()[0];
    store.deny(pending.id, 'rev');
    assert.equal((await gate.request(req)).status, 'denied');
    assert.throws(() => store.approve(pending.id, 'rev'), /denied, not pending/);
    store.close();
  });
});
