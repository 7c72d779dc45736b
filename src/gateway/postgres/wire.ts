// PostgreSQL wire protocol v3 framing. Hand-written because no maintained JS library parses
// *frontend* messages (pg-protocol parses backend ones and decodes DataRow cells lossily);
// the framing is small: `type(1) | int32 length (includes itself) | body`, and the first
// client packet has no type byte.

export const SSL_REQUEST = 80877103;
export const CANCEL_REQUEST = 80877102;
export const GSSENC_REQUEST = 80877104;
export const PROTOCOL_3_0 = 196608;

export interface Frame {
  type: number;
  /** Whole message including the type byte and length. */
  raw: Buffer;
  /** Body after the length. */
  body: Buffer;
}

/** Accumulates bytes and yields complete typed frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxMessage = 256 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
  }

  /** Next complete frame, or undefined. Throws on an impossible length. */
  next(): Frame | undefined {
    if (this.buf.length < 5) return undefined;
    const len = this.buf.readInt32BE(1);
    if (len < 4 || len > this.maxMessage) throw new Error(`bad message length ${len}`);
    if (this.buf.length < len + 1) return undefined;
    const raw = this.buf.subarray(0, len + 1);
    this.buf = this.buf.subarray(len + 1);
    return { type: raw[0], raw, body: raw.subarray(5) };
  }

  /** Untyped startup packet: int32 length then body. */
  nextStartup(): Buffer | undefined {
    if (this.buf.length < 4) return undefined;
    const len = this.buf.readInt32BE(0);
    if (len < 8 || len > 10000) throw new Error(`bad startup packet length ${len}`);
    if (this.buf.length < len) return undefined;
    const pkt = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    return pkt;
  }

  rest(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  firstByte(): number | undefined {
    return this.buf.length ? this.buf[0] : undefined;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Builds a message: type byte + length + parts. */
export function msg(type: string, ...parts: Array<Buffer | string | number>): Buffer {
  const bufs = parts.map((p) => (typeof p === 'string' ? cstr(p) : typeof p === 'number' ? int32(p) : p));
  const body = Buffer.concat(bufs);
  const head = Buffer.alloc(5);
  head[0] = type.charCodeAt(0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

export function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

/** Reads NUL-terminated strings from a buffer. */
export class BodyReader {
  pos = 0;
  constructor(readonly b: Buffer) {}
  cstr(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new Error('unterminated string in message');
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  int32(): number {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int16(): number {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Buffer {
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

export interface ErrorFields {
  severity?: 'ERROR' | 'FATAL' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** ErrorResponse ('E') or NoticeResponse ('N'). */
export function errorResponse(f: ErrorFields, type: 'E' | 'N' = 'E'): Buffer {
  const sev = f.severity ?? 'ERROR';
  const parts: Buffer[] = [cstr(`S${sev}`), cstr(`V${sev}`), cstr(`C${f.code}`), cstr(`M${f.message}`)];
  if (f.detail) parts.push(cstr(`D${f.detail}`));
  if (f.hint) parts.push(cstr(`H${f.hint}`));
  parts.push(Buffer.from([0]));
  return msg(type, Buffer.concat(parts));
}

/** Parses ErrorResponse/NoticeResponse fields (code letter -> value). */
export function parseErrorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const code = String.fromCharCode(body[pos]);
    const end = body.indexOf(0, pos + 1);
    if (end < 0) break;
    out[code] = body.toString('utf8', pos + 1, end);
    pos = end + 1;
  }
  return out;
}

export function readyForQuery(status: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 0x5a; // 'Z'
  b.writeInt32BE(5, 1);
  b[5] = status;
  return b;
}

/** StartupMessage body (after the 4-byte length): version then key/value pairs. */
export function parseStartup(pkt: Buffer): { code: number; params: Record<string, string>; body: Buffer } {
  const code = pkt.readInt32BE(4);
  const params: Record<string, string> = {};
  if (code === PROTOCOL_3_0 || code >> 16 === 3) {
    const r = new BodyReader(pkt.subarray(8));
    while (r.pos < r.b.length && r.b[r.pos] !== 0) {
      const k = r.cstr();
      params[k] = r.cstr();
    }
  }
  return { code, params, body: pkt.subarray(8) };
}

export function startupMessage(params: Record<string, string>): Buffer {
  const parts: Buffer[] = [int32(PROTOCOL_3_0)];
  for (const [k, v] of Object.entries(params)) parts.push(cstr(k), cstr(v));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  return Buffer.concat([int32(body.length + 4), body]);
}

export interface FieldDesc {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  typeLen: number;
  typmod: number;
  format: number;
}

export function parseRowDescription(body: Buffer): FieldDesc[] {
  const r = new BodyReader(body);
  const n = r.int16();
  const out: FieldDesc[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.cstr();
    out.push({ name, tableOid: r.int32() >>> 0, attnum: r.int16(), typeOid: r.int32() >>> 0, typeLen: r.int16(), typmod: r.int32(), format: r.int16() });
  }
  return out;
}

/** DataRow cells as buffers (null for SQL NULL). */
export function parseDataRow(body: Buffer): Array<Buffer | null> {
  const n = body.readInt16BE(0);
  const out: Array<Buffer | null> = new Array(n);
  let pos = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(pos);
    pos += 4;
    if (len < 0) out[i] = null;
    else {
      out[i] = body.subarray(pos, pos + len);
      pos += len;
    }
  }
  return out;
}

export function buildDataRow(cells: Array<Buffer | null>): Buffer {
  let size = 2;
  for (const c of cells) size += 4 + (c ? c.length : 0);
  const out = Buffer.alloc(size + 5);
  out[0] = 0x44; // 'D'
  out.writeInt32BE(size + 4, 1);
  out.writeInt16BE(cells.length, 5);
  let pos = 7;
  for (const c of cells) {
    if (!c) {
      out.writeInt32BE(-1, pos);
      pos += 4;
    } else {
      out.writeInt32BE(c.length, pos);
      pos += 4;
      c.copy(out, pos);
      pos += c.length;
    }
  }
  return out;
}
