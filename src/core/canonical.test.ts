import assert from 'node:assert/strict';
import { test } from 'node:test';
import canonicalizeImpl from 'canonicalize';
import { canonicalJson } from './canonical.js';

const reference = canonicalizeImpl as unknown as (v: unknown) => string;

test('agrees with the reference JCS implementation on tricky values', () => {
  const samples: unknown[] = [
    { b: 1, a: [3, { z: null, y: 'é\u2028' }], '\u00e9': true, '': -0, n: 1e21, m: 1.5e-7, big: 12345678901234567000 },
    ['\u0000\u001f"\\/', { '\ud83d\ude00': 'emoji', '\u20ac': 'euro', '\r': 0.1 + 0.2 }],
    { kind: 'file.open', time: '2026-12-03T15:43:41.123456789Z', process: { argv: ['cat', '/x'], pid: 7 }, attributes: { nested: { k: [true, false, null] } } },
    'plain', 42, null, [],
    {},
  ];
  for (const s of samples) assert.equal(canonicalJson(s), reference(s));
});

test('drops undefined members like JSON and rejects non-finite numbers', () => {
  assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  assert.throws(() => canonicalJson({ a: Number.NaN }), /non-finite/);
  assert.throws(() => canonicalJson({ a: 1n }), /bigint/);
});

test('canonicalSplit leaves one member open and agrees with canonicalJson', async () => {
  const { canonicalSplit } = await import('./canonical.js');
  const samples: Array<Record<string, unknown>> = [
    { kind: 'a', time: 't', agent: { seq: 1 }, v: '1' },
    { zzz: 1 },
    { aaa: 1 },
    {},
    { session: { seq: 5 }, attributes: { seq: 0 }, sensor: 'x', source: { type: 's' }, 'se\u0000q': 2 },
  ];
  for (const s of samples) {
    const [head, tail] = canonicalSplit(s, 'seq');
    assert.equal(head + '42' + tail, canonicalJson({ ...s, seq: 42 }));
  }
});
