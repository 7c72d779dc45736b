// Per-block Bloom filters over the index keys of a block's records (pid, path and each of its
// parent directories, destination, destination port), so a query for one path or host reads
// the small filter of every block and decodes only blocks that may hold a match.
// Hand-written (as ClickHouse's bloom_filter skip index does it): the filter bytes are part
// of the store's file format and must never change under us with a dependency update, and
// the whole thing is two hash functions and a bit test.
import type { AwEvent } from '../../schema/index.js';

/** Probes per key. With ~10 bits per key (see bloomBytes) this gives about 1% false positives. */
const K = 4;

/** Appends the two 32-bit hashes of `s` (FNV-1a and a multiply-xorshift variant) to `out`. */
export function hashKey(s: string, out: number[]): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  // h2 odd: with a power-of-two filter size the K probes are then distinct.
  out.push(h1 >>> 0, (h2 | 1) >>> 0);
}

/** Filter size in bytes for a block with `keys` keys (duplicates included): a power of two. */
export function bloomBytes(keys: number): number {
  let b = 16;
  while (b * 8 < keys * 10 && b < 4096) b *= 2;
  return b;
}

export function bloomAdd(filter: Uint8Array, h1: number, h2: number): void {
  const mask = filter.length * 8 - 1;
  for (let j = 0; j < K; j++) {
    const bit = (h1 + Math.imul(j, h2)) & mask;
    filter[bit >>> 3] |= 1 << (bit & 7);
  }
}

export function bloomHas(filter: Uint8Array, h1: number, h2: number): boolean {
  const mask = filter.length * 8 - 1;
  for (let j = 0; j < K; j++) {
    const bit = (h1 + Math.imul(j, h2)) & mask;
    if ((filter[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

export function pathOf(ev: AwEvent): string | null {
  return ev.file?.path ?? ev.library?.path ?? ev.registry?.key ?? null;
}

export function destOf(ev: AwEvent): string | null {
  return ev.network?.dst_host ?? ev.network?.dst_ip ?? ev.dns?.query ?? ev.tls?.sni ?? ev.gateway?.http?.host ?? null;
}

/** Index keys of one event, hashed into `out` (pairs). Keys are type-prefixed strings. */
export function eventKeys(ev: AwEvent, out: number[]): void {
  const pid = ev.process?.pid;
  if (typeof pid === 'number') hashKey(`p${pid}`, out);
  const path = pathOf(ev);
  if (typeof path === 'string') {
    hashKey(`f${path}`, out);
    for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) hashKey(`d${path.slice(0, i + 1)}`, out);
  }
  const dest = destOf(ev);
  if (typeof dest === 'string') hashKey(`h${dest}`, out);
  const port = ev.network?.dst_port;
  if (typeof port === 'number') hashKey(`o${port}`, out);
}

/** The directory key that every path starting with `prefix` carries, if any. */
export function prefixKey(prefix: string): string | undefined {
  const i = prefix.lastIndexOf('/');
  return i > 0 ? `d${prefix.slice(0, i + 1)}` : undefined;
}
