// OTLP logs exporter against a loopback OTLP/HTTP receiver: /v1/logs, JSON encoding,
// resource per host, nanosecond timestamps as strings, severities, partial success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { anyValue, anyValueJson, createOtlpLogsExporter, OtlpLogsSerializer } from './index.js';

/** AnyValue -> JSON (the inverse of the encoder, written independently for the check). */
function fromAny(v: any): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return v.arrayValue.values.map(fromAny);
  if ('kvlistValue' in v) return Object.fromEntries(v.kvlistValue.values.map((x: any) => [x.key, fromAny(x.value)]));
  return null;
}

test('AnyValue encoding round-trips JSON', () => {
  const v = { a: 'x', n: 3, f: 1.5, b: true, l: [1, 'two', { c: null }] };
  assert.deepEqual(fromAny(anyValue(v)), { ...v, l: [1, 'two', { c: null }] });
});

test('ExportLogsServiceRequest JSON to /v1/logs; partialSuccess counted', async () => {
  const r = await new HttpReceiver().start();
  r.handler = (q, res) => {
    if (q.url !== '/v1/logs' || q.headers['content-type'] !== 'application/json') return res.writeHead(404).end();
    if (q.headers['x-api-key'] !== 'k1') return res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ partialSuccess: { rejectedLogRecords: '1', errorMessage: 'one record too large' } }));
  };
  const s = createOtlpLogsExporter({ type: 'otlp-logs', name: 'otel', url: r.url, headers: { 'x-api-key': 'k1' }, service_name: 'aw-test' });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  assert.equal(r.requests.length, 1);
  const body = JSON.parse(r.requests[0].body.toString('utf8'));
  const recs: any[] = [];
  for (const rl of body.resourceLogs) {
    const attrs = Object.fromEntries(rl.resource.attributes.map((a: any) => [a.key, fromAny(a.value)]));
    assert.equal(attrs['service.name'], 'aw-test');
    assert.equal(rl.scopeLogs[0].scope.name, 'agentwarden');
    recs.push(...rl.scopeLogs[0].logRecords);
  }
  assert.equal(recs.length, events.length);
  const first = recs[0];
  assert.equal(first.timeUnixNano, '1796312621123456789');
  assert.equal(typeof first.observedTimeUnixNano, 'string');
  assert.equal(first.severityNumber, 9);
  assert.equal(first.eventName, 'agentwarden.process.exec');
  assert.deepEqual(fromAny(first.body), events[0]);
  const alert = recs.find((x) => x.eventName === 'agentwarden.alert');
  assert.equal(alert.severityNumber, 17);
  assert.equal(alert.severityText, 'ERROR');
  assert.equal(s.counters.dropped.rejected, 1);
  assert.equal(s.counters.sent, events.length - 1);
  await r.stop();
});

test('the direct JSON encoder matches the object encoder; hostile values stay inside their strings', () => {
  for (const ev of sampleEvents()) assert.deepEqual(JSON.parse(anyValueJson(ev)), anyValue(ev));
  const ev = { ...sampleEvents()[0], session: { id: '{"__aw_body":1}', agent: { kind: 'x' } } };
  const out = JSON.parse(Buffer.from(new OtlpLogsSerializer().serialize([ev, sampleEvents()[1]])).toString('utf8'));
  const recs = out.resourceLogs[0].scopeLogs[0].logRecords;
  assert.deepEqual(fromAny(recs[0].body), ev);
  assert.deepEqual(fromAny(recs[1].body), sampleEvents()[1]);
  assert.equal(recs[0].attributes.find((a: any) => a.key === 'session.id').value.stringValue, '{"__aw_body":1}');
});
