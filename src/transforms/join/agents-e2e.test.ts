// End to end with the REAL agent CLIs (driven by ../shared/agent-sim against its mock
// model): `agentwarden run` records the kernel view of the credential-read-then-POST
// scenario, `agentwarden import` reads the agent's own transcript into the same store, and
// the join answers "what did the curl tool call do" (the curl process and its connect to
// the sink) and "which tool call ran this curl process". Skips, naming what is missing,
// when the agent CLIs, agent-sim or a kernel capture mode are not available.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { agentBin, agentSimRunner, agentSkipReason, runCli, sharedDir, tempHome, type AgentName } from '../../testing/index.js';

let captureMode: string | undefined;
let captureWhy = '';
function kernelCapture(): string | undefined {
  if (captureMode !== undefined || captureWhy) return captureMode;
  for (const mode of ['ebpf', 'ptrace']) {
    const r = runCli(['--store', tempHome(), 'run', '--quiet', '--mode', mode, '--', '/bin/true'], { timeoutMs: 60_000 });
    if (r.code === 0) {
      captureMode = mode;
      return mode;
    }
    captureWhy += `${mode}: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}; `;
  }
  return undefined;
}

const LOGS: Record<AgentName, { importer: string; dir: string }> = {
  claude: { importer: 'claude', dir: join('home', '.claude', 'projects') },
  codex: { importer: 'codex', dir: join('home', '.codex', 'sessions') },
  gemini: { importer: 'gemini', dir: join('home', '.gemini', 'tmp') },
};

for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
  test(`real ${agent}: the curl tool call joins to the curl process and its connect`, { timeout: 300_000 }, (t) => {
    const skip = agentSkipReason(agent);
    if (skip) return t.skip(skip);
    const mode = kernelCapture();
    if (!mode) return t.skip(`needs a kernel capture mode for agentwarden run (${captureWhy})`);
    const home = tempHome();
    const out = mkdtempSync(join(tmpdir(), `aw-e2e-${agent}-`));
    const run = runCli(['--store', home, 'run', '--quiet', '--mode', mode, '--', process.execPath, agentSimRunner()!, '--agent', agent, '--bin', agentBin(agent)!, '--scenario', sharedDir('agent-sim', 'examples', 'cred-exfil.json'), '--out', out, '--netns', 'off'], { timeoutMs: 240_000 });
    assert.equal(run.code, 0, `agentwarden run: ${run.stderr.slice(-2000)}`);
    const imp = runCli(['--store', home, '--json', 'import', LOGS[agent].importer, join(out, LOGS[agent].dir)]);
    assert.equal(imp.code, 0, imp.stderr);
    const calls = runCli(['--store', home, 'events', '--json', '--kind', 'agent.tool.call'])
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AwEvent);
    const curl = calls.find((e) => JSON.stringify(e.agent?.tool?.input ?? '').includes('curl'));
    assert.ok(curl?.agent?.tool?.call_id, `a curl tool call was imported (${calls.length} calls)`);
    const prompt = runCli(['--store', home, 'events', '--json', '--kind', 'agent.prompt']).stdout;
    assert.match(prompt, /AWS CLI is configured/);
    const act = runCli(['--store', home, '--json', 'toolcall', curl.agent!.tool!.call_id!]);
    assert.equal(act.code, 0, act.stderr);
    const a = JSON.parse(act.stdout) as { processes: AwEvent[]; network: AwEvent[] };
    const curlProc = a.processes.find((e) => e.kind === 'process.exec' && /(^|\/)curl$/.test(e.process?.exe ?? e.process?.argv?.[0] ?? ''));
    assert.ok(curlProc, `curl process joined (${a.processes.map((p) => p.process?.argv?.join(' ')).join(' | ')})`);
    assert.ok(a.network.some((e) => e.network?.dst_ip === '127.0.0.1' || e.network?.dst_host === '127.0.0.1'), 'the POST to the sink joined');
    // Every tool call has its input and its result; the cat call read the credentials file.
    const results = runCli(['--store', home, 'events', '--json', '--kind', 'agent.tool.result']).stdout.trim().split('\n').map((l) => JSON.parse(l) as AwEvent);
    for (const c of calls) assert.ok(results.some((r) => r.agent?.tool?.call_id === c.agent?.tool?.call_id && r.agent?.tool?.status), `result of ${c.agent?.tool?.name}`);
    const cat = calls.find((e) => JSON.stringify(e.agent?.tool?.input ?? '').includes('cat ~/.aws/credentials'));
    assert.ok(cat);
    const catAct = JSON.parse(runCli(['--store', home, '--json', 'toolcall', cat.agent!.tool!.call_id!]).stdout) as { processes: AwEvent[]; files: AwEvent[] };
    assert.ok(catAct.files.some((e) => e.file?.path.endsWith('/.aws/credentials')), 'cat call opened ~/.aws/credentials');
    assert.ok(!catAct.processes.some((e) => e.process?.pid === curlProc.process!.pid), 'curl is not charged to the cat call');
    // The reverse question agrees.
    const why = runCli(['--store', home, '--json', 'why', '--pid', String(curlProc.process!.pid)]);
    assert.equal(why.code, 0, why.stderr);
    assert.equal((JSON.parse(why.stdout) as { match: { toolCallId: string } }).match.toolCallId, curl.agent!.tool!.call_id);
  });
}
