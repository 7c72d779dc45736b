import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocatedError } from '../core/errors.js';
import { runCli, tempHome } from '../testing/index.js';
import { loadConfig, parseConfigText } from './load.js';

function errOf(text: string): LocatedError {
  try {
    parseConfigText(text, 'aw.yaml');
  } catch (e) {
    assert.ok(e instanceof LocatedError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('a valid config loads', () => {
  const c = parseConfigText('store:\n  durability: fsync\n  queue:\n    capacity: 1000\n');
  assert.equal(c.store?.durability, 'fsync');
});

test('unknown keys are located at the key', () => {
  const e = errOf('store:\n  durability: normal\n  qeueu:\n    capacity: 3\n');
  assert.equal(e.code, 'CONFIG_INVALID');
  assert.equal(e.line, 3);
  assert.equal(e.column, 3);
  assert.match(e.message, /^aw\.yaml:3:3: CONFIG_INVALID: store\.qeueu: unknown key/);
});

test('wrong values are located at the value', () => {
  const e = errOf('store:\n  queue:\n    when_full: sometimes\n');
  assert.equal(e.line, 3);
  assert.equal(e.column, 16);
  assert.match(e.message, /block, drop_newest/);
  const t = errOf('store:\n  queue:\n    capacity: -4\n');
  assert.equal(t.line, 3);
});

test('YAML syntax errors and non-mappings are located', () => {
  const e = errOf('store:\n  durability: [normal\n');
  assert.equal(e.code, 'CONFIG_PARSE');
  assert.ok(e.line >= 2);
  assert.equal(errOf('- a\n- b\n').code, 'CONFIG_INVALID');
});

test('the CLI reports a bad config with file:line:col and exit 2', () => {
  const home = tempHome();
  const file = join(home, 'bad.yaml');
  writeFileSync(file, 'store:\n  durabilty: fsync\n');
  const r = runCli(['--config', file, 'events'], { env: { AGENTWARDEN_HOME: home } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:3: CONFIG_INVALID`));
  assert.throws(() => loadConfig(join(home, 'missing.yaml')), /CONFIG_READ/);
});
