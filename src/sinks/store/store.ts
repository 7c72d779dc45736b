// The embedded store: an append-only, hash-chained, Merkle-committed event log in SQLite.
//
// Record i (seq = i, 1-based) is stored as its canonical JSON body (RFC 8785, with `seq` and
// `v` inside). Integrity material per record:
//   leaf_i  = SHA-256(0x00 || body_i)                 RFC 9162 leaf hash, stored
//   chain_i = SHA-256(chain_{i-1} || leaf_i)          public hash chain (chain_0 = 32 zero bytes)
//   mac_i   = HMAC-SHA-256(K, chain_i)                K derived from the store's Ed25519 key, stored
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
import { MerkleFrontier } from '../../core/merkle.js';
import { SCHEMA_VERSION, parseTimeNs, type AwEvent } from '../../schema/index.js';

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

export function chainNext(prev: Buffer, leaf: Buffer): Buffer {
  return oneShotHash('sha256', Buffer.concat([prev, leaf]), 'buffer') as unknown as Buffer;
}

export function recordLeaf(body: string): Buffer {
  // RFC 9162 leaf hash: SHA-256(0x00 || UTF-8 body). U+0000 encodes as the single byte 0x00,
  // so hashing the string '\0' + body avoids a Buffer copy of every body (GC was 20% of
  // ingest time in a CPU profile).
  return oneShotHash('sha256', '\u0000' + body, 'buffer') as unknown as Buffer;
}

function pathOf(ev: AwEvent): string | null {
  return ev.file?.path ?? ev.library?.path ?? ev.registry?.key ?? null;
}

function destOf(ev: AwEvent): string | null {
  return ev.network?.dst_host ?? ev.network?.dst_ip ?? ev.dns?.query ?? ev.tls?.sni ?? ev.gateway?.http?.host ?? null;
}

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
 * A record encoded before its sequence number is known: body = head + seq + tail. Plain
 * data (structured-clonable), so it can be prepared on one thread and committed on another.
 */
export interface PreparedRecord {
  timeNs: bigint;
  kind: string;
  sessionId: string | null;
  pid: number | null;
  path: string | null;
  dest: string | null;
  destPort: number | null;
  head: string;
  tail: string;
  sealed?: Array<{ path: string; salt: Uint8Array; value: string }>;
  session?: PreparedSession;
}

/** Canonical encoding, commitments and index columns of one event (no I/O). */
export function prepareRecord(item: AppendInput): PreparedRecord {
  const ev = item.event;
  const timeNs = item.timeNs ?? parseTimeNs(ev.time);
  if (timeNs === undefined) throw new AwError('EVENT_INVALID', `event time '${String(ev.time)}' is not RFC 3339`);
  const record: Record<string, unknown> = { ...(ev as unknown as Record<string, unknown>), v: SCHEMA_VERSION };
  const sealed = item.commit?.length ? applyCommitments(record, item.commit) : undefined;
  const [head, tail] = canonicalSplit(record, 'seq');
  const se = ev.session;
  return {
    timeNs,
    kind: ev.kind,
    sessionId: se?.id ?? null,
    pid: ev.process?.pid ?? null,
    path: pathOf(ev),
    dest: destOf(ev),
    destPort: ev.network?.dst_port ?? null,
    head,
    tail,
    sealed: sealed?.length ? sealed : undefined,
    session: se ? { kind: se.agent?.kind ?? null, version: se.agent?.version ?? null, user: se.user ?? null, rootPid: se.root_pid ?? null, host: ev.host?.name ?? null } : undefined,
  };
}

