// Content detectors: the backstop for values that column rules cannot see (computed
// columns, JSON blobs, free text). Linear-time regexes only, checksums where one exists
// (Luhn for cards) so that random digit runs are not masked; SSNs only in the dashed form
// (hoopinspect: bare nine-digit matches fire on a third of business ids).
import type { DetectorName } from '../config.js';
import { luhnValid } from '../../core/luhn.js';

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}/g;
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const API_KEY = new RegExp(
  [
    '\\b(?:sk|pk|rk)_(?:live|test|prod)_[A-Za-z0-9]{16,}\\b',
    '\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b',
    '\\bgh[pousr]_[A-Za-z0-9]{36,}\\b',
    '\\bgithub_pat_[A-Za-z0-9_]{40,}\\b',
    '\\bxox[abprs]-[A-Za-z0-9-]{10,}\\b',
    '\\bsk-(?:proj-|ant-(?:api\\d{2}-)?)?[A-Za-z0-9_-]{20,}\\b',
    '\\bAIza[0-9A-Za-z_-]{35}\\b',
    '\\bglpat-[A-Za-z0-9_-]{20,}\\b',
    '\\beyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\b',
  ].join('|'),
  'g',
);
const NATIONAL_ID = /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g;

interface Detector {
  name: DetectorName;
  /** Cheap test that must pass before the regex runs. */
  pre(s: string): boolean;
  /**
   * The same test on the UTF-8 bytes of a value, true whenever `pre` could be true for its
   * text: a string is never longer (in UTF-16 units) than its UTF-8 bytes, and the byte
   * 0x40 ('@') only ever encodes '@'.
   */
  preBytes(b: Buffer, start: number, end: number): boolean;
  re: RegExp;
  accept?(m: string): boolean;
  token: string;
}

const ALL: Record<DetectorName, Detector> = {
  email: { name: 'email', pre: (s) => s.includes('@'), preBytes: (b, start, end) => { const i = b.indexOf(0x40, start); return i >= 0 && i < end; }, re: EMAIL, token: '****@****' },
  card: {
    name: 'card',
    pre: (s) => s.length >= 13,
    preBytes: (_b, start, end) => end - start >= 13,
    re: CARD,
    accept: (m) => {
      const d = m.replace(/[ -]/g, '');
      return d.length >= 13 && d.length <= 19 && luhnValid(d);
    },
    token: '****-card',
  },
  api_key: { name: 'api_key', pre: (s) => s.length >= 20, preBytes: (_b, start, end) => end - start >= 20, re: API_KEY, token: '****-key' },
  national_id: { name: 'national_id', pre: (s) => s.length >= 9, preBytes: (_b, start, end) => end - start >= 9, re: NATIONAL_ID, token: '***-**-****' },
};

export interface ContentScanner {
  (text: string, counts: Map<string, number>): string;
  /**
   * False only when no detector can match the UTF-8 value `b[start..end)` (its `pre` test
   * fails on the bytes), so the caller may skip decoding it: short numbers and codes,
   * which are most cells of most results.
   */
  mayMatch(b: Buffer, start: number, end: number): boolean;
}

/** Builds a scanner that replaces detected values and counts them per detector. */
export function contentScanner(names: readonly DetectorName[]): ContentScanner | undefined {
  const ds = names.map((n) => ALL[n]).filter(Boolean);
  if (!ds.length) return undefined;
  const scan = (text: string, counts: Map<string, number>): string => {
    let out = text;
    for (const d of ds) {
      if (!d.pre(out)) continue;
      d.re.lastIndex = 0;
      out = out.replace(d.re, (m) => {
        if (d.accept && !d.accept(m)) return m;
        const k = `detector:${d.name}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
        return d.token;
      });
    }
    return out;
  };
  return Object.assign(scan, {
    mayMatch(b: Buffer, start: number, end: number): boolean {
      for (const d of ds) if (d.preBytes(b, start, end)) return true;
      return false;
    },
  });
}
