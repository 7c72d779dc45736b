// Importers over every sample in ../shared/data/agents. Expected counts were computed by
// reading the files with jq (unique tool_use ids, tool_result blocks, user text lines,
// assistant text blocks, agent_progress agent ids; see the comments by each table), not
// taken from this code's output.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { validateEvent } from '../../schema/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import { runCli, sharedDir, tempHome } from '../../testing/index.js';
import { normalizeHookPayload } from '../../transforms/normalize/index.js';
import { findFiles, importFile, importPath } from './index.js';

const A = (...p: string[]) => sharedDir('data', 'agents', ...p);

function kinds(events: AwEvent[]): Record<string, number> {
  const k: Record<string, number> = {};
  for (const e of events) k[e.kind] = (k[e.kind] ?? 0) + 1;
  return k;
}

function allValid(events: AwEvent[]): void {
  for (const e of events) {
    const r = validateEvent(JSON.parse(JSON.stringify(e)));
    assert.ok(r.ok, `invalid event ${e.kind} from ${e.source.ref}: ${r.ok ? '' : r.reason}`);
  }
}

// jq: calls = unique .message.content[].id of tool_use blocks; results = tool_result blocks
// in non-meta user lines; prompts = non-meta user lines with string content or text blocks;
// texts = text blocks of assistant lines; spawns = distinct agent_progress agentIds plus
// Task results naming an agentId.
const CLAUDE: Array<[string, { call: number; result: number; prompt: number; response: number; spawn: number }]> = [
  ['codemie/legacy-layout--tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl', { call: 6, result: 6, prompt: 3, response: 4, spawn: 0 }],
  ['codemie/legacy-layout--tmp-private/agent-36541525.jsonl', { call: 0, result: 0, prompt: 1, response: 1, spawn: 0 }],
  ['codemie/subagents-layout/e9fb405b-169f-40eb-9396-7e75076f045d.jsonl', { call: 14, result: 14, prompt: 1, response: 5, spawn: 1 }],
  ['codemie/subagents-layout/e9fb405b-169f-40eb-9396-7e75076f045d/subagents/agent-a485154.jsonl', { call: 20, result: 20, prompt: 1, response: 3, spawn: 0 }],
  ['spotter/8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl', { call: 177, result: 177, prompt: 2, response: 82, spawn: 1 }],
  ['spotter/8463c716-a2ea-4c14-9efa-87158ebd9f20/subagents/agent-a7be2f0.jsonl', { call: 19, result: 19, prompt: 1, response: 13, spawn: 0 }],
  ['spotter/short.jsonl', { call: 2, result: 2, prompt: 2, response: 2, spawn: 0 }],
  ['spotter/subagent.jsonl', { call: 16, result: 16, prompt: 3, response: 8, spawn: 1 }],
  ['spotter/tool_heavy.jsonl', { call: 6, result: 6, prompt: 6, response: 2, spawn: 0 }],
];

test('Claude Code transcripts: counts by kind match the files', () => {
  for (const [f, exp] of CLAUDE) {
    const r = importFile('claude-code', A('claude-code', 'transcripts', f));
    assert.deepEqual(r.problems, [], f);
    const k = kinds(r.events);
    assert.equal(k['agent.tool.call'] ?? 0, exp.call, `${f} calls`);
    assert.equal(k['agent.tool.result'] ?? 0, exp.result, `${f} results`);
    assert.equal(k['agent.prompt'] ?? 0, exp.prompt, `${f} prompts`);
    assert.equal(k['agent.response'] ?? 0, exp.response, `${f} responses`);
    assert.equal(k['agent.subagent.spawn'] ?? 0, exp.spawn, `${f} spawns`);
    assert.equal(k['agent.session.start'], 1, `${f} session start`);
    allValid(r.events);
  }
});

