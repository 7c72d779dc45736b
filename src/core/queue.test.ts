import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchQueue } from './queue.js';

test('drop_newest: a full queue drops and counts, never silently', async () => {
  const seen: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new BatchQueue<number>({
    capacity: 4,
    batchSize: 2,
    flushMs: 1,
    whenFull: 'drop_newest',
    consume: async (b) => {
      await gate;
      seen.push(...b);
    },
  });
  const accepted = Array.from({ length: 10 }, (_, i) => q.push(i));
  // The first batch of 2 was taken by the consumer, so 2 + 4 fit.
  assert.equal(accepted.filter(Boolean).length, 6);
  assert.equal(q.counters.dropped, 4);
  assert.equal(q.counters.received, 10);
  release();
  await q.flushed();
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  assert.equal(q.counters.sent, 6);
});

test('block: pushAsync waits for space and loses nothing', async () => {
  const seen: number[] = [];
  const q = new BatchQueue<number>({
    capacity: 3,
    batchSize: 2,
    flushMs: 1,
    whenFull: 'block',
    consume: async (b) => {
      await new Promise((r) => setTimeout(r, 2));
      seen.push(...b);
    },
  });
  for (let i = 0; i < 50; i++) await q.pushAsync(i);
  await q.flushed();
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(q.counters.dropped, 0);
});

test('a failing batch rejects its waiters and is reported', async () => {
  const errors: unknown[] = [];
  const q = new BatchQueue<number>({ capacity: 10, batchSize: 10, flushMs: 1, whenFull: 'block', consume: () => { throw new Error('disk full'); }, onError: (e) => errors.push(e) });
  q.push(1);
  await assert.rejects(q.flushed(), /disk full/);
  assert.equal(errors.length, 1);
});
