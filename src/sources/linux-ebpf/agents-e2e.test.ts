// End to end with the REAL agent CLIs (../shared/agent-sim, cred-exfil scenario) under
// `agentwarden run`: the kernel sensor must show each shell command's full argv, the reads
// of ~/.aws/credentials by cat and curl with ancestry up to the agent, the connect to the
// loopback sink and the write of SETUP_NOTES.md, with the agent's kind and its own session
// id, and zero drops.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, after } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { agentBin, agentSimRunner, agentSkipReason, runCli, sharedDir, type AgentName } from '../../testing/index.js';
import { AGENT_KIND, checkCredExfil } from './e2e-checks.js';
import { sensorUnavailableReason } from './sensor.js';

const sensorSkip = sensorUnavailableReason();
describe('real agents under agentwarden run (cred-exfil)', { timeout: 600_000 }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
    it(`${agent}: argv, credential reads with ancestry, sink connect, workspace write, own session id, zero drops`, { skip: sensorSkip ?? agentSkipReason(agent) }, () => {
      const dir = mkdtempSync(join(tmpdir(), `aw-e2e-${agent}-`));
      dirs.push(dir);
      const home = join(dir, 'aw');
      const runDir = join(dir, 'run');
      const r = runCli(
        ['--store', home, 'run', '--json', '--quiet', '--', process.execPath, agentSimRunner()!, '--agent', agent, '--scenario', sharedDir('agent-sim', 'examples', 'cred-exfil.json'), '--bin', agentBin(agent)!, '--out', runDir],
        { timeoutMs: 300_000 },
      );
      assert.equal(r.code, 0, `run-agent failed: ${r.stderr.slice(-2000)}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{"summary"')).pop()!).summary;
      assert.deepEqual(summary.drops, {}, 'zero drops');
      const events = runCli(['--store', home, 'events', '--json'], { timeoutMs: 120_000 })
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AwEvent);
      assert.equal(events.length, summary.stored);
      assert.equal(events.filter((e) => e.kind === 'sensor.drop').length, 0);

      const mine = checkCredExfil(agent, runDir, events);
      const own = mine[0].session!.id;
      // the session listing names the agent with its version
      const sess = summary.sessions.find((s: { id: string }) => s.id === own);
      assert.equal(sess.agent.kind, AGENT_KIND[agent]);
      assert.match(sess.agent.version, /^\d+\.\d+\.\d+/);
    });
  }
});
