// Decoder for the aw-sensor record stream (layout: bpf/sensor.h; offsets checked by
// records.test.ts against a real capture). Records are framed by their own `size` field.

export const T = {
  FORK: 1,
  EXEC: 2,
  EXIT: 3,
  SYS: 4,
  CONNECT: 5,
  PAYLOAD: 6,
  ARGV_CHUNK: 7,
  ENV_CHUNK: 8,
  HELLO: 100,
  STATS: 101,
  ROOT_EXIT: 102,
  LOG: 103,
} as const;

export const SYS = {
  OPEN: 1,
  UNLINK: 2,
  RMDIR: 3,
  RENAME: 4,
  CHMOD: 5,
  FCHMOD: 6,
  CHOWN: 7,
  FCHOWN: 8,
  TRUNCATE: 9,
  FTRUNCATE: 10,
  CHDIR: 11,
  FCHDIR: 12,
  MMAP_EXEC: 13,
  MKDIR: 14,
} as const;

export const F = {
  ADOPTED: 1,
  ARGV_TRUNC: 2,
  ENV_TRUNC: 4,
  PATH_TRUNC: 8,
  PROBE_ERR: 16,
  TRACKED: 32,
  CWD_TRUNC: 64,
} as const;

/** Counter names, in the order of enum aw_count. */
export const COUNT_NAMES = ['ring_full', 'argv_truncated', 'env_truncated', 'path_truncated', 'probe_error', 'pending_full', 'noise_suppressed', 'events'] as const;
export type CountName = (typeof COUNT_NAMES)[number];

const HDR = 56;
const PATH_MAX = 4096;

export interface Hdr {
  type: number;
  size: number;
  tgid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  flags: number;
  ts: bigint;
  comm: string;
}

export type RawRecord =
  | (Hdr & { type: 1; child: number })
  | (Hdr & { type: 2; argvLen: number; envLen: number; argvChunks: number; envChunks: number; exe: string; cwdParts: string[]; euid: number; oldPid: number })
  | (Hdr & { type: 3; code: number; sig: number })
  | (Hdr & { type: 4; nr: number; dfd: number; dfd2: number; path1: string; path2?: string; walk: boolean; ret: number; a1: number; a2: number })
  | (Hdr & { type: 5; fd: number; ret: number; family: number; sockType: number; proto: number; lport: number; addr: Buffer; laddr: Buffer; addrlen: number })
  | (Hdr & { type: 6; fd: number; kind: number; len: number; family: number; dport: number; proto: number; daddr: Buffer; data: Buffer })
  | (Hdr & { type: 7 | 8; off: number; len: number; data: Buffer })
  | (Hdr & { type: 100; realtimeNs: bigint; monotonicNs: bigint; rootPid: number; version: number })
  | (Hdr & { type: 101; counts: Record<CountName, number>; written: number; tracked: number })
  | (Hdr & { type: 102; status: number })
  | (Hdr & { type: 103; text: string });

function cstr(b: Buffer, start: number, end: number): string {
  const z = b.indexOf(0, start);
  return b.toString('utf8', start, z >= 0 && z < end ? z : end);
}

/** NUL-separated strings in [start, end). */
export function splitNul(b: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  let s = start;
  for (let i = start; i < end; i++) {
    if (b[i] === 0) {
      out.push(b.toString('utf8', s, i));
      s = i + 1;
    }
  }
  if (s < end) out.push(b.toString('utf8', s, end));
  return out;
}

function i64(b: Buffer, o: number): number {
  return Number(b.readBigInt64LE(o));
}

