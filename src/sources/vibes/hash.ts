// VIBES content hashes. Implementations disagree (research/vibes-trace.md §2.7), so we
// compute both rules seen in the wild and report which one a key follows:
//  A "v1": drop created_at AND type, JSON.stringify with a sorted replacer array of the
//          top-level keys (which, as a side effect, also filters nested keys), SHA-256 hex.
//  B "v2": drop created_at only, recursively sorted compact JSON, SHA-256 hex.
// Annotation ids: SHA-256 of the canonical record without annotation_id (some writers
// added anchor fields after computing it, so that variant is checked too).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical.js';

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Rule B (type included, recursive sort): what we write. */
export function manifestHashB(entry: Record<string, unknown>): string {
  const { created_at: _c, ...rest } = entry;
  return sha256(canonicalJson(rest));
}

/** Rule A (type excluded, top-level replacer sort), as Maestro's vibes-hash.ts does. */
export function manifestHashA(entry: Record<string, unknown>): string {
  const { created_at: _c, type: _t, ...rest } = entry;
  return sha256(JSON.stringify(rest, Object.keys(rest).sort()));
}

export type HashRule = 'with_type' | 'without_type' | 'neither';

export function manifestHashRule(key: string, entry: Record<string, unknown>): HashRule {
  if (manifestHashB(entry) === key) return 'with_type';
  if (manifestHashA(entry) === key) return 'without_type';
  return 'neither';
}

const ANCHORS = ['anchor_context', 'anchor_hash', 'file_content_hash'];

export function annotationId(record: Record<string, unknown>): string {
  const { annotation_id: _a, ...rest } = record;
  return sha256(canonicalJson(rest));
}

/** 'match' | 'match_without_anchors' | 'mismatch' | 'absent'. */
export function annotationIdCheck(record: Record<string, unknown>): 'match' | 'match_without_anchors' | 'mismatch' | 'absent' {
  const id = record.annotation_id;
  if (typeof id !== 'string' || !id) return 'absent';
  if (annotationId(record) === id) return 'match';
  const stripped = { ...record };
  for (const k of ANCHORS) delete stripped[k];
  if (annotationId(stripped) === id) return 'match_without_anchors';
  return 'mismatch';
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
