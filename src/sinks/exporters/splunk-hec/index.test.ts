// Splunk HEC exporter against a loopback collector that checks the protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { createSplunkHecExporter, hecEndpoint } from './index.js';

/** Parses concatenated JSON objects the way HEC does. */
function parseConcatenated(s: string): any[] {
  const out = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (inStr) {
      if (ch === '\\') i++;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' && --depth === 0) out.push(JSON.parse(s.slice(start, i + 1)));
  }
  return out;
}

test('endpoint path is added once', () => {
  assert.equal(hecEndpoint('https://splunk:8088'), 'https://splunk:8088/services/collector/event');
  assert.equal(hecEndpoint('https://splunk:8088/services/collector/event'), 'https://splunk:8088/services/collector/event');
});

test('batches concatenated envelopes with Splunk token auth; 503 is retried', async () => {
  const r = await new HttpReceiver().start();
  let refused = 0;
  r.handler = (q, res, i) => {
    if (q.headers.authorization !== 'Splunk 11111111-2222-3333-4444-555555555555') return res.writeHead(403).end('{"text":"Invalid token","code":4}');
    if (i === 1) {
      refused++;
      return res.writeHead(503, { 'retry-after': '0' }).end('{"text":"Server is busy","code":9}');
    }
    res.writeHead(200).end('{"text":"Success","code":0}');
  };
  const s = createSplunkHecExporter({
    type: 'splunk-hec',
    name: 'splunk',
    url: r.url,
    token: '11111111-2222-3333-4444-555555555555',
    index: 'agentwarden',
    channel: '0f0e0d0c-0b0a-4909-8807-060504030201',
    batch: { max_events: 15 },
    retry: { initial_backoff_ms: 5 },
  });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  assert.equal(refused, 1);
  const delivered = r.requests.filter((_q, i) => i !== 1);
  assert.equal(delivered.length, Math.ceil(events.length / 15));
  const envs = [];
  for (const q of delivered) {
    assert.equal(q.url, '/services/collector/event');
    assert.equal(q.headers['x-splunk-request-channel'], '0f0e0d0c-0b0a-4909-8807-060504030201');
    const text = q.body.toString('utf8');
    assert.ok(!text.trimStart().startsWith('['), 'not a JSON array');
    envs.push(...parseConcatenated(text));
  }
  assert.equal(envs.length, events.length);
  assert.equal(s.counters.sent, events.length);
  const e0 = envs[0];
  assert.equal(e0.time, Date.parse(events[0].time) / 1000);
  assert.equal(e0.host, 'dev-laptop');
  assert.equal(e0.source, 'agentwarden');
  assert.equal(e0.sourcetype, 'agentwarden:event');
  assert.equal(e0.index, 'agentwarden');
  assert.deepEqual(e0.event, events[0]);
  assert.equal(e0.fields.kind, events[0].kind);
  assert.equal(e0.fields.session_id, 'sess-7f3a9c');
  await r.stop();
});

test('a wrong token keeps events buffered (401/403 are retried, not discarded)', async () => {
  const r = await new HttpReceiver().start();
  let accept = false;
  r.handler = (_q, res) => (accept ? res.writeHead(200).end('{"code":0}') : res.writeHead(403).end('{"text":"Invalid token","code":4}'));
  const s = createSplunkHecExporter({ type: 'splunk-hec', name: 's', url: r.url, token: 'bad', retry: { max_attempts: 1, initial_backoff_ms: 5, max_backoff_ms: 20 }, batch: { flush_ms: 1 } });
  s.write(sampleEvents()[0]);
  while (r.requests.length < 2) await new Promise((res) => setTimeout(res, 10));
  assert.equal(s.counters.sent, 0);
  accept = true; // the operator fixed the token on the receiver side
  await s.close();
  assert.equal(s.counters.sent, 1);
  assert.equal(s.droppedTotal, 0);
  await r.stop();
});

test('indexer acknowledgement: delivered only once acked; an ack that never comes makes the batch resend', async () => {
  const r = await new HttpReceiver().start();
  const channel = '0f0e0d0c-0b0a-4909-8807-060504030201';
  let nextAck = 0;
  const acked = new Set<number>();
  const polls: number[] = [];
  r.handler = (q, res) => {
    if (q.headers['x-splunk-request-channel'] !== channel) return res.writeHead(400).end('{"text":"Data channel is missing","code":10}');
    if (q.url === '/services/collector/event') {
      const id = nextAck++;
      // The first batch is "lost" by the indexer: never acknowledged. The others are acknowledged on the second poll.
      return res.writeHead(200).end(JSON.stringify({ text: 'Success', code: 0, ackId: id }));
    }
    if (q.url === '/services/collector/ack') {
      const [id] = JSON.parse(q.body.toString('utf8')).acks as number[];
      polls.push(id);
      const n = polls.filter((x) => x === id).length;
      const ok = id !== 0 && n >= 2;
      if (ok) acked.add(id);
      return res.writeHead(200).end(JSON.stringify({ acks: { [id]: ok } }));
    }
    res.writeHead(404).end();
  };
  const s = createSplunkHecExporter({ type: 'splunk-hec', name: 'ack', url: r.url, token: 't', channel, ack: true, ack_poll_ms: 10, ack_timeout_ms: 200, retry: { max_attempts: 2, initial_backoff_ms: 5 } });
  const events = sampleEvents().slice(0, 3);
  for (const ev of events) s.write(ev);
  await s.close();
  const sends = r.requests.filter((q) => q.url === '/services/collector/event');
  assert.equal(sends.length, 2, 'the unacknowledged batch was sent again');
  assert.deepEqual(sends[0].body, sends[1].body);
  assert.deepEqual([...acked], [1]);
  assert.equal(s.counters.sent, 3);
  assert.equal(s.counters.retries, 1);
  await r.stop();
});

test('ack needs a channel (config error at load)', async () => {
  const { parseConfigText } = await import('../../../config/load.js');
  assert.throws(() => parseConfigText('exporters:\n  - type: splunk-hec\n    name: s\n    url: https://x\n    token: t\n    ack: true\n', 'aw.yaml'), /aw\.yaml:2:\d+: CONFIG_INVALID: .*channel/);
});
