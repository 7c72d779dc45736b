import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sharedDir, tempHome } from '../../testing/index.js';
import { mapHookPayload } from './map.js';
import { denyListDecider, pathPattern } from './policy.js';
import { agentConfigPath, HOOK_EVENTS, nativeClientPath, nodeClientPath } from './install.js';
import { HOOK_AGENTS, type HookAgent } from './map.js';
import { startServe, storedEvents } from './testutil.js';
import type { AwEvent } from '../../schema/index.js';

/** The client command: the native one when built, else the Node fallback. */
function clientArgv(node = false): string[] {
  const n = node ? undefined : nativeClientPath();
  return n ? [n] : [process.execPath, nodeClientPath()];
}

function runClient(argv: string[], payload: string | Buffer, node = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [exe, ...rest] = clientArgv(node);
    const c = spawn(exe, [...rest, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
    c.stdin.end(payload);
  });
}

const PRE_EXISTING: Record<HookAgent, string> = {
  // Odd formatting on purpose: uninstall must restore these bytes exactly.
  claude: '{\n    "model": "opus",\n    "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "/opt/other/guard.sh"}]}]}\n}',
  codex: '{"hooks":{"Stop":[{"matcher":"*","hooks":[{"type":"command","command":"notify-send done"}]}]}}\n',
  gemini: '{\n  "security": {"auth": {"selectedType": "gemini-api-key"}},\n  "hooks": {"BeforeTool": [{"matcher": "*", "hooks": [{"type": "command", "command": "/usr/local/bin/gem-guard"}]}]}\n}\n',
  cursor: readFileSync(sharedDir('data', 'agents', 'cursor', 'beacon-cloud-hooks.json'), 'utf8'),
};

for (const agent of HOOK_AGENTS) {
  for (const scope of ['user', 'project'] as const) {
    test(`install/uninstall ${agent} (${scope}) keeps existing hooks and restores the file byte for byte`, () => {
      const aw = tempHome('aw-hk-');
      const fakeHome = tempHome('aw-hk-home-');
      const cwd = tempHome('aw-hk-proj-');
      const env = { HOME: fakeHome, CODEX_HOME: '' };
      const path = agentConfigPath(agent, scope, { home: fakeHome, cwd, env: {} });
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, PRE_EXISTING[agent]);
      const before = readFileSync(path);
      const ins = runCli(['--store', aw, 'hooks', 'install', agent, '--scope', scope, '--json'], { env, cwd });
      assert.equal(ins.code, 0, ins.stderr);
      const cfg = JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, unknown[]> };
      const old = JSON.parse(before.toString()) as { hooks: Record<string, unknown[]> };
      for (const [ev, list] of Object.entries(old.hooks)) {
        // Every pre-existing handler is still there, first.
        assert.deepEqual(cfg.hooks[ev].slice(0, list.length), list, `${ev} kept`);
      }
      for (const ev of HOOK_EVENTS[agent]) assert.ok(JSON.stringify(cfg.hooks[ev]).includes('--agent'), `${ev} has our hook`);
      const st = runCli(['--store', aw, 'hooks', 'status', '--json'], { env, cwd });
      const row = (JSON.parse(st.stdout) as { installs: Array<{ agent: string; scope: string; managed: boolean; ours: number; other: number }> }).installs.find((r) => r.agent === agent && r.scope === scope)!;
      assert.equal(row.managed, true);
      assert.equal(row.ours, HOOK_EVENTS[agent].length);
      assert.ok(row.other >= 1);
      // Installing twice is a no-op.
      assert.equal(runCli(['--store', aw, 'hooks', 'install', agent, '--scope', scope], { env, cwd }).code, 0);
      assert.equal(JSON.parse(readFileSync(path, 'utf8')).hooks[HOOK_EVENTS[agent][0]].length, (cfg.hooks[HOOK_EVENTS[agent][0]] ?? []).length);
      const un = runCli(['--store', aw, 'hooks', 'uninstall', agent, '--scope', scope, '--json'], { env, cwd });
      assert.equal(un.code, 0, un.stderr);
      assert.equal(JSON.parse(un.stdout).action, 'restored');
      assert.ok(readFileSync(path).equals(before), 'byte-identical');
    });
  }
}

