// The IoC catalog stays consistent with the default pack and with MITRE ATLAS.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, sharedDir } from '../testing/index.js';
import { defaultPack } from './test-pack.js';
import { parseIocCatalog } from './index.js';

const catalog = () => parseIocCatalog(readFileSync(join(repoRoot(), 'rules', 'ioc-catalog.yaml'), 'utf8'), 'rules/ioc-catalog.yaml');
const SEV = ['info', 'low', 'medium', 'high', 'critical'];

test('catalog covers the required classes, each entry detected by rules that carry its id', () => {
  const entries = catalog();
  const classes = new Set(entries.map((e) => e.class));
  for (const c of ['prompt-injection', 'tool-abuse-scope-violation', 'delegation-anomaly', 'reasoning-drift', 'credential-access-then-egress', 'mcp-integrity', 'source-exfiltration', 'behavioural-deviation']) {
    assert.ok(classes.has(c), `class ${c}`);
  }
  const pack = defaultPack();
  for (const e of entries) {
    assert.ok(e.false_positives.length > 0, `${e.id}: false-positive notes`);
    assert.ok(e.attack.every((t) => /^T\d{4}(\.\d{3})?$/.test(t)), `${e.id}: ATT&CK ids`);
    assert.ok(e.atlas.length > 0 && e.atlas.every((t) => /^AML\.T\d{4}(\.\d{3})?$/.test(t)), `${e.id}: ATLAS ids`);
    const rules = e.detection.map((id) => pack.get(id));
    assert.ok(rules.every(Boolean), `${e.id}: detection rules exist (${e.detection.join(', ')})`);
    for (const r of rules) assert.equal(r!.meta.ioc, e.id, `${r!.meta.id} carries ${e.id}`);
    const maxSev = rules.map((r) => r!.meta.severity).sort((a, b) => SEV.indexOf(b) - SEV.indexOf(a))[0];
    assert.equal(e.severity, maxSev, `${e.id}: severity is its strongest rule's`);
    const union = (k: 'attack' | 'atlas') => [...new Set(rules.flatMap((r) => r!.meta[k]))].sort();
    assert.deepEqual([...e.attack].sort(), union('attack'), `${e.id}: ATT&CK = union of its rules`);
    assert.deepEqual([...e.atlas].sort(), union('atlas'), `${e.id}: ATLAS = union of its rules`);
  }
  const ids = new Set(entries.map((e) => e.id));
  for (const r of pack.rules) if (r.meta.ioc) assert.ok(ids.has(r.meta.ioc), `${r.meta.id}: ${r.meta.ioc} is in the catalog`);
  assert.equal(entries.find((e) => e.class === 'credential-access-then-egress')?.id, 'AW-IOC-CRED-001');
});

test('every ATLAS id used exists in the MITRE ATLAS data', { skip: existsSync(sharedDir('data', 'mitre', 'atlas', 'ATLAS.yaml')) ? false : 'needs ../shared/data/mitre' }, () => {
  const atlas = readFileSync(sharedDir('data', 'mitre', 'atlas', 'ATLAS.yaml'), 'utf8');
  const known = new Set([...atlas.matchAll(/^\s*-?\s*id: (AML\.T\d{4}(?:\.\d{3})?)\s*$/gm)].map((m) => m[1]));
  const used = new Set(catalog().flatMap((e) => e.atlas));
  for (const id of used) assert.ok(known.has(id), `${id} in ATLAS.yaml`);
});

test('catalog problems are located', () => {
  assert.throws(() => parseIocCatalog('- id: AW-IOC-X-1\n  severity: high\n', 'c.yaml'), /^LocatedError|c\.yaml:1:3: RULE_VALUE/);
});
