// The byte pre-test that lets the gateway skip decoding cells must never skip a value a
// detector would change (masking with content detectors must still apply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentScanner } from './detectors.js';

test('mayMatch is false only for values no detector changes', () => {
  const scan = contentScanner(['email', 'card', 'api_key', 'national_id'])!;
  const samples = [
    'a@b.co', 'x@example.com', '4111111111111111', '4111 1111 1111 1111', '078-05-1120', 'AB 12 34 56 C', 'sk_live_abcdefghijklmnop1234',
    'AKIAABCDEFGHIJKLMNOP', '12345678', '123456789', '0', '-42', 'true', 'é@é', '\u{1F600}@x.io', 'ü'.repeat(5), '日本語テキスト', '',
  ];
  // Plus every length 0..24 of mixed one-, two-, three- and four-byte characters, with and without '@'.
  const alphabet = ['a', '7', '@', 'é', '日', '\u{1F600}', '-', ' '];
  let seed = 7;
  for (let n = 0; n < 2000; n++) {
    let s = '';
    const len = n % 25;
    for (let i = 0; i < len; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      s += alphabet[seed % alphabet.length];
    }
    samples.push(s);
  }
  let skipped = 0;
  for (const s of samples) {
    const b = Buffer.from(`xx${s}yy`, 'utf8');
    const may = scan.mayMatch(b, 2, b.length - 2);
    const counts = new Map<string, number>();
    const out = scan(s, counts);
    if (!may) {
      skipped++;
      assert.equal(out, s, `skipped a value the scanner changes: ${JSON.stringify(s)}`);
      assert.equal(counts.size, 0);
    }
    if (out !== s) assert.ok(may, JSON.stringify(s));
  }
  assert.ok(skipped > 100, 'short values are skipped');
  const one = contentScanner(['email'])!;
  const b = Buffer.from('4111111111111111');
  assert.equal(one.mayMatch(b, 0, b.length), false, 'only the configured detectors count');
  const at = Buffer.from('ab@cd');
  assert.equal(one.mayMatch(at, 0, 2), false, "an '@' outside the value does not count");
  assert.equal(one.mayMatch(at, 0, at.length), true);
});
