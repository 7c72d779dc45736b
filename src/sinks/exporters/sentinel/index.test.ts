// Sentinel exporter against a loopback Entra-style token server and a loopback Logs
// Ingestion endpoint: client-credentials form, bearer token, DCR path and api-version,
// JSON array body, token refresh on 401.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { createSentinelExporter, ingestionUrl } from './index.js';

test('ingestion URL', () => {
  assert.equal(ingestionUrl('https://dce.ingest.monitor.azure.com/', 'dcr-00ff', 'Custom-AW_CL'), 'https://dce.ingest.monitor.azure.com/dataCollectionRules/dcr-00ff/streams/Custom-AW_CL?api-version=2023-01-01');
});

test('fetches a client-credentials token, posts JSON arrays to the DCR stream, refreshes on 401', async () => {
  const tokens = await new HttpReceiver().start();
  let issued = 0;
  tokens.handler = (q, res) => {
    const form = new URLSearchParams(q.body.toString('utf8'));
    if (q.url !== '/tenant-1/oauth2/v2.0/token' || q.headers['content-type'] !== 'application/x-www-form-urlencoded') return res.writeHead(404).end();
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'app-1' || form.get('client_secret') !== 'shh' || form.get('scope') !== 'https://monitor.azure.com//.default') {
      return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    }
    issued++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: `tok${issued}` }));
  };
  const ingest = await new HttpReceiver().start();
  const rows: any[] = [];
  ingest.handler = (q, res, i) => {
    if (!q.url.startsWith('/dataCollectionRules/dcr-0123abcd/streams/Custom-AgentWarden_CL?api-version=2023-01-01')) return res.writeHead(404).end();
    // The first token is "revoked": the exporter must fetch a new one and resend.
    if (i === 0 || q.headers.authorization !== 'Bearer tok2') return res.writeHead(401).end('{"error":{"code":"InvalidToken"}}');
    rows.push(...JSON.parse(q.body.toString('utf8')));
    res.writeHead(204).end();
  };
  const s = createSentinelExporter({
    type: 'sentinel',
    name: 'sentinel',
    endpoint: ingest.url,
    dcr_immutable_id: 'dcr-0123abcd',
    stream: 'Custom-AgentWarden_CL',
    tenant_id: 'tenant-1',
    client_id: 'app-1',
    client_secret: 'shh',
    token_url: `${tokens.url}/tenant-1/oauth2/v2.0/token`,
    batch: { max_events: 20 },
    retry: { initial_backoff_ms: 5 },
  });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  assert.equal(issued, 2, 'one token, then one refresh after the 401');
  assert.equal(rows.length, events.length);
  assert.equal(s.counters.sent, events.length);
  const alert = rows.find((r) => r.Kind === 'alert');
  assert.equal(alert.Severity, 'high');
  assert.equal(alert.RuleId, 'aw-cred-exfil');
  assert.equal(rows[0].TimeGenerated, '2026-12-03T15:43:41.1234567Z');
  assert.equal(rows[0].SessionId, 'sess-7f3a9c');
  assert.deepEqual(rows[0].Event, events[0]);
  await tokens.stop();
  await ingest.stop();
});

test('a token endpoint that refuses keeps events buffered and reports why (without the secret)', async () => {
  const tokens = await new HttpReceiver().start();
  tokens.handler = (_q, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}');
  const errors: string[] = [];
  const s = createSentinelExporter(
    { type: 'sentinel', name: 'sn', endpoint: 'http://127.0.0.1:9', dcr_immutable_id: 'dcr-1', stream: 'Custom-X', tenant_id: 't', client_id: 'c', client_secret: 'topsecret', token_url: `${tokens.url}/t`, close_timeout_ms: 300, retry: { max_attempts: 1 } },
    { onError: (m) => errors.push(m) },
  );
  s.write(sampleEvents()[0]);
  await s.close();
  assert.equal(s.counters.dropped.shutdown, 1);
  assert.ok(errors.some((e) => /invalid_client/.test(e)));
  assert.ok(!errors.some((e) => /topsecret/.test(e)));
  await tokens.stop();
});