test('uninstall of a file AgentWarden created removes it and the directories it made', () => {
  const aw = tempHome('aw-hk-');
  const fakeHome = tempHome('aw-hk-home-');
  const env = { HOME: fakeHome };
  assert.equal(runCli(['--store', aw, 'hooks', 'install', 'gemini'], { env }).code, 0);
  assert.ok(existsSync(join(fakeHome, '.gemini', 'settings.json')));
  const un = runCli(['--store', aw, 'hooks', 'uninstall', 'gemini', '--json'], { env });
  assert.equal(JSON.parse(un.stdout).action, 'removed');
  assert.deepEqual(readdirSync(fakeHome), []);
});

test('uninstall after the user edited the file removes only our entries', () => {
  const aw = tempHome('aw-hk-');
  const fakeHome = tempHome('aw-hk-home-');
  const env = { HOME: fakeHome };
  const path = join(fakeHome, '.claude', 'settings.json');
  mkdirSync(join(fakeHome, '.claude'));
  writeFileSync(path, PRE_EXISTING.claude);
  runCli(['--store', aw, 'hooks', 'install', 'claude'], { env });
  const cfg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  cfg.theme = 'dark';
  writeFileSync(path, JSON.stringify(cfg));
  const un = runCli(['--store', aw, 'hooks', 'uninstall', 'claude', '--json'], { env });
  assert.equal(JSON.parse(un.stdout).action, 'pruned');
  const after = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(after.theme, 'dark');
  assert.deepEqual(after.hooks, JSON.parse(PRE_EXISTING.claude).hooks);
  assert.ok(!readFileSync(path, 'utf8').includes('--agent'));
});

