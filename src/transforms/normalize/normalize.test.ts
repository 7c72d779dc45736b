// The vocabulary helpers and the cross-channel de-duplication transform.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { sharedDir } from '../../testing/index.js';
import { importFile } from '../../sources/importers/index.js';
import { categorizeTool, createIdDedupe, normalizeHookPayload, patchFiles, toolCommandText } from './index.js';

test('categorizeTool covers each agent vocabulary', () => {
  const cases: Array<[string, string, string]> = [
    ['claude-code', 'Bash', 'shell'],
    ['claude-code', 'Edit', 'file_write'],
    ['claude-code', 'Read', 'file_read'],
    ['claude-code', 'WebFetch', 'web_fetch'],
    ['claude-code', 'Task', 'subagent'],
    ['claude-code', 'mcp__github__create_issue', 'mcp'],
    ['codex', 'exec_command', 'shell'],
    ['codex', 'apply_patch', 'file_write'],
    ['codex', 'spawn_agent', 'subagent'],
    ['codex', 'mcp__node_repl__js', 'mcp'],
    ['gemini-cli', 'run_shell_command', 'shell'],
    ['gemini-cli', 'replace', 'file_write'],
    ['gemini-cli', 'google_web_search', 'search'],
    ['gemini-cli', 'invoke_agent', 'subagent'],
    ['gemini-cli', 'mcp_github_list_prs', 'mcp'],
    ['cursor', 'Shell', 'shell'],
    ['cursor', 'MCP:browser_navigate', 'mcp'],
    ['cursor', 'Delete', 'file_write'],
    ['claude-code', 'TodoWrite', 'other'],
  ];
  for (const [agent, name, cat] of cases) assert.equal(categorizeTool(agent, name), cat, `${agent} ${name}`);
});

test('command text and patch files from tool inputs', () => {
  assert.equal(toolCommandText({ command: 'ls -la' }), 'ls -la');
  assert.equal(toolCommandText({ cmd: 'git status' }), 'git status');
  assert.equal(toolCommandText({ command: ['/bin/bash', '-lc', 'echo hi'] }), 'echo hi');
  assert.equal(toolCommandText({ file_path: '/x' }), undefined);
  assert.deepEqual(patchFiles('*** Begin Patch\n*** Add File: a.md\n+x\n*** Update File: b.ts\n*** Move to: c.ts\n*** Delete File: d\n*** End Patch'), [
    { path: 'a.md', action: 'create' },
    { path: 'b.ts', action: 'rename', target: 'c.ts' },
    { path: 'd', action: 'delete' },
  ]);
});

test('hook and transcript copies of one call are stored once by the dedupe transform', () => {
  const dir = sharedDir('data', 'agents', 'generated', 'claude-code-2.1.197', 'cred-exfil');
  const hooks = readFileSync(`${dir}/hooks.jsonl`, 'utf8').trim().split('\n').flatMap((l) => normalizeHookPayload('claude', JSON.parse(l), { time: '2026-11-22T08:52:14Z' }));
  const tx = importFile('claude-code', `${dir}/transcript.jsonl`).events;
  const d = createIdDedupe(1000);
  const kept = [...hooks, ...tx].map((e) => d.apply(e) as AwEvent | null).filter((e): e is AwEvent => e !== null);
  const calls = kept.filter((e) => e.kind === 'agent.tool.call');
  assert.equal(calls.length, 3); // jq: 3 tool_use blocks, 3 PreToolUse payloads, same ids
  assert.equal(kept.filter((e) => e.kind === 'agent.prompt').length, 1);
  assert.equal(d.counters.dropped, hooks.length + tx.length - kept.length);
  assert.ok(d.counters.dropped >= 7);
  const small = createIdDedupe(2);
  for (const id of ['a', 'b', 'c']) small.apply({ id, time: '2026-01-01T00:00:00Z', kind: 'agent.prompt', source: { type: 't' } });
  assert.equal(small.counters.evicted, 1);
  assert.notEqual(small.apply({ id: 'a', time: '2026-01-01T00:00:00Z', kind: 'agent.prompt', source: { type: 't' } }), null, 'forgotten ids pass again');
});
