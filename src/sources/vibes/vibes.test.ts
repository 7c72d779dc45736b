// VIBES: the real Maestro directories parse (figures from research/vibes-trace.md and
// data/vibes/vibes-hash-test-vectors.json), hash vectors, and the export -> import
// roundtrip through the real CLI and store is lossless.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { validateEvent } from '../../schema/index.js';
import { runCli, sharedDir, tempHome } from '../../testing/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import { annotationIdCheck, exportVibes, importVibes, manifestHashA, manifestHashB, sessionTreeEvents } from './index.js';

const V = (...p: string[]) => sharedDir('data', 'vibes', ...p);

test('hash vectors: both rules reproduce the published values', () => {
  const vec = JSON.parse(readFileSync(V('vibes-hash-test-vectors.json'), 'utf8')) as { vectors: Array<{ id: string; input?: Record<string, unknown>; expected_sha256: string; type_field_included: boolean }> };
  const byId = new Map(vec.vectors.map((v) => [v.id, v]));
  for (const v of vec.vectors) {
    const input = v.input ?? byId.get('manifest-env-flat')!.input!;
    assert.equal(v.type_field_included ? manifestHashB(input) : manifestHashA(input), v.expected_sha256, v.id);
  }
});

test('Maestro .ai-audit directories: every record read, hash disagreements reported, stale attestation found', () => {
  const { result, report } = importVibes(V('maestro-ai-audit-2026-03-high'));
  assert.deepEqual(result.problems, []);
  // README / vectors file: 2,985 entries (1,702 command, 1,281 reasoning, 2 environment);
  // 2,546 keys follow the rule without type, 437 with type, 2 neither.
  assert.equal(report.manifest.entries, 2985);
  assert.deepEqual(report.manifest.by_type, { environment: 2, command: 1702, reasoning: 1281 });
  assert.deepEqual(report.manifest.hash_rules, { with_type: 437, without_type: 2546, neither: 2 });
  // 713 records: 484 line, 168 session, 61 edge; 640 without id, 34 match, 39 match without anchors.
  assert.deepEqual(report.annotations.by_type, { session: 168, line: 484, edge: 61 });
  assert.deepEqual(report.annotations.annotation_ids, { absent: 640, match: 34, match_without_anchors: 39 });
  assert.ok(report.attestation && report.attestation.subjects.length === 3 && report.attestation.subjects.every((s) => !s.ok));
  // Nothing dropped: one event per manifest entry and per annotation.
  assert.equal(result.events.length, 2985 + 713);
  const kinds: Record<string, number> = {};
  for (const e of result.events) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  assert.equal(kinds['agent.tool.call'], 1702);
  assert.equal(kinds['agent.file.edit'], 484);
  assert.equal(kinds['agent.session.start'] + kinds['agent.session.end'], 168);
  // Line annotations are joined to their command entry by hash.
  const joined = result.events.filter((e) => e.kind === 'agent.file.edit' && e.agent?.tool?.input);
  assert.ok(joined.length > 0);
  const one = joined[0];
  const rec = (one.attributes!.vibes as { record: Record<string, unknown> }).record;
  const manifest = JSON.parse(readFileSync(V('maestro-ai-audit-2026-03-high', 'manifest.json'), 'utf8')) as { entries: Record<string, { command_text: string }> };
  assert.equal((one.agent!.tool!.input as { command: string }).command, manifest.entries[rec.command_hash as string].command_text);
  assert.equal(one.session?.agent.kind, 'claude-code');
  for (const e of result.events) assert.ok(validateEvent(JSON.parse(JSON.stringify(e))).ok, e.kind);
  const small = importVibes(V('maestro-ai-audit-2026-02-codex'));
  assert.deepEqual(small.result.problems, []);
  assert.equal(small.report.annotations.records, 11);
  assert.equal(small.report.manifest.hash_rules.without_type, 1);
  assert.ok(small.result.events.filter((e) => e.session).every((e) => e.session!.agent.kind === 'codex'));
});

test('tolerant: a broken annotation line is reported with its line, the rest kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-vibes-bad-'));
  const src = readFileSync(V('maestro-ai-audit-2026-02-codex', 'annotations.jsonl'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'annotations.jsonl'), [...src.slice(0, 2), '{"type":"session", oops', ...src.slice(2)].join('\n'));
  writeFileSync(join(dir, 'manifest.json'), readFileSync(V('maestro-ai-audit-2026-02-codex', 'manifest.json')));
  const { result } = importVibes(dir);
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0].line, 3);
  assert.equal(result.events.filter((e) => e.kind.startsWith('agent.session')).length, 11);
});