test('Claude Code sub-agents: both layouts link child sessions to the parent and its Task call', () => {
  // New layout (<session>/subagents/agent-<id>.jsonl) with agent_progress.
  const r = importPath('claude', A('claude-code', 'transcripts', 'spotter'));
  const spawn = r.events.find((e) => e.kind === 'agent.subagent.spawn' && e.agent?.agent_id === 'a7be2f0');
  assert.ok(spawn);
  assert.equal(spawn.session?.id, '8463c716-a2ea-4c14-9efa-87158ebd9f20');
  assert.equal(spawn.agent?.subagent?.parent_tool_call_id, 'toolu_017SvvKc8KLbhGMG3tXkf21Z'); // jq: agent_progress.parentToolUseID
  const child = r.events.filter((e) => e.session?.id === spawn.agent?.subagent?.session_id);
  assert.equal(child.filter((e) => e.kind === 'agent.tool.call').length, 19);
  assert.ok(child.every((e) => e.session?.parent_id === '8463c716-a2ea-4c14-9efa-87158ebd9f20'));
  // Task result naming agentId (codemie subagents layout).
  const r2 = importPath('claude', A('claude-code', 'transcripts', 'codemie', 'subagents-layout'));
  const s2 = r2.events.find((e) => e.kind === 'agent.subagent.spawn');
  assert.equal(s2?.agent?.subagent?.parent_tool_call_id, 'toolu_bdrk_019PUUtqzQg8U5ogfuyQ7yLV');
  assert.equal(s2?.agent?.subagent?.session_id, 'e9fb405b-169f-40eb-9396-7e75076f045d:agent-a485154');
  // Legacy layout: agent-<id>.jsonl beside the session, no Task call (warmup agents).
  const r3 = importPath('claude', A('claude-code', 'transcripts', 'codemie', 'legacy-layout--tmp-private'));
  const legacy = r3.events.filter((e) => e.session?.parent_id === '4c2ddfdc-b619-4525-8d03-1950fb1b0257');
  assert.deepEqual([...new Set(legacy.map((e) => e.session?.id))].sort(), ['4c2ddfdc-b619-4525-8d03-1950fb1b0257:agent-36541525', '4c2ddfdc-b619-4525-8d03-1950fb1b0257:agent-50243ee8']);
});

// jq: calls = function_call + custom_tool_call + local_shell_call + web_search_call records;
// results = *_output records (unique call_id); prompts = distinct user texts not injected
// context; edits = keys of patch_apply_end / FileChange changes; spawns = collab_agent_spawn_end.
const CODEX: Array<[string, { call: number; result: number; prompt: number; edit: number; spawn: number }]> = [
  ['codex/rollouts/SYNTHETIC-turn-spawn-skill.jsonl', { call: 3, result: 1, prompt: 1, edit: 0, spawn: 1 }],
  ['codex/rollouts/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl', { call: 105, result: 102, prompt: 2, edit: 3, spawn: 0 }],
  ['codex/rollouts/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl', { call: 38, result: 38, prompt: 3, edit: 0, spawn: 0 }],
  ['generated/codex-cli-0.169.0/cred-exfil/rollout.jsonl', { call: 3, result: 3, prompt: 1, edit: 1, spawn: 0 }],
  ['generated/codex-cli-0.169.0/cred-exfil-blocked-by-hook/rollout.jsonl', { call: 3, result: 3, prompt: 1, edit: 1, spawn: 0 }],
];

