// Forensics over a store of 1,000,000 events (AW_BENCH_EVENTS to change): timeline and
// blast radius of a 100,000-event session (goal: each under 1 s), printed beside a raw
// SQLite scan of the same rows, and evidence sealing throughput (goal: >= 200 MB/s)
// beside a plain SHA-256 of the same bytes, all measured in this run.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signingKeyFrom } from '../core/keys.js';
import { resolvePaths } from '../core/paths.js';
import { formatTimeNs, type AwEvent } from '../schema/index.js';
import { openStore } from '../sinks/store/index.js';
import { blastRadiusOf } from './blast/blast.js';
import { resolveScope, scopeEvents } from './common/scope.js';
import { sealIncident } from './evidence/seal.js';
import { openIncident } from './incident/incidents.js';
import { renderTimeline } from './timeline/timeline.js';

const TOTAL = Number(process.env.AW_BENCH_EVENTS ?? 1_000_000);
const SESSION_EVENTS = Math.min(100_000, Math.floor(TOTAL / 10));
const home = mkdtempSync(join(tmpdir(), 'aw-fx-bench-'));
const paths = resolvePaths(home);
const store = openStore(paths);

function ms(t0: number) {
  return performance.now() - t0;
}

function event(i: number, t: bigint): AwEvent {
  // Every 10th event belongs to the session under study; the rest to 200 others.
  const big = i % 10 === 0 && i / 10 < SESSION_EVENTS;
  const sid = big ? 'bench-big' : `bench-${i % 200}`;
  const session = { id: sid, agent: { kind: 'claude-code', version: '2.0.0' }, root_pid: 1000, attribution: 'tree' as const, tool_call_id: `toolu_${i >> 4}` };
  const time = formatTimeNs(t);
  const host = { name: 'bench' };
  // Mixed kinds in every session (the studied one takes every 10th index).
  switch ((i + Math.floor(i / 10)) % 4) {
    case 0:
      return { time, kind: 'process.exec', source: { type: 'linux-ebpf' }, host, session, process: { pid: 2000 + (i % 5000), ppid: 1000, exe: '/usr/bin/git', argv: ['git', 'status', '--short'], cwd: '/work/repo', depth: 1, ancestry: [{ pid: 1000, exe: '/usr/bin/node', argv0: 'claude' }] } };
    case 1:
      return { time, kind: 'file.open', source: { type: 'linux-ebpf' }, host, session, process: { pid: 2000 + (i % 5000), exe: '/usr/bin/cat' }, file: { path: i % 1000 < 50 ? '/home/dev/.aws/credentials' : `/work/repo/src/file-${i % 700}.ts`, intent: [i % 3 ? 'read' : 'write'] } };
    case 2:
      return { time, kind: 'network.connect', source: { type: 'linux-ebpf' }, host, session, process: { pid: 2000 + (i % 5000), exe: '/usr/bin/curl' }, network: { transport: 'tcp', family: 'ipv4', direction: 'outbound', dst_ip: `10.0.${i % 7}.${i % 200}`, dst_port: 443, bytes_out: 512 } };
    default:
      return { time, kind: 'agent.tool.call', source: { type: 'hook' }, host, session, agent: { model: 'claude-sonnet-4-5', tool: { name: 'Bash', call_id: `toolu_${i}`, category: 'shell', input: { command: `npm test -- --grep case-${i % 97}` } } } };
  }
}

const tFill = performance.now();
const t0 = BigInt(Date.now() - 3_600_000) * 1_000_000n;
// Batches as the daemon's store writer commits them under sustained load (store.queue
// batch_size, records grouped by session within a batch).
const BATCH = 2048;
for (let i = 0; i < TOTAL; i += BATCH) {
  const items = [];
  for (let j = i; j < Math.min(TOTAL, i + BATCH); j++) items.push({ event: event(j, t0 + BigInt(j) * 1000n) });
  store.appendBatch(items, { cluster: true });
}
console.log(`store: ${TOTAL} events written in ${(ms(tFill) / 1000).toFixed(1)} s (${store.sessions({ session: 'bench-big' })[0].events} in the studied session)`);

