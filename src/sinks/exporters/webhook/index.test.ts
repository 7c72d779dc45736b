// Webhook exporter against a loopback receiver that checks the HMAC signature itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { createWebhookExporter, verifyWebhook } from './index.js';

test('POSTs signed JSON batches; the signature covers timestamp and body', async () => {
  const r = await new HttpReceiver().start();
  const secret = 's3cr3t-key';
  process.env.AW_TEST_WEBHOOK_SECRET = secret;
  const s = createWebhookExporter({ type: 'webhook', name: 'hook', url: `${r.url}/hooks/aw`, secret_env: 'AW_TEST_WEBHOOK_SECRET', headers: { 'x-tenant': 't1' }, batch: { max_events: 10 } });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  assert.equal(r.requests.length, Math.ceil(events.length / 10));
  const got = [];
  for (const q of r.requests) {
    assert.equal(q.method, 'POST');
    assert.equal(q.url, '/hooks/aw');
    assert.equal(q.headers['content-type'], 'application/json');
    assert.equal(q.headers['x-tenant'], 't1');
    const t = q.headers['x-agentwarden-timestamp'] as string;
    const sig = q.headers['x-agentwarden-signature'] as string;
    // Recompute independently with node:crypto.
    const want = createHmac('sha256', secret).update(`${t}.${q.body.toString('utf8')}`).digest('hex');
    assert.equal(sig, `t=${t},v1=${want}`);
    assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60);
    assert.equal(verifyWebhook(secret, sig, q.body), true);
    assert.equal(verifyWebhook('wrong', sig, q.body), false);
    const tampered = Buffer.from(q.body);
    tampered[5] ^= 1;
    assert.equal(verifyWebhook(secret, sig, tampered), false);
    assert.equal(verifyWebhook(secret, sig, q.body, 300, Number(t) + 301), false, 'replay window');
    got.push(...JSON.parse(q.body.toString('utf8')));
  }
  assert.deepEqual(got, events);
  delete process.env.AW_TEST_WEBHOOK_SECRET;
  await r.stop();
});

test('a missing secret is a configuration error', () => {
  assert.throws(() => createWebhookExporter({ type: 'webhook', name: 'h', url: 'http://127.0.0.1:1', secret_env: 'AW_NOT_SET_ANYWHERE' }), /AW_NOT_SET_ANYWHERE/);
});