test('Codex rollouts: counts by kind match the files; exit codes and blocks', () => {
  for (const [f, exp] of CODEX) {
    const r = importFile('codex', A(f));
    assert.deepEqual(r.problems, [], f);
    const k = kinds(r.events);
    assert.equal(k['agent.tool.call'] ?? 0, exp.call, `${f} calls`);
    assert.equal(k['agent.tool.result'] ?? 0, exp.result, `${f} results`);
    assert.equal(k['agent.prompt'] ?? 0, exp.prompt, `${f} prompts`);
    assert.equal(k['agent.file.edit'] ?? 0, exp.edit, `${f} edits`);
    assert.equal(k['agent.subagent.spawn'] ?? 0, exp.spawn, `${f} spawns`);
    allValid(r.events);
  }
  const ok = importFile('codex', A('generated/codex-cli-0.169.0/cred-exfil/rollout.jsonl')).events;
  const curl = ok.find((e) => e.kind === 'agent.tool.result' && e.agent?.tool?.call_id === 'call_mock_1_0');
  assert.equal(curl?.agent?.tool?.exit_code, 0);
  assert.equal(curl?.attributes?.['codex.process_id'], '46326');
  const blocked = importFile('codex', A('generated/codex-cli-0.169.0/cred-exfil-blocked-by-hook/rollout.jsonl')).events;
  const denied = blocked.filter((e) => e.kind === 'agent.tool.result' && e.agent?.tool?.status === 'denied');
  assert.equal(denied.length, 2);
  assert.equal(blocked.filter((e) => e.kind === 'agent.decision' && e.agent?.decision?.action === 'deny').length, 2);
  const spawn = importFile('codex', A('codex/rollouts/SYNTHETIC-turn-spawn-skill.jsonl')).events.find((e) => e.kind === 'agent.subagent.spawn');
  assert.deepEqual(spawn?.agent?.subagent, { session_id: 'child-thread-uuid', agent_id: 'child-thread-uuid', parent_tool_call_id: 'call_spawn1' });
});

