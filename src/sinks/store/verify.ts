// `agentwarden verify`: re-derives every leaf, the hash chain, the per-record MACs and the
// Merkle roots, and checks them against the signed checkpoints (in the database and in
// every copy outside it). Names the first bad sequence number.
import { createHmac, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '../../core/canonical.js';
import { verifyCheckpoint } from '../../core/checkpoint.js';
import { MerkleFrontier } from '../../core/merkle.js';
import { chainNext, commitmentOf, recordLeaf } from './store.js';

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
  | 'COPY_LAGS';

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
    const rows = db.prepare('SELECT seq, body, leaf, mac FROM events ORDER BY seq').iterate() as IterableIterator<{ seq: number; body: string; leaf: Buffer; mac: Buffer | null }>;
    for (const row of rows) {
      if (row.seq !== expected) {
        bad({ code: 'RECORD_MISSING', seq: expected, message: `record ${expected} is missing (next stored record is ${row.seq})` });
        break;
      }
      let parsed: { seq?: unknown } | undefined;
      try {
        parsed = JSON.parse(row.body) as { seq?: unknown };
      } catch {
        parsed = undefined;
      }
      const leaf = recordLeaf(row.body);
      if (!parsed) {
        bad({ code: 'RECORD_MODIFIED', seq: row.seq, message: `record ${row.seq} is not valid JSON` });
        break;
      }
      if (parsed.seq !== row.seq) {
        bad({ code: 'RECORD_OUT_OF_PLACE', seq: row.seq, message: `record stored at ${row.seq} says it is record ${String(parsed.seq)} (reordered or inserted)` });
        break;
      }
      if (!leaf.equals(row.leaf)) {
        bad({ code: 'RECORD_MODIFIED', seq: row.seq, message: `record ${row.seq} does not match its leaf hash (content modified)` });
        break;
      }
      if (canonicalJson(parsed) !== row.body) {
        bad({ code: 'RECORD_NOT_CANONICAL', seq: row.seq, message: `record ${row.seq} is not in canonical form` });
        break;
      }
      chain = chainNext(chain, leaf);
      if (opts.macKey) {
        const mac = createHmac('sha256', opts.macKey).update(chain).digest();
        if (!row.mac || !mac.equals(row.mac)) {
          bad({ code: 'CHAIN_MAC_MISMATCH', seq: row.seq, message: `record ${row.seq} fails its chain MAC (modified, inserted, or the chain was rewritten without the key)` });
          break;
        }
      }
      const sv = sealed.get(row.seq);
      if (sv) {
        for (const s of sv) {
          const at = s.path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), parsed);
          const want = (at as { $commit?: string } | undefined)?.$commit;
          if (want !== commitmentOf(s.salt, s.value)) {
            bad({ code: 'SEALED_VALUE_MISMATCH', seq: row.seq, message: `record ${row.seq}: sealed value of ${s.path} does not match its commitment` });
          }
        }
        if (firstBad !== undefined) break;
      }
      frontier.push(leaf);
      const point = points.get(row.seq);
      if (point) {
        const root = frontier.root();
        if (!root.equals(point.root) || (point.chain && !point.chain.equals(chain))) {
          // Without the MAC key the damage is known only to lie after the last good checkpoint.
          bad({
            code: 'CHECKPOINT_MISMATCH',
            seq: lastGoodCheckpoint + 1,
            message: `records ${lastGoodCheckpoint + 1}..${row.seq} do not match the checkpoint signed at size ${row.seq} (${point.where})`,
          });
          break;
        }
        lastGoodCheckpoint = row.seq;
      }
      expected++;
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
