// Checks the OCSF mapper against the OCSF schema in shared/data/sensors/schemas/ocsf:
// classes per kind, type_uid arithmetic, every attribute defined, required ones present,
// enums valid; detection findings for alerts and the 1.9.0-dev ai_agent for the session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedDir } from '../../../testing/index.js';
import { EVENT_KINDS } from '../../../schema/index.js';
import { OcsfSchema } from '../testing/ocsf-schema.js';
import { toOcsf, OCSF_CLASS } from './ocsf.js';
import { extraSamples, sampleEvents } from './samples.js';

const schema = new OcsfSchema(sharedDir('data/sensors/schemas/ocsf'));
const all = [...sampleEvents(), ...extraSamples()];

test('every mapped event validates against the OCSF schema', () => {
  const problems: string[] = [];
  const weak = new Set<string>();
  for (const ev of all) {
    const r = schema.validate(toOcsf(ev));
    for (const p of r.problems) problems.push(`${ev.kind}: ${p}`);
    for (const w of r.weak) weak.add(w);
  }
  assert.deepEqual(problems, []);
  // The classes we can check fully must be the bulk of the kernel kinds.
  const strict = all.filter((e) => schema.classByUid.has(toOcsf(e).class_uid)).length;
  assert.ok(strict >= 20, `${strict} events validated against their local class`);
});

test('the validator catches what it should (it can fail)', () => {
  const ev = toOcsf(sampleEvents()[0]);
  const bad = { ...ev, type_uid: 1, bogus: 1, process: { ...ev.process, pid: 'x' } };
  delete (bad as Record<string, unknown>).metadata;
  const { problems } = schema.validate(bad);
  assert.ok(problems.some((p) => /type_uid/.test(p)));
  assert.ok(problems.some((p) => /bogus/.test(p)));
  assert.ok(problems.some((p) => /process.pid/.test(p)));
  assert.ok(problems.some((p) => /metadata missing/.test(p)));
  const file = toOcsf(sampleEvents().find((e) => e.kind === 'file.read')!);
  file.file.type_id = 42;
  assert.ok(schema.validate(file).problems.some((p) => /file.type_id: 42 not in enum/.test(p)));
});

test('classes, activities and type_uid per kind', () => {
  const by = (k: string) => toOcsf(all.find((e) => e.kind === k)!);
  const expect: Array<[string, number, number, number]> = [
    ['process.exec', 1007, 1, 1],
    ['process.exit', 1007, 2, 1],
    ['file.create', 1001, 1, 1],
    ['file.read', 1001, 2, 1],
    ['file.write', 1001, 3, 1],
    ['file.delete', 1001, 4, 1],
    ['file.rename', 1001, 5, 1],
    ['network.connect', 4001, 1, 4],
    ['network.dns', 4003, 2, 4],
    ['library.load', 1005, 1, 1],
    ['registry.change', 201002, 2, 1],
    ['alert', 2004, 1, 2],
  ];
  for (const [k, cls, act, cat] of expect) {
    const o = by(k);
    assert.equal(o.class_uid, cls, k);
    assert.equal(o.activity_id, act, k);
    assert.equal(o.category_uid, cat, k);
    assert.equal(o.type_uid, cls * 100 + act, k);
  }
  const [key, query] = extraSamples();
  assert.equal(toOcsf(key).class_uid, 201001);
  assert.equal(toOcsf(key).activity_id, 1);
  assert.equal(toOcsf(query).activity_id, 1, 'a DNS event without answers is a query');
  for (const k of EVENT_KINDS) assert.ok(OCSF_CLASS[k], k);
});

test('alerts become detection findings with ATT&CK and ATLAS; sessions carry ai_agent', () => {
  const a = toOcsf(all.find((e) => e.kind === 'alert')!);
  assert.equal(a.severity_id, 4);
  assert.equal(a.finding_info.analytic.uid, 'aw-cred-exfil');
  assert.deepEqual(
    a.finding_info.attacks.map((x: any) => x.technique.uid),
    ['T1552.001', 'T1041', 'AML.T0057'],
  );
  assert.deepEqual(
    a.finding_info.related_events.map((x: any) => x.uid),
    ['01JEXAMPLE000003', '01JEXAMPLE000012'],
  );
  assert.equal(a.confidence_score, 90);
  const p = toOcsf(sampleEvents()[0]);
  assert.equal(p.ai_agent.instance_uid, 'sess-7f3a9c');
  assert.equal(p.ai_agent.type_id, 99);
  assert.deepEqual(p.metadata.profiles, ['ai_operation']);
  assert.equal(p.process.cmd_line.startsWith('curl -s'), true);
  assert.equal(p.actor.process.pid, 4200, 'the launching parent is the actor');
  assert.equal(p.time, Date.parse('2026-12-03T15:43:41.123Z'));
});