test('Gemini CLI chats: legacy JSON, JSONL with repeated ids (last copy wins), logs.json', () => {
  // jq: users, gemini messages with text, toolCalls, write_file/replace calls.
  const legacy: Array<[string, { prompt: number; response: number; call: number; edit: number }]> = [
    ['session-2025-12-01T21-45-5b959dae.json', { prompt: 3, response: 3, call: 10, edit: 2 }],
    ['session-2026-01-16T11-01-file-ops-37b7abef.json', { prompt: 5, response: 5, call: 14, edit: 3 }],
  ];
  for (const [f, exp] of legacy) {
    const r = importFile('gemini-cli', A('gemini-cli', 'chats', f));
    assert.deepEqual(r.problems, [], f);
    const k = kinds(r.events);
    assert.equal(k['agent.prompt'], exp.prompt, `${f} prompts`);
    assert.equal(k['agent.response'], exp.response, `${f} responses`);
    assert.equal(k['agent.tool.call'], exp.call, `${f} calls`);
    assert.equal(k['agent.tool.result'], exp.call, `${f} results`);
    assert.equal(k['agent.file.edit'] ?? 0, exp.edit, `${f} edits`);
    allValid(r.events);
  }
  const deleg = importFile('gemini-cli', A('gemini-cli', 'chats', 'session-2026-01-16T11-01-file-ops-37b7abef.json')).events.find((e) => e.kind === 'agent.subagent.spawn');
  assert.equal(deleg?.agent?.subagent?.parent_tool_call_id, 'delegate_to_agent-1768561360282-f3e15e35f2c3d');
  assert.equal(deleg?.agent?.agent_name, 'codebase_investigator');
  // JSONL: 8 distinct ids, 3 written twice (jq); 1 user text, 2 gemini texts, 3 tool calls.
  for (const v of ['cred-exfil', 'cred-exfil-blocked-by-hook']) {
    const r = importFile('gemini-cli', A('generated', 'gemini-cli-0.61.0', v, 'chat.jsonl'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.skipped['duplicate-message-id'], 3);
    const k = kinds(r.events);
    assert.equal(k['agent.prompt'], 1);
    assert.equal(k['agent.response'], 2);
    assert.equal(k['agent.tool.call'], 3);
    assert.equal(k['agent.tool.result'], 3);
    assert.equal(new Set(r.events.map((e) => e.id)).size, r.events.length, 'no event twice');
    assert.equal(k['agent.decision'] ?? 0, v === 'cred-exfil' ? 0 : 2);
    allValid(r.events);
  }
  const logs = importFile('gemini-cli', A('gemini-cli', 'chats', 'logs.json'));
  assert.equal(kinds(logs.events)['agent.prompt'], 3); // jq: length
  // logs.json repeats the chat's prompts (same texts, own numbering): same ids, stored once.
  const chatPrompts = importFile('gemini-cli', A('gemini-cli', 'chats', 'session-2025-12-01T21-45-5b959dae.json')).events.filter((e) => e.kind === 'agent.prompt');
  assert.deepEqual(logs.events.map((e) => e.id).sort(), chatPrompts.map((e) => e.id).sort());
});

test('hook payload logs: every generated and probe payload normalizes, ids agree with transcripts', () => {
  for (const [agent, dir, file] of [
    ['claude-code', 'claude-code-2.1.197', 'transcript.jsonl'],
    ['codex', 'codex-cli-0.169.0', 'rollout.jsonl'],
  ] as const) {
    const hooks = readFileSync(A('generated', dir, 'cred-exfil', 'hooks.jsonl'), 'utf8').trim().split('\n');
    const evs = hooks.flatMap((l) => normalizeHookPayload(agent, JSON.parse(l), { time: '2026-11-22T08:52:00Z' }));
    const k = kinds(evs);
    // jq: 3 PreToolUse, 3 PostToolUse, 1 UserPromptSubmit, SessionStart, SessionEnd, Stop.
    assert.equal(k['agent.tool.call'], 3);
    assert.equal(k['agent.tool.result'], 3);
    assert.equal(k['agent.prompt'], 1);
    assert.equal(k['agent.session.start'], 1);
    assert.equal(k['agent.session.end'], 1);
    allValid(evs);
    const tx = importFile(agent, A('generated', dir, 'cred-exfil', file)).events;
    const txCalls = new Set(tx.filter((e) => e.kind === 'agent.tool.call').map((e) => e.id));
    for (const e of evs.filter((x) => x.kind === 'agent.tool.call')) assert.ok(txCalls.has(e.id!), `hook call ${e.agent?.tool?.call_id} has the transcript's id`);
    // The prompt too (Claude prompt_id = transcript promptId, Codex turn_id).
    const hookPrompt = evs.find((x) => x.kind === 'agent.prompt')!;
    const txPrompt = tx.find((x) => x.kind === 'agent.prompt')!;
    assert.equal(hookPrompt.agent?.prompt?.text, txPrompt.agent?.prompt?.text);
    assert.equal(hookPrompt.id, txPrompt.id, `${agent}: one prompt, one id`);
  }
  const g = readFileSync(A('generated', 'gemini-cli-0.61.0', 'cred-exfil', 'hooks.jsonl'), 'utf8').trim().split('\n').flatMap((l) => normalizeHookPayload('gemini', JSON.parse(l)));
  const gk = kinds(g);
  assert.equal(gk['agent.tool.call'], 3);
  assert.equal(gk['agent.tool.result'], 3);
  assert.equal(gk['agent.prompt'], 1);
  assert.equal(gk['agent.response'], 1);
  assert.equal(gk['agent.telemetry'], 16); // BeforeModel/AfterModel/BeforeToolSelection/PreCompress x4
  assert.equal(g[0].time, '2026-11-22T08:52:33.702Z');
  for (const [agent, f] of [['claude', 'claude-code/hooks/leopold-probe-claude-code-2.1.259.jsonl'], ['codex', 'codex/hooks/leopold-probe-codex-0.152.1.jsonl']]) {
    const lines = readFileSync(A(f), 'utf8').trim().split('\n');
    const evs = lines.flatMap((l) => normalizeHookPayload(agent, JSON.parse(l), { time: '2026-09-02T00:00:00Z' }));
    assert.ok(evs.length >= lines.length, f);
    allValid(evs);
  }
  // Cursor running Claude-style hooks is recognised by cursor_version.
  const c = normalizeHookPayload('claude', { session_id: 'c1', conversation_id: 'c1', hook_event_name: 'PostToolUse', tool_name: 'Shell', tool_output: '{"output":"x","exitCode":3}', cursor_version: '2026.09.02' }, { time: '2026-09-02T00:00:00Z' });
  assert.equal(c[0].session?.agent.kind, 'cursor');
  assert.equal(c[0].agent?.tool?.category, 'shell');
  assert.equal(c[0].agent?.tool?.exit_code, 3);
  assert.equal(c[0].agent?.tool?.status, 'error');
});

test('every sample under data/agents parses without a malformed-line report', () => {
  const cases: Array<[string, string]> = [
    ['claude', A('claude-code')],
    ['codex', A('codex')],
    ['gemini', A('gemini-cli')],
    ['claude', A('generated', 'claude-code-2.1.197')],
    ['codex', A('generated', 'codex-cli-0.169.0')],
    ['gemini', A('generated', 'gemini-cli-0.61.0')],
  ];
  for (const [agent, dir] of cases) {
    const r = importPath(agent, dir);
    assert.deepEqual(r.problems, [], dir);
    assert.ok(r.events.length > 0, dir);
    assert.equal(r.files, findFiles(dir, (n) => n.endsWith('.jsonl') || (agent === 'gemini' && (n.startsWith('session-') || n === 'logs.json'))).length);
    allValid(r.events);
  }
});

test('Cursor transcripts (documented shape) and malformed lines are reported as file:line and skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aw-cursor-'));
  const conv = join(dir, 'projects', 'ws', 'agent-transcripts', 'conv-1');
  mkdirSync(conv, { recursive: true });
  const f = join(conv, 'conv-1.jsonl');
  writeFileSync(
    f,
    [
      JSON.stringify({ role: 'user', message: { content: [{ type: 'text', text: 'list files' }] }, timestamp: '2026-09-01T10:00:00Z' }),
      JSON.stringify({ role: 'assistant', message: { content: [{ type: 'text', text: 'ok' }, { type: 'tool_use', id: 't1', name: 'Shell', input: { command: 'ls -la' } }] }, timestamp: '2026-09-01T10:00:01Z' }),
      '{"role": "user", "message": {broken',
      JSON.stringify({ role: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: '{"output":"a\\n","exitCode":0}' }] }, timestamp: '2026-09-01T10:00:02Z' }),
      '',
    ].join('\n'),
  );
  const r = importPath('cursor', dir);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].file, f);
  assert.equal(r.problems[0].line, 3);
  const k = kinds(r.events);
  assert.deepEqual(k, { 'agent.session.start': 1, 'agent.prompt': 1, 'agent.response': 1, 'agent.tool.call': 1, 'agent.tool.result': 1 });
  const res = r.events.find((e) => e.kind === 'agent.tool.result');
  assert.equal(res?.agent?.tool?.name, 'Shell');
  assert.equal(res?.agent?.tool?.exit_code, 0);
  assert.equal(res?.session?.id, 'conv-1');
  allValid(r.events);
});

