import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli, sharedDir } from '../../testing/index.js';
import { openIncident } from '../incident/incidents.js';
import { buildStory, stixValidator } from '../testutil.js';
import { gatherReport, stixBundle, traceIr, type StixObject } from './report.js';
import { ATLAS_NAMES } from './techniques.js';

function refsOf(o: unknown, out: string[] = []): string[] {
  if (Array.isArray(o)) for (const x of o) refsOf(x, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (k.endsWith('_ref') && typeof v === 'string') out.push(v);
      else if (k.endsWith('_refs') && Array.isArray(v)) out.push(...(v as string[]));
      else refsOf(v, out);
    }
  }
  return out;
}

test('STIX bundle: every object validates against its OASIS schema, refs resolve, custom objects use extension definitions', () => {
  const story = buildStory({ hostile: true });
  const inc = openIncident(story.store, { sessions: [story.s1, story.s2], alerts: [story.seq.alert] });
  const input = gatherReport(story.store, inc.id);
  story.store.close();
  const bundle = stixBundle(input);
  const validate = stixValidator();
  assert.match(bundle.id, /^bundle--[0-9a-f-]{36}$/);
  const problems = bundle.objects.flatMap(validate);
  assert.deepEqual(problems, []);
  const ids = new Set(bundle.objects.map((o) => o.id));
  assert.equal(ids.size, bundle.objects.length, 'no duplicate ids');
  for (const r of refsOf(bundle.objects)) assert.ok(ids.has(r), `dangling reference ${r}`);
  const types = new Set(bundle.objects.map((o) => o.type));
  for (const t of ['incident', 'indicator', 'observed-data', 'identity', 'tool', 'note', 'relationship', 'sighting', 'extension-definition', 'attack-pattern', 'agentwarden-agent-session', 'agentwarden-tool-call', 'file', 'ipv4-addr', 'network-traffic', 'process']) {
    assert.ok(types.has(t), `bundle has a ${t}`);
  }
  assert.ok(![...types].some((t) => t.startsWith('x-')), 'no legacy x- objects');
  for (const o of bundle.objects.filter((x) => x.type.startsWith('agentwarden-'))) {
    const ext = o.extensions as Record<string, { extension_type: string }>;
    const defId = Object.keys(ext)[0];
    const def = bundle.objects.find((d) => d.id === defId)!;
    assert.equal(def.type, 'extension-definition');
    assert.deepEqual(def.extension_types, ['new-sdo']);
    assert.equal(ext[defId].extension_type, 'new-sdo');
  }
  // A sub-agent session points at its parent; a delegated-to relationship mirrors it.
  const sub = bundle.objects.find((o) => o.type === 'agentwarden-agent-session' && o.session_id === story.s2)!;
  const parent = bundle.objects.find((o) => o.type === 'agentwarden-agent-session' && o.session_id === story.s1)!;
  assert.equal(sub.parent_session_ref, parent.id);
  assert.ok(bundle.objects.some((o) => o.type === 'relationship' && o.relationship_type === 'delegated-to' && o.source_ref === parent.id && o.target_ref === sub.id));
  // The indicator's pattern names the credential file and the loopback endpoint.
  const ind = bundle.objects.find((o) => o.type === 'indicator' && String(o.pattern).includes('FOLLOWEDBY'))!;
  assert.match(String(ind.pattern), /file:name = 'credentials' AND file:parent_directory_ref\.path = '.*\/\.aws'\]\) FOLLOWEDBY \(\[network-traffic:dst_ref\.value = '127\.0\.0\.1' AND network-traffic:dst_port = 48123\]\)/);
  // ATT&CK and ATLAS techniques.
  const aps = bundle.objects.filter((o) => o.type === 'attack-pattern').map((o) => (o.external_references as Array<{ source_name: string; external_id: string }>)[0]);
  for (const [src, id] of [['mitre-attack', 'T1552.001'], ['mitre-attack', 'T1041'], ['mitre-atlas', 'AML.T0055'], ['mitre-atlas', 'AML.T0086'], ['mitre-atlas', 'AML.T0053']]) {
    assert.ok(aps.some((a) => a.source_name === src && a.external_id === id), `${src} ${id}`);
  }
  // The validator is real: a broken object fails.
  assert.ok(validate({ ...bundle.objects.find((o) => o.type === 'incident')!, severity: 'high' } as StixObject).length > 0);
  assert.ok(validate({ ...ind, created: '2026-12-03T10:00:00Z' } as StixObject).length > 0, 'seconds-only created is rejected');
  // The bundle envelope itself (objects checked one by one above, as the official validator does).
  assert.equal(bundle.type, 'bundle');
  assert.ok(!('spec_version' in bundle));
});

test('ATLAS technique names match MITRE ATLAS 5.6.0', () => {
  const atlas = parse(readFileSync(sharedDir('data', 'mitre', 'atlas', 'ATLAS.yaml'), 'utf8')) as { matrices: unknown[]; techniques?: Array<{ id: string; name: string }> };
  const names = new Map<string, string>();
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(walk);
    else if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>;
      if (typeof r.id === 'string' && typeof r.name === 'string' && r.id.startsWith('AML.T')) names.set(r.id, r.name);
      Object.values(r).forEach(walk);
    }
  };
  walk(atlas);
  for (const [id, name] of Object.entries(ATLAS_NAMES)) assert.equal(names.get(id), name, id);
});

test('TRACE-IR report: incident, delegation, key events, techniques, evidence; CLI both formats', () => {
  const story = buildStory();
  const inc = openIncident(story.store, { sessions: [story.s1, story.s2], alerts: [story.seq.alert] });
  const ir = traceIr(gatherReport(story.store, inc.id)) as Record<string, any>;
  story.store.close();
  assert.equal(ir.incident.id, inc.id);
  assert.equal(ir.incident.ioc_class, 'CRED');
  assert.deepEqual(ir.delegation, [{ parent: story.s1, child: story.s2 }]);
  assert.ok(ir.key_events.some((e: { kind: string; summary: string }) => e.kind === 'agent.prompt'));
  assert.ok(ir.key_events.some((e: { kind: string; summary: string }) => e.kind === 'file.open' && e.summary.includes('.aws/credentials')));
  assert.ok(ir.techniques.atlas.some((t: { id: string }) => t.id === 'AML.T0086'));
  assert.match(ir.summary, /Credentials read: .*\.aws\/credentials by cat/);
  const cli = runCli(['--store', story.home, 'report', inc.id, '--format', 'stix']);
  assert.equal(cli.code, 0, cli.stderr);
  const bundle = JSON.parse(cli.stdout) as { objects: StixObject[] };
  assert.deepEqual(bundle.objects.flatMap(stixValidator()), []);
  const tr = runCli(['--store', story.home, 'report', inc.id]);
  assert.equal(tr.code, 0, tr.stderr);
  assert.equal((JSON.parse(tr.stdout) as { trace_ir_version: string }).trace_ir_version, '0.1-draft-compatible');
  assert.equal(runCli(['--store', story.home, 'report', inc.id, '--format', 'pdf']).code, 2);
});