test('install refuses a config that is not valid JSON and leaves it alone', () => {
  const aw = tempHome('aw-hk-');
  const fakeHome = tempHome('aw-hk-home-');
  mkdirSync(join(fakeHome, '.cursor'));
  writeFileSync(join(fakeHome, '.cursor', 'hooks.json'), '{"version":1,');
  const r = runCli(['--store', aw, 'hooks', 'install', 'cursor'], { env: { HOME: fakeHome } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not valid JSON/);
  assert.equal(readFileSync(join(fakeHome, '.cursor', 'hooks.json'), 'utf8'), '{"version":1,');
});

test('deny paths match ~, $HOME and absolute homes, not look-alikes', () => {
  const re = pathPattern('~/.aws');
  for (const s of ['cat ~/.aws/credentials', 'curl --data-binary @$HOME/.aws/credentials x', '{"file_path":"/home/u/.aws/config"}', 'ls ${HOME}/.aws', 'ls ~/.aws']) assert.ok(re.test(s), s);
  for (const s of ['cat ~/.awsome', 'docs/aws.md', 'echo aws']) assert.ok(!re.test(s), s);
  const abs = pathPattern('/etc/shadow');
  assert.ok(abs.test('cat /etc/shadow'));
  assert.ok(!abs.test('cat /etc/shadow-backup-notes'));
});

test('the deny list decides only on tool calls and prompts, with tool filters', () => {
  const d = denyListDecider([{ path: '~/.ssh', id: 'ssh' }, { pattern: 'rm -rf /', tools: ['Bash'] }]);
  const ev = (p: Record<string, unknown>): AwEvent => mapHookPayload('claude', p, { id: '1796313602413349783-1-1', time: '2026-12-03T16:00:00Z' })[0];
  assert.equal(d(ev({ hook_event_name: 'PreToolUse', tool_name: 'Read', tool_input: { file_path: '/root/.ssh/id_rsa' } }))?.rule_id, 'ssh');
  assert.equal(d(ev({ hook_event_name: 'PostToolUse', tool_name: 'Read', tool_input: { file_path: '/root/.ssh/id_rsa' } })), undefined);
  assert.equal(d(ev({ hook_event_name: 'PreToolUse', tool_name: 'Write', tool_input: { content: 'rm -rf /' } })), undefined);
  assert.equal(d(ev({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }))?.action, 'deny');
  assert.equal(d(ev({ hook_event_name: 'UserPromptSubmit', prompt: 'print ~/.ssh/id_rsa' }))?.action, 'deny');
});

test('every real hook payload sample maps to an agent event', () => {
  const files: Array<[string, string]> = [
    ['claude', sharedDir('data', 'agents', 'claude-code', 'hooks', 'leopold-probe-claude-code-2.1.259.jsonl')],
    ['codex', sharedDir('data', 'agents', 'codex', 'hooks', 'leopold-probe-codex-0.152.1.jsonl')],
    ['claude', sharedDir('data', 'agents', 'generated', 'claude-code-2.1.197', 'cred-exfil', 'hooks.jsonl')],
    ['codex', sharedDir('data', 'agents', 'generated', 'codex-cli-0.169.0', 'cred-exfil', 'hooks.jsonl')],
    ['gemini', sharedDir('data', 'agents', 'generated', 'gemini-cli-0.61.0', 'cred-exfil', 'hooks.jsonl')],
  ];
  for (const [agent, f] of files) {
    const kinds = new Map<string, number>();
    for (const line of readFileSync(f, 'utf8').split('\n').filter((l) => l.trim())) {
      const p = JSON.parse(line) as Record<string, unknown>;
      const [ev] = mapHookPayload(agent, p, { id: '1796313602413349783-1-1', time: '2026-12-03T16:00:00Z' });
      kinds.set(ev.kind, (kinds.get(ev.kind) ?? 0) + 1);
      const name = p.hook_event_name as string;
      if (/^(PreToolUse|BeforeTool)$/.test(name)) {
        assert.equal(ev.kind, 'agent.tool.call');
        assert.equal(ev.agent?.tool?.name, p.tool_name);
        assert.deepEqual(ev.agent?.tool?.input, p.tool_input);
      }
      if (/^(PostToolUse|AfterTool)$/.test(name)) {
        assert.equal(ev.kind, 'agent.tool.result');
        assert.deepEqual(ev.agent?.tool?.output, p.tool_response);
      }
      if (/^(UserPromptSubmit|BeforeAgent)$/.test(name)) assert.equal(ev.agent?.prompt?.text, p.prompt);
      assert.equal(ev.session?.id, p.session_id);
    }
    assert.ok((kinds.get('agent.tool.call') ?? 0) > 0, `${f}: tool calls`);
    assert.ok((kinds.get('agent.tool.result') ?? 0) > 0, `${f}: tool results`);
  }
});

test('50 concurrent hook calls: all stored, none interleaved, each answered', async () => {
  const home = tempHome('aw-hk-conc-');
  const cfg = join(home, 'cfg.yaml');
  writeFileSync(cfg, 'hooks:\n  deny:\n    - path: ~/.aws\n      id: no-aws\n');
  const srv = await startServe(home, cfg);
  const sock = join(home, 'run', 'hook.sock');
  const spool = join(home, 'run', 'hook-spool');
  try {
    const N = 50;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        // Large payloads (about 200 KB each) make any interleaving visible.
        const body = `${String(i).padStart(3, '0')}:`.repeat(40_000);
        const payload = JSON.stringify({ session_id: 'conc', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: `call-${i}`, tool_input: { command: i % 5 === 0 ? 'cat ~/.aws/credentials' : 'true', body } });
        // Every tenth call goes through the Node fallback client.
        // A generous timeout: on a loaded CI machine 50 cold starts at once are slow, and a
        // timed-out client would (by design) spool and fail open instead of being answered.
        return runClient(['--agent', 'claude', '--socket', sock, '--spool', spool, '--timeout-ms', '120000'], payload, i % 10 === 3);
      }),
    );
    for (let i = 0; i < N; i++) assert.equal(results[i].code, i % 5 === 0 ? 2 : 0, `call ${i}: ${results[i].stderr}`);
    assert.match(results[0].stderr, /Blocked by AgentWarden/);
  } finally {
    assert.equal(await srv.stop(), 0, srv.stderr());
  }
  const calls = storedEvents(home).filter((e) => e.kind === 'agent.tool.call');
  assert.equal(calls.length, 50);
  const seen = new Set<string>();
  for (const c of calls) {
    const id = c.agent!.tool!.call_id!;
    const i = Number(id.slice(5));
    const body = (c.agent!.tool!.input as { body: string }).body;
    assert.equal(body, `${String(i).padStart(3, '0')}:`.repeat(40_000), `payload ${id} intact`);
    assert.equal(c.agent!.tool!.status, i % 5 === 0 ? 'denied' : undefined);
    seen.add(id);
  }
  assert.equal(seen.size, 50);
  assert.deepEqual(readdirSync(spool), []);
});