test('agentwarden import: malformed lines reported, the rest stored, re-import stores nothing twice', () => {
  const home = tempHome();
  const dir = mkdtempSync(join(tmpdir(), 'aw-imp-'));
  const src = readFileSync(A('generated', 'claude-code-2.1.197', 'cred-exfil', 'transcript.jsonl'), 'utf8').trim().split('\n');
  const bad = [...src.slice(0, 5), 'this is not json', ...src.slice(5)];
  const f = join(dir, 'session.jsonl');
  writeFileSync(f, bad.join('\n') + '\n');
  const clean = importFile('claude-code', A('generated', 'claude-code-2.1.197', 'cred-exfil', 'transcript.jsonl'));
  const r1 = runCli(['--store', home, '--json', 'import', 'claude', dir]);
  assert.equal(r1.code, 1, r1.stderr);
  assert.match(r1.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: not JSON`));
  const j1 = JSON.parse(r1.stdout);
  assert.equal(j1.stored, clean.events.length);
  assert.equal(j1.problems, 1);
  const r2 = runCli(['--store', home, '--json', 'import', 'claude', dir]);
  const j2 = JSON.parse(r2.stdout);
  assert.equal(j2.stored, 0);
  assert.equal(j2.already_stored, clean.events.length);
  const ev = runCli(['--store', home, 'events', '--json', '--kind', 'agent.tool.call']);
  assert.equal(ev.stdout.trim().split('\n').length, 3);
});

test('import applies redaction before storing (sealed original kept out of the chain) and skips calls another channel stored', () => {
  const home = tempHome();
  const dir = mkdtempSync(join(tmpdir(), 'aw-imp-red-'));
  const secret = 'ghp_R8x2kLm9Qv3Tz7Wp1Yb5Nc4Hd6Jf0Gs2Ka8E';
  const line = { parentUuid: null, isSidechain: false, type: 'user', message: { role: 'user', content: `deploy with ${secret}` }, uuid: 'u-1', timestamp: '2026-11-22T08:00:00.000Z', sessionId: 'sess-red', version: '2.1.197', cwd: '/w' };
  writeFileSync(join(dir, 'sess-red.jsonl'), JSON.stringify(line) + '\n');
  const r = runCli(['--store', home, '--json', 'import', 'claude', dir]);
  assert.equal(r.code, 0, r.stderr);
  const ev = runCli(['--store', home, 'events', '--json', '--kind', 'agent.prompt']).stdout.trim().split('\n').map((l) => JSON.parse(l) as AwEvent);
  assert.equal(ev.length, 1);
  assert.match(ev[0].agent!.prompt!.text!, /\[REDACTED:github-pat\]/);
  const store = openStoreReadonly(resolvePaths(home));
  try {
    const body = store.rawBody((ev[0] as AwEvent & { seq: number }).seq)!;
    assert.ok(body.includes('REDACTED:github-pat'));
    assert.equal(body.includes(secret), false, 'cleartext is not in the hashed record');
  } finally {
    store.close();
  }
  // A hook (another channel) already stored the generated Claude run's calls under its own ids.
  const hooks = readFileSync(A('generated', 'claude-code-2.1.197', 'cred-exfil', 'hooks.jsonl'), 'utf8').trim().split('\n');
  const hookEvents = hooks.flatMap((l) => normalizeHookPayload('claude', JSON.parse(l), { time: '2026-11-22T08:52:14Z' })).map((e) => ({ ...e, id: `other-channel-${e.id}` }));
  const ingest = runCli(['--store', home, 'ingest', '-'], { input: hookEvents.map((e) => JSON.stringify(e)).join('\n') + '\n' });
  assert.equal(ingest.code, 0, ingest.stderr);
  const imp = JSON.parse(runCli(['--store', home, '--json', 'import', 'claude', A('generated', 'claude-code-2.1.197', 'cred-exfil', 'transcript.jsonl')]).stdout);
  const tx = importFile('claude-code', A('generated', 'claude-code-2.1.197', 'cred-exfil', 'transcript.jsonl')).events;
  const txTool = tx.filter((e) => e.kind === 'agent.tool.call' || e.kind === 'agent.tool.result').length; // 6: 3 calls, 3 results (jq)
  assert.equal(txTool, 6);
  assert.equal(imp.already_stored, txTool);
  assert.equal(imp.stored, tx.length - txTool);
  const calls = runCli(['--store', home, 'events', '--json', '--kind', 'agent.tool.call']).stdout.trim().split('\n');
  assert.equal(calls.length, 3);
});