// Baseline: a raw scan of the same rows (index lookup + row read, no decoding).
const raw = () => {
  const t = performance.now();
  let bytes = 0;
  // The session's blocks, read and split into records, without decoding them.
  for (const r of store.db.prepare('SELECT bodies FROM blocks WHERE first_seq IN (SELECT first_seq FROM block_sessions WHERE session_id = ?) ORDER BY first_seq').pluck().iterate('bench-big') as IterableIterator<Buffer>) {
    for (const b of r.toString('utf8').split('\n')) if (b.includes('"bench-big"')) bytes += b.length;
  }
  return { ms: ms(t), bytes };
};
raw();
const base = raw();

const scope = resolveScope(store, 'bench-big');
const timelineRun = () => {
  const t = performance.now();
  const timed = scopeEvents(store, scope);
  let out = 0;
  renderTimeline(timed, scope, 'text', (s) => (out += s.length));
  return { ms: ms(t), events: timed.length, out };
};
timelineRun();
const tl = timelineRun();
const blastRun = () => {
  const t = performance.now();
  const br = blastRadiusOf(scopeEvents(store, scope), scope, { git: false });
  return { ms: ms(t), creds: br.credentials.length, endpoints: br.endpoints.length };
};
blastRun();
const bl = blastRun();
console.log(`raw SQLite scan of the session: ${base.ms.toFixed(0)} ms (${(base.bytes / 1e6).toFixed(1)} MB of bodies)`);
console.log(`timeline (text) of ${tl.events} events: ${tl.ms.toFixed(0)} ms  = ${(tl.ms / base.ms).toFixed(1)}x the raw scan  [goal < 1000 ms: ${tl.ms < 1000 ? 'met' : 'NOT met'}]`);
console.log(`blast radius of ${tl.events} events: ${bl.ms.toFixed(0)} ms  = ${(bl.ms / base.ms).toFixed(1)}x the raw scan  (${bl.creds} credential reads, ${bl.endpoints} endpoints)  [goal < 1000 ms: ${bl.ms < 1000 ? 'met' : 'NOT met'}]`);

// Sealing: open an incident over the session, seal it, hash the same bytes plainly.
const inc = openIncident(store, { sessions: ['bench-big'], reason: 'bench' });
const key = signingKeyFrom(generateKeyPairSync('ed25519').privateKey, 'bench');
const storePub = readFileSync(join(paths.keysDir, 'store-ed25519.pub.pem'), 'utf8');
const out = join(home, 'bundle');
const ts = performance.now();
const r = sealIncident(store, { incidentId: inc.id, key, out, storePublicKeyPem: storePub, toolVersion: 'bench' });
const sealMs = ms(ts);
const files: string[] = [];
const walk = (d: string) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(out);
const bufs = files.map((f) => readFileSync(f));
const th = performance.now();
for (const b of bufs) createHash('sha256').update(b).digest();
const hashMs = ms(th);
const mb = r.bytes / 1e6;
console.log(`seal: ${r.records} records, ${r.files} files, ${mb.toFixed(1)} MB in ${sealMs.toFixed(0)} ms = ${(mb / (sealMs / 1000)).toFixed(0)} MB/s  [goal >= 200 MB/s: ${mb / (sealMs / 1000) >= 200 ? 'met' : 'NOT met'}]`);
console.log(`  phases: ${Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
console.log(`plain sha256 of the same ${mb.toFixed(1)} MB: ${hashMs.toFixed(0)} ms = ${(mb / (hashMs / 1000)).toFixed(0)} MB/s; sealing costs ${(sealMs / hashMs).toFixed(1)}x a plain hash (it also reads, proves and writes)`);
store.close();
if (!process.env.AW_BENCH_KEEP) rmSync(home, { recursive: true, force: true });
else console.log(`kept ${home}`);
