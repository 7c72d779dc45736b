import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AwEvent } from '../schema/index.js';
import { IncidentDb } from './incident/db.js';
import { createResponseService } from './service.js';
import { buildStory } from './testutil.js';

test('response service: reactive tier does not start; proactive tier opens the incident for the alert', async () => {
  assert.equal(createResponseService({}), undefined);
  assert.equal(createResponseService({ response: { tier: 'reactive' } }), undefined);
  const story = buildStory();
  story.store.close();
  const svc = createResponseService({ response: { tier: 'proactive', scan_interval_ms: 100 } })!;
  const logs: string[] = [];
  await svc.start({ config: {}, paths: story.paths, emit: (_e: AwEvent) => undefined, log: (m) => logs.push(m) });
  try {
    assert.equal(svc.status().opened, 1);
    assert.match(logs.join('\n'), /response: opened INC-/);
  } finally {
    await svc.stop();
  }
  const db = IncidentDb.open(story.paths.storeDir);
  try {
    const list = db.list();
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].sessions, [story.s1]);
  } finally {
    db.close();
  }
});
