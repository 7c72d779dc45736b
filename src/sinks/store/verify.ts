// `agentwarden verify`: re-derives every leaf, the hash chain, the per-record MACs and the
// Merkle roots, and checks them against the signed checkpoints (in the database and in
// every copy outside it). Names the first bad sequence number.
import { createHmac, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical.js';
import { AwError } from '../../core/errors.js';
import { verifyCheckpoint } from '../../core/checkpoint.js';
import { MerkleFrontier, subtreeNodeIndex } from '../../core/merkle.js';
import { parseTimeNs, type AwEvent } from '../../schema/index.js';
import { bloomHas, eventKeys } from './bloom.js';
import { BLOCK, STORE_FORMAT, chainNext, commitmentOf, kindsOfSummary, recordLeaf, setPath, splitBodies } from './store.js';

export type VerifyProblemCode =
  | 'RECORD_MISSING'
  | 'RECORD_OUT_OF_PLACE'
  | 'RECORD_MODIFIED'
  | 'RECORD_NOT_CANONICAL'
  | 'CHAIN_MAC_MISMATCH'
  | 'CHECKPOINT_MISMATCH'
  | 'CHECKPOINT_SIGNATURE'
  | 'CHECKPOINT_CONFLICT'
  | 'TRUNCATED'
  | 'SEALED_VALUE_MISMATCH'
  | 'UNCOVERED_TAIL'
  | 'COPY_LAGS'
  | 'INDEX_MISMATCH';

export interface VerifyProblem {
  code: VerifyProblemCode;
  seq?: number;
  message: string;
  /** Warnings do not fail verification. */
  warning?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  checkpoints: number;
  /** Largest signed tree size seen. */
  signedSize: number;
  macChecked: boolean;
  firstBadSeq?: number;
  problems: VerifyProblem[];
  root?: string;
}

export interface VerifyOptions {
  dir: string;
  publicKey: KeyObject;
  keyName?: string;
  /** Present when the private key is available: enables exact per-record MAC checks. */
  macKey?: Buffer;
  checkpointDirs?: string[];
}

interface BlockRow {
  first_seq: bigint;
  last_seq: bigint;
  min_time_ns: bigint;
  max_time_ns: bigint;
  kinds: string;
  chain: Buffer;
  mac: Buffer;
  bloom: Buffer;
  sessions: string;
  rec: Buffer;
  leaves: Buffer;
  bodies: Buffer | string;
}

/** What of record i the block's index summary leaves out or misstates, if anything. */
function summaryMisses(ev: AwEvent, i: number, row: BlockRow, idx: BlockIndex, sessions: Set<string>, kinds: Set<string>, bloom: Uint8Array): string | undefined {
  if (!row.kinds.includes(`\n${ev.kind}\n`) || !kinds.has(ev.kind)) return `kind ${ev.kind}`;
  if (idx.kinds[row.rec[2 * i]] !== ev.kind) return `kind ${ev.kind} in the per-record index`;
  // A session id kept as a salted commitment whose cleartext was purged cannot be checked.
  const id: unknown = ev.session?.id;
  const si = row.rec[2 * i + 1];
  if (id === undefined || typeof id === 'string') {
    if (si === 0 ? id !== undefined : idx.sessions[si - 1] !== id) return 'session in the per-record index';
  }
  const t = parseTimeNs(ev.time);
  if (t !== undefined && (t < row.min_time_ns || t > row.max_time_ns)) return 'time';
  if (typeof ev.session?.id === 'string' && !sessions.has(ev.session.id)) return 'session';
  const keys: number[] = [];
  eventKeys(ev, keys);
  for (let j = 0; j < keys.length; j += 2) if (!bloomHas(bloom, keys[j], keys[j + 1])) return 'pid, path or destination';
  return undefined;
}

interface BlockIndex {
  kinds: string[];
  sessions: string[];
}

interface SignedPoint {
  root: Buffer;
  chain?: Buffer;
  where: string;
}

export function verifyStore(opts: VerifyOptions): VerifyReport {
  const problems: VerifyProblem[] = [];
  const fail = (p: VerifyProblem) => problems.push(p);
  const db = new Database(join(opts.dir, 'events.db'), { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks'").get()) {
      throw new AwError('STORE_FORMAT', `${join(opts.dir, 'events.db')} is not a store in this version's format (no blocks table; one written by an earlier AgentWarden keeps one row per event)`);
    }
    const format = db.prepare("SELECT v FROM meta WHERE k = 'format'").pluck().get() as string | undefined;
    if (format !== STORE_FORMAT) throw new AwError('STORE_FORMAT', `${join(opts.dir, 'events.db')} is in store format ${String(format)}; this version verifies ${STORE_FORMAT}`);
    // 1. Signed checkpoints from the database and from every copy outside it.
    const points = new Map<number, SignedPoint>();
    let nCheckpoints = 0;
    const consider = (note: string, where: string) => {
      const r = verifyCheckpoint(note, opts.publicKey, opts.keyName ?? 'agentwarden');
      if (!r.ok) {
        fail({ code: 'CHECKPOINT_SIGNATURE', message: `${where}: checkpoint rejected: ${r.reason}` });
        return;
      }
      nCheckpoints++;
      const cp = r.checkpoint;
      const chainLine = cp.extensions.find((e) => e.startsWith('chain '));
      const chain = chainLine ? Buffer.from(chainLine.slice(6), 'base64') : undefined;
      const prev = points.get(cp.size);
      if (prev && !prev.root.equals(cp.root)) {
        fail({ code: 'CHECKPOINT_CONFLICT', seq: cp.size, message: `two validly signed checkpoints disagree at size ${cp.size} (${prev.where}, ${where})` });
      }
      if (!prev) points.set(cp.size, { root: cp.root, chain, where });
    };
    for (const row of db.prepare('SELECT size, note FROM checkpoints ORDER BY size').iterate() as IterableIterator<{ size: number; note: string }>) {
      consider(row.note, `database checkpoint ${row.size}`);
    }
    let maxDbCheckpoint = 0;
    for (const s of points.keys()) maxDbCheckpoint = Math.max(maxDbCheckpoint, s);
    for (const dir of opts.checkpointDirs ?? []) {
      const log = join(dir, 'checkpoints.jsonl');
      let maxCopy = 0;
      if (existsSync(log)) {
        const lines = readFileSync(log, 'utf8').split('\n');
        lines.forEach((line, i) => {
          if (!line.trim()) return;
          try {
            const { note } = JSON.parse(line) as { note: string };
            consider(note, `${log}:${i + 1}`);
            maxCopy = Math.max(maxCopy, Number(note.split('\n')[1]) || 0);
          } catch {
            fail({ code: 'CHECKPOINT_SIGNATURE', message: `${log}:${i + 1}: unreadable checkpoint line` });
          }
        });
      }
      const latest = join(dir, 'checkpoint');
      if (existsSync(latest)) consider(readFileSync(latest, 'utf8'), latest);
      if (maxCopy < maxDbCheckpoint) {
        problems.push({ code: 'COPY_LAGS', warning: true, message: `${dir} holds checkpoints up to ${maxCopy}, the database up to ${maxDbCheckpoint}` });
      }
    }
    const signedSize = Math.max(0, ...points.keys());

    // 2. Every record, in order.
    const sealed = new Map<number, Array<{ path: string; salt: Buffer; value: string }>>();
    for (const s of db.prepare('SELECT seq, path, salt, value FROM sealed_values').iterate() as IterableIterator<{ seq: number; path: string; salt: Buffer; value: string }>) {
      const l = sealed.get(s.seq) ?? [];
      l.push(s);
      sealed.set(s.seq, l);
    }
    const frontier = new MerkleFrontier();
    let chain: Buffer = Buffer.alloc(32);
    let expected = 1;
    let firstBad: number | undefined;
    let lastGoodCheckpoint = 0;
    const bad = (p: VerifyProblem) => {
      fail(p);
      if (firstBad === undefined && p.seq !== undefined) firstBad = p.seq;
    };
    const blockSessions = db.prepare('SELECT session_id FROM block_sessions WHERE first_seq = ?').pluck();
    const blockKinds = db.prepare('SELECT kind FROM block_kinds WHERE first_seq = ?').pluck();
    const nodeAt = db.prepare('SELECT tree FROM nodes WHERE slot = ?').pluck();
    const slotTree = Buffer.alloc((BLOCK - 1) * 32);
    let leafIndex = 0;
    const onNode = (leaves: number, node: Buffer) => {
      if (leaves <= BLOCK) slotTree.set(node, subtreeNodeIndex(BLOCK, leaves, (leafIndex - leaves + 1) % BLOCK) * 32);
    };
    const rows = db.prepare('SELECT first_seq, last_seq, min_time_ns, max_time_ns, kinds, chain, mac, bloom, sessions, rec, leaves, bodies FROM blocks ORDER BY first_seq').safeIntegers(true).iterate() as IterableIterator<BlockRow>;
    blocks: for (const row of rows) {
      const first = Number(row.first_seq);
      const last = Number(row.last_seq);
      if (first !== expected) {
        bad({ code: first > expected ? 'RECORD_MISSING' : 'RECORD_OUT_OF_PLACE', seq: expected, message: first > expected ? `record ${expected} is missing (next stored record is ${first})` : `a block starting at ${first} overlaps records before ${expected}` });
        break;
      }
      const bodies = splitBodies(row.bodies);
      const n = last - first + 1;
      if (n < 1 || Math.floor((first - 1) / BLOCK) !== Math.floor((last - 1) / BLOCK)) {
        bad({ code: 'RECORD_OUT_OF_PLACE', seq: first, message: `block ${first}..${last} is not a valid block range (modified)` });
        break;
      }
      const sessionsOfBlock = new Set(blockSessions.all(row.first_seq) as string[]);
      const kindsOfBlock = new Set(blockKinds.all(row.first_seq) as string[]);
      const bloom = new Uint8Array(row.bloom);
      let idx: BlockIndex;
      try {
        idx = { kinds: kindsOfSummary(row.kinds), sessions: JSON.parse(row.sessions) as string[] };
      } catch {
        idx = { kinds: [], sessions: [] };
      }
      if (bodies.length > n || (bodies.length === n && row.leaves.length !== 32 * n)) {
        bad({ code: 'RECORD_MODIFIED', seq: first, message: `block ${first}..${last} holds ${bodies.length} records and ${row.leaves.length / 32} leaf hashes (modified)` });
        break;
      }
      for (let i = 0; i < n; i++) {
        const seq = first + i;
        if (i >= bodies.length) {
          bad({ code: 'RECORD_MISSING', seq, message: `record ${seq} is missing from block ${first}..${last}` });
          break blocks;
        }
        const body = bodies[i];
        let parsed: AwEvent & { seq?: unknown } | undefined;
        try {
          parsed = JSON.parse(body) as AwEvent & { seq?: unknown };
        } catch {
          parsed = undefined;
        }
        const leaf = recordLeaf(body);
        if (!parsed) {
          bad({ code: 'RECORD_MODIFIED', seq, message: `record ${seq} is not valid JSON` });
          break blocks;
        }
        if (parsed.seq !== seq) {
          if (bodies.length < n) bad({ code: 'RECORD_MISSING', seq, message: `record ${seq} is missing from block ${first}..${last} (next stored record is ${String(parsed.seq)})` });
          else bad({ code: 'RECORD_OUT_OF_PLACE', seq, message: `record stored at ${seq} says it is record ${String(parsed.seq)} (reordered or inserted)` });
          break blocks;
        }
        if (!leaf.equals(row.leaves.subarray(32 * i, 32 * i + 32))) {
          bad({ code: 'RECORD_MODIFIED', seq, message: `record ${seq} does not match its leaf hash (content modified)` });
          break blocks;
        }
        if (canonicalJson(parsed) !== body) {
          bad({ code: 'RECORD_NOT_CANONICAL', seq, message: `record ${seq} is not in canonical form` });
          break blocks;
        }
        const sv = sealed.get(seq);
        if (sv) {
          for (const s of sv) {
            const at = s.path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), parsed);
            const want = (at as { $commit?: string } | undefined)?.$commit;
            if (want !== commitmentOf(s.salt, s.value)) {
              bad({ code: 'SEALED_VALUE_MISMATCH', seq, message: `record ${seq}: sealed value of ${s.path} does not match its commitment` });
            } else setPath(parsed as unknown as Record<string, unknown>, s.path, JSON.parse(s.value));
          }
          if (firstBad !== undefined) break blocks;
        }
        // The block's index summary must cover the record, or queries could skip it.
        const hidden = summaryMisses(parsed, i, row, idx, sessionsOfBlock, kindsOfBlock, bloom);
        if (hidden) {
          bad({ code: 'INDEX_MISMATCH', seq, message: `record ${seq}: the index of block ${first}..${last} omits its ${hidden} (queries would not find it)` });
          break blocks;
        }
        leafIndex = seq - 1;
        frontier.push(leaf, onNode);
        if (seq % BLOCK === 0) {
          // Sealing builds proofs from the stored slot nodes: they must be the real ones.
          const stored = nodeAt.get(seq / BLOCK - 1) as Buffer | undefined;
          if (!stored || !stored.equals(slotTree)) {
            bad({ code: 'INDEX_MISMATCH', seq: seq - BLOCK + 1, message: `the stored Merkle nodes of records ${seq - BLOCK + 1}..${seq} are ${stored ? 'not theirs' : 'missing'}` });
            break blocks;
          }
        }
        const point = points.get(seq);
        if (point && seq !== last) {
          bad({ code: 'CHECKPOINT_MISMATCH', seq, message: `a checkpoint was signed at size ${seq}, inside block ${first}..${last} (blocks end where batches do)` });
          break blocks;
        }
      }
      // The per-record index: one entry per record (each checked above), sessions as indexed.
      if (!Array.isArray(idx.sessions) || row.rec.length !== 2 * n || idx.sessions.length !== sessionsOfBlock.size || idx.sessions.some((x) => !sessionsOfBlock.has(x))) {
        bad({ code: 'INDEX_MISMATCH', seq: first, message: `the per-record index of block ${first}..${last} does not fit its records and sessions` });
        break;
      }
      chain = chainNext(chain, row.leaves);
      if (!chain.equals(row.chain)) {
        bad({ code: 'CHAIN_MAC_MISMATCH', seq: first, message: `block ${first}..${last} does not extend the hash chain (inserted, removed or rewritten)` });
        break;
      }
      if (opts.macKey) {
        const mac = createHmac('sha256', opts.macKey).update(chain).digest();
        if (!mac.equals(row.mac)) {
          bad({ code: 'CHAIN_MAC_MISMATCH', seq: first, message: `block ${first}..${last} fails its chain MAC (modified, inserted, or the chain was rewritten without the key)` });
          break;
        }
      }
      const point = points.get(last);
      if (point) {
        const root = frontier.root();
        if (!root.equals(point.root) || (point.chain && !point.chain.equals(chain))) {
          // Without the MAC key the damage is known only to lie after the last good checkpoint.
          bad({
            code: 'CHECKPOINT_MISMATCH',
            seq: lastGoodCheckpoint + 1,
            message: `records ${lastGoodCheckpoint + 1}..${last} do not match the checkpoint signed at size ${last} (${point.where})`,
          });
          break;
        }
        lastGoodCheckpoint = last;
      }
      expected = last + 1;
    }
    const records = expected - 1;
    if (firstBad === undefined) {
      if (signedSize > records) {
        bad({ code: 'TRUNCATED', seq: records + 1, message: `a signed checkpoint covers ${signedSize} records but only ${records} are stored (truncated from ${records + 1})` });
      } else if (records > lastGoodCheckpoint) {
        problems.push({ code: 'UNCOVERED_TAIL', seq: lastGoodCheckpoint + 1, warning: !opts.macKey ? false : true, message: `records ${lastGoodCheckpoint + 1}..${records} are after the last signed checkpoint` });
        if (!opts.macKey && firstBad === undefined) firstBad = lastGoodCheckpoint + 1;
      }
    }
    const errors = problems.filter((p) => !p.warning);
    return {
      ok: errors.length === 0,
      records,
      checkpoints: nCheckpoints,
      signedSize,
      macChecked: Boolean(opts.macKey),
      firstBadSeq: firstBad ?? errors.find((p) => p.seq !== undefined)?.seq,
      problems,
      root: frontier.root().toString('base64'),
    };
  } finally {
    db.close();
  }
}
