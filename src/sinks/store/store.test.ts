import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { ensureSigningKey } from '../../core/keys.js';
import { resolvePaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { runCli, tempHome } from '../../testing/index.js';
import { chainMacKey, chainNext, recordLeaf, splitBodies } from './store.js';
import { openStore, verifyStore } from './index.js';

function ev(i: number, extra: Partial<AwEvent> = {}): AwEvent {
  return {
    time: `2026-12-03T10:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(9, '0')}Z`,
    kind: i % 3 === 0 ? 'network.connect' : 'file.open',
    source: { type: 'test', ref: `gen:${i}` },
    session: { id: `sess-${i % 2}`, agent: { kind: i % 2 ? 'codex' : 'claude-code', version: '1.0' }, root_pid: 100 + (i % 2) },
    process: { pid: 1000 + (i % 5), exe: '/usr/bin/cat', argv: ['cat', `/tmp/f${i}`] },
    ...(i % 3 === 0 ? { network: { transport: 'tcp', dst_ip: '127.0.0.1', dst_port: 8000 + (i % 4) } } : { file: { path: `/tmp/f${i}`, intent: ['read'] } }),
    ...extra,
  } as AwEvent;
}

/** A store of n events written in batches of `batch` (one checkpoint per batch). */
function makeStore(n: number, batch = 5) {
  const home = tempHome();
  const paths = resolvePaths(home);
  const store = openStore(paths);
  for (let i = 1; i <= n; i += batch) {
    const items = [];
    for (let j = i; j < i + batch && j <= n; j++) items.push({ event: ev(j) });
    store.appendBatch(items);
  }
  store.close();
  const key = ensureSigningKey(paths.keysDir);
  const verify = (opts: { withKey?: boolean } = { withKey: true }) =>
    verifyStore({ dir: paths.storeDir, publicKey: key.publicKey, macKey: opts.withKey === false ? undefined : chainMacKey(key), checkpointDirs: [paths.checkpointsDir] });
  const raw = () => {
    const db = new Database(join(paths.storeDir, 'events.db'));
    // An attacker with file access simply removes the append-only triggers.
    db.exec('DROP TRIGGER blocks_append_only_u; DROP TRIGGER blocks_append_only_d;');
    return db;
  };
  return { home, paths, verify, raw };
}

test('an untouched store verifies, with and without the private key', () => {
  const s = makeStore(40);
  const r = s.verify();
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.equal(r.records, 40);
  assert.equal(r.signedSize, 40);
  assert.equal(s.verify({ withKey: false }).ok, true);
});

test('the store refuses updates and deletes through SQL (append-only triggers)', () => {
  const s = makeStore(5);
  const db = new Database(join(s.paths.storeDir, 'events.db'));
  assert.throws(() => db.prepare('UPDATE blocks SET kinds = ? WHERE first_seq = 1').run('x'), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM blocks WHERE first_seq = 1').run(), /append-only/);
  db.close();
});

interface RawBlock {
  first_seq: number;
  last_seq: number;
  bodies: Buffer | string;
  leaves: Buffer;
  chain: Buffer;
  mac: Buffer;
}

/** Rewrites the block holding `seq` as an attacker with file access would. */
function editBlock(db: Database.Database, seq: number, edit: (bodies: string[], leaves: Buffer[], row: RawBlock) => Partial<RawBlock> | void): void {
  const row = db.prepare('SELECT first_seq, last_seq, bodies, leaves, chain, mac FROM blocks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1').get(seq) as RawBlock;
  const bodies = splitBodies(row.bodies);
  const leaves = bodies.map((_, i) => row.leaves.subarray(32 * i, 32 * i + 32));
  const extra = edit(bodies, leaves, row) ?? {};
  const next = { ...row, bodies: bodies.join('\n'), leaves: Buffer.concat(leaves), ...extra };
  db.prepare('UPDATE blocks SET last_seq = ?, bodies = ?, leaves = ?, chain = ?, mac = ? WHERE first_seq = ?').run(next.last_seq, next.bodies, next.leaves, next.chain, next.mac, row.first_seq);
}

test('tamper: a flipped byte in a payload names that record', () => {
  const s = makeStore(20);
  const db = s.raw();
  editBlock(db, 9, (bodies, _l, row) => {
    const i = 9 - row.first_seq;
    const flipped = bodies[i].replace('/tmp/f9', '/tmp/g9');
    assert.notEqual(flipped, bodies[i]);
    bodies[i] = flipped;
  });
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 9);
  assert.equal(r.problems[0].code, 'RECORD_MODIFIED');
  const cli = runCli(['verify'], { env: { AGENTWARDEN_HOME: s.home } });
  assert.equal(cli.code, 1);
  assert.match(cli.stdout, /first bad sequence number 9\b/);
});

test('tamper: a record cut out of its block, or a whole block deleted, names the missing record', () => {
  const s = makeStore(20);
  const db = s.raw();
  editBlock(db, 7, (bodies, leaves, row) => {
    bodies.splice(7 - row.first_seq, 1);
    leaves.splice(7 - row.first_seq, 1);
  });
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 7);
  assert.equal(r.problems[0].code, 'RECORD_MISSING');

  const t = makeStore(20);
  const db2 = t.raw();
  db2.prepare('DELETE FROM blocks WHERE first_seq = 6').run();
  db2.close();
  const r2 = t.verify();
  assert.equal(r2.firstBadSeq, 6);
  assert.equal(r2.problems[0].code, 'RECORD_MISSING');
});