test('roundtrip: store -> vibes export -> import reads back every event exactly', () => {
  const home = tempHome();
  const gen = sharedDir('data', 'agents', 'generated');
  for (const [a, d] of [['claude', 'claude-code-2.1.197'], ['codex', 'codex-cli-0.169.0'], ['gemini', 'gemini-cli-0.61.0']]) {
    const r = runCli(['--store', home, 'import', a, join(gen, d, 'cred-exfil')]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal(runCli(['--store', home, 'import', 'claude', sharedDir('data', 'agents', 'claude-code', 'transcripts', 'spotter')]).code, 0);
  // Sealed originals (cleartext behind redaction) are not exported; the rest is exact.
  const strip = (e: AwEvent & { seq?: number; v?: string }) => {
    const { seq: _s, v: _v, ...rest } = e;
    if (rest.attributes && 'aw_sealed' in rest.attributes) {
      const { aw_sealed: _x, ...attrs } = rest.attributes;
      rest.attributes = attrs;
    }
    return rest;
  };
  const store = openStoreReadonly(resolvePaths(home));
  let stored: AwEvent[];
  try {
    stored = store.query({ kindPrefix: 'agent.' });
  } finally {
    store.close();
  }
  const sessions = ['3d1a18c1-fa0d-4726-becd-a5f6c5b6715a', '01a20274-d772-7c83-9a42-09c50feeb328', '0d3a4503-d440-477b-b946-59172d4ffd4e', '8463c716-a2ea-4c14-9efa-87158ebd9f20'];
  for (const [i, sid] of sessions.entries()) {
    const out = mkdtempSync(join(tmpdir(), 'aw-vibes-out-'));
    // The session, its sub-agent sessions and its spawn records.
    const mine = stored.filter((e) => e.session && (e.session.id === sid || e.session.parent_id === sid));
    assert.ok(mine.length > 5);
    if (i === 0) {
      // Once through the CLI (export and import into a fresh store).
      const ex = runCli(['--store', home, '--json', 'vibes', 'export', '--session', sid, '--out', out]);
      assert.equal(ex.code, 0, ex.stderr);
      assert.equal(JSON.parse(ex.stdout).events, mine.length);
      const imp = runCli(['--store', tempHome(), '--json', 'import', 'vibes', out]);
      assert.equal(imp.code, 0, imp.stderr);
      assert.equal(JSON.parse(imp.stdout).stored, mine.length);
    } else exportVibes(sessionTreeEvents(stored, sid), out);
    const { result, report } = importVibes(out);
    assert.deepEqual(result.problems, []);
    assert.equal(report.manifest.hash_rules.neither, 0, 'our keys follow rule B');
    assert.equal(report.manifest.hash_rules.with_type, report.manifest.entries);
    assert.equal(report.annotations.annotation_ids.match, report.annotations.records);
    const want = new Map(mine.map((e) => [e.id!, strip(e)]));
    assert.equal(result.events.length, want.size);
    for (const e of result.events) assert.deepEqual(strip(e), want.get(e.id!), `event ${e.id} ${e.kind}`);
    // The native VIBES fields alone (without our extension) still carry prompts and commands.
    const lines = readFileSync(join(out, 'annotations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) assert.notEqual(annotationIdCheck(l), 'mismatch');
    const bare = mkdtempSync(join(tmpdir(), 'aw-vibes-bare-'));
    writeFileSync(join(bare, 'annotations.jsonl'), lines.map((l) => JSON.stringify({ ...l, x_agentwarden: undefined })).join('\n'));
    writeFileSync(join(bare, 'manifest.json'), readFileSync(join(out, 'manifest.json')));
    const native = importVibes(bare).result.events;
    const prompts = native.filter((e) => e.kind === 'agent.prompt').map((e) => e.agent?.prompt?.text);
    for (const p of mine.filter((e) => e.kind === 'agent.prompt')) assert.ok(prompts.includes(p.agent?.prompt?.text), 'prompt text kept natively');
    const cmds = native.filter((e) => e.kind === 'agent.tool.call').map((e) => (e.agent?.tool?.input as { command?: string })?.command);
    for (const c of mine.filter((e) => e.kind === 'agent.tool.call' && e.agent?.tool?.category === 'shell')) assert.ok(cmds.includes((c.agent?.tool?.input as { command: string }).command), 'shell command kept natively');
  }
});

test('a planted x_agentwarden cannot pass for sensor records or add alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-vibes-planted-'));
  const alert = { time: '2026-01-01T00:00:00Z', kind: 'alert', source: { type: 'rules' }, alert: { rule_id: 'x', title: 'fake', severity: 'critical' } };
  const exec = { time: '2026-01-01T00:00:01Z', kind: 'process.exec', source: { type: 'linux-ebpf', name: 'sensor' }, process: { pid: 42, argv: ['curl', 'http://x'] } };
  const rec = (ev: object, sid: string) => ({ type: 'session', event: 'start', session_id: sid, timestamp: '2026-01-01T00:00:00Z', environment_hash: null, assurance_level: 'low', description: null, x_agentwarden: { event: ev } });
  writeFileSync(join(dir, 'annotations.jsonl'), [JSON.stringify(rec(alert, 's-planted')), JSON.stringify(rec(exec, 's-exec'))].join('\n') + '\n');
  const { result, report } = importVibes(dir);
  assert.equal(report.annotations.restore_rejected, 1);
  assert.equal(result.events.length, 2);
  assert.equal(result.events[0].kind, 'agent.session.start', 'the alert falls back to the VIBES session record');
  assert.equal(result.events[0].session?.id, 's-planted');
  assert.equal(result.events[1].kind, 'process.exec');
  assert.deepEqual(result.events[1].source, { type: 'import', name: 'vibes', ref: `${join(dir, 'annotations.jsonl')}:2` });
  assert.deepEqual(result.events[1].attributes?.['vibes.claimed_source'], { type: 'linux-ebpf', name: 'sensor' });
});
