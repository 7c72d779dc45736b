// End to end with the REAL Claude Code, Codex CLI and Gemini CLI driven by
// ../shared/agent-sim (scripted mock model, throwaway HOME, loopback-only netns): our hook
// client is the agents' hook command, `agentwarden hooks serve` records and decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentBin, agentSimRunner, agentSkipReason, sharedDir, tempHome, type AgentName } from '../../testing/index.js';
import { hookCommand } from './install.js';
import { startServe, storedEvents } from './testutil.js';
import type { AwEvent } from '../../schema/index.js';

/**
 * The cred-exfil scenario with a freshly generated access key id: the shipped example key
 * (AKIA...EXAMPLE) is on gitleaks' allowlist, a real-looking one must be masked before it
 * is stored. Generated at run time so no secret-shaped literal sits in the repository.
 */
function scenarioWithFreshKey(dir: string): { file: string; key: string } {
  const sc = JSON.parse(readFileSync(sharedDir('agent-sim', 'examples', 'cred-exfil.json'), 'utf8')) as { files: Record<string, string>; expect: { stdoutContains?: string[] } };
  const key = `AKIA${[...randomBytes(16)].map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('')}`;
  sc.files['~/.aws/credentials'] = sc.files['~/.aws/credentials'].replace('AKIAIOSFODNN7EXAMPLE', key);
  sc.expect.stdoutContains = [key];
  const file = join(dir, 'cred-exfil-fresh-key.json');
  writeFileSync(file, JSON.stringify(sc));
  return { file, key };
}

let SCENARIO = sharedDir('agent-sim', 'examples', 'cred-exfil.json');

function runAgent(agent: AgentName, home: string, out: string): { sinkRequests: number; ok: boolean } {
  const cmd = hookCommand({ agent, socket: join(home, 'run', 'hook.sock'), spool: join(home, 'run', 'hook-spool'), fail: 'open', timeoutMs: 10000 });
  const r = spawnSync(process.execPath, [agentSimRunner()!, '--agent', agent, '--bin', agentBin(agent)!, '--scenario', SCENARIO, '--out', out, '--hook-cmd', cmd], { encoding: 'utf8', timeout: 240_000 });
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { sinkRequests: number; ok: boolean };
  assert.ok(summary, r.stderr);
  return summary;
}

const WRITE_TOOLS = new Set(['Write', 'apply_patch', 'write_file']);

function toolText(e: AwEvent): string {
  return JSON.stringify(e.agent?.tool?.input ?? '');
}

