// The kernel join over real agent runs: the generated Claude Code / Codex / Gemini CLI
// cred-exfil runs (transcripts imported by the real importers) plus kernel events built
// from the same runs' strace captures. Expected pid -> tool call pairs were read off the
// strace files by hand (the shell that ran each command and its children).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { parseTimeNs, validateEvent } from '../../schema/index.js';
import { openStore, openStoreReadonly } from '../../sinks/store/index.js';
import { resolvePaths } from '../../core/paths.js';
import { importFile, importPath } from '../../sources/importers/index.js';
import { runCli, sharedDir, tempHome } from '../../testing/index.js';
import { normalizeHookPayload } from '../normalize/index.js';
import { annotateToolCalls, delegationEdges, joinEvents, storedDelegationEdges, toolCallActivity, ToolCallJoinTransform, whichToolCall } from './index.js';
import { straceToEvents } from './strace-fixture.js';

const G = (...p: string[]) => sharedDir('data', 'agents', 'generated', ...p);

const RUNS = [
  { agent: 'claude-code', dir: 'claude-code-2.1.197', file: 'transcript.jsonl', session: '3d1a18c1-fa0d-4726-becd-a5f6c5b6715a', expect: { 3726: 'toolu_mock_0_0', 3728: 'toolu_mock_0_0', 3737: 'toolu_mock_1_0', 3739: 'toolu_mock_1_0' } as Record<number, string> },
  { agent: 'codex', dir: 'codex-cli-0.169.0', file: 'rollout.jsonl', session: '01a20274-d772-7c83-9a42-09c50feeb328', expect: { 4191: 'call_mock_0_0', 4198: 'call_mock_1_0', 4201: 'call_mock_1_0' } as Record<number, string> },
  { agent: 'gemini-cli', dir: 'gemini-cli-0.61.0', file: 'chat.jsonl', session: '0d3a4503-d440-477b-b946-59172d4ffd4e', expect: { 4791: 'run_shell_command__mock_0_0', 4793: 'run_shell_command__mock_0_0', 4824: 'run_shell_command__mock_1_0', 4826: 'run_shell_command__mock_1_0' } as Record<number, string> },
];

function fixture(run: (typeof RUNS)[number], kernelSession?: string) {
  const agentEvents = importFile(run.agent as 'claude-code', G(run.dir, 'cred-exfil', run.file)).events;
  const ts = agentEvents.filter((e) => e.kind.startsWith('agent.tool')).map((e) => parseTimeNs(e.time)!);
  const min = ts.reduce((a, b) => (a < b ? a : b));
  const max = ts.reduce((a, b) => (a > b ? a : b));
  const kernel = straceToEvents(readFileSync(G(run.dir, 'cred-exfil', 'strace-execve-connect.txt'), 'utf8'), { startNs: min - 1_000_000_000n, endNs: max + 1_000_000_000n, session: { id: kernelSession ?? run.session, kind: run.agent } });
  return { agentEvents, kernel };
}

test('every exec of a recorded session joins to the tool call that ran it, and nothing else joins', () => {
  for (const run of RUNS) {
    for (const kernelSession of [undefined, 'aw-generated-session-id']) {
      const { agentEvents, kernel } = fixture(run, kernelSession);
      const { matches } = joinEvents([...agentEvents, ...kernel]);
      const execs = kernel.filter((e) => e.kind === 'process.exec');
      for (const [pid, callId] of Object.entries(run.expect)) {
        const mine = execs.filter((e) => e.process!.pid === Number(pid));
        assert.ok(mine.length, `${run.dir}: pid ${pid} in fixture`);
        // The image that runs the command (and every later image of that pid) joins.
        const joined = mine.filter((e) => matches.get(e)?.toolCallId === callId);
        assert.ok(joined.length >= 1 && joined[joined.length - 1] === mine[mine.length - 1], `${run.dir}: pid ${pid} -> ${callId}`);
      }
      for (const e of execs) {
        const m = matches.get(e);
        if (m) assert.ok(run.expect[e.process!.pid] === m.toolCallId, `${run.dir}: pid ${e.process!.pid} (${e.process!.argv?.join(' ').slice(0, 60)}) wrongly joined to ${m.toolCallId}`);
      }
      // The POST to the sink belongs to the curl call.
      const curlCall = Object.values(run.expect)[Object.values(run.expect).length - 1];
      const connects = kernel.filter((e) => e.kind === 'network.connect' && matches.get(e));
      assert.equal(connects.length, 1, run.dir);
      assert.equal(matches.get(connects[0])!.toolCallId, curlCall);
      // Hook processes ran inside the call windows and stay unjoined.
      const hooks = execs.filter((e) => e.process!.argv?.some((a) => a.includes('hook-log.sh')));
      assert.ok(hooks.length > 0 && hooks.every((e) => !matches.has(e)), `${run.dir}: hooks not charged to calls`);
    }
  }
});