/** Decodes one record starting at `o` (the caller checked that `size` bytes are present). */
export function decodeRecord(b: Buffer, o: number): RawRecord {
  const h: Hdr = {
    type: b.readUInt32LE(o),
    size: b.readUInt32LE(o + 4),
    tgid: b.readUInt32LE(o + 8),
    tid: b.readUInt32LE(o + 12),
    ppid: b.readUInt32LE(o + 16),
    uid: b.readUInt32LE(o + 20),
    gid: b.readUInt32LE(o + 24),
    flags: b.readUInt32LE(o + 28),
    ts: b.readBigUInt64LE(o + 32),
    comm: cstr(b, o + 40, o + 56),
  };
  const end = o + h.size;
  const d = o + HDR;
  // Fields are added to the header object in place: an object spread ({...h, x}) took
  // about 23 us per record here (V8 slow path), assignments a fraction of a microsecond.
  const r = h as unknown as Record<string, unknown>;
  switch (h.type) {
    case T.FORK:
      r.child = b.readUInt32LE(d);
      break;
    case T.EXIT:
      r.code = b.readInt32LE(d);
      r.sig = b.readInt32LE(d + 4);
      break;
    case T.EXEC: {
      const exeLen = b.readUInt32LE(d + 16);
      const cwdLen = b.readUInt32LE(d + 20);
      const data = o + 88;
      const cwdStart = data + PATH_MAX;
      r.argvLen = b.readUInt32LE(d);
      r.envLen = b.readUInt32LE(d + 4);
      r.argvChunks = b.readUInt32LE(d + 8);
      r.envChunks = b.readUInt32LE(d + 12);
      r.exe = exeLen ? cstr(b, data, Math.min(data + exeLen, end)) : '';
      r.cwdParts = cwdLen ? splitNul(b, cwdStart, Math.min(cwdStart + cwdLen, end)) : [];
      r.euid = b.readUInt32LE(d + 24);
      r.oldPid = b.readUInt32LE(d + 28);
      break;
    }
    case T.ARGV_CHUNK:
    case T.ENV_CHUNK: {
      const len = b.readUInt32LE(d + 4);
      r.off = b.readUInt32LE(d);
      r.len = len;
      r.data = b.subarray(o + 64, Math.min(o + 64 + len, end));
      break;
    }
    case T.SYS: {
      const len1 = b.readUInt32LE(d + 12);
      const len2 = b.readUInt32LE(d + 16);
      const walk = b.readUInt32LE(d + 20) === 1;
      const data = o + 104;
      r.nr = b.readUInt32LE(d);
      r.dfd = b.readInt32LE(d + 4);
      r.dfd2 = b.readInt32LE(d + 8);
      r.path1 = walk ? walkPath(b, data, Math.min(data + len1, end)) : len1 ? cstr(b, data, Math.min(data + len1, end)) : '';
      r.walk = walk;
      r.ret = i64(b, o + 80);
      r.a1 = i64(b, o + 88);
      r.a2 = i64(b, o + 96);
      if (len2) r.path2 = cstr(b, data + PATH_MAX, Math.min(data + PATH_MAX + len2, end));
      break;
    }
    case T.CONNECT:
      r.fd = b.readInt32LE(d);
      r.ret = b.readInt32LE(d + 4);
      r.family = b.readUInt16LE(d + 8);
      r.sockType = b.readUInt16LE(d + 10);
      r.proto = b.readUInt16LE(d + 12);
      r.lport = b.readUInt16LE(d + 14);
      r.addr = Buffer.from(b.subarray(o + 72, o + 184));
      r.laddr = Buffer.from(b.subarray(o + 184, o + 200));
      r.addrlen = b.readUInt32LE(o + 200);
      break;
    case T.PAYLOAD: {
      const copied = b.readUInt32LE(d + 12);
      r.fd = b.readInt32LE(d);
      r.kind = b.readUInt32LE(d + 4);
      r.len = b.readUInt32LE(d + 8);
      r.family = b.readUInt16LE(d + 16);
      r.dport = b.readUInt16LE(d + 18);
      r.proto = b.readUInt16LE(d + 20);
      r.daddr = Buffer.from(b.subarray(o + 80, o + 96));
      r.data = Buffer.from(b.subarray(o + 96, Math.min(o + 96 + copied, end)));
      break;
    }
    case T.HELLO:
      r.realtimeNs = b.readBigUInt64LE(d);
      r.monotonicNs = b.readBigUInt64LE(d + 8);
      r.rootPid = b.readUInt32LE(d + 16);
      r.version = b.readUInt32LE(d + 20);
      break;
    case T.STATS: {
      const counts = {} as Record<CountName, number>;
      COUNT_NAMES.forEach((n, i) => (counts[n] = Number(b.readBigUInt64LE(d + i * 8))));
      r.counts = counts;
      r.written = Number(b.readBigUInt64LE(o + 120));
      r.tracked = Number(b.readBigUInt64LE(o + 128));
      break;
    }
    case T.ROOT_EXIT:
      r.status = b.readInt32LE(d);
      break;
    case T.LOG:
      r.text = cstr(b, d, end);
      break;
    default:
      throw new RangeError(`unknown record type ${h.type}`);
  }
  return h as RawRecord;
}

/** A kernel dentry walk (leaf-first components) as an absolute path. */
function walkPath(b: Buffer, start: number, end: number): string {
  const parts = splitNul(b, start, end).filter((p) => p !== '/' && p !== '');
  return '/' + parts.reverse().join('/');
}

/** cwd components (leaf first) from an exec record as an absolute path. */
export function cwdOf(parts: string[]): string {
  return '/' + parts.filter((p) => p !== '/' && p !== '').reverse().join('/');
}

/**
 * Splits a byte stream into records. Keeps the unconsumed tail between pushes.
 * A frame with an impossible size means the stream is corrupt: it throws (the sensor
 * restarts the loader and counts the loss) rather than guessing.
 */
export class RecordFramer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onRecord: (r: RawRecord) => void): void {
    let b = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let o = 0;
    while (b.length - o >= 8) {
      const size = b.readUInt32LE(o + 4);
      if (size < HDR || size > 1 << 20) throw new RangeError(`corrupt sensor stream: record size ${size}`);
      if (b.length - o < size) break;
      onRecord(decodeRecord(b, o));
      o += size;
    }
    b = b.subarray(o);
    this.buf = b.length ? Buffer.from(b) : Buffer.alloc(0);
  }

  get pending(): number {
    return this.buf.length;
  }
}
