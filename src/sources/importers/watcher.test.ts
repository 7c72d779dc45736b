// The watcher tails growing session logs (driven by poll() so the test has no timing
// dependence) and emits exactly what a whole-file import of the final files yields.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AwConfig } from '../../config/types.js';
import { resolvePaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { sharedDir } from '../../testing/index.js';
import { importFile } from './import.js';
import { AgentLogWatcher } from './watcher.js';

const G = (...p: string[]) => sharedDir('data', 'agents', 'generated', ...p);

test('watchers tail appended lines (partial lines wait), skip old files, report malformed lines', async () => {
  const home = mkdtempSync(join(tmpdir(), 'aw-watch-'));
  const claudeDir = join(home, '.claude', 'projects', '-sim-run-ws');
  const codexDir = join(home, '.codex', 'sessions', '2026', '11', '22');
  const geminiDir = join(home, '.gemini', 'tmp', 'ws', 'chats');
  for (const d of [claudeDir, codexDir, geminiDir]) mkdirSync(d, { recursive: true });
  // A file that exists before the watcher starts is not replayed (existing: end).
  writeFileSync(join(claudeDir, 'old.jsonl'), readFileSync(sharedDir('data', 'agents', 'claude-code', 'transcripts', 'spotter', 'short.jsonl')));
  const emitted: AwEvent[] = [];
  const logs: string[] = [];
  const w = new AgentLogWatcher({ poll_ms: 60_000 }, home);
  await w.start({ config: {} as AwConfig, paths: resolvePaths(home), emit: (e) => emitted.push(e), log: (m) => logs.push(m) });
  assert.equal(emitted.length, 0);
  const cases: Array<[string, string, 'claude-code' | 'codex' | 'gemini-cli']> = [
    [G('claude-code-2.1.197', 'cred-exfil', 'transcript.jsonl'), join(claudeDir, '3d1a18c1-fa0d-4726-becd-a5f6c5b6715a.jsonl'), 'claude-code'],
    [G('codex-cli-0.169.0', 'cred-exfil', 'rollout.jsonl'), join(codexDir, 'rollout-2026-11-22T08-52-21-01a20274-d772-7c83-9a42-09c50feeb328.jsonl'), 'codex'],
    [G('gemini-cli-0.61.0', 'cred-exfil', 'chat.jsonl'), join(geminiDir, 'session-2026-11-22T08-52-0d3a4503.jsonl'), 'gemini-cli'],
  ];
  for (const [src, dst] of cases) {
    const text = readFileSync(src, 'utf8');
    const cut = Math.floor(text.length / 2); // mid-line: the partial line must wait
    writeFileSync(dst, text.slice(0, cut));
    w.poll();
    appendFileSync(dst, text.slice(cut, text.length - 1));
    w.poll();
    appendFileSync(dst, text.slice(text.length - 1));
    w.poll();
  }
  // A malformed line in the live Claude file is logged as file:line and skipped.
  appendFileSync(cases[0][1], '{"type":"user", nope\n');
  w.poll();
  await w.stop();
  assert.equal(logs.length, 1);
  assert.match(logs[0], new RegExp(`3d1a18c1-fa0d-4726-becd-a5f6c5b6715a\\.jsonl:${readFileSync(cases[0][0], 'utf8').trim().split('\n').length + 1}: not JSON`));
  const ids = new Set(emitted.map((e) => e.id));
  assert.equal(ids.size, emitted.length, 'nothing emitted twice');
  for (const [src, , agent] of cases) {
    const want = importFile(agent, src).events;
    for (const e of want) assert.ok(ids.has(e.id), `${agent}: ${e.kind} ${e.agent?.tool?.call_id ?? ''} emitted`);
  }
  const total = cases.reduce((n, [src, , agent]) => n + importFile(agent, src).events.length, 0);
  assert.equal(emitted.length, total);
  assert.equal(w.status().malformed, 1);
});

test('a file followed from its end reports malformed lines with their real line numbers', async () => {
  const home = mkdtempSync(join(tmpdir(), 'aw-watch2-'));
  const dir = join(home, '.claude', 'projects', 'p');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 's.jsonl');
  const old = readFileSync(sharedDir('data', 'agents', 'claude-code', 'transcripts', 'spotter', 'short.jsonl'), 'utf8');
  writeFileSync(f, old);
  const logs: string[] = [];
  const emitted: AwEvent[] = [];
  const w = new AgentLogWatcher({ poll_ms: 60_000 }, home);
  await w.start({ config: {} as AwConfig, paths: resolvePaths(home), emit: (e) => emitted.push(e), log: (m) => logs.push(m) });
  appendFileSync(f, 'garbage\n');
  w.poll();
  await w.stop();
  assert.equal(emitted.length, 0);
  assert.deepEqual(logs, [`${f}:${old.trim().split('\n').length + 1}: not JSON: ${(() => { try { JSON.parse('garbage'); return ''; } catch (e) { return (e as Error).message; } })()}`]);
});
