// The hook client <-> server wire format (see native/hook-client/agentwarden-hook.c):
//   request:  "AWH1 <agent> <id> <payload-length>\n" <payload>
//   response: "AWR1 <exit-code> <stdout-length> <stderr-length>\n" <stdout> <stderr>
// A spool file holds exactly one request. Lengths are in bytes.
import { formatTimeNs } from '../../schema/index.js';
import type { HookAnswer } from './policy.js';

export const MAX_HEADER = 256;
export const MAX_PAYLOAD = 64 * 1024 * 1024;

export interface HookRequest {
  agent: string;
  id: string;
  /** Declared length; differs from payload.length when the request was cut short. */
  declared: number;
  payload: Buffer;
}

export type ParseResult = { ok: true; req: HookRequest } | { ok: false; reason: string };

const HEADER_RE = /^AWH1 ([A-Za-z0-9_.-]{1,32}) ([0-9]{19}-[0-9]{1,10}-[0-9a-f]{1,16}) ([0-9]{1,12})$/;

/** Parses a whole request (from the socket or a spool file). */
export function parseRequest(buf: Buffer): ParseResult {
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > MAX_HEADER) return { ok: false, reason: 'missing or oversized header line' };
  const m = HEADER_RE.exec(buf.subarray(0, nl).toString('latin1'));
  if (!m) return { ok: false, reason: 'malformed header line' };
  return { ok: true, req: { agent: m[1], id: m[2], declared: Number(m[3]), payload: buf.subarray(nl + 1) } };
}

/** The client's receive time, encoded in the id's first 19 digits (ns since the epoch). */
export function timeOfId(id: string): string | undefined {
  const ns = BigInt(id.slice(0, 19));
  // Accept 2000..2200 only: anything else is a forged or broken id, not a time.
  if (ns < 946684800000000000n || ns > 7258118400000000000n) return undefined;
  return formatTimeNs(ns);
}

export function encodeAnswer(a: HookAnswer): Buffer {
  const out = Buffer.from(a.stdout, 'utf8');
  const err = Buffer.from(a.stderr, 'utf8');
  return Buffer.concat([Buffer.from(`AWR1 ${a.code} ${out.length} ${err.length}\n`, 'latin1'), out, err]);
}

export function decodeAnswer(buf: Buffer): HookAnswer | undefined {
  const nl = buf.indexOf(10);
  if (nl < 0) return undefined;
  const m = /^AWR1 (-?\d+) (\d+) (\d+)$/.exec(buf.subarray(0, nl).toString('latin1'));
  if (!m) return undefined;
  const o = Number(m[2]);
  const e = Number(m[3]);
  if (nl + 1 + o + e > buf.length) return undefined;
  return { code: Number(m[1]), stdout: buf.subarray(nl + 1, nl + 1 + o).toString('utf8'), stderr: buf.subarray(nl + 1 + o, nl + 1 + o + e).toString('utf8') };
}
