// Keeps docs/schema-mapping.md identical to the mapping derived from the mapper code, and
// checks that no field of the event schema is lost by either mapper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../testing/index.js';
import { renderSchemaMapping, schemaLeaves, traceMappings } from './trace.js';

test('every event field reaches an ECS field and an OCSF attribute (or the custom namespaces)', () => {
  const rows = traceMappings();
  assert.equal(rows.length, schemaLeaves().length);
  const lost = rows.filter((r) => r.ecs.length === 0 || r.ocsf.length === 0).map((r) => `${r.field}: ecs=${r.ecs.length} ocsf=${r.ocsf.length}`);
  assert.deepEqual(lost, []);
  const byField = new Map(rows.map((r) => [r.field, r]));
  assert.ok(byField.get('process.pid')!.ecs.includes('process.pid'));
  assert.ok(byField.get('process.exe')!.ecs.includes('process.name'), 'derived fields are traced');
  assert.ok(byField.get('dns.query')!.ocsf.includes('query.hostname'));
});

test('docs/schema-mapping.md is generated from the mapper code', () => {
  const file = join(repoRoot(), 'docs', 'schema-mapping.md');
  const want = renderSchemaMapping();
  if (process.env.AW_UPDATE_DOCS === '1') writeFileSync(file, want);
  let have = '';
  try {
    have = readFileSync(file, 'utf8');
  } catch {
    // missing file: the assertion below reports it
  }
  assert.equal(have, want, 'docs/schema-mapping.md is stale: run AW_UPDATE_DOCS=1 node --test dist/sinks/exporters/mapping/trace.test.js');
});