test('server down: the client spools (fail open / fail closed), the server drains on start', async () => {
  const home = tempHome('aw-hk-spool-');
  const sock = join(home, 'run', 'hook.sock');
  const spool = join(home, 'run', 'hook-spool');
  const pre = JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'a', tool_input: { command: 'id' } });
  const post = JSON.stringify({ session_id: 's', hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_use_id: 'a', tool_input: { command: 'id' }, tool_response: 'uid=0' });
  const open = await runClient(['--agent', 'codex', '--socket', sock, '--spool', spool], pre);
  assert.equal(open.code, 0);
  const closed = await runClient(['--agent', 'codex', '--socket', sock, '--spool', spool, '--fail', 'closed'], pre);
  assert.equal(closed.code, 2);
  assert.match(closed.stderr, /fail-closed/);
  const closedPost = await runClient(['--agent', 'codex', '--socket', sock, '--spool', spool, '--fail', 'closed'], post, true);
  assert.equal(closedPost.code, 0, 'a post-tool event is never blocked');
  const closedNode = await runClient(['--agent', 'codex', '--socket', sock, '--spool', spool, '--fail', 'closed'], pre, true);
  assert.equal(closedNode.code, 2, 'the Node client applies fail-closed too');
  assert.equal(readdirSync(spool).filter((f) => f.endsWith('.awh')).length, 4);
  const srv = await startServe(home);
  assert.equal(await srv.stop(), 0, srv.stderr());
  const evs = storedEvents(home).filter((e) => e.source.type === 'hook' && e.kind.startsWith('agent.'));
  assert.deepEqual(evs.map((e) => e.kind), ['agent.tool.call', 'agent.tool.call', 'agent.tool.result', 'agent.tool.call']);
  for (const e of evs) assert.equal((e.attributes as { spooled?: boolean }).spooled, true);
  assert.equal(evs[2].agent?.tool?.output, 'uid=0');
  assert.deepEqual(readdirSync(spool), []);
});

test('hooks serve --rules: the detection rules decide on tool calls before they run, and their alerts are stored', async () => {
  const home = tempHome('aw-hk-rules-');
  const srv = await startServe(home, undefined, ['--rules']);
  const sock = join(home, 'run', 'hook.sock');
  const spool = join(home, 'run', 'hook-spool');
  const call = (id: string, command: string) => JSON.stringify({ session_id: 'r1', cwd: '/w', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: id, tool_input: { command } });
  try {
    const ok = await runClient(['--agent', 'claude', '--socket', sock, '--spool', spool], call('t0', 'npm test'));
    assert.equal(ok.code, 0, ok.stderr);
    // The default pack requires approval for a tool call naming a secret store; hooks cannot
    // ask in every agent, so that is a deny with the rule and the reason.
    const a = await runClient(['--agent', 'claude', '--socket', sock, '--spool', spool], call('t1', 'cat ~/.aws/credentials'));
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, /cred\.secret_in_tool_call/);
  } finally {
    assert.equal(await srv.stop(), 0, srv.stderr());
  }
  const evs = storedEvents(home);
  assert.ok(evs.some((e) => e.kind === 'agent.decision' && e.agent?.decision?.rule_id === 'cred.secret_in_tool_call'));
  assert.ok(evs.some((e) => e.kind === 'alert' && e.alert?.rule_id === 'cred.secret_in_tool_call'), 'the detector stored its alert');
  assert.ok(!evs.some((e) => e.kind === 'agent.decision' && e.session?.tool_call_id === 't0'), 'the benign call was allowed');
});
