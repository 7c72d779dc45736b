// Session recordings, encrypted at rest. One file per gateway session:
//   "AWREC1\n" + JSON header line (session, agent, key id, start time; metadata stays
//   readable, as in StrongDM's encrypted logs) + frames of
//   u32 length | 12-byte IV | AES-256-GCM ciphertext | 16-byte tag
// A frame holds a JSON array of records (sealed in batches). Each frame's additional data is "<session>:<index>", so frames cannot be reordered,
// dropped from the middle or moved between sessions without failing authentication.
// Keys are 32 random bytes; the key id (sha256 prefix) in the header selects the key, so
// rotation = new active key + old keys kept for reading (docs/gateway.md).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';
import type { GatewayRecordingConfig } from '../config.js';

const MAGIC = 'AWREC1\n';

export interface RecordingKey {
  id: string;
  key: Buffer;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  let k: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) k = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/=_-]{43,44}$/.test(t)) k = Buffer.from(t, 'base64');
  if (!k || k.length !== 32) throw new AwError('RECORDING_KEY', `${where}: a recording key must be 32 bytes as 64 hex or base64 characters`);
  return k;
}

export function recordingDir(paths: AwPaths, cfg?: GatewayRecordingConfig): string {
  return cfg?.dir ?? join(paths.home, 'gateway', 'recordings');
}

export const DEFAULT_KEY_FILE = 'gateway-recording.key';

