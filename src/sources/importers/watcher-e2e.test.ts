// Live: the daemon (in this process, with only the agent-logs service) watches the session
// logs of a REAL Claude Code run driven by ../shared/agent-sim, and the store ends up with
// the prompt, each tool call with its input and its result, while the agent writes them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AwConfig } from '../../config/types.js';
import { resolvePaths } from '../../core/paths.js';
import { startDaemon } from '../../daemon/daemon.js';
import type { AwEvent } from '../../schema/index.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import { agentBin, agentSimRunner, agentSkipReason, sharedDir, tempHome } from '../../testing/index.js';
import { AgentLogWatcher } from './watcher.js';

test('daemon watcher records a real Claude Code session as it happens', { timeout: 240_000 }, async (t) => {
  const skip = agentSkipReason('claude');
  if (skip) return t.skip(skip);
  const home = tempHome();
  const out = mkdtempSync(join(tmpdir(), 'aw-watch-e2e-'));
  const projects = join(out, 'home', '.claude', 'projects');
  mkdirSync(projects, { recursive: true });
  const config: AwConfig = { agent_logs: { claude: [projects], codex: [], gemini: [], cursor: [], poll_ms: 200 } };
  const logs: string[] = [];
  const daemon = await startDaemon({ config, paths: resolvePaths(home), log: (m) => logs.push(m), services: [{ name: 'agent-logs', create: (c) => new AgentLogWatcher(c.agent_logs ?? {}) }] });
  try {
    const code = await new Promise<number>((res) => {
      const p = spawn(process.execPath, [agentSimRunner()!, '--agent', 'claude', '--bin', agentBin('claude')!, '--scenario', sharedDir('agent-sim', 'examples', 'cred-exfil.json'), '--out', out, '--netns', 'off'], { stdio: 'ignore' });
      p.on('exit', (c) => res(c ?? -1));
    });
    assert.equal(code, 0, 'agent-sim run succeeded');
    await new Promise((r) => setTimeout(r, 1500)); // a few polls after the last write
  } finally {
    await daemon.stop();
  }
  assert.ok(logs.includes('started agent-log-watcher'), logs.join('\n'));
  const store = openStoreReadonly(resolvePaths(home));
  let evs: AwEvent[];
  try {
    evs = store.query({ kindPrefix: 'agent.' });
  } finally {
    store.close();
  }
  const prompt = evs.find((e) => e.kind === 'agent.prompt');
  assert.match(prompt?.agent?.prompt?.text ?? '', /AWS CLI is configured/);
  const calls = evs.filter((e) => e.kind === 'agent.tool.call');
  assert.deepEqual(calls.map((c) => c.agent?.tool?.name), ['Bash', 'Bash', 'Write']);
  assert.match(JSON.stringify(calls[1].agent?.tool?.input), /curl .*collect/);
  for (const c of calls) assert.ok(evs.some((e) => e.kind === 'agent.tool.result' && e.agent?.tool?.call_id === c.agent?.tool?.call_id), `result of ${c.agent?.tool?.call_id}`);
  assert.equal(new Set(evs.map((e) => e.id)).size, evs.length, 'nothing stored twice');
});
