// LogScale exporter against a loopback structured-ingest endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { toEcs } from '../mapping/ecs.js';
import { createLogScaleExporter } from './index.js';

test('humio-structured body with tags and events, bearer ingest token, 502 retried', async () => {
  const r = await new HttpReceiver().start();
  r.handler = (q, res, i) => {
    if (q.url !== '/api/v1/ingest/humio-structured') return res.writeHead(404).end();
    if (q.headers.authorization !== 'Bearer ingest-token-1') return res.writeHead(401).end();
    if (i === 0) return res.writeHead(502).end();
    res.writeHead(200).end('{}');
  };
  process.env.AW_TEST_LS_TOKEN = 'ingest-token-1';
  const s = createLogScaleExporter({ type: 'logscale', name: 'ls', url: r.url, token_env: 'AW_TEST_LS_TOKEN', tags: { source: 'agentwarden', env: 'test' }, format: 'ecs', retry: { initial_backoff_ms: 5 } });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  delete process.env.AW_TEST_LS_TOKEN;
  assert.equal(r.requests.length, 2);
  const body = JSON.parse(r.requests[1].body.toString('utf8'));
  assert.equal(body.length, 1);
  assert.deepEqual(body[0].tags, { source: 'agentwarden', env: 'test' });
  assert.equal(body[0].events.length, events.length);
  assert.equal(body[0].events[0].timestamp, '2026-12-03T15:43:41.123Z');
  assert.deepEqual(body[0].events[0].attributes, toEcs(events[0]));
  await r.stop();
});