/** The active key and every key usable for reading. Creates <home>/keys/gateway-recording.key when none is configured. */
export function loadRecordingKeys(paths: AwPaths, cfg?: GatewayRecordingConfig, create = true): { active?: RecordingKey; all: RecordingKey[] } {
  const all: RecordingKey[] = [];
  let active: RecordingKey | undefined;
  const add = (k: Buffer, isActive: boolean) => {
    const rk = { id: keyId(k), key: k };
    all.push(rk);
    if (isActive) active = rk;
  };
  if (cfg?.key) add(decodeKey(cfg.key, 'gateway.recording.key'), true);
  else if (cfg?.key_file) add(decodeKey(readFileSync(cfg.key_file, 'utf8'), cfg.key_file), true);
  else {
    const f = join(paths.keysDir, DEFAULT_KEY_FILE);
    if (!existsSync(f) && create) {
      mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
      try {
        writeFileSync(f, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    if (existsSync(f)) add(decodeKey(readFileSync(f, 'utf8'), f), true);
  }
  for (const f of cfg?.old_key_files ?? []) add(decodeKey(readFileSync(f, 'utf8'), f), false);
  return { active, all };
}

export interface RecordingHeader {
  v: 1;
  session: string;
  key_id: string;
  started: string;
  protocol: string;
  agent?: string;
  groups?: string[];
  database?: string;
}

/** Appends encrypted frames to one session's file (ordered, buffered by the write stream). */
export class SessionRecorder {
  private index = 0;
  private readonly stream: WriteStream;
  private readonly t0 = process.hrtime.bigint();
  bytes = 0;
  closed = false;

  constructor(readonly file: string, private readonly key: RecordingKey, readonly header: RecordingHeader) {
    this.stream = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    this.stream.on('error', () => {
      this.closed = true;
    });
    this.stream.write(MAGIC + JSON.stringify(header) + '\n');
  }

  private pending: Array<Record<string, unknown>> = [];
  private pendingBytes = 0;
  private timer?: NodeJS.Timeout;

  /**
   * Queues a record. Records are sealed in batches (one frame per 50 ms or ~64 KiB): one
   * AES-GCM operation and one write per batch instead of per statement (measured: the
   * per-record version cost ~2 frames per pgbench transaction). The batch is serialized
   * once, at sealing (one JSON.stringify per frame instead of one per record plus a join:
   * the per-record stringify was the top self-time JS function of a gateway worker under
   * pgbench -S). Callers hand over the record: it must not change after write().
   */
  write(rec: Record<string, unknown>): void {
    if (this.closed) return;
    const t = Number(process.hrtime.bigint() - this.t0) / 1e6;
    this.pending.push({ t: Math.round(t * 1000) / 1000, ...rec });
    this.pendingBytes += approxSize(rec);
    if (this.pendingBytes >= 65536) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), 50);
      this.timer.unref();
    }
  }

  /** Seals the queued records into one frame. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length || this.closed) return;
    const plain = Buffer.from(JSON.stringify(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key.key, iv);
    c.setAAD(Buffer.from(`${this.header.session}:${this.index++}`));
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(12 + ct.length + 16);
    const frame = Buffer.concat([len, iv, ct, c.getAuthTag()]);
    this.bytes += frame.length;
    this.stream.write(frame);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    this.closed = true;
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** A cheap upper-bound-ish size of a record's JSON (strings and row cells), for batching. */
function approxSize(rec: Record<string, unknown>): number {
  let n = 64;
  for (const k in rec) {
    const v = rec[k];
    if (typeof v === 'string') n += v.length;
    else if (Array.isArray(v)) for (const row of v) n += Array.isArray(row) ? row.reduce((a: number, c: unknown) => a + (typeof c === 'string' ? c.length + 3 : 8), 2) : 16;
  }
  return n;
}

export function startRecording(dir: string, key: RecordingKey, header: Omit<RecordingHeader, 'v' | 'key_id'>): SessionRecorder {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const safe = header.session.replace(/[^A-Za-z0-9._-]/g, '_');
  return new SessionRecorder(join(dir, `${safe}.awrec`), key, { v: 1, key_id: key.id, ...header });
}

export interface Recording {
  header: RecordingHeader;
  records: Array<Record<string, unknown>>;
  /** Set when the file ends inside a frame (still being written, or cut). */
  truncated: boolean;
}

/** Reads and decrypts a recording. Throws RECORDING_KEY when no key matches, RECORDING_CORRUPT on a bad frame. */
export function readRecording(file: string, keys: RecordingKey[]): Recording {
  const buf = readFileSync(file);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new AwError('RECORDING_FORMAT', `${file}: not an AgentWarden recording`);
  const nl = buf.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(buf.subarray(MAGIC.length, nl).toString('utf8')) as RecordingHeader;
  const key = keys.find((k) => k.id === header.key_id);
  if (!key) throw new AwError('RECORDING_KEY', `${file}: encrypted with key ${header.key_id}, which is not configured (gateway.recording.key / key_file / old_key_files)`);
  const records: Array<Record<string, unknown>> = [];
  let pos = nl + 1;
  let i = 0;
  let truncated = false;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) {
      truncated = true;
      break;
    }
    const len = buf.readUInt32BE(pos);
    if (pos + 4 + len > buf.length) {
      truncated = true;
      break;
    }
    const frame = buf.subarray(pos + 4, pos + 4 + len);
    const iv = frame.subarray(0, 12);
    const tag = frame.subarray(frame.length - 16);
    const d = createDecipheriv('aes-256-gcm', key.key, iv);
    d.setAAD(Buffer.from(`${header.session}:${i}`));
    d.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(frame.subarray(12, frame.length - 16)), d.final()]);
    } catch (err) {
      throw new AwError('RECORDING_CORRUPT', `${file}: frame ${i} fails authentication (wrong key, tampered or reordered)`, { cause: err });
    }
    const parsed = JSON.parse(plain.toString('utf8')) as Record<string, unknown> | Array<Record<string, unknown>>;
    if (Array.isArray(parsed)) records.push(...parsed);
    else records.push(parsed);
    pos += 4 + len;
    i++;
  }
  return { header, records, truncated };
}

/** Finds a session's recording by id or file path. */
export function findRecording(dir: string, session: string): string | undefined {
  if (existsSync(session) && statSync(session).isFile()) return session;
  const safe = session.replace(/[^A-Za-z0-9._-]/g, '_');
  const f = join(dir, `${safe}.awrec`);
  if (existsSync(f)) return f;
  if (!existsSync(dir)) return undefined;
  const hit = readdirSync(dir).filter((n) => n.startsWith(safe) && n.endsWith('.awrec'));
  return hit.length === 1 ? join(dir, hit[0]) : undefined;
}

export function listRecordings(dir: string): Array<{ file: string; header: RecordingHeader; bytes: number }> {
  if (!existsSync(dir)) return [];
  const out: Array<{ file: string; header: RecordingHeader; bytes: number }> = [];
  for (const n of readdirSync(dir)) {
    if (!n.endsWith('.awrec')) continue;
    const file = join(dir, n);
    try {
      const head = readFileSync(file).subarray(0, 4096);
      const nl = head.indexOf(0x0a, MAGIC.length);
      out.push({ file, header: JSON.parse(head.subarray(MAGIC.length, nl).toString('utf8')) as RecordingHeader, bytes: statSync(file).size });
    } catch {
      // unreadable file: skip
    }
  }
  return out.sort((a, b) => a.header.started.localeCompare(b.header.started));
}
