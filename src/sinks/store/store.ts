// The embedded store: an append-only, hash-chained, Merkle-committed event log in SQLite.
//
// Record i (seq = i, 1-based) is its canonical JSON body (RFC 8785, with `seq` and `v`
// inside). Integrity material per record:
//   leaf_i  = SHA-256(0x00 || body_i)                 RFC 9162 leaf hash, stored
// Records are stored in blocks: one row holds up to BLOCK consecutive records (UTF-8 bodies
// joined by '\n', which canonical JSON never contains raw; their leaf hashes concatenated), never
// crossing a multiple of BLOCK, plus:
//   chain   = SHA-256(chain of the previous block || the block's leaves), a public hash
//             chain over blocks (the chain before the first block is 32 zero bytes)
//   mac     = HMAC-SHA-256(K, chain), K derived from the store's Ed25519 key
//   an index summary: time range, kinds (also in block_kinds), the sessions (block_sessions) and a Bloom
//   filter over pids, paths and their directories, destinations and ports (bloom.ts).
// One SQLite row per event costs 7 us at best on this machine (27 us with the six secondary
// indexes of the first design, 36k rows/s); one row per block of 64 records writes over
// 200k records/s (store.bench.ts). Queries select blocks by their summaries, then decode
// and filter records exactly, so a summary can only widen the search, never narrow it;
// `verify` re-derives the summaries and fails if one could hide a record.
// The interior Merkle nodes of every complete aligned block (slot) are kept (`nodes`, 63
// hashes per 64 records, which the frontier computes anyway), so proofs over a million
// records hash 16k slot roots instead of a million leaves.
// After every committed batch a checkpoint (C2SP signed note: origin, tree size, RFC 9162
// root, plus an extension line with chain head) is signed with the store key, kept in the
// database and copied to every checkpoint directory outside the database directory.
// Redaction before hashing: selected fields are replaced by salted commitments; the
// cleartext and salt sit in `sealed_values`, which the chain does not cover, so they can
// be disclosed, checked or purged without breaking anything.
import { createHmac, hkdfSync, randomBytes, hash as oneShotHash } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { canonicalJson, canonicalSplit } from '../../core/canonical.js';
import { signCheckpoint, type Checkpoint } from '../../core/checkpoint.js';
import { AwError } from '../../core/errors.js';
import type { SigningKey } from '../../core/keys.js';
import { MerkleFrontier, subtreeNodeIndex, subtreeNodes } from '../../core/merkle.js';
import { SCHEMA_VERSION, parseTimeNs, type AwEvent } from '../../schema/index.js';
import { bloomAdd, bloomBytes, bloomHas, destOf, eventKeys, hashKey, pathOf, prefixKey } from './bloom.js';

/** Records per block; blocks never cross a multiple of BLOCK (so complete ones are Merkle subtrees). */
export const BLOCK = 64;

/** One event to append; `commit` lists dotted field paths to replace by salted commitments. */
export interface AppendInput {
  event: AwEvent;
  /** Parsed `event.time` if the caller already has it. */
  timeNs?: bigint;
  commit?: readonly string[];
}

/** A stored event: the event as ingested plus its sequence number. */
export type StoredEvent = AwEvent & { seq: number };

/** Filters for indexed queries. All given filters must hold. */
export interface EventQuery {
  session?: string;
  kinds?: readonly string[];
  /** e.g. 'file.' or 'agent.' */
  kindPrefix?: string;
  sinceNs?: bigint;
  untilNs?: bigint;
  pid?: number;
  path?: string;
  pathPrefix?: string;
  /** Destination: IP, host name, DNS query name or SNI. */
  dest?: string;
  destPort?: number;
  /** Keyset paging: only seq > afterSeq (or < beforeSeq). */
  afterSeq?: number;
  beforeSeq?: number;
  limit?: number;
  /** Newest first. */
  desc?: boolean;
}

export interface SessionSummary {
  session_id: string;
  agent_kind: string | null;
  agent_version: string | null;
  user: string | null;
  root_pid: number | null;
  host: string | null;
  first_time_ns: bigint;
  last_time_ns: bigint;
  first_seq: number;
  last_seq: number;
  events: number;
}

export interface StoreOpenOptions {
  /** Database directory. */
  dir: string;
  /** The store's signing key; without it the store is read-only. */
  key?: SigningKey;
  /** Directories that receive a copy of every checkpoint (outside `dir`). */
  checkpointDirs?: string[];
  durability?: 'normal' | 'fsync';
  origin?: string;
  readonly?: boolean;
}

const ZERO32 = Buffer.alloc(32);

/** Derives the chain MAC key from the store signing key (HKDF-SHA-256). */
export function chainMacKey(key: SigningKey): Buffer {
  const der = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  const seed = der.subarray(der.length - 32);
  return Buffer.from(hkdfSync('sha256', seed, 'agentwarden-store', 'chain-mac-v1', 32));
}

/** Next chain value: SHA-256(chain of the previous block || the block's leaf hashes). */
export function chainNext(prev: Buffer, leaves: Buffer): Buffer {
  return oneShotHash('sha256', Buffer.concat([prev, leaves]), 'buffer') as unknown as Buffer;
}

export function recordLeaf(body: string): Buffer {
  // RFC 9162 leaf hash: SHA-256(0x00 || UTF-8 body). U+0000 encodes as the single byte 0x00,
  // so hashing the string '\0' + body avoids a Buffer copy of every body (GC was 20% of
  // ingest time in a CPU profile).
  return oneShotHash('sha256', '\u0000' + body, 'buffer') as unknown as Buffer;
}

export { pathOf, destOf };

