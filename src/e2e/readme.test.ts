// The README promises: exactly two set-up commands, the second being what .ci/run runs, and
// an offline verification script identical to the tested one in docs/forensics.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../testing/index.js';

const read = (p: string) => readFileSync(join(repoRoot(), p), 'utf8');

test('the quickstart has two commands and .ci/run runs the test command', () => {
  const quick = /## Quickstart\n([\s\S]*?)\n## /.exec(read('README.md'))![1];
  const blocks = [...quick.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
  assert.equal(blocks.length, 2);
  assert.ok(blocks.every((b) => !b.includes('\n')), 'one command line each');
  assert.match(read('.ci/run'), new RegExp(`^${blocks[1].replace('--ci', 'CI_PLACEHOLDER').replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('CI_PLACEHOLDER', '--ci')}$`, 'm'));
});

test('the README verification script is the one docs/forensics.md tests', () => {
  const snippet = (text: string) => /```sh\n(set -euo pipefail\nB=\$\{BUNDLE[\s\S]*?)```/.exec(text)?.[1];
  const fromReadme = snippet(read('README.md'));
  assert.ok(fromReadme);
  assert.equal(fromReadme, snippet(read('docs/forensics.md')));
});
