// JSON lines file exporter: every event becomes one line, in order, in the chosen format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvents } from '../mapping/samples.js';
import { createJsonlFileExporter } from './index.js';

test('appends one JSON object per line, native and ECS', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-jsonl-'));
  const events = sampleEvents();
  const native = createJsonlFileExporter({ type: 'jsonl-file', name: 'n', path: join(dir, 'sub', 'events.jsonl') });
  const ecs = createJsonlFileExporter({ type: 'jsonl-file', name: 'e', path: join(dir, 'ecs.jsonl'), format: 'ecs', fsync: true, batch: { max_events: 7 } });
  for (const ev of events) {
    native.write(ev);
    ecs.write(ev);
  }
  await native.close();
  await ecs.close();
  const lines = readFileSync(join(dir, 'sub', 'events.jsonl'), 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'file ends with a newline');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), events);
  const ecsLines = readFileSync(join(dir, 'ecs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(ecsLines.length, events.length);
  assert.equal(ecsLines[0]['event'].action, events[0].kind);
  assert.equal(ecs.counters.batches, Math.ceil(events.length / 7));
  rmSync(dir, { recursive: true });
});

test('an unwritable path keeps events buffered and reports the error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-jsonl-'));
  const errors: string[] = [];
  // A path under a regular file cannot be created.
  const blocker = join(dir, 'file');
  (await import('node:fs')).writeFileSync(blocker, 'x');
  const s = createJsonlFileExporter({ type: 'jsonl-file', name: 'bad', path: join(blocker, 'x.jsonl'), close_timeout_ms: 200, retry: { max_attempts: 1 } }, { onError: (m) => errors.push(m) });
  s.write(sampleEvents()[0]);
  await s.close();
  assert.equal(s.counters.dropped.shutdown, 1);
  assert.ok(errors.some((e) => /unavailable/.test(e)));
  rmSync(dir, { recursive: true });
});