test('tamper: swapped records are detected at the first of them', () => {
  const s = makeStore(20);
  const db = s.raw();
  editBlock(db, 4, (bodies, leaves) => {
    [bodies[3], bodies[4]] = [bodies[4], bodies[3]];
    [leaves[3], leaves[4]] = [leaves[4], leaves[3]];
  });
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 4);
  assert.equal(r.problems[0].code, 'RECORD_OUT_OF_PLACE');
});

test('tamper: a truncated tail is caught by the checkpoints outside the database', () => {
  const s = makeStore(20);
  const db = s.raw();
  db.exec('DROP TRIGGER checkpoints_append_only_d');
  db.prepare('DELETE FROM blocks WHERE first_seq > 15').run();
  db.prepare('DELETE FROM checkpoints WHERE size > 15').run();
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 16);
  assert.equal(r.problems.find((p) => !p.warning)?.code, 'TRUNCATED');
});

test('tamper: a tail rewritten and re-chained without the key names the first rewritten record', () => {
  const s = makeStore(20, 1);
  const db = s.raw();
  // The attacker rewrites record 12 and recomputes its leaf and the public chain from there
  // on. Without the key they cannot produce valid MACs or signed checkpoints.
  let chain = (db.prepare('SELECT chain FROM blocks WHERE first_seq = 11').get() as { chain: Buffer }).chain;
  for (let seq = 12; seq <= 20; seq++) {
    editBlock(db, seq, (bodies, leaves) => {
      if (seq === 12) {
        bodies[0] = bodies[0].replace('/tmp/f12', '/tmp/zz');
        leaves[0] = recordLeaf(bodies[0]);
      }
      chain = chainNext(chain, Buffer.concat(leaves));
      return { chain };
    });
  }
  db.close();
  const withKey = s.verify();
  assert.equal(withKey.ok, false);
  assert.equal(withKey.firstBadSeq, 12);
  assert.equal(withKey.problems[0].code, 'CHAIN_MAC_MISMATCH');
  // With only the public key, every batch has a signed checkpoint, which pins it too.
  const pubOnly = s.verify({ withKey: false });
  assert.equal(pubOnly.ok, false);
  assert.equal(pubOnly.firstBadSeq, 12);
  assert.equal(pubOnly.problems[0].code, 'CHECKPOINT_MISMATCH');
});