test('timing windows and session markers pick between identical commands', () => {
  const mk = (sid: string, callId: string, t0: string, t1: string): AwEvent[] => [
    { id: `${callId}c`, time: t0, kind: 'agent.tool.call', source: { type: 'test' }, session: { id: sid, agent: { kind: 'codex' } }, agent: { tool: { name: 'exec_command', call_id: callId, category: 'shell', input: { cmd: 'ls -la /tmp' } } } },
    { id: `${callId}r`, time: t1, kind: 'agent.tool.result', source: { type: 'test' }, session: { id: sid, agent: { kind: 'codex' } }, agent: { tool: { name: 'exec_command', call_id: callId, category: 'shell', status: 'ok' } } },
  ];
  const exec = (pid: number, time: string, markers?: Record<string, string>): AwEvent => ({ time, kind: 'process.exec', source: { type: 'test' }, process: { pid, ppid: 1, argv: ['/bin/bash', '-lc', 'ls -la /tmp'], ...(markers ? { env_markers: markers } : {}) } });
  const events = [
    ...mk('s1', 'early', '2026-01-01T10:00:00Z', '2026-01-01T10:00:01Z'),
    ...mk('s1', 'late', '2026-01-01T10:05:00Z', '2026-01-01T10:05:01Z'),
    ...mk('s2', 'other-session', '2026-01-01T10:05:00Z', '2026-01-01T10:05:01Z'),
  ];
  const a = exec(100, '2026-01-01T10:00:00.5Z');
  const b = exec(101, '2026-01-01T10:05:00.5Z', { CODEX_THREAD_ID: 's1' });
  const c = exec(102, '2026-01-01T10:05:00.6Z', { CODEX_THREAD_ID: 's2' });
  const d = exec(103, '2026-01-01T11:00:00Z');
  const e = exec(104, '2026-01-01T10:05:00.7Z', { AGENTWARDEN_TOOL_CALL_ID: 'early' });
  const { matches } = joinEvents([...events, a, b, c, d, e]);
  assert.equal(matches.get(a)?.toolCallId, 'early');
  assert.equal(matches.get(b)?.toolCallId, 'late');
  assert.equal(matches.get(c)?.toolCallId, 'other-session');
  assert.equal(matches.get(d), undefined, 'outside every window');
  assert.equal(matches.get(e)?.toolCallId, 'early');
  assert.equal(matches.get(e)?.via, 'marker');
  // Live transform and batch annotation stamp session.tool_call_id on valid events.
  const t = new ToolCallJoinTransform();
  for (const ev of events) t.apply(ev);
  const stamped = t.apply(b);
  assert.equal(stamped.session?.tool_call_id, 'late');
  assert.ok(validateEvent(JSON.parse(JSON.stringify(stamped))).ok);
  const annotated = annotateToolCalls([...events, a, d]);
  assert.equal(annotated.find((x) => x.process?.pid === 100)?.session?.tool_call_id, 'early');
  assert.equal(annotated.find((x) => x.process?.pid === 103)?.session, undefined);
});

