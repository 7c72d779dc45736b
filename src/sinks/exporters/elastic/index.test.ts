// Elastic exporter against a loopback bulk endpoint: ApiKey auth, NDJSON action/document
// pairs with ECS documents, per-item errors (429 retried idempotently, 409 = delivered,
// 400 = rejected and counted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpReceiver } from '../testing/receivers.js';
import { sampleEvents } from '../mapping/samples.js';
import { toEcs } from '../mapping/ecs.js';
import { createElasticExporter, DEFAULT_INDEX, elasticIndexTemplate, FLATTENED_FIELDS } from './index.js';

function pairs(body: Buffer): Array<[any, any]> {
  const lines = body.toString('utf8').split('\n');
  assert.equal(lines.pop(), '', 'bulk body ends with a newline');
  const out: Array<[any, any]> = [];
  for (let i = 0; i < lines.length; i += 2) out.push([JSON.parse(lines[i]), JSON.parse(lines[i + 1])]);
  return out;
}

test('bulk NDJSON of ECS documents with ApiKey auth, idempotent resend on item 429', async () => {
  const r = await new HttpReceiver().start();
  const indexed = new Map<string, any>();
  let round = 0;
  r.handler = (q, res) => {
    if (q.headers.authorization !== 'ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==') return res.writeHead(401).end();
    if (!q.url.startsWith('/_bulk?filter_path=')) return res.writeHead(404).end();
    round++;
    const items = pairs(q.body).map(([action, doc], i) => {
      const id = action.create._id;
      assert.equal(action.create._index, DEFAULT_INDEX);
      if (indexed.has(id)) return { create: { status: 409, error: { type: 'version_conflict_engine_exception' } } };
      // First round: refuse every third item temporarily.
      if (round === 1 && i % 3 === 0) return { create: { status: 429, error: { type: 'es_rejected_execution_exception' } } };
      if (doc.event.action === 'sensor.drop') return { create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'test refuses sensor.drop' } } };
      indexed.set(id, doc);
      return { create: { status: 201 } };
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: items.some((x) => x.create.status >= 300), items }));
  };
  const errors: string[] = [];
  const s = createElasticExporter(
    { type: 'elastic', name: 'es', url: r.url, api_key: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==', batch: { max_events: 100 }, retry: { initial_backoff_ms: 5 } },
    { onError: (m) => errors.push(m) },
  );
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  assert.equal(r.requests.length, 2, 'one resend of the whole batch');
  assert.equal(r.requests[0].headers['content-type'], 'application/x-ndjson');
  assert.equal(indexed.size, events.length - 1);
  assert.equal(s.counters.dropped.rejected, 1);
  assert.equal(s.counters.sent, events.length - 1);
  assert.ok(errors.some((e) => /mapper_parsing_exception/.test(e)));
  for (const ev of events.filter((e) => e.kind !== 'sensor.drop')) assert.deepEqual(indexed.get(ev.id!), toEcs(ev));
  await r.stop();
});

test('events without an id get a content-derived _id (stable across resends)', async () => {
  const r = await new HttpReceiver().start();
  const s = createElasticExporter({ type: 'elastic', name: 'es', url: `${r.url}/`, api_key: 'k', index: 'logs-aw-test' });
  const ev = { ...sampleEvents()[0] };
  delete ev.id;
  s.write(ev);
  s.write(ev);
  await s.close();
  const [[a1], [a2]] = pairs(r.requests[0].body);
  assert.equal(a1.create._index, 'logs-aw-test');
  assert.match(a1.create._id, /^[0-9a-f]{40}$/);
  assert.equal(a1.create._id, a2.create._id);
  await r.stop();
});

test('the index template maps every free-form field flattened, consistent with ECS', async () => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { sharedDir } = await import('../../../testing/index.js');
  const ecs = parse(readFileSync(sharedDir('data/sensors/schemas/ecs/ecs_flat.yml'), 'utf8'), { maxAliasCount: -1 }) as Record<string, { type: string }>;
  const t = elasticIndexTemplate() as any;
  assert.deepEqual(t.index_patterns, ['logs-agentwarden.events-*']);
  const props = t.template.mappings.properties;
  const at = (p: string) => p.split('.').reduce((o: any, k, i, a) => (i === a.length - 1 ? o?.[k] : o?.[k]?.properties), props);
  for (const f of FLATTENED_FIELDS) {
    assert.equal(at(f)?.type, 'flattened', f);
    if (!f.startsWith('agentwarden.')) assert.equal(ecs[f]?.type, 'flattened', `${f} is flattened in ECS too`);
  }
  // Every object-valued free-form field our mapper emits is covered.
  for (const ev of sampleEvents()) {
    const d = toEcs(ev);
    for (const p of ['gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'agentwarden.attributes', 'agentwarden.sensor.drops']) {
      const v = p.split('.').reduce((o: any, k) => o?.[k], d);
      if (v !== undefined) assert.ok((FLATTENED_FIELDS as readonly string[]).includes(p), p);
    }
  }
});
