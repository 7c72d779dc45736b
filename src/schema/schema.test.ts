import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../testing/index.js';
import { EVENT_JSON_SCHEMA, EVENT_KINDS, formatTimeNs, parseTimeNs, validateEvent } from './index.js';

test('docs/event.schema.json is the published schema (npm run docs:schema)', () => {
  const published = JSON.parse(readFileSync(join(repoRoot(), 'docs', 'event.schema.json'), 'utf8'));
  assert.deepEqual(published, JSON.parse(JSON.stringify(EVENT_JSON_SCHEMA)));
});

test('every kind family the product sees is in the model', () => {
  for (const k of ['process.exec', 'process.fork', 'process.exit', 'file.rename', 'file.chmod', 'network.dns', 'network.tls', 'library.load', 'persistence.change', 'registry.change', 'agent.session.start', 'agent.prompt', 'agent.tool.call', 'agent.tool.result', 'agent.subagent.spawn', 'agent.file.edit', 'agent.decision', 'gateway.connection', 'gateway.statement', 'gateway.response', 'gateway.mask', 'gateway.block', 'gateway.approval', 'alert']) {
    assert.ok((EVENT_KINDS as readonly string[]).includes(k), k);
  }
});

test('validation names the offending field', () => {
  const base = { time: '2026-12-03T15:43:41.123456789Z', kind: 'file.open', source: { type: 'x' } };
  assert.equal(validateEvent(base).ok, true);
  const r1 = validateEvent({ ...base, file: { intent: ['read'] } });
  assert.equal(r1.ok, false);
  assert.match((r1 as { reason: string }).reason, /^file: must have required property 'path'/);
  const r2 = validateEvent({ ...base, process: { pid: 'x' } });
  assert.match((r2 as { reason: string }).reason, /^process\.pid: must be integer/);
  const r3 = validateEvent({ ...base, time: '2026-13-45T00:00:00Z' });
  assert.equal(r3.ok, false);
});

test('nanosecond time round-trips and offsets are honoured', () => {
  const t = '2026-12-03T15:43:41.123456789Z';
  assert.equal(formatTimeNs(parseTimeNs(t)!), t);
  assert.equal(parseTimeNs('2026-12-03T16:43:41.5+01:00'), parseTimeNs('2026-12-03T15:43:41.500Z'));
  assert.equal(parseTimeNs('not a time'), undefined);
});