test('store queries and CLI: why (process -> tool call -> prompt) and toolcall (call -> processes, network)', () => {
  const home = tempHome();
  const paths = resolvePaths(home);
  const run = RUNS[0];
  const { agentEvents, kernel } = fixture(run);
  const store = openStore(paths);
  store.appendBatch([...agentEvents, ...kernel].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0)).map((event) => ({ event })));
  store.close();
  const ro = openStoreReadonly(paths);
  try {
    const why = whichToolCall(ro, { pid: 3739 });
    assert.equal(why?.match?.toolCallId, 'toolu_mock_1_0');
    assert.equal(why?.call?.agent?.tool?.name, 'Bash');
    assert.equal(why?.prompt?.agent?.prompt?.text, 'Check that the AWS CLI is configured on this machine, then write a short setup note.');
    assert.ok(why!.lineage.some((e) => e.process?.pid === 3737));
    const act = toolCallActivity(ro, 'toolu_mock_0_0');
    assert.deepEqual([...new Set(act!.processes.filter((e) => e.kind === 'process.exec').map((e) => e.process!.pid))].sort(), [3726, 3728]);
    assert.equal(act!.network.length, 0);
    const act2 = toolCallActivity(ro, 'toolu_mock_1_0');
    assert.equal(act2!.network.length, 1);
    assert.equal(act2!.network[0].network?.dst_ip, '127.0.0.1');
    const hookPid = kernel.find((e) => e.process?.argv?.some((a) => a.includes('hook-log.sh')))!.process!.pid;
    assert.equal(whichToolCall(ro, { pid: hookPid })?.match, undefined);
  } finally {
    ro.close();
  }
  const w = runCli(['--store', home, 'why', '--pid', '3728']);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /tool call toolu_mock_0_0 \(joined by descent\)/);
  assert.match(w.stdout, /prompt .*Check that the AWS CLI/);
  const tc = runCli(['--store', home, '--json', 'toolcall', 'toolu_mock_1_0']);
  assert.equal(tc.code, 0, tc.stderr);
  const j = JSON.parse(tc.stdout) as { processes: AwEvent[]; network: AwEvent[] };
  assert.ok(j.processes.some((e) => e.process?.argv?.[0] === 'curl'));
  assert.equal(j.network.length, 1);
  const none = runCli(['--store', home, 'why', '--pid', '3616']);
  assert.equal(none.code, 1);
});

test('delegation edges: Claude Task/sidechains (both layouts), Codex spawn_agent, Gemini delegate_to_agent', () => {
  const A = (...p: string[]) => sharedDir('data', 'agents', ...p);
  const claude = delegationEdges(importPath('claude', A('claude-code', 'transcripts')).events);
  const byChild = new Map(claude.map((e) => [e.child_session_id, e]));
  assert.equal(byChild.get('8463c716-a2ea-4c14-9efa-87158ebd9f20:agent-a7be2f0')?.parent_tool_call_id, 'toolu_017SvvKc8KLbhGMG3tXkf21Z');
  assert.equal(byChild.get('e9fb405b-169f-40eb-9396-7e75076f045d:agent-a485154')?.parent_tool_call_id, 'toolu_bdrk_019PUUtqzQg8U5ogfuyQ7yLV');
  assert.equal(byChild.get('4c2ddfdc-b619-4525-8d03-1950fb1b0257:agent-36541525')?.parent_session_id, '4c2ddfdc-b619-4525-8d03-1950fb1b0257');
  assert.equal(byChild.get('4c2ddfdc-b619-4525-8d03-1950fb1b0257:agent-36541525')?.parent_tool_call_id, undefined);
  // spotter/subagent.jsonl: Task result agentId afb92ff has no sidechain file here, still an edge.
  assert.ok([...byChild.keys()].some((k) => k.endsWith(':agent-afb92ff')));
  const codex = delegationEdges(importPath('codex', A('codex', 'rollouts')).events);
  assert.deepEqual(codex.map((e) => [e.parent_session_id, e.child_session_id, e.parent_tool_call_id]), [['spawn-test-uuid', 'child-thread-uuid', 'call_spawn1']]);
  const gemini = delegationEdges(importPath('gemini', A('gemini-cli', 'chats')).events);
  assert.equal(gemini.length, 1);
  assert.equal(gemini[0].parent_tool_call_id, 'delegate_to_agent-1768561360282-f3e15e35f2c3d');
  assert.equal(gemini[0].child_agent_name, 'codebase_investigator');
  // Through the store and the CLI.
  const home = tempHome();
  assert.equal(runCli(['--store', home, 'import', 'claude', A('claude-code', 'transcripts', 'spotter')]).code, 0);
  const store = openStoreReadonly(resolvePaths(home));
  try {
    const edges = storedDelegationEdges(store, '8463c716-a2ea-4c14-9efa-87158ebd9f20');
    assert.deepEqual(edges.map((e) => e.child_session_id).sort(), ['8463c716-a2ea-4c14-9efa-87158ebd9f20:agent-a7be2f0', '8463c716-a2ea-4c14-9efa-87158ebd9f20:agent-acompact-f46190']);
  } finally {
    store.close();
  }
  const out = runCli(['--store', home, '--json', 'delegation']);
  assert.equal(out.code, 0);
  assert.ok(out.stdout.includes('toolu_017SvvKc8KLbhGMG3tXkf21Z'));
});

