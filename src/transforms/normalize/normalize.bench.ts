// Cost of normalizeHookPayload on the hook's critical path and of the live tool-call join,
// as ratios to a baseline measured in the same run: JSON.parse of the same payload text
// (the least any hook receiver must do with a payload).
import { readFileSync } from 'node:fs';

import type { AwEvent } from '../../schema/index.js';
import { sharedDir } from '../../testing/index.js';
import { ToolCallJoinTransform } from '../join/index.js';
import { normalizeHookPayload } from './index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2000);

function perOp(fn: () => void, n: number): number {
  for (let i = 0; i < Math.min(200, n); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

const payloads: Array<[string, string]> = [];
for (const [agent, dir] of [['claude', 'claude-code-2.1.197'], ['codex', 'codex-cli-0.169.0'], ['gemini', 'gemini-cli-0.61.0']]) {
  for (const l of readFileSync(sharedDir('data', 'agents', 'generated', dir, 'cred-exfil', 'hooks.jsonl'), 'utf8').trim().split('\n')) payloads.push([agent, l]);
}
const n = ROUNDS * payloads.length;
let i = 0;
const parseNs = perOp(() => {
  const [, l] = payloads[i++ % payloads.length];
  JSON.parse(l);
}, n);
i = 0;
const normNs = perOp(() => {
  const [a, l] = payloads[i++ % payloads.length];
  normalizeHookPayload(a, JSON.parse(l), { time: '2026-11-22T08:52:14Z' });
}, n);
console.log(`hook payloads: ${payloads.length} real payloads x ${ROUNDS}`);
console.log(`  JSON.parse (baseline)          ${(parseNs / 1000).toFixed(2)} us/payload`);
console.log(`  parse + normalizeHookPayload   ${(normNs / 1000).toFixed(2)} us/payload  (${(normNs / parseNs).toFixed(1)}x baseline)`);

// Live join: one kernel exec against 200 open tool-call windows.
const t = new ToolCallJoinTransform();
const base = Date.parse('2026-11-22T08:00:00Z');
for (let k = 0; k < 200; k++) {
  const time = new Date(base + k * 1000).toISOString();
  t.apply({ id: `c${k}`, time, kind: 'agent.tool.call', source: { type: 'bench' }, session: { id: `s${k % 4}`, agent: { kind: 'codex' } }, agent: { tool: { name: 'exec_command', call_id: `call${k}`, category: 'shell', input: { cmd: `ls -la /tmp/dir${k}` } } } });
}
let pid = 10_000;
const exec = (): AwEvent => ({ time: new Date(base + 150_500).toISOString(), kind: 'process.exec', source: { type: 'bench' }, process: { pid: pid++, ppid: 1, argv: ['/bin/bash', '-lc', `ls -la /tmp/dir150`] } });
const execs = Array.from({ length: 5000 }, exec);
let j = 0;
const joinNs = perOp(() => void t.apply(execs[j++ % execs.length]), 5000);
i = 0;
const parseExecNs = perOp(() => void JSON.parse(JSON.stringify(execs[i++ % execs.length])), 5000);
console.log(`live join (200 open windows):`);
console.log(`  JSON round trip of the event (baseline) ${(parseExecNs / 1000).toFixed(2)} us/event`);
console.log(`  ToolCallJoinTransform.apply             ${(joinNs / 1000).toFixed(2)} us/event  (${(joinNs / parseExecNs).toFixed(1)}x baseline)`);

