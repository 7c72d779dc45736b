// SIGKILL during ingest: everything acknowledged as durable survives, and the store verifies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, spawnCli, tempHome } from '../../testing/index.js';

function line(i: number): string {
  return JSON.stringify({
    time: new Date(1764756000000 + i).toISOString(),
    kind: 'process.exec',
    source: { type: 'test', ref: `kill:${i}` },
    session: { id: 'kill-test', agent: { kind: 'codex' } },
    process: { pid: 10 + (i % 100), argv: ['sh', '-c', `echo ${i}`] },
  });
}

test('after SIGKILL of the writer, stored >= acknowledged and verify passes', async () => {
  const home = tempHome();
  const child = spawnCli(['ingest', '-', '--progress'], { env: { AGENTWARDEN_HOME: home } });
  let acked = 0;
  let buf = '';
  child.stderr.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const m of buf.matchAll(/acknowledged (\d+)/g)) acked = Math.max(acked, Number(m[1]));
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
  });
  // Feed events until a good number has been acknowledged, then kill mid-stream.
  let i = 0;
  let killed = false;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.stdin.on('error', () => {});
  while (!killed) {
    let chunk = '';
    for (let k = 0; k < 500; k++) chunk += line(i++) + '\n';
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
    if (acked >= 20000) {
      child.kill('SIGKILL');
      killed = true;
    }
    if (i > 2_000_000) throw new Error('writer never acknowledged 20000 events');
  }
  await exited;
  assert.ok(acked >= 20000);
  const v = runCli(['verify', '--json'], { env: { AGENTWARDEN_HOME: home } });
  const report = JSON.parse(v.stdout);
  assert.equal(report.ok, true, v.stdout + v.stderr);
  assert.ok(report.records >= acked, `stored ${report.records} < acknowledged ${acked}`);
  // The store keeps working after the crash.
  const again = runCli(['ingest', '-'], { env: { AGENTWARDEN_HOME: home }, input: line(i) + '\n' });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(runCli(['verify', '--json'], { env: { AGENTWARDEN_HOME: home } }).stdout).records, report.records + 1);
});