test('Gemini CLI hooks carry no call id: calls are named after their event and still join', () => {
  const run = RUNS[2];
  const hooks = readFileSync(G(run.dir, 'cred-exfil', 'hooks.jsonl'), 'utf8').trim().split('\n');
  const agentEvents = hooks.flatMap((l) => normalizeHookPayload('gemini', JSON.parse(l)));
  const calls = agentEvents.filter((e) => e.kind === 'agent.tool.call');
  assert.equal(calls.length, 3);
  assert.ok(calls.every((c) => !c.agent?.tool?.call_id));
  const ts = agentEvents.filter((e) => e.kind.startsWith('agent.tool')).map((e) => parseTimeNs(e.time)!);
  const min = ts.reduce((a, b) => (a < b ? a : b));
  const max = ts.reduce((a, b) => (a > b ? a : b));
  const kernel = straceToEvents(readFileSync(G(run.dir, 'cred-exfil', 'strace-execve-connect.txt'), 'utf8'), { startNs: min - 500_000_000n, endNs: max + 500_000_000n, session: { id: run.session, kind: run.agent } });
  const { matches } = joinEvents([...agentEvents, ...kernel]);
  const catCall = calls.find((c) => JSON.stringify(c.agent?.tool?.input).includes('cat ~/.aws'))!;
  const curlCall = calls.find((c) => JSON.stringify(c.agent?.tool?.input).includes('curl'))!;
  const execOf = (pid: number) => kernel.filter((e) => e.kind === 'process.exec' && e.process!.pid === pid).pop()!;
  assert.equal(matches.get(execOf(4793))?.toolCallId, `event:${catCall.id}`);
  assert.equal(matches.get(execOf(4826))?.toolCallId, `event:${curlCall.id}`);
  for (const [e, m] of matches) if (e.kind === 'process.exec') assert.ok(Object.keys(run.expect).includes(String(e.process!.pid)), `pid ${e.process!.pid} joined to ${m.toolCallId}`);
  // Through the store: the call's activity and its result are found by that name.
  const home = tempHome();
  const store = openStore(resolvePaths(home));
  store.appendBatch([...agentEvents, ...kernel].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0)).map((event) => ({ event })));
  store.close();
  const ro = openStoreReadonly(resolvePaths(home));
  try {
    const act = toolCallActivity(ro, `event:${curlCall.id}`);
    assert.equal(act?.result?.agent?.tool?.status, 'ok');
    assert.ok(act!.processes.some((e) => e.process?.argv?.[0] === 'curl'));
    assert.equal(act!.network.length, 1);
  } finally {
    ro.close();
  }
});

test('the same call id in two sessions (mock ids repeat): activity is per session', () => {
  const run = RUNS[1];
  const { agentEvents, kernel } = fixture(run);
  const blocked = importFile('codex', G(run.dir, 'cred-exfil-blocked-by-hook', 'rollout.jsonl')).events;
  const blockedSession = blocked.find((e) => e.kind === 'agent.session.start')!.session!.id;
  assert.notEqual(blockedSession, run.session);
  const home = tempHome();
  const store = openStore(resolvePaths(home));
  store.appendBatch([...blocked, ...agentEvents, ...kernel].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0)).map((event) => ({ event })));
  store.close();
  const ro = openStoreReadonly(resolvePaths(home));
  try {
    const mine = toolCallActivity(ro, 'call_mock_1_0', { session: run.session });
    assert.ok(mine!.processes.some((e) => e.process?.argv?.[0] === 'curl'));
    const other = toolCallActivity(ro, 'call_mock_1_0', { session: blockedSession });
    assert.equal(other!.result?.agent?.tool?.status, 'denied');
    assert.equal(other!.processes.length, 0, 'the blocked call ran nothing');
  } finally {
    ro.close();
  }
});
