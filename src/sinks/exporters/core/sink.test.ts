// The exporter core against a real loopback HTTP receiver: retries on 429/5xx honouring
// Retry-After, no loss across a receiver restart, counted drops on overflow, permanent
// failures counted, bounded close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AwEvent } from '../../../schema/index.js';
import { HttpReceiver, until } from '../testing/receivers.js';
import { HttpTransport } from './http.js';
import { JsonLinesSerializer } from './json.js';
import { RetryingTransport, backoffDelay, parseRetryAfter, RETRY_DEFAULTS } from './retrying.js';
import { ExporterSink } from './sink.js';
import { compileFilter } from './filter.js';

function ev(i: number, extra: Partial<AwEvent> = {}): AwEvent {
  return { id: `e${i}`, time: '2026-12-03T15:43:41.000000001Z', kind: 'process.exec', source: { type: 'test' }, process: { pid: i }, ...extra };
}

function ids(r: HttpReceiver): string[] {
  return r.requests.flatMap((q) => q.body.toString('utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string));
}

function sink(url: string, o: Partial<ConstructorParameters<typeof ExporterSink>[0]> = {}) {
  return new ExporterSink({
    name: 'test',
    serializer: new JsonLinesSerializer(),
    transport: new HttpTransport({ url: `${url}/ingest`, contentType: 'application/x-ndjson' }),
    batchSize: 10,
    flushMs: 5,
    retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
    outageBackoffMs: { initial: 20, max: 100 },
    ...o,
  });
}

test('Retry-After is parsed as seconds or HTTP date', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString(), Date.now()) !== undefined, true);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

test('backoff grows exponentially, is capped, and never undercuts Retry-After', () => {
  const o = { ...RETRY_DEFAULTS };
  const one = () => 1;
  assert.equal(backoffDelay(1, { retryable: true }, o, one), 1000);
  assert.equal(backoffDelay(2, { retryable: true }, o, one), 1500);
  assert.equal(backoffDelay(10, { retryable: true }, o, one), 5000);
  assert.equal(backoffDelay(1, { retryable: true, retryInMs: 7000 }, o, () => 0), 7000);
  assert.equal(backoffDelay(1, { retryable: true, retryInMs: 600_000 }, o, () => 0), 60_000);
});

test('429 and 503 are retried, waiting the Retry-After the receiver asked for', async () => {
  const r = await new HttpReceiver().start();
  r.handler = (_q, res, i) => {
    if (i === 0) res.writeHead(429, { 'retry-after': '2' }).end();
    else if (i === 1) res.writeHead(503).end();
    else res.writeHead(200).end();
  };
  const slept: number[] = [];
  const t = new RetryingTransport(new HttpTransport({ url: r.url, contentType: 'text/plain' }), {
    initialBackoffMs: 10,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  const res = await t.send(new TextEncoder().encode('x'), 2000);
  assert.equal(res, 'success');
  assert.equal(r.requests.length, 3);
  assert.equal(slept[0], 2000, 'first wait honours Retry-After: 2');
  assert.ok(slept[1] <= 15, 'second wait is the jittered backoff');
  assert.equal(t.retries, 2);
  await r.stop();
});

test('a 400 is a permanent failure: not retried, counted as rejected', async () => {
  const r = await new HttpReceiver().start();
  r.handler = (_q, res) => res.writeHead(400).end('bad');
  const errors: string[] = [];
  const s = sink(r.url, { onError: (m) => errors.push(m) });
  for (let i = 0; i < 5; i++) s.write(ev(i));
  await s.flush();
  assert.equal(r.requests.length, 1);
  assert.equal(s.counters.dropped.rejected, 5);
  assert.equal(s.counters.sent, 0);
  assert.match(errors[0], /rejected/);
  await s.close();
  await r.stop();
});

test('no loss when the receiver is stopped and restarted mid-stream', async () => {
  const r = await new HttpReceiver().start();
  const s = sink(r.url, { retry: { maxAttempts: 2, initialBackoffMs: 5, maxBackoffMs: 10 } });
  for (let i = 0; i < 50; i++) s.write(ev(i));
  await until(() => r.requests.length >= 2, 5000, 'first batches');
  await r.stop();
  for (let i = 50; i < 300; i++) s.write(ev(i));
  // Let the exporter hit the dead receiver for a while.
  await until(() => s.counters.state === 'retrying', 5000, 'retrying state');
  await new Promise((res) => setTimeout(res, 200));
  await r.start(); // same port
  await s.flush();
  const got = new Set(ids(r));
  for (let i = 0; i < 300; i++) assert.ok(got.has(`e${i}`), `e${i} delivered`);
  assert.equal(s.counters.sent, 300);
  assert.equal(s.droppedTotal, 0);
  assert.ok(s.counters.retries > 0);
  // Order is kept: the first delivery of each id is in write order.
  const first = [...new Map(ids(r).map((id, i) => [id, i])).keys()];
  assert.deepEqual(first.slice(0, 300), Array.from({ length: 300 }, (_, i) => `e${i}`));
  await s.close();
  await r.stop();
});

test('a full buffer drops the newest events and counts them; the kept ones arrive', async () => {
  const r = await new HttpReceiver().start();
  await r.stop(); // receiver down: connection refused
  const s = sink(r.url, { capacity: 100, batchSize: 10 });
  for (let i = 0; i < 250; i++) s.write(ev(i));
  assert.equal(s.counters.dropped.buffer_full, 150);
  assert.equal(s.counters.received, 250);
  await r.start();
  await s.flush();
  const got = ids(r);
  assert.deepEqual([...new Set(got)].sort(), Array.from({ length: 100 }, (_, i) => `e${i}`).sort());
  const report = s.dropReport({ name: 'h' });
  assert.equal(report?.kind, 'sensor.drop');
  assert.equal(report?.sensor?.drops?.buffer_full, 150);
  assert.equal(s.dropReport(), null, 'no new drops since the last report');
  await s.close();
  await r.stop();
});

test('drop_oldest keeps the most recent events', async () => {
  const r = await new HttpReceiver().start();
  await r.stop();
  const s = sink(r.url, { capacity: 50, batchSize: 10, whenFull: 'drop_oldest' });
  for (let i = 0; i < 200; i++) s.write(ev(i));
  await r.start();
  await s.flush();
  const got = new Set(ids(r));
  assert.ok(got.has('e199'), 'the newest event is delivered');
  assert.equal(s.counters.dropped.buffer_full + s.counters.sent, 200);
  assert.equal(s.counters.sent, got.size);
  await s.close();
  await r.stop();
});

test('close gives up after closeTimeoutMs and counts the undelivered events', async () => {
  const r = await new HttpReceiver().start();
  await r.stop();
  const errors: string[] = [];
  const s = sink(r.url, { closeTimeoutMs: 300, onError: (m) => errors.push(m) });
  for (let i = 0; i < 25; i++) s.write(ev(i));
  await s.close();
  assert.equal(s.counters.dropped.shutdown, 25);
  assert.equal(s.counters.state, 'closed');
  assert.ok(errors.some((e) => /closing: .* not delivered/.test(e)));
  s.write(ev(99));
  assert.equal(s.counters.dropped.shutdown, 26, 'writes after close are counted');
});

test('the filter selects kinds and a minimum severity', async () => {
  const f = compileFilter({ kinds: ['alert', 'network.*'], min_severity: 'high' })!;
  const alert = (sev: 'low' | 'high' | 'critical') => ev(0, { kind: 'alert', alert: { rule_id: 'r', title: 't', severity: sev } });
  assert.equal(f(alert('high')), true);
  assert.equal(f(alert('critical')), true);
  assert.equal(f(alert('low')), false);
  assert.equal(f(ev(1)), false);
  assert.equal(f(ev(1, { kind: 'network.connect' })), false, 'no severity counts as info');
  const g = compileFilter({ kinds: ['network.*'] })!;
  assert.equal(g(ev(1, { kind: 'network.dns' })), true);
  assert.equal(g(ev(1, { kind: 'process.exec' })), false);
  assert.equal(compileFilter({}), undefined);

  const r = await new HttpReceiver().start();
  const s = sink(r.url, { filter: f });
  s.write(alert('high'));
  s.write(alert('low'));
  s.write(ev(5));
  await s.flush();
  assert.equal(s.counters.filtered, 2);
  assert.equal(s.counters.sent, 1);
  await s.close();
  await r.stop();
});

test('a 413 splits the batch until the receiver accepts the pieces', async () => {
  const r = await new HttpReceiver().start();
  r.handler = (q, res) => {
    const n = q.body.toString('utf8').trim().split('\n').length;
    if (n > 3) return res.writeHead(413).end();
    res.writeHead(200).end();
  };
  const s = sink(r.url, { batchSize: 10 });
  for (let i = 0; i < 10; i++) s.write(ev(i));
  await s.flush();
  assert.equal(s.counters.sent, 10);
  const accepted = r.requests.filter((q) => q.body.toString('utf8').trim().split('\n').length <= 3);
  assert.deepEqual(
    accepted.flatMap((q) => q.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l).id)),
    Array.from({ length: 10 }, (_, i) => `e${i}`),
  );
  await s.close();
  await r.stop();
});

test('an unserializable event is counted alone; the rest of its batch is delivered', async () => {
  const r = await new HttpReceiver().start();
  const errors: string[] = [];
  const s = sink(r.url, { onError: (m) => errors.push(m) });
  const bad = ev(3, { attributes: { big: 10n } as unknown as Record<string, unknown> });
  for (let i = 0; i < 6; i++) s.write(i === 3 ? bad : ev(i));
  await s.flush();
  assert.equal(s.counters.dropped.serialize_error, 1);
  assert.equal(s.counters.sent, 5);
  assert.deepEqual(ids(r), ['e0', 'e1', 'e2', 'e4', 'e5']);
  assert.match(errors[0], /cannot serialize 1 event/);
  await s.close();
  await r.stop();
});
