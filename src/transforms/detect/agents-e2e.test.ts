// End to end with the REAL Claude Code, Codex CLI and Gemini CLI driven by
// ../shared/agent-sim: the agents' own hook payloads (hooks.jsonl) go through the hook
// source's mapper into the detect transform. The cred-exfil scenario must raise the critical
// credential-then-egress alert on the right session and tool call (and decide() must deny
// the egress call); a benign scenario (npm test, edit a file, git commit) must raise nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { mapHookPayload } from '../../sources/hooks/index.js';
import { agentBin, agentSimRunner, agentSkipReason, sharedDir, tempHome, type AgentName } from '../../testing/index.js';
import { createDetector } from './index.js';

const BENIGN = {
  name: 'benign-dev',
  prompt: 'Run the tests, fix the greeting and commit the change.',
  files: {
    'package.json': '{"name":"demo","version":"1.0.0","private":true,"scripts":{"test":"node test.js"}}\n',
    'test.js': "const assert = require('assert');\nassert.equal(require('./greet.js')('x'), 'hello x');\nconsole.log('ok');\n",
    'greet.js': "module.exports = (n) => 'hello ' + n;\n",
  },
  script: [
    { say: 'Running the tests first.', shell: 'npm test' },
    { write: { path: 'greet.js', content: "module.exports = (name) => 'hello ' + name;\n" } },
    { shell: "git init -q && git add -A && git -c user.email=dev@example.com -c user.name=dev commit -qm 'fix greeting' && git log --oneline | head -1" },
    { text: 'Tests pass and the change is committed.' },
  ],
  expect: { files: ['greet.js'] },
};

function runSim(agent: AgentName, scenario: string, out: string): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [agentSimRunner()!, '--agent', agent, '--bin', agentBin(agent)!, '--scenario', scenario, '--out', out], { stdio: 'ignore' });
    const timer = setTimeout(() => p.kill('SIGKILL'), 240_000);
    p.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function hookEvents(agent: AgentName, out: string): AwEvent[] {
  const file = join(out, 'hooks.jsonl');
  assert.ok(existsSync(file), `${agent}: the scenario produced hook payloads`);
  const t0 = Date.parse('2026-12-03T12:00:00Z');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l, i) => mapHookPayload(agent, JSON.parse(l), { id: `${agent}-${i}`, time: new Date(t0 + i * 1000).toISOString() }));
}

const toolText = (e: AwEvent) => JSON.stringify(e.agent?.tool?.input ?? '');

// The three agents run concurrently: each mostly waits on its mock model and child processes.
describe('real agents through agent-sim', { concurrency: 3 }, () => {
  for (const agent of ['claude', 'codex', 'gemini'] as AgentName[]) {
    it(`${agent}: cred-exfil raises the critical alert on its session and tool call; a benign session raises nothing`, { skip: agentSkipReason(agent), timeout: 600_000 }, async () => {
      const home = tempHome(`aw-detect-e2e-${agent}-`);
      const benignFile = join(home, 'benign.json');
      writeFileSync(benignFile, JSON.stringify(BENIGN));
      const exfilOut = join(home, 'exfil');
      const benignOut = join(home, 'benign');
      await Promise.all([runSim(agent, sharedDir('agent-sim', 'examples', 'cred-exfil.json'), exfilOut), runSim(agent, benignFile, benignOut)]);

      // cred-exfil
      const evs = hookEvents(agent, exfilOut);
      const det = createDetector({});
      const curl = evs.find((e) => e.kind === 'agent.tool.call' && toolText(e).includes('curl -s -m 5 -X POST'));
      const cat = evs.find((e) => e.kind === 'agent.tool.call' && toolText(e).includes('cat ~/.aws/credentials'));
      assert.ok(cat && curl, `${agent}: the scenario's tool calls were recorded`);
      const alerts: AwEvent[] = [];
      for (const e of evs) {
        if (e === curl) {
          const d = det.decide(e);
          assert.equal(d.action, 'deny', `${agent}: the egress call is denied before it runs`);
          assert.equal(d.rule_id, 'cred.read_then_egress');
        }
        alerts.push(...det.alertsFor(e));
      }
      const crit = alerts.filter((a) => a.alert!.rule_id === 'cred.read_then_egress');
      assert.equal(crit.length, 1, `${agent}: alerts ${alerts.map((a) => a.alert!.rule_id).join(', ')}`);
      const a = crit[0];
      assert.equal(a.alert!.severity, 'critical');
      assert.equal(a.alert!.ioc_id, 'AW-IOC-CRED-001');
      assert.equal(a.session!.id, curl.session!.id, 'attributed to the agent session');
      assert.equal(a.session!.agent.kind, curl.session!.agent.kind);
      assert.equal(a.session!.tool_call_id ?? undefined, curl.agent!.tool!.call_id ?? undefined, 'attributed to the egress tool call');
      assert.deepEqual(a.alert!.trigger_ids, [cat.id, curl.id]);
      assert.ok(!alerts.some((x) => x.alert!.rule_id === 'agent.write_outside_workspace'), 'the setup note is inside the workspace');

      // benign: no alert at all
      const benign = hookEvents(agent, benignOut);
      assert.ok(benign.some((e) => e.kind === 'agent.tool.call' && toolText(e).includes('npm test')), `${agent}: the benign scenario ran`);
      const det2 = createDetector({});
      const benignAlerts = benign.flatMap((e) => det2.alertsFor(e));
      assert.deepEqual(benignAlerts.map((x) => `${x.alert!.rule_id}: ${x.alert!.message}`), [], `${agent}: no alert on the benign session`);
    });
  }
});
