// The daemon: agents detected as they start (real CLIs via agent-sim), status and live
// sessions over the socket, an IDE-style marker without an agent is no session, and a
// killed sensor (or daemon) is recorded and alerted. Needs root + eBPF.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AwEvent } from '../schema/index.js';
import { AGENT_KIND, checkCredExfil } from '../sources/linux-ebpf/e2e-checks.js';
import { sensorUnavailableReason } from '../sources/linux-ebpf/sensor.js';
import { agentBin, agentSimRunner, agentSkipReason, cliEntry, runCli, sharedDir, type AgentName } from '../testing/index.js';

const skip = sensorUnavailableReason();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startDaemon(home: string): ChildProcess {
  return spawn(process.execPath, [cliEntry(), '--store', home, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

async function status(home: string): Promise<Record<string, any> | undefined> {
  const r = runCli(['--store', home, 'status', '--json']);
  const j = JSON.parse(r.stdout || '{}');
  return j.running ? j : undefined;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function events(home: string, extra: string[] = []): AwEvent[] {
  const out = runCli(['--store', home, 'events', '--json', ...extra], { timeoutMs: 120_000 }).stdout.trim();
  return out ? out.split('\n').map((l) => JSON.parse(l) as AwEvent) : [];
}

describe('agentwarden daemon', { skip, timeout: 600_000 }, () => {
  let home: string;
  let dir: string;
  let daemon: ChildProcess;
  let log = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-daemon-'));
    home = join(dir, 'aw');
    daemon = startDaemon(home);
    daemon.stderr!.on('data', (d) => (log += d));
    await waitFor('daemon status', () => status(home));
  });
  after(() => {
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports health over its socket', async () => {
    const st = (await status(home))!;
    assert.equal(st.healthy, true);
    assert.equal(st.services['kernel-sensor'].state, 'running');
    assert.ok(st.services['kernel-sensor'].helper_pid > 0);
    assert.deepEqual(st.services['kernel-sensor'].drops, {});
  });

  // the three agents run at the same time (the daemon must keep them apart; it also keeps
  // the suite's wall time to one agent run)
  const agents = (['claude', 'codex', 'gemini'] as AgentName[]).filter((a) => !agentSkipReason(a));
  it(`detects ${agents.join(', ') || 'the agents'} as they start, concurrently, and records the cred-exfil findings`, { skip: agents.length ? undefined : agentSkipReason('claude') }, async () => {
    const runs = await Promise.all(
      agents.map(
        (agent) =>
          new Promise<{ agent: AgentName; runDir: string; code: number | null; err: string }>((resolve) => {
            const runDir = join(dir, `run-${agent}`);
            const c = spawn(process.execPath, [agentSimRunner()!, '--agent', agent, '--scenario', sharedDir('agent-sim', 'examples', 'cred-exfil.json'), '--bin', agentBin(agent)!, '--out', runDir, '--timeout', '280'], { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            c.stderr.on('data', (d) => (err += d));
            c.on('exit', (code) => resolve({ agent, runDir, code, err }));
          }),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, `${r.agent}: ${r.err.slice(-2000)}`);
    for (const { agent, runDir } of runs) {
      // the session ends when the agent exits; the daemon stores its tail right after
      const live = await waitFor(`the ${agent} session in sessions --live`, () => {
        const l = runCli(['--store', home, 'sessions', '--live', '--json']).stdout.trim();
        const list = l ? l.split('\n').map((x) => JSON.parse(x)) : [];
        return list.find((s: any) => s.agent.kind === AGENT_KIND[agent] && s.ended && s.id_source !== 'generated');
      });
      await sleep(500);
      const mine = checkCredExfil(agent, runDir, events(home, ['--session', live.id]));
      assert.equal(mine[0].session?.root_pid, live.root_pid);
    }
    assert.equal(events(home, ['--kind', 'sensor.drop']).length, 0);
  });

  it('an agent marker without an agent process is not a session', async () => {
    const before = runCli(['--store', home, 'sessions', '--live', '--json']).stdout.trim().split('\n').filter(Boolean).length;
    const r = spawnSync('sh', ['-c', 'cat /etc/hostname >/dev/null; /bin/true'], { env: { ...process.env, CLAUDECODE: '1', TERM_PROGRAM: 'vscode' } });
    assert.equal(r.status, 0);
    await sleep(1000);
    const after = runCli(['--store', home, 'sessions', '--live', '--json']).stdout.trim().split('\n').filter(Boolean).length;
    assert.equal(after, before);
    assert.equal(events(home, ['--pid', String(r.pid)]).length, 0);
  });

  it('a killed sensor is recorded, alerted and restarted', async () => {
    const st = (await status(home))!;
    const pid = st.services['kernel-sensor'].helper_pid as number;
    process.kill(pid, 'SIGKILL');
    const alert = await waitFor('the alert', () => events(home, ['--kind', 'alert']).find((e) => e.alert?.rule_id === 'AW-SENSOR-DIED'));
    assert.equal(alert.alert?.severity, 'high');
    assert.ok(events(home, ['--kind', 'sensor.status']).some((e) => e.sensor?.state === 'died'));
    const st2 = await waitFor('the restart', async () => {
      const s = await status(home);
      return s && s.services['kernel-sensor'].helper_pid !== pid && s.services['kernel-sensor'].state === 'running' ? s : undefined;
    });
    assert.equal(st2.services['kernel-sensor'].deaths, 1);
  });

  it('stops on SIGTERM; a killed daemon is alerted at the next start', async () => {
    daemon.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => daemon.on('exit', (c) => r(c)));
    assert.equal(code, 0, log.slice(-2000));
    daemon = startDaemon(home);
    await waitFor('daemon status', () => status(home));
    daemon.kill('SIGKILL');
    await new Promise((r) => daemon.on('exit', r));
    daemon = startDaemon(home);
    await waitFor('daemon status', () => status(home));
    const unclean = events(home, ['--kind', 'alert']).filter((e) => e.alert?.rule_id === 'AW-DAEMON-UNCLEAN-STOP');
    assert.equal(unclean.length, 1, 'exactly one unclean stop (the SIGKILL, not the SIGTERM)');
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.on('exit', r));
  });
});
