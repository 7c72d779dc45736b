// Added latency of one hook call, end to end as the agent sees it: spawn of the hook
// command with a payload on stdin until it exits, against a running `hooks serve` (real
// store). Baselines measured in the same run: spawning /bin/true and `node -e 0`.
// Goal: native client p95 <= 20 ms.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome } from '../../testing/index.js';
import { nativeClientPath, nodeClientPath } from './install.js';
import { startServe } from './testutil.js';

function measure(exe: string, args: string[], input: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(exe, args, { input, stdio: ['pipe', 'ignore', 'ignore'] });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    // /bin/true never reads its stdin: EPIPE is expected there.
    if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') throw r.error;
  }
  return out.sort((a, b) => a - b);
}

/** One request/answer over the socket from this process: the server's share, without any spawn. */
async function roundTrips(sock: string, payload: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = Buffer.from(payload);
    const id = `${(BigInt(Date.now()) * 1_000_000n).toString()}-${process.pid}-${i.toString(16)}`;
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const c = connect({ path: sock, allowHalfOpen: true });
      c.on('connect', () => c.end(Buffer.concat([Buffer.from(`AWH1 claude ${id} ${body.length}\n`), body])));
      c.on('data', () => {});
      c.on('end', () => resolve());
      c.on('error', reject);
    });
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];

const home = tempHome('aw-hook-bench-');
const cfg = join(home, 'config.yaml');
writeFileSync(cfg, 'hooks:\n  deny:\n    - path: ~/.aws\n');
const srv = await startServe(home, cfg);
const sock = join(home, 'run', 'hook.sock');
const spool = join(home, 'run', 'hook-spool');
const payload = JSON.stringify({
  session_id: '3d1a0000-0000-4000-8000-000000000000',
  transcript_path: '/home/u/.claude/projects/-w/3d1a.jsonl',
  cwd: '/home/u/w',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'git status --short && npm test', description: 'Run the tests' },
  tool_use_id: 'toolu_01BkUCMD3BxMCBKacum25xQg',
});
const clientArgs = ['--agent', 'claude', '--socket', sock, '--spool', spool];
try {
  const rows: Array<[string, number[]]> = [];
  rows.push(['spawn /bin/true (baseline)', measure('/bin/true', [], payload, 200)]);
  rows.push(['spawn node -e 0 (baseline)', measure(process.execPath, ['-e', '0'], payload, 30)]);
  const native = nativeClientPath();
  if (native) rows.push(['hook call, native client', measure(native, clientArgs, payload, 300)]);
  else console.log('native client not built (scripts/setup.d/15-hook-client.sh); skipped');
  rows.push(['hook call, Node client', measure(process.execPath, [nodeClientPath(), ...clientArgs], payload, 30)]);
  rows.push(['socket round trip, no spawn', await roundTrips(sock, payload, 300)]);
  const base = rows[0][1];
  console.log('case                          n     p50 ms   p95 ms   p95 / true   p95 / node');
  for (const [name, s] of rows) {
    console.log(`${name.padEnd(28)} ${String(s.length).padStart(4)}  ${pct(s, 50).toFixed(2).padStart(7)}  ${pct(s, 95).toFixed(2).padStart(7)}  ${(pct(s, 95) / pct(base, 95)).toFixed(2).padStart(10)}x  ${(pct(s, 95) / pct(rows[1][1], 95)).toFixed(2).padStart(9)}x`);
  }
  if (native) {
    const p95 = pct(rows[2][1], 95);
    const added = pct(rows[2][1], 50) - pct(base, 50);
    console.log(`native hook p95 ${p95.toFixed(2)} ms (goal <= 20 ms: ${p95 <= 20 ? 'met' : 'NOT met on this run'}); added over spawning /bin/true: p50 ${added.toFixed(2)} ms`);
  }
} finally {
  await srv.stop();
}