function setPath(record: Record<string, unknown>, path: string, value: unknown): void {
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
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,
  session_id TEXT,
  pid INTEGER,
  path TEXT,
  dest TEXT,
  dest_port INTEGER,
  body TEXT NOT NULL,
  leaf BLOB NOT NULL,
  mac BLOB
);
CREATE INDEX IF NOT EXISTS events_session ON events(session_id, seq) WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, seq);
CREATE INDEX IF NOT EXISTS events_time ON events(time_ns);
CREATE INDEX IF NOT EXISTS events_pid ON events(pid) WHERE pid IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_path ON events(path) WHERE path IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_dest ON events(dest) WHERE dest IS NOT NULL;
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
CREATE TRIGGER IF NOT EXISTS events_append_only_u BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_d BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sealed_no_update BEFORE UPDATE ON sealed_values BEGIN SELECT RAISE(ABORT, 'sealed values cannot change (purge deletes them)'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_u BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER IF NOT EXISTS checkpoints_append_only_d BEFORE DELETE ON checkpoints BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
`;

interface Head {
  size: number;
  chain: Buffer;
  frontier: MerkleFrontier;
}

interface RawRow {
  seq: number;
  time_ns: bigint;
  body: string;
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
  private insertStmt!: Statement;
  private sealStmt!: Statement;
  private hasSealedStmt!: Statement;

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
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
      db.pragma('cache_size = -65536');
      db.exec(SCHEMA_SQL);
    }
    const store = new EventStore(opts, db);
    store.prepare();
    if (!opts.readonly) for (const d of store.checkpointDirs) mkdirSync(d, { recursive: true, mode: 0o700 });
    return store;
  }

  private prepare(): void {
    if (!this.db.readonly) {
      this.insertStmt = this.db.prepare('INSERT INTO events(seq, time_ns, kind, session_id, pid, path, dest, dest_port, body, leaf, mac) VALUES (?,?,?,?,?,?,?,?,?,?,?)');
      this.sealStmt = this.db.prepare('INSERT INTO sealed_values(seq, path, salt, value) VALUES (?,?,?,?)');
    }
    this.hasSealedStmt = this.db.prepare('SELECT 1 FROM sealed_values LIMIT 1');
  }

  get writable(): boolean {
    return !this.db.readonly && this.key !== undefined;
  }

  /** Number of stored records (= highest seq). */
  get size(): number {
    const r = this.db.prepare('SELECT max(seq) AS n FROM events').get() as { n: number | null };
    return r.n ?? 0;
  }

  private readHead(): Head {
    const row = this.db.prepare("SELECT v FROM meta WHERE k = 'head'").get() as { v: string } | undefined;
    if (!row) return { size: 0, chain: ZERO32, frontier: new MerkleFrontier() };
    const h = JSON.parse(row.v) as { size: number; chain: string; stack: string[]; sizes: number[] };
    return { size: h.size, chain: Buffer.from(h.chain, 'base64'), frontier: MerkleFrontier.from(h.stack.map((s) => Buffer.from(s, 'base64')), h.sizes, h.size) };
  }

  private writeHead(head: Head): void {
    const st = head.frontier.state();
    this.db
      .prepare("INSERT INTO meta(k, v) VALUES ('head', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v")
      .run(JSON.stringify({ size: head.size, chain: head.chain.toString('base64'), stack: st.stack.map((b) => b.toString('base64')), sizes: st.sizes }));
  }

  /**
   * Appends a batch atomically and returns the range of sequence numbers assigned. When this
   * returns, the batch is committed (durable per the store's durability policy) and covered
   * by a signed checkpoint.
   */
  appendBatch(items: readonly AppendInput[]): AppendResult {
    return this.commitPrepared(items.map(prepareRecord));
  }

  /** Commits records already prepared by `prepareRecord` (possibly in another thread). */
  commitPrepared(items: readonly PreparedRecord[]): AppendResult {
    if (!this.key || !this.macKey || this.db.readonly) throw new AwError('STORE_READONLY', 'store opened without its signing key');
    const key = this.key;
    const macKey = this.macKey;
    let cp!: Checkpoint;
    let first = 0;
    const run = this.db.transaction(() => {
      // State is re-read inside the IMMEDIATE transaction so several processes can append.
      const head = this.readHead();
      first = head.size + 1;
      let chain = head.chain;
      const sessions = new Map<string, { info: PreparedSession; firstNs: bigint; lastNs: bigint; first: number; last: number; n: number }>();
      for (const item of items) {
        const seq = ++head.size;
        const body = item.head + seq + item.tail;
        const leaf = recordLeaf(body);
        chain = chainNext(chain, leaf);
        const mac = createHmac('sha256', macKey).update(chain).digest();
        this.insertStmt.run(seq, item.timeNs, item.kind, item.sessionId, item.pid, item.path, item.dest, item.destPort, body, leaf, mac);
        if (item.sealed) for (const x of item.sealed) this.sealStmt.run(seq, x.path, x.salt, x.value);
        head.frontier.push(leaf);
        if (item.session && item.sessionId !== null) {
          const t = item.timeNs;
          const s = sessions.get(item.sessionId);
          if (s) {
            s.last = seq;
            s.n++;
            if (t < s.firstNs) s.firstNs = t;
            if (t > s.lastNs) s.lastNs = t;
            if (!s.info.version && item.session.version) s.info = item.session;
          } else sessions.set(item.sessionId, { info: item.session, firstNs: t, lastNs: t, first: seq, last: seq, n: 1 });
        }
      }
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
      for (const [sid, s] of sessions) {
        const i = s.info;
        upsert.run(sid, i.kind, i.version, i.user, i.rootPid, i.host, s.firstNs, s.lastNs, s.first, s.last, s.n);
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

  private buildWhere(q: EventQuery): { where: string; params: unknown[] } {
    const c: string[] = [];
    const p: unknown[] = [];
    const add = (cond: string, ...values: unknown[]) => {
      c.push(cond);
      p.push(...values);
    };
    if (q.session !== undefined) add('session_id = ?', q.session);
    if (q.kinds?.length) add(`kind IN (${q.kinds.map(() => '?').join(',')})`, ...q.kinds);
    if (q.kindPrefix) add('kind >= ? AND kind < ?', q.kindPrefix, q.kindPrefix + '\uffff');
    if (q.sinceNs !== undefined) add('time_ns >= ?', q.sinceNs);
    if (q.untilNs !== undefined) add('time_ns <= ?', q.untilNs);
    if (q.pid !== undefined) add('pid = ?', q.pid);
    if (q.path !== undefined) add('path = ?', q.path);
    if (q.pathPrefix !== undefined) add('path >= ? AND path < ?', q.pathPrefix, q.pathPrefix + '\uffff');
    if (q.dest !== undefined) add('dest = ?', q.dest);
    if (q.destPort !== undefined) add('dest_port = ?', q.destPort);
    if (q.afterSeq !== undefined) add('seq > ?', q.afterSeq);
    if (q.beforeSeq !== undefined) add('seq < ?', q.beforeSeq);
    return { where: c.length ? `WHERE ${c.join(' AND ')}` : '', params: p };
  }

  private selectSql(q: EventQuery, cols: string): { sql: string; params: unknown[] } {
    const { where, params } = this.buildWhere(q);
    const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
    return { sql: `SELECT ${cols} FROM events ${where} ORDER BY seq ${q.desc ? 'DESC' : 'ASC'}${limit}`, params };
  }

  /** Events matching `q`, oldest first (or newest first with `desc`). */
  query(q: EventQuery = {}): StoredEvent[] {
    return [...this.iterate(q)];
  }

  /** Streams events matching `q` without loading them all. */
  *iterate(q: EventQuery = {}): IterableIterator<StoredEvent> {
    const { sql, params } = this.selectSql(q, 'seq, time_ns, body');
    const st = this.stmt(sql);
    const sealed = this.hasSealedStmt.get() !== undefined;
    for (const row of st.iterate(...params) as IterableIterator<RawRow>) {
      yield this.decode(row, sealed);
    }
  }

  /** Counts events matching `q`. */
  count(q: EventQuery = {}): number {
    const { where, params } = this.buildWhere(q);
    return (this.stmt(`SELECT count(*) AS n FROM events ${where}`).get(...params) as { n: number }).n;
  }

  /** One event by sequence number. */
  get(seq: number): StoredEvent | undefined {
    const row = this.stmt('SELECT seq, time_ns, body FROM events WHERE seq = ?').get(seq) as RawRow | undefined;
    return row ? this.decode(row, this.hasSealedStmt.get() !== undefined) : undefined;
  }

  /** The stored canonical body of a record (what its leaf hash covers). */
  rawBody(seq: number): string | undefined {
    return (this.stmt('SELECT body FROM events WHERE seq = ?').get(seq) as { body: string } | undefined)?.body;
  }

  private decode(row: RawRow, sealed: boolean): StoredEvent {
    const ev = JSON.parse(row.body) as StoredEvent & { v?: string };
    if (sealed && row.body.includes('"$commit"')) {
      for (const s of this.stmt('SELECT path, value FROM sealed_values WHERE seq = ?').all(row.seq) as Array<{ path: string; value: string }>) {
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

  /** Leaf hashes of records [fromSeq, toSeq] in order (for Merkle proofs). */
  leafHashes(fromSeq = 1, toSeq = this.size): Buffer[] {
    const out: Buffer[] = [];
    for (const r of this.db.prepare('SELECT leaf FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq').raw().iterate(fromSeq, toSeq) as IterableIterator<[Buffer]>) out.push(r[0]);
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
