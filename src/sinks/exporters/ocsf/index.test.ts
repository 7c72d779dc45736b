// OCSF exporter: JSON lines to a file (each line valid OCSF) and JSON arrays over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedDir } from '../../../testing/index.js';
import { HttpReceiver } from '../testing/receivers.js';
import { OcsfSchema } from '../testing/ocsf-schema.js';
import { sampleEvents } from '../mapping/samples.js';
import { createOcsfExporter } from './index.js';

test('file output: one valid OCSF event per line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-ocsf-'));
  const s = createOcsfExporter({ type: 'ocsf', name: 'o', path: join(dir, 'ocsf.jsonl') });
  const events = sampleEvents();
  for (const ev of events) s.write(ev);
  await s.close();
  const schema = new OcsfSchema(sharedDir('data/sensors/schemas/ocsf'));
  const lines = readFileSync(join(dir, 'ocsf.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, events.length);
  for (const o of lines) assert.deepEqual(schema.validate(o).problems, [], `class ${o.class_uid}`);
  rmSync(dir, { recursive: true });
});

test('HTTP output: JSON array with bearer token', async () => {
  const r = await new HttpReceiver().start();
  const s = createOcsfExporter({ type: 'ocsf', name: 'o', url: `${r.url}/ocsf`, bearer_token: 'b1' });
  for (const ev of sampleEvents().slice(0, 5)) s.write(ev);
  await s.close();
  assert.equal(r.requests[0].headers.authorization, 'Bearer b1');
  const arr = JSON.parse(r.requests[0].body.toString('utf8'));
  assert.equal(arr.length, 5);
  assert.equal(arr[0].class_uid, 1007);
  await r.stop();
});