/** Replaces dotted paths of `record` with salted commitments; returns the sealed values. */
function applyCommitments(record: Record<string, unknown>, paths: readonly string[]): Array<{ path: string; salt: Uint8Array; value: string }> {
  const sealed: Array<{ path: string; salt: Uint8Array; value: string }> = [];
  for (const path of paths) {
    const parts = path.split('.');
    let parent: Record<string, unknown> | undefined = record;
    for (let i = 0; i < parts.length - 1 && parent; i++) {
      const next: unknown = parent[parts[i]];
      if (next && typeof next === 'object' && !Array.isArray(next)) {
        // Copy on write: never mutate the caller's event object.
        const copy = { ...(next as Record<string, unknown>) };
        parent[parts[i]] = copy;
        parent = copy;
      } else parent = undefined;
    }
    const leafKey = parts[parts.length - 1];
    if (!parent || !(leafKey in parent) || parent[leafKey] === undefined) continue;
    const value = canonicalJson(parent[leafKey]);
    const salt = randomBytes(16);
    parent[leafKey] = { $commit: commitmentOf(salt, value) };
    sealed.push({ path, salt, value });
  }
  return sealed;
}

/** 'sha256:' + hex(SHA-256(salt || canonical value)). */
export function commitmentOf(salt: Uint8Array, canonicalValue: string): string {
  return `sha256:${oneShotHash('sha256', Buffer.concat([salt, Buffer.from(canonicalValue, 'utf8')]), 'hex')}`;
}

export interface AppendResult {
  firstSeq: number;
  lastSeq: number;
  checkpoint: Checkpoint;
}

/** Session facts kept in the `sessions` summary table. */
export interface PreparedSession {
  kind: string | null;
  version: string | null;
  user: string | null;
  rootPid: number | null;
  host: string | null;
}

/**
 * A batch encoded before its sequence numbers are known: body_i = head_i + seq + tail_i.
 * Plain data in few objects (one structured clone of ~10 values instead of one object per
 * record), so it is prepared on the producer's thread and committed on the writer's.
 */
export interface PreparedBatch {
  n: number;
  /**
   * The heads and tails as UTF-8 in one buffer (transferred, not cloned, to the writer
   * thread): record i's head is bytes [tailEnd[i-1], headEnd[i]) and its tail [headEnd[i],
   * tailEnd[i]). Kept as strings until the batch was posted, they survived young-generation
   * collections and GC took a quarter of the producer thread.
   */
  bytes: Uint8Array;
  headEnd: Uint32Array;
  tailEnd: Uint32Array;
  times: BigInt64Array;
  kinds: string[];
  sessionIds: Array<string | null>;
  /** Index-key hash pairs of all records; record i owns pairs [keyEnd[i-1], keyEnd[i]). */
  keys: Uint32Array;
  keyEnd: Uint32Array;
  sealed: Array<{ i: number; path: string; salt: Uint8Array; value: string }>;
  sessions: Array<{ id: string; info: PreparedSession; firstNs: bigint; lastNs: bigint; firstIdx: number; lastIdx: number; n: number }>;
}

const VERSION_MEMBER = { v: SCHEMA_VERSION };

export interface AppendOptions {
  /**
   * Store the batch's records grouped by session (each session's records keep their order;
   * groups in order of first appearance). Concurrent sessions interleave event by event, so
   * without this every block holds every session and reading one session reads them all; a
   * writer whose callers do not map results to positions in the batch turns it on.
   */
  cluster?: boolean;
}

function clusterBySession(items: readonly AppendInput[]): AppendInput[] {
  const groups = new Map<string | undefined, AppendInput[]>();
  for (const it of items) {
    const sid = it.event.session?.id;
    const g = groups.get(sid);
    if (g) g.push(it);
    else groups.set(sid, [it]);
  }
  if (groups.size === 1) return items as AppendInput[];
  const out: AppendInput[] = [];
  for (const g of groups.values()) for (const it of g) out.push(it);
  return out;
}

/** Canonical encoding, commitments and index keys of a batch of events (no I/O). */
export function prepareBatch(input: readonly AppendInput[], opts: AppendOptions = {}): PreparedBatch {
  const items = opts.cluster ? clusterBySession(input) : input;
  const n = items.length;
  let bytes = Buffer.allocUnsafeSlow(Math.max(4096, n * 1024));
  let off = 0;
  const headEnd = new Uint32Array(n);
  const tailEnd = new Uint32Array(n);
  const times = new BigInt64Array(n);
  const kinds: string[] = new Array(n);
  const sessionIds: Array<string | null> = new Array(n);
  const keys: number[] = [];
  const keyEnd = new Uint32Array(n);
  const sealedOut: PreparedBatch['sealed'] = [];
  const sessions = new Map<string, PreparedBatch['sessions'][number]>();
  for (let i = 0; i < n; i++) {
    const item = items[i];
    const ev = item.event;
    const timeNs = item.timeNs ?? parseTimeNs(ev.time);
    if (timeNs === undefined) throw new AwError('EVENT_INVALID', `event time '${String(ev.time)}' is not RFC 3339`);
    let record = ev as unknown as Record<string, unknown>;
    if (item.commit?.length) {
      record = { ...record };
      for (const x of applyCommitments(record, item.commit)) sealedOut.push({ i, ...x });
    }
    const [head, tail] = canonicalSplit(record, 'seq', VERSION_MEMBER);
    const need = off + 3 * (head.length + tail.length);
    if (need > bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * bytes.length));
      bytes.copy(grown, 0, 0, off);
      bytes = grown;
    }
    off += bytes.write(head, off);
    headEnd[i] = off;
    off += bytes.write(tail, off);
    tailEnd[i] = off;
    times[i] = timeNs;
    kinds[i] = ev.kind;
    // Index keys come from the event as ingested (cleartext of committed fields included),
    // as the exact filter of a query sees it after the sealed values are restored.
    eventKeys(ev, keys);
    keyEnd[i] = keys.length >>> 1;
    const se = ev.session;
    const sid = typeof se?.id === 'string' ? se.id : null;
    sessionIds[i] = sid;
    if (se && sid !== null) {
      const info: PreparedSession = { kind: se.agent?.kind ?? null, version: se.agent?.version ?? null, user: se.user ?? null, rootPid: se.root_pid ?? null, host: ev.host?.name ?? null };
      const s = sessions.get(sid);
      if (s) {
        s.lastIdx = i;
        s.n++;
        if (timeNs < s.firstNs) s.firstNs = timeNs;
        if (timeNs > s.lastNs) s.lastNs = timeNs;
        if (!s.info.version && info.version) s.info = info;
      } else sessions.set(sid, { id: sid, info, firstNs: timeNs, lastNs: timeNs, firstIdx: i, lastIdx: i, n: 1 });
    }
  }
  return { n, bytes: new Uint8Array(bytes.buffer, 0, off), headEnd, tailEnd, times, kinds, sessionIds, keys: Uint32Array.from(keys), keyEnd, sealed: sealedOut, sessions: [...sessions.values()] };
}