test('tamper: an inserted record at the end fails its MAC', () => {
  const s = makeStore(10);
  const db = s.raw();
  const body = JSON.stringify({ kind: 'file.open', seq: 11, source: { type: 'forged' }, time: '2026-12-03T10:00:00Z', v: '1' });
  const prev = (db.prepare('SELECT chain FROM blocks WHERE first_seq = 6').get() as { chain: Buffer }).chain;
  const leaf = recordLeaf(body);
  db.prepare("INSERT INTO blocks(first_seq, last_seq, min_time_ns, max_time_ns, kinds, chain, mac, bloom, sessions, rec, leaves, bodies) VALUES (11, 11, 0, 0, ?, ?, ?, ?, '[]', ?, ?, ?)").run('\nfile.open\n', chainNext(prev, leaf), Buffer.alloc(32), Buffer.alloc(16), Buffer.alloc(2), leaf, body);
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 11);
});

test('tamper: an index summary that would hide a record from queries fails verify', () => {
  const s = makeStore(20);
  const db = s.raw();
  // Dropping a session from a block's index hides its records from session queries.
  db.prepare("DELETE FROM block_sessions WHERE first_seq = 11 AND session_id = 'sess-1'").run();
  db.close();
  const r = s.verify();
  assert.equal(r.ok, false);
  assert.equal(r.firstBadSeq, 11);
  assert.equal(r.problems[0].code, 'INDEX_MISMATCH');

  const t = makeStore(20);
  const db2 = t.raw();
  db2.prepare('UPDATE blocks SET bloom = zeroblob(length(bloom)) WHERE first_seq = 16').run();
  db2.close();
  const r2 = t.verify();
  assert.equal(r2.firstBadSeq, 16);
  assert.equal(r2.problems[0].code, 'INDEX_MISMATCH');

  // Re-pointing a record's per-record session entry hides it from its session's readers
  // (sessionBodies, sealing), which select records by that index without parsing them.
  const u = makeStore(20);
  const reader = openStore(u.paths);
  const bodies = [...reader.sessionBodies('sess-0')];
  reader.close();
  // Exact without parsing: every record the index selects is the session's, and all of them are.
  assert.deepEqual(bodies.map(([seq]) => seq), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  for (const [seq, body] of bodies) assert.equal((JSON.parse(body) as AwEvent & { seq: number }).seq, seq);
  const db3 = u.raw();
  const row = db3.prepare('SELECT first_seq, rec FROM blocks WHERE first_seq = 11').get() as { first_seq: number; rec: Buffer };
  const i = row.rec.findIndex((b, j) => j % 2 === 1 && b === 2);
  const rec = Buffer.from(row.rec);
  rec[i] = rec[i] === 1 ? 2 : 1;
  db3.prepare('UPDATE blocks SET rec = ? WHERE first_seq = 11').run(rec);
  db3.close();
  const r3 = u.verify();
  assert.equal(r3.ok, false);
  assert.equal(r3.firstBadSeq, 11 + (i - 1) / 2);
  assert.equal(r3.problems[0].code, 'INDEX_MISMATCH');
});

test('redaction before hashing: commitments keep the chain, purge keeps it verifying', () => {
  const home = tempHome();
  const paths = resolvePaths(home);
  const store = openStore(paths);
  const secretEv = ev(1, { agent: { tool: { name: 'Bash', input: { command: 'echo AKIA...' }, output: 'secret output' } } });
  store.appendBatch([{ event: secretEv, commit: ['agent.tool.output', 'agent.tool.input', 'no.such.field'] }, { event: ev(2) }]);
  const body = store.rawBody(1)!;
  assert.doesNotMatch(body, /secret output/);
  assert.match(body, /"\$commit":"sha256:[0-9a-f]{64}"/);
  assert.deepEqual(store.get(1)!.agent!.tool!.output, 'secret output');
  assert.deepEqual(secretEv.agent!.tool!.output, 'secret output', 'the caller object is not mutated');
  const key = ensureSigningKey(paths.keysDir);
  const v = () => verifyStore({ dir: paths.storeDir, publicKey: key.publicKey, macKey: chainMacKey(key), checkpointDirs: [paths.checkpointsDir] });
  assert.equal(v().ok, true);
  // A changed cleartext no longer matches its commitment.
  const db = new Database(join(paths.storeDir, 'events.db'));
  db.exec('DROP TRIGGER sealed_no_update');
  db.prepare("UPDATE sealed_values SET value = '\"other\"' WHERE seq = 1 AND path = 'agent.tool.output'").run();
  db.close();
  const bad = v();
  assert.equal(bad.ok, false);
  assert.equal(bad.problems[0].code, 'SEALED_VALUE_MISMATCH');
  assert.equal(store.purgeSealed({ seqs: [1] }), 2);
  assert.deepEqual(store.get(1)!.agent!.tool!.output, { $commit: JSON.parse(body).agent.tool.output.$commit });
  assert.equal(v().ok, true);
  store.close();
});

test('indexed queries, paging and streaming', () => {
  const home = tempHome();
  const store = openStore(resolvePaths(home));
  const items = Array.from({ length: 3000 }, (_, k) => ({ event: ev(k + 1) }));
  store.appendBatch(items);
  assert.equal(store.count(), 3000);
  assert.equal(store.count({ session: 'sess-1' }), 1500);
  assert.equal(store.count({ kinds: ['network.connect'] }), 1000);
  assert.equal(store.count({ kindPrefix: 'file.' }), 2000);
  assert.equal(store.count({ pid: 1000 }), 600);
  assert.deepEqual(store.query({ path: '/tmp/f10' }).map((e) => e.seq), [10]);
  assert.equal(store.count({ dest: '127.0.0.1', destPort: 8001 }), store.query({ kinds: ['network.connect'] }).filter((e) => e.network?.dst_port === 8001).length);
  const t0 = store.get(100)!.time;
  const since = BigInt(Date.parse(t0.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(t0.slice(20, 29));
  assert.ok(store.query({ sinceNs: since, untilNs: since }).some((e) => e.seq === 100));
  // keyset paging
  const seen: number[] = [];
  let after = 0;
  for (;;) {
    const page = store.query({ session: 'sess-0', afterSeq: after, limit: 400 });
    if (!page.length) break;
    seen.push(...page.map((e) => e.seq));
    after = page[page.length - 1].seq;
  }
  assert.equal(seen.length, 1500);
  assert.ok(seen.every((s, i) => i === 0 || s > seen[i - 1]));
  let streamed = 0;
  for (const e of store.iterate({ desc: true })) {
    if (streamed === 0) assert.equal(e.seq, 3000);
    streamed++;
  }
  assert.equal(streamed, 3000);
  const sessions = store.sessions();
  assert.equal(sessions.length, 2);
  assert.equal(sessions.find((x) => x.session_id === 'sess-1')!.agent_kind, 'codex');
  store.close();
});

test('two processes appending to one store keep one valid chain', async () => {
  const home = tempHome();
  const lines = (tag: string) => Array.from({ length: 3000 }, (_, k) => JSON.stringify({ ...ev(k + 1), source: { type: tag } })).join('\n') + '\n';
  const { spawnCli } = await import('../../testing/index.js');
  const run = (tag: string) =>
    new Promise<number>((resolve) => {
      const p = spawnCli(['ingest', '-'], { env: { AGENTWARDEN_HOME: home } });
      p.stdin.end(lines(tag));
      p.on('exit', (code) => resolve(code ?? -1));
    });
  const codes = await Promise.all([run('a'), run('b')]);
  assert.deepEqual(codes, [0, 0]);
  const v = runCli(['verify', '--json'], { env: { AGENTWARDEN_HOME: home } });
  const report = JSON.parse(v.stdout);
  assert.equal(report.ok, true, v.stdout);
  assert.equal(report.records, 6000);
});

test('threaded writer: acknowledges in order, verifies, and counts drops under drop_newest', async () => {
  const { StoreWriter } = await import('./writer.js');
  const home = tempHome();
  const paths = resolvePaths(home);
  const store = openStore(paths);
  const acks: number[] = [];
  const w = new StoreWriter(store, { threaded: true, batchSize: 500, flushMs: 5, onDurable: (seq) => acks.push(seq) });
  for (let i = 1; i <= 10_000; i++) await w.writeAsync(ev(i));
  await w.close();
  assert.equal(w.acknowledged, 10_000);
  assert.ok(acks.every((a, i) => i === 0 || a > acks[i - 1]), 'acks are ordered');
  assert.equal(store.count(), 10_000);
  const key = ensureSigningKey(paths.keysDir);
  assert.equal(verifyStore({ dir: paths.storeDir, publicKey: key.publicKey, macKey: chainMacKey(key), checkpointDirs: [paths.checkpointsDir] }).ok, true);
  // batchSize above capacity: nothing drains before the timer, so exactly 10 fit.
  const small = new StoreWriter(store, { capacity: 10, batchSize: 100, flushMs: 1000, whenFull: 'drop_newest' });
  let accepted = 0;
  for (let i = 0; i < 25; i++) if (small.write(ev(i + 1))) accepted++;
  await small.close();
  assert.equal(accepted, 10);
  assert.equal(small.counters.dropped, 15);
  assert.equal(store.count(), 10_010);
  store.close();
});

test('blocks: slots split across batches keep true Merkle nodes; queries by prefix, page and order', async () => {
  // Batches of 7 never align with the 64-record slots, so every slot's nodes are completed
  // by a later batch than the one that began it.
  const s = makeStore(200, 7);
  const r = s.verify();
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  const store = openStore(s.paths);
  const { MerkleTree } = await import('../../core/merkle.js');
  const { ProofTree } = await import('../../forensics/evidence/prooftree.js');
  const { BLOCK } = await import('./store.js');
  const leaves = store.leafHashes();
  const reference = new MerkleTree(leaves);
  const fromNodes = new ProofTree(store.leafBuffer(), { block: BLOCK, trees: store.slotTrees() });
  assert.deepEqual(fromNodes.root(), reference.root());
  for (const i of [0, 63, 64, 130, 199]) assert.deepEqual(fromNodes.inclusionProof(i), reference.inclusionProof(i));
  // Queries answer exactly, whatever the blocks' summaries let through.
  assert.deepEqual(
    store.query({ pathPrefix: '/tmp/f1', kinds: ['file.open'] }).map((e) => e.seq),
    Array.from({ length: 200 }, (_, k) => k + 1).filter((i) => i % 3 !== 0 && String(i).startsWith('1')),
  );
  assert.deepEqual(store.query({ session: 'sess-1', desc: true, limit: 3 }).map((e) => e.seq), [199, 197, 195]);
  assert.equal(store.count({ kindPrefix: 'network.', limit: 2 }), 66, 'count ignores limit');
  assert.equal(store.query({ pid: 1003, afterSeq: 150, beforeSeq: 170 }).length, 4);
  assert.equal(store.get(64)!.seq, 64);
  assert.equal(store.get(201), undefined);
  store.close();
});

test('a store in the earlier one-row-per-event format is refused with a clear error, by open and by verify', () => {
  const home = tempHome();
  const paths = resolvePaths(home);
  const key = ensureSigningKey(paths.keysDir);
  mkdirSync(paths.storeDir, { recursive: true });
  const db = new Database(join(paths.storeDir, 'events.db'));
  db.exec('CREATE TABLE events(seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  db.close();
  assert.throws(() => openStore(paths), (e: Error & { code?: string }) => e.code === 'STORE_FORMAT' && /older AgentWarden/.test(e.message));
  assert.throws(() => verifyStore({ dir: paths.storeDir, publicKey: key.publicKey }), (e: Error & { code?: string }) => e.code === 'STORE_FORMAT');
});

test('a store in the first block format (no per-record index) is refused with a clear error, by open and by verify', () => {
  const s = makeStore(5);
  const db = s.raw();
  db.prepare("UPDATE meta SET v = 'blocks-v1' WHERE k = 'format'").run();
  db.close();
  const key = ensureSigningKey(s.paths.keysDir);
  assert.throws(() => openStore(s.paths), (e: Error & { code?: string }) => e.code === 'STORE_FORMAT' && /blocks-v1/.test(e.message));
  assert.throws(() => verifyStore({ dir: s.paths.storeDir, publicKey: key.publicKey }), (e: Error & { code?: string }) => e.code === 'STORE_FORMAT');
});