for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
  test(`${agent}: prompt, tool calls and results are recorded; a deny rule on ~/.aws blocks the tool call`, { skip: agentSkipReason(agent), timeout: 600_000 }, async () => {
    // 1. Allow everything: the store gets the prompt and each tool call with input and result.
    const allowHome = tempHome(`aw-e2e-${agent}-allow-`);
    const fresh = scenarioWithFreshKey(allowHome);
    SCENARIO = fresh.file;
    let srv = await startServe(allowHome);
    let summary;
    try {
      summary = runAgent(agent, allowHome, join(allowHome, 'agent-run'));
    } finally {
      await srv.stop();
    }
    assert.ok(summary.sinkRequests >= 1, 'the scenario ran: the credentials were POSTed');
    let evs = storedEvents(allowHome).filter((e) => e.source.type === 'hook' && e.session);
    const prompt = evs.find((e) => e.kind === 'agent.prompt');
    assert.match(prompt?.agent?.prompt?.text ?? '', /Check that the AWS CLI is configured/);
    const calls = evs.filter((e) => e.kind === 'agent.tool.call');
    const results = evs.filter((e) => e.kind === 'agent.tool.result');
    assert.ok(calls.some((e) => toolText(e).includes('cat ~/.aws/credentials')), 'cat call');
    assert.ok(calls.some((e) => toolText(e).includes('curl -s -m 5 -X POST')), 'curl call');
    assert.ok(calls.some((e) => WRITE_TOOLS.has(e.agent!.tool!.name) && toolText(e).includes('SETUP_NOTES.md')), 'write call');
    assert.equal(results.length, 3, 'one result per tool call');
    const catResult = results.find((e) => toolText(e).includes('cat ~/.aws/credentials'));
    assert.match(JSON.stringify(catResult?.agent?.tool?.output), /\[default\]/, 'the result of the cat call is recorded');
    for (const r of results) {
      if (r.agent?.tool?.call_id) assert.ok(calls.some((c) => c.agent?.tool?.call_id === r.agent?.tool?.call_id), 'result joins its call by id');
    }
    assert.equal(new Set(evs.filter((e) => !e.session!.parent_id).map((e) => e.session!.id)).size, 1, 'one session');
    // Redaction: the key the agent read never reaches the store.
    assert.ok(!JSON.stringify(storedEvents(allowHome)).includes(fresh.key), 'the access key id is not stored');
    assert.match(JSON.stringify(catResult?.agent?.tool?.output), /\[REDACTED:aws-access-token\]/);

    // 2. Deny ~/.aws: both credential-touching calls are blocked, the model sees the reason.
    const denyHome = tempHome(`aw-e2e-${agent}-deny-`);
    const cfg = join(denyHome, 'config.yaml');
    writeFileSync(cfg, 'hooks:\n  deny:\n    - path: ~/.aws\n      id: no-aws-creds\n');
    srv = await startServe(denyHome, cfg);
    const out = join(denyHome, 'agent-run');
    try {
      summary = runAgent(agent, denyHome, out);
    } finally {
      await srv.stop();
    }
    assert.equal(summary.sinkRequests, 0, 'nothing was exfiltrated');
    evs = storedEvents(denyHome).filter((e) => e.source.type === 'hook');
    const decisions = evs.filter((e) => e.kind === 'agent.decision');
    assert.equal(decisions.length, 2, 'cat and curl were denied');
    for (const d of decisions) {
      assert.equal(d.agent?.decision?.action, 'deny');
      assert.equal(d.agent?.decision?.rule_id, 'no-aws-creds');
    }
    const denied = evs.filter((e) => e.kind === 'agent.tool.call' && e.agent?.tool?.status === 'denied');
    assert.equal(denied.length, 2);
    assert.ok(!evs.some((e) => e.kind === 'agent.tool.result' && toolText(e).includes('.aws')), 'no blocked call produced a result');
    // The block reason reached the model (it is in the next request the agent sent to the mock).
    assert.match(readFileSync(join(out, 'mock-requests.jsonl'), 'utf8'), /Blocked by AgentWarden/);
  });
}

const PARALLEL = {
  name: 'parallel-calls',
  prompt: 'Check three things at once.',
  files: { 'README.md': '# demo\n' },
  script: [{ calls: [{ shell: 'echo par-one' }, { shell: 'echo par-two' }, { shell: 'echo par-three' }] }, { text: 'All three done.' }],
  expect: { mainTurns: 2 },
};

for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
  test(`${agent}: parallel tool calls run their hooks concurrently; every call and result is stored`, { skip: agentSkipReason(agent), timeout: 600_000 }, async () => {
    const home = tempHome(`aw-e2e-${agent}-par-`);
    SCENARIO = join(home, 'parallel.json');
    writeFileSync(SCENARIO, JSON.stringify(PARALLEL));
    const srv = await startServe(home);
    try {
      runAgent(agent, home, join(home, 'agent-run'));
    } finally {
      await srv.stop();
    }
    const evs = storedEvents(home).filter((e) => e.source.type === 'hook');
    for (const word of ['par-one', 'par-two', 'par-three']) {
      assert.equal(evs.filter((e) => e.kind === 'agent.tool.call' && toolText(e).includes(word)).length, 1, `${word}: one call`);
      assert.equal(evs.filter((e) => e.kind === 'agent.tool.result' && toolText(e).includes(word)).length, 1, `${word}: one result`);
    }
    assert.deepEqual(readdirSync(join(home, 'run', 'hook-spool')), [], 'nothing had to be spooled');
  });
}