/** Sets a dotted path inside `record` if its parents exist (sealed values back into a body). */
export function setPath(record: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o: Record<string, unknown> = record;
  for (let i = 0; i < parts.length - 1; i++) {
    const n = o[parts[i]];
    if (!n || typeof n !== 'object') return;
    o = n as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}


const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS blocks(
  first_seq INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  min_time_ns INTEGER NOT NULL,
  max_time_ns INTEGER NOT NULL,
  kinds TEXT NOT NULL,
  chain BLOB NOT NULL,
  mac BLOB NOT NULL,
  bloom BLOB NOT NULL,
  sessions TEXT NOT NULL,
  rec BLOB NOT NULL,
  leaves BLOB NOT NULL,
  bodies BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS block_kinds(
  kind TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  PRIMARY KEY(kind, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS block_sessions(
  session_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  PRIMARY KEY(session_id, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nodes(
  slot INTEGER PRIMARY KEY,
  tree BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS sealed_values(
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  salt BLOB NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(seq, path)
);
CREATE TABLE IF NOT EXISTS checkpoints(
  size INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  chain BLOB NOT NULL,
  note TEXT NOT NULL,
  created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions(
  session_id TEXT PRIMARY KEY,
  agent_kind TEXT,
  agent_version TEXT,
  user TEXT,
  root_pid INTEGER,
  host TEXT,
  first_time_ns INTEGER NOT NULL,
  last_time_ns INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  events INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS blocks_append_only_u BEFORE UPDATE ON blocks BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS blocks_append_only_d BEFORE DELETE ON blocks BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sealed_no_update BEFORE UPDATE ON sealed_values BEGIN SELECT RAISE(ABORT, 'sealed values cannot change (purge deletes them)'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
`;

/** Store file format, kept in meta; a store written in another format is refused with a clear error. */
export const STORE_FORMAT = 'blocks-v2';
const FORMAT = STORE_FORMAT;

interface Head {
  size: number;
  chain: Buffer;
  frontier: MerkleFrontier;
}

interface BlockRow {
  first_seq: number;
  last_seq: number;
  kinds: string;
  inside: number;
  bloom?: Buffer;
  sessions?: string;
  rec: Buffer;
}

/** Index summary of one block under construction. */
interface OpenBlock {
  first: number;
  n: number;
  /** Where the block's bytes start in the commit's scratch buffer. */
  start: number;
  leaves: Buffer[];
  minNs: bigint;
  maxNs: bigint;
  kinds: Set<string>;
  sessions: Set<string>;
  /** Kind and session id (or null) of each record, for the per-record index. */
  recKinds: string[];
  recSessions: Array<string | null>;
  keyFrom: number;
  keyTo: number;
}

/** A stored block as readers that skip decoding see it (`EventStore.sessionBlocks`). */
export interface RawBlock {
  first: number;
  last: number;
  /** The block's kinds, sorted; `rec[2i]` indexes them. */
  kinds: string[];
  /** The block's sessions; `rec[2i + 1]` is 1 + an index into them, or 0. */
  sessions: string[];
  rec: Buffer;
  leaves: Buffer;
  /** The records' canonical UTF-8 bodies joined by '\n'. */
  bodies: Buffer;
}

/** Byte offsets of each record in a block's bodies: record i is [at[i], at[i + 1] - 1). */
export function bodyOffsets(bodies: Buffer): number[] {
  const at = [0];
  for (let p = bodies.indexOf(10); p !== -1; p = bodies.indexOf(10, p + 1)) at.push(p + 1);
  at.push(bodies.length + 1);
  return at;
}

/** Splits a block's stored bodies (UTF-8, '\n'-separated) into records. */
export function splitBodies(bodies: Buffer | string): string[] {
  return (typeof bodies === 'string' ? bodies : bodies.toString('utf8')).split('\n');
}

/** The kinds summary of a block: '\n'-delimited, with delimiters at both ends. */
export function kindsSummary(kinds: Iterable<string>): string {
  return `\n${[...kinds].sort().join('\n')}\n`;
}

/** The sorted kinds of a block from its summary. */
export function kindsOfSummary(summary: string): string[] {
  return summary.slice(1, -1).split('\n');
}

/**
 * The per-record index of a block (`rec`): two bytes per record, the index of its kind in
 * the block's sorted kinds and 1 + the index of its session in the block's `sessions` (0:
 * none). Readers select a session's or a kind's records without parsing any (sealing a
 * 100k-record incident read them all with JSON.parse first); verify re-derives it.
 */
export function recordIndex(recKinds: readonly string[], recSessions: ReadonlyArray<string | null>, kinds: readonly string[], sessions: readonly string[]): Buffer {
  const rec = Buffer.alloc(2 * recKinds.length);
  for (let i = 0; i < recKinds.length; i++) {
    rec[2 * i] = kinds.indexOf(recKinds[i]);
    const s = recSessions[i];
    rec[2 * i + 1] = s === null ? 0 : sessions.indexOf(s) + 1;
  }
  return rec;
}

/** The append-only event store. One instance per process; several processes may share a store. */
export class EventStore {
  readonly dir: string;
  readonly db: Db;
  readonly origin: string;
  readonly durability: 'normal' | 'fsync';
  private readonly key: SigningKey | undefined;
  private readonly macKey: Buffer | undefined;
  private readonly checkpointDirs: string[];
  private readonly stmts = new Map<string, Statement>();
  // Split bodies of recently read blocks, for get/rawBody of neighbouring records.
  private readonly blockCache = new Map<number, { last: number; bodies: string[] }>();

  private constructor(opts: StoreOpenOptions, db: Db) {
    this.dir = opts.dir;
    this.db = db;
    this.key = opts.key;
    this.macKey = opts.key ? chainMacKey(opts.key) : undefined;
    this.checkpointDirs = opts.checkpointDirs ?? [];
    this.origin = opts.origin ?? `agentwarden/${hostname()}`;
    this.durability = opts.durability ?? 'normal';
  }

  /** What another thread needs to open this store for writing. */
  writerOptions(): { dir: string; keyPem: string; keyName: string; checkpointDirs: string[]; durability: 'normal' | 'fsync'; origin: string } {
    if (!this.key) throw new AwError('STORE_READONLY', 'store opened without its signing key');
    return {
      dir: this.dir,
      keyPem: this.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyName: this.key.name,
      checkpointDirs: this.checkpointDirs,
      durability: this.durability,
      origin: this.origin,
    };
  }

  static open(opts: StoreOpenOptions): EventStore {
    if (!opts.readonly) mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    let db: Db;
    try {
      db = new Database(join(opts.dir, 'events.db'), { readonly: Boolean(opts.readonly), fileMustExist: Boolean(opts.readonly) });
    } catch (err) {
      throw new AwError('STORE_OPEN', `cannot open store in ${opts.dir}: ${(err as Error).message}`, { cause: err });
    }
    db.defaultSafeIntegers(false);
    db.pragma('busy_timeout = 10000');
    const legacy = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get();
    if (legacy) {
      db.close();
      throw new AwError('STORE_FORMAT', `${join(opts.dir, 'events.db')} was written by an older AgentWarden (one row per event); this version stores blocks of ${BLOCK} records. Verify and archive the old store, then point store.path elsewhere.`);
    }
    const format = (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() && db.prepare("SELECT v FROM meta WHERE k = 'format'").pluck().get()) as string | undefined;
    if (format && format !== FORMAT) {
      db.close();
      throw new AwError('STORE_FORMAT', `${join(opts.dir, 'events.db')} is in store format ${format}; this version writes ${FORMAT} (blocks with a per-record index). Verify and archive the old store with the version that wrote it, then point store.path elsewhere.`);
    }
    if (!opts.readonly) {
      // Takes effect only when the database is created. A block is ~45 KB: with 4 KB pages
      // its overflow chain cost 5.7 us of CPU per record to insert, with 16 KB pages 1.4 us
      // (raw better-sqlite3 inserts of such rows, this machine).
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
      db.pragma('cache_size = -65536');
      db.exec(SCHEMA_SQL);
      db.prepare("INSERT OR IGNORE INTO meta(k, v) VALUES ('format', ?)").run(FORMAT);
    }
    const store = new EventStore(opts, db);
    if (!opts.readonly) for (const d of store.checkpointDirs) mkdirSync(d, { recursive: true, mode: 0o700 });
    return store;
  }

  get writable(): boolean {
    return !this.db.readonly && this.key !== undefined;
  }

  /** Number of stored records (= highest seq). */
  get size(): number {
    const r = this.stmt('SELECT max(last_seq) AS n FROM blocks').get() as { n: number | null };
    return r.n ?? 0;
  }

  private readHead(): Head {
    const row = this.stmt("SELECT v FROM meta WHERE k = 'head'").get() as { v: string } | undefined;
    if (!row) return { size: 0, chain: ZERO32, frontier: new MerkleFrontier() };
    const h = JSON.parse(row.v) as { size: number; chain: string; stack: string[]; sizes: number[] };
    return { size: h.size, chain: Buffer.from(h.chain, 'base64'), frontier: MerkleFrontier.from(h.stack.map((s) => Buffer.from(s, 'base64')), h.sizes, h.size) };
  }

  private writeHead(head: Head): void {
    const st = head.frontier.state();
    this.stmt("INSERT INTO meta(k, v) VALUES ('head', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v").run(
      JSON.stringify({ size: head.size, chain: head.chain.toString('base64'), stack: st.stack.map((b) => b.toString('base64')), sizes: st.sizes }),
    );
  }

  /**
   * Appends a batch atomically and returns the range of sequence numbers assigned. When this
   * returns, the batch is committed (durable per the store's durability policy) and covered
   * by a signed checkpoint.
   */
  appendBatch(items: readonly AppendInput[], opts: AppendOptions = {}): AppendResult {
    return this.commitPrepared(prepareBatch(items, opts));
  }

  /** Commits a batch prepared by `prepareBatch` (possibly in another thread). */
  commitPrepared(batch: PreparedBatch): AppendResult {
    if (!this.key || !this.macKey || this.db.readonly) throw new AwError('STORE_READONLY', 'store opened without its signing key');
    if (batch.n === 0) throw new AwError('EVENT_INVALID', 'empty batch');
    const key = this.key;
    const macKey = this.macKey;
    const { headEnd, tailEnd } = batch;
    const src = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    if (headEnd.length !== batch.n || tailEnd.length !== batch.n || (batch.n && tailEnd[batch.n - 1] !== src.length)) throw new AwError('EVENT_INVALID', 'prepared batch is inconsistent');
    const insertBlock = this.stmt('INSERT INTO blocks(first_seq, last_seq, min_time_ns, max_time_ns, kinds, chain, mac, bloom, sessions, rec, leaves, bodies) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
    const insertBlockSession = this.stmt('INSERT INTO block_sessions(session_id, first_seq) VALUES (?,?)');
    const insertBlockKind = this.stmt('INSERT INTO block_kinds(kind, first_seq) VALUES (?,?)');
    const insertNode = this.stmt('INSERT INTO nodes(slot, tree) VALUES (?,?)');
    const insertSealed = this.stmt('INSERT INTO sealed_values(seq, path, salt, value) VALUES (?,?,?,?)');
    let cp!: Checkpoint;
    let first = 0;
    const run = this.db.transaction(() => {
      // State is re-read inside the IMMEDIATE transaction so several processes can append.
      const head = this.readHead();
      first = head.size + 1;
      let chain = head.chain;
      let blk: OpenBlock | undefined;
      // Interior nodes of the current slot as the frontier forms them.
      let slotTree = Buffer.allocUnsafe((BLOCK - 1) * 32);
      let slotNodes = 0;
      let leafIndex = 0;
      const onNode = (leaves: number, node: Buffer) => {
        if (leaves > BLOCK) return;
        const start = leafIndex - leaves + 1;
        slotTree.set(node, subtreeNodeIndex(BLOCK, leaves, start % BLOCK) * 32);
        slotNodes++;
      };
      let scratch = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      const close = (b: OpenBlock) => {
        const bloom = new Uint8Array(bloomBytes(b.keyTo - b.keyFrom));
        for (let k = b.keyFrom; k < b.keyTo; k++) bloomAdd(bloom, batch.keys[2 * k], batch.keys[2 * k + 1]);
        const leaves = Buffer.concat(b.leaves);
        chain = chainNext(chain, leaves);
        const mac = createHmac('sha256', macKey).update(chain).digest();
        const kinds = [...b.kinds].sort();
        const sessions = [...b.sessions];
        const rec = recordIndex(b.recKinds, b.recSessions, kinds, sessions);
        // better-sqlite3 copies bound blobs (SQLITE_TRANSIENT), so the scratch is reused.
        insertBlock.run(b.first, b.first + b.n - 1, b.minNs, b.maxNs, `\n${kinds.join('\n')}\n`, chain, mac, bloom, JSON.stringify(sessions), rec, leaves, scratch.subarray(b.start, pos));
        pos = 0;
        for (const sid of b.sessions) insertBlockSession.run(sid, b.first);
        for (const k of b.kinds) insertBlockKind.run(k, b.first);
      };
      for (let i = 0; i < batch.n; i++) {
        const seq = ++head.size;
        if (blk && (seq - 1) % BLOCK === 0) {
          close(blk);
          blk = undefined;
        }
        const t = batch.times[i];
        const keyFrom = i === 0 ? 0 : batch.keyEnd[i - 1];
        blk ??= { first: seq, n: 0, start: 1, leaves: [], minNs: t, maxNs: t, kinds: new Set(), sessions: new Set(), recKinds: [], recSessions: [], keyFrom, keyTo: keyFrom };
        // The body (head + seq + tail) is copied once, as UTF-8, right after a 0x00 byte, so
        // the leaf hash SHA-256(0x00 || body) reads it in place; the 0x00 then becomes the
        // '\n' separator. No body string is built, joined or encoded twice (the string path
        // cost 6 us per record in the writer's profile).
        const from = i === 0 ? 0 : tailEnd[i - 1];
        const need = pos + tailEnd[i] - from + 24;
        if (need > scratch.length) scratch = Buffer.concat([scratch.subarray(0, pos)], Math.max(need, 2 * scratch.length));
        const at = pos;
        scratch[at] = 0;
        let end = at + 1;
        end += src.copy(scratch, end, from, headEnd[i]);
        end += scratch.write(String(seq), end, 'latin1');
        end += src.copy(scratch, end, headEnd[i], tailEnd[i]);
        const leaf = oneShotHash('sha256', scratch.subarray(at, end), 'buffer') as unknown as Buffer;
        if (blk.n > 0) scratch[at] = 0x0a;
        pos = end;
        blk.n++;
        blk.leaves.push(leaf);
        if (t < blk.minNs) blk.minNs = t;
        if (t > blk.maxNs) blk.maxNs = t;
        blk.kinds.add(batch.kinds[i]);
        blk.recKinds.push(batch.kinds[i]);
        const sid = batch.sessionIds[i];
        if (sid !== null) blk.sessions.add(sid);
        blk.recSessions.push(sid);
        blk.keyTo = batch.keyEnd[i];
        leafIndex = seq - 1;
        head.frontier.push(leaf, onNode);
        if (seq % BLOCK === 0) {
          const slot = seq / BLOCK - 1;
          // A slot begun by an earlier batch: its first nodes were formed then; recompute.
          const tree = slotNodes === BLOCK - 1 ? slotTree : subtreeNodes(Buffer.concat([this.leafBuffer(slot * BLOCK + 1, blk.first - 1), ...blk.leaves]));
          insertNode.run(slot, tree);
          slotTree = Buffer.allocUnsafe((BLOCK - 1) * 32);
          slotNodes = 0;
        }
      }
      close(blk!);
      for (const x of batch.sealed) insertSealed.run(first + x.i, x.path, x.salt, x.value);
      head.chain = chain;
      this.writeHead(head);
      const upsert = this.stmt(`INSERT INTO sessions(session_id, agent_kind, agent_version, user, root_pid, host, first_time_ns, last_time_ns, first_seq, last_seq, events)
        VALUES (?,?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT(session_id) DO UPDATE SET
          agent_kind = CASE WHEN sessions.agent_kind IS NULL OR sessions.agent_kind = 'unknown' THEN excluded.agent_kind ELSE sessions.agent_kind END,
          agent_version = coalesce(sessions.agent_version, excluded.agent_version),
          user = coalesce(sessions.user, excluded.user),
          root_pid = coalesce(sessions.root_pid, excluded.root_pid),
          host = coalesce(sessions.host, excluded.host),
          first_time_ns = min(sessions.first_time_ns, excluded.first_time_ns),
          last_time_ns = max(sessions.last_time_ns, excluded.last_time_ns),
          last_seq = excluded.last_seq,
          events = sessions.events + excluded.events`);
      for (const s of batch.sessions) {
        const i = s.info;
        upsert.run(s.id, i.kind, i.version, i.user, i.rootPid, i.host, s.firstNs, s.lastNs, first + s.firstIdx, first + s.lastIdx, s.n);
      }
      const root = head.frontier.root();
      cp = signCheckpoint(key, this.origin, head.size, root, [`chain ${chain.toString('base64')}`]);
      this.stmt('INSERT INTO checkpoints(size, root, chain, note, created_ns) VALUES (?,?,?,?,?)').run(head.size, root, chain, cp.text, BigInt(Date.now()) * 1_000_000n);
    });
    run.immediate();
    // Copies outside the database directory are written after the commit, so a crash in
    // between can only leave them behind the database, never ahead of it.
    this.copyCheckpoint(cp);
    return { firstSeq: first, lastSeq: cp.size, checkpoint: cp };
  }

  private copyCheckpoint(cp: Checkpoint): void {
    const line = `${JSON.stringify({ size: cp.size, note: cp.text })}\n`;
    for (const d of this.checkpointDirs) {
      try {
        appendFileSync(join(d, 'checkpoints.jsonl'), line, { mode: 0o600 });
        const tmp = join(d, `.checkpoint.${process.pid}.tmp`);
        writeFileSync(tmp, cp.text, { mode: 0o600 });
        renameSync(tmp, join(d, 'checkpoint'));
      } catch {
        // A missing checkpoint copy weakens truncation detection but must not lose events;
        // verify reports copies that lag the database.
      }
    }
  }

  private stmt(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Blocks that may hold a match: SQL narrows by seq, time and session; summaries do the rest. */
  private candidates(q: EventQuery): { sql: string; params: unknown[]; keys: number[] } {
    const c: string[] = [];
    const p: unknown[] = [];
    let inside = '1 AS inside';
    const ip: unknown[] = [];
    if (q.session !== undefined) {
      c.push('first_seq IN (SELECT first_seq FROM block_sessions WHERE session_id = ?)');
      p.push(q.session);
    }
    if (q.kinds?.length) {
      // Rare kinds (alerts, incident actions) are found without reading every block's summary.
      c.push(`first_seq IN (SELECT first_seq FROM block_kinds WHERE kind IN (${q.kinds.map(() => '?').join(',')}))`);
      p.push(...q.kinds);
    }
    if (q.afterSeq !== undefined) {
      c.push('last_seq > ?');
      p.push(q.afterSeq);
    }
    if (q.beforeSeq !== undefined) {
      c.push('first_seq < ?');
      p.push(q.beforeSeq);
    }
    if (q.sinceNs !== undefined || q.untilNs !== undefined) {
      const since = q.sinceNs ?? -(2n ** 63n);
      const until = q.untilNs ?? 2n ** 63n - 1n;
      c.push('max_time_ns >= ? AND min_time_ns <= ?');
      p.push(since, until);
      inside = '(min_time_ns >= ? AND max_time_ns <= ?) AS inside';
      ip.push(since, until);
    }
    const keyStrings: string[] = [];
    if (q.pid !== undefined) keyStrings.push(`p${q.pid}`);
    if (q.path !== undefined) keyStrings.push(`f${q.path}`);
    if (q.pathPrefix !== undefined) {
      const k = prefixKey(q.pathPrefix);
      if (k) keyStrings.push(k);
    }
    if (q.dest !== undefined) keyStrings.push(`h${q.dest}`);
    if (q.destPort !== undefined) keyStrings.push(`o${q.destPort}`);
    const keys: number[] = [];
    for (const k of keyStrings) hashKey(k, keys);
    const cols = `first_seq, last_seq, kinds, ${inside}${keys.length ? ', bloom' : ''}${q.session !== undefined ? ', sessions' : ''}, rec`;
    const where = c.length ? `WHERE ${c.join(' AND ')}` : '';
    return { sql: `SELECT ${cols} FROM blocks ${where} ORDER BY first_seq ${q.desc ? 'DESC' : 'ASC'}`, params: [...ip, ...p], keys };
  }

  /** Events matching `q`, oldest first (or newest first with `desc`). */
  query(q: EventQuery = {}): StoredEvent[] {
    return [...this.iterate(q)];
  }

  /** Streams events matching `q` without loading them all. */
  *iterate(q: EventQuery = {}): IterableIterator<StoredEvent> {
    let left = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : Infinity;
    if (left === 0) return;
    const { sql, params, keys } = this.candidates(q);
    const kindSet = q.kinds?.length ? new Set(q.kinds) : undefined;
    const kindNeedles = q.kinds?.length ? q.kinds.map((k) => `\n${k}\n`) : undefined;
    const kindPrefix = q.kindPrefix ? `\n${q.kindPrefix}` : undefined;
    // Necessary conditions on the raw body, checked before parsing it: a record whose field
    // equals the wanted value contains that value's canonical encoding.
    const needles: string[] = [];
    if (q.pid !== undefined) needles.push(`"pid":${q.pid}`);
    if (q.path !== undefined) needles.push(canonicalJson(q.path));
    if (q.dest !== undefined) needles.push(canonicalJson(q.dest));
    const sealed = this.stmt('SELECT 1 FROM sealed_values LIMIT 1').get() !== undefined;
    const bodiesStmt = this.stmt('SELECT bodies FROM blocks WHERE first_seq = ?').pluck();
    // A fresh statement per call: a caller may nest iterations of the same query shape.
    const blocks = this.db.prepare(sql).iterate(...params) as IterableIterator<BlockRow>;
    for (const b of blocks) {
      if (kindNeedles && !kindNeedles.some((k) => b.kinds.includes(k))) continue;
      if (kindPrefix && !b.kinds.includes(kindPrefix)) continue;
      if (keys.length) {
        let may = true;
        for (let j = 0; j < keys.length && may; j += 2) may = bloomHas(b.bloom!, keys[j], keys[j + 1]);
        if (!may) continue;
      }
      // The per-record index rules out other sessions' and other kinds' records unparsed.
      const kinds = kindSet || kindPrefix ? kindsOfSummary(b.kinds) : undefined;
      const kindOk = kinds?.map((k) => (!kindSet || kindSet.has(k)) && (!q.kindPrefix || k.startsWith(q.kindPrefix)));
      const want = q.session !== undefined ? (JSON.parse(b.sessions!) as string[]).indexOf(q.session) + 1 : 0;
      if (q.session !== undefined && want === 0) continue;
      const bodies = splitBodies(bodiesStmt.get(b.first_seq) as string);
      const n = bodies.length;
      for (let j = 0; j < n; j++) {
        const i = q.desc ? n - 1 - j : j;
        const seq = b.first_seq + i;
        if (q.afterSeq !== undefined && seq <= q.afterSeq) continue;
        if (q.beforeSeq !== undefined && seq >= q.beforeSeq) continue;
        if (kindOk && !kindOk[b.rec[2 * i]]) continue;
        if (want && b.rec[2 * i + 1] !== want) continue;
        const body = bodies[i];
        if (needles.length && !(sealed && body.includes('"$commit"')) && !needles.every((x) => body.includes(x))) continue;
        const ev = this.decode(seq, body, sealed);
        if (kindSet && !kindSet.has(ev.kind)) continue;
        if (q.kindPrefix && !ev.kind.startsWith(q.kindPrefix)) continue;
        if (!matches(ev, q, b.inside === 1)) continue;
        yield ev;
        if (--left === 0) return;
      }
    }
  }

  /** Counts events matching `q`. */
  count(q: EventQuery = {}): number {
    // Like SELECT count(*): paging and order do not apply.
    const filters: EventQuery = { ...q, limit: undefined, desc: undefined };
    if (Object.values(filters).every((v) => v === undefined)) return this.size;
    let n = 0;
    for (const _ of this.iterate(filters)) n++;
    return n;
  }

  private blockOf(seq: number): { first: number; bodies: string[] } | undefined {
    for (const [first, b] of this.blockCache) if (seq >= first && seq <= b.last) return { first, bodies: b.bodies };
    const row = this.stmt('SELECT first_seq, last_seq, bodies FROM blocks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1').get(seq) as { first_seq: number; last_seq: number; bodies: Buffer } | undefined;
    if (!row || row.last_seq < seq) return undefined;
    if (this.blockCache.size >= 8) this.blockCache.delete(this.blockCache.keys().next().value!);
    const bodies = splitBodies(row.bodies);
    this.blockCache.set(row.first_seq, { last: row.last_seq, bodies });
    return { first: row.first_seq, bodies };
  }

  /** One event by sequence number. */
  get(seq: number): StoredEvent | undefined {
    const body = this.rawBody(seq);
    return body === undefined ? undefined : this.decode(seq, body, this.stmt('SELECT 1 FROM sealed_values LIMIT 1').get() !== undefined);
  }

  /** The stored canonical body of a record (what its leaf hash covers). */
  rawBody(seq: number): string | undefined {
    if (!Number.isInteger(seq) || seq < 1) return undefined;
    const b = this.blockOf(seq);
    return b?.bodies[seq - b.first];
  }

  /** A session's records as [seq, stored body] in seq order, selected by the blocks' per-record index (no parsing). */
  *sessionBodies(session: string, toSeq = Number.MAX_SAFE_INTEGER): IterableIterator<[number, string]> {
    for (const b of this.sessionBlocks(session, toSeq)) {
      const bodies = splitBodies(b.bodies);
      const want = b.sessions.indexOf(session) + 1;
      for (let i = 0; i < bodies.length && b.first + i <= toSeq; i++) if (b.rec[2 * i + 1] === want) yield [b.first + i, bodies[i]];
    }
  }

  /**
   * The blocks that hold a session's records, raw: per-record index, leaf hashes and UTF-8
   * bodies, for readers that select and copy records without decoding them (sealing).
   */
  *sessionBlocks(session: string, toSeq = Number.MAX_SAFE_INTEGER): IterableIterator<RawBlock> {
    const st = this.db.prepare('SELECT first_seq, last_seq, kinds, sessions, rec, leaves, bodies FROM blocks WHERE first_seq IN (SELECT first_seq FROM block_sessions WHERE session_id = ?) AND first_seq <= ? ORDER BY first_seq').raw();
    for (const [first, last, kinds, sessions, rec, leaves, bodies] of st.iterate(session, toSeq) as IterableIterator<[number, number, string, string, Buffer, Buffer, Buffer]>) {
      yield { first, last, kinds: kindsOfSummary(kinds), sessions: JSON.parse(sessions) as string[], rec, leaves, bodies };
    }
  }

  private decode(seq: number, body: string, sealed: boolean): StoredEvent {
    const ev = JSON.parse(body) as StoredEvent & { v?: string };
    if (sealed && body.includes('"$commit"')) {
      for (const s of this.stmt('SELECT path, value FROM sealed_values WHERE seq = ?').all(seq) as Array<{ path: string; value: string }>) {
        setPath(ev as unknown as Record<string, unknown>, s.path, JSON.parse(s.value));
      }
    }
    return ev;
  }

  /** Deletes the cleartext behind commitments (retention/redaction); the chain stays intact. */
  purgeSealed(q: { seqs?: number[]; beforeSeq?: number }): number {
    if (q.seqs) {
      const st = this.db.prepare('DELETE FROM sealed_values WHERE seq = ?');
      return this.db.transaction(() => q.seqs!.reduce((n, s) => n + st.run(s).changes, 0))();
    }
    return this.db.prepare('DELETE FROM sealed_values WHERE seq < ?').run(q.beforeSeq ?? Number.MAX_SAFE_INTEGER).changes;
  }

  /** Sessions seen in the store, most recent activity first. */
  sessions(opts: { limit?: number; session?: string } = {}): SessionSummary[] {
    const rows = this.db.prepare(`SELECT * FROM sessions ${opts.session ? 'WHERE session_id = ?' : ''} ORDER BY last_time_ns DESC ${opts.limit ? `LIMIT ${Math.floor(opts.limit)}` : ''}`);
    rows.safeIntegers(true);
    const out = (opts.session ? rows.all(opts.session) : rows.all()) as Array<Record<string, unknown>>;
    return out.map((r) => ({
      session_id: r.session_id as string,
      agent_kind: r.agent_kind as string | null,
      agent_version: r.agent_version as string | null,
      user: r.user as string | null,
      root_pid: r.root_pid === null ? null : Number(r.root_pid),
      host: r.host as string | null,
      first_time_ns: r.first_time_ns as bigint,
      last_time_ns: r.last_time_ns as bigint,
      first_seq: Number(r.first_seq),
      last_seq: Number(r.last_seq),
      events: Number(r.events),
    }));
  }

  /** Leaf hashes of records [fromSeq, toSeq], concatenated (32 bytes each, in order). */
  leafBuffer(fromSeq = 1, toSeq = this.size): Buffer {
    const n = Math.max(0, toSeq - fromSeq + 1);
    const out = Buffer.allocUnsafe(n * 32);
    let got = 0;
    const rows = this.stmt('SELECT first_seq, leaves FROM blocks WHERE last_seq >= ? AND first_seq <= ? ORDER BY first_seq').raw().iterate(fromSeq, toSeq) as IterableIterator<[number, Buffer]>;
    for (const [first, leaves] of rows) {
      const a = Math.max(fromSeq, first);
      const b = Math.min(toSeq, first + leaves.length / 32 - 1);
      out.set(leaves.subarray((a - first) * 32, (b - first + 1) * 32), (a - fromSeq) * 32);
      got += b - a + 1;
    }
    if (got !== n) throw new AwError('STORE_MISMATCH', `the store holds ${got} of records ${fromSeq}..${toSeq}`);
    return out;
  }

  /** Leaf hashes of records [fromSeq, toSeq] in order (for Merkle proofs). */
  leafHashes(fromSeq = 1, toSeq = this.size): Buffer[] {
    const buf = this.leafBuffer(fromSeq, toSeq);
    const out: Buffer[] = [];
    for (let i = 0; i < buf.length; i += 32) out.push(buf.subarray(i, i + 32));
    return out;
  }

  /**
   * Interior Merkle nodes of the complete slots below `toSeq` (slot k: records k*BLOCK+1 ..
   * (k+1)*BLOCK), each as `subtreeNodes` lays them out, concatenated in slot order.
   */
  slotTrees(toSeq = this.size): Buffer {
    const slots = Math.floor(toSeq / BLOCK);
    const size = (BLOCK - 1) * 32;
    const out = Buffer.allocUnsafe(slots * size);
    let got = 0;
    for (const [slot, tree] of this.stmt('SELECT slot, tree FROM nodes WHERE slot < ? ORDER BY slot').raw().iterate(slots) as IterableIterator<[number, Buffer]>) {
      if (slot !== got || tree.length !== size) break;
      out.set(tree, slot * size);
      got++;
    }
    if (got !== slots) throw new AwError('STORE_MISMATCH', `the store holds ${got} of ${slots} block trees`);
    return out;
  }

  /** The latest checkpoint in the database. */
  latestCheckpoint(): { size: number; note: string } | undefined {
    return this.stmt('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1').get() as { size: number; note: string } | undefined;
  }

  /** The smallest checkpoint covering at least `size` records. */
  checkpointCovering(size: number): { size: number; note: string } | undefined {
    return this.stmt('SELECT size, note FROM checkpoints WHERE size >= ? ORDER BY size ASC LIMIT 1').get(size) as { size: number; note: string } | undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The exact filter of a query on one decoded record (kinds and seq bounds are checked by the caller). */
function matches(ev: StoredEvent, q: EventQuery, timeInside: boolean): boolean {
  if (q.session !== undefined && ev.session?.id !== q.session) return false;
  if (!timeInside && (q.sinceNs !== undefined || q.untilNs !== undefined)) {
    const t = parseTimeNs(ev.time);
    if (t === undefined || (q.sinceNs !== undefined && t < q.sinceNs) || (q.untilNs !== undefined && t > q.untilNs)) return false;
  }
  if (q.pid !== undefined && ev.process?.pid !== q.pid) return false;
  if (q.path !== undefined || q.pathPrefix !== undefined) {
    const p = pathOf(ev);
    if (typeof p !== 'string') return false;
    if (q.path !== undefined && p !== q.path) return false;
    if (q.pathPrefix !== undefined && !p.startsWith(q.pathPrefix)) return false;
  }
  if (q.dest !== undefined && destOf(ev) !== q.dest) return false;
  if (q.destPort !== undefined && ev.network?.dst_port !== q.destPort) return false;
  return true;
}
