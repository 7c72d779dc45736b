// Secret detection the gitleaks way: per rule a keyword prefilter, a regex, the secret
// group, a Shannon-entropy threshold and allowlists (regexes on the secret, the match or
// the line; stopwords), plus gitleaks' global allowlist. Rules are compiled once
// (re2js.ts) and selected per text by one pass of a combined keyword regex.
import { parse as parseToml } from 'smol-toml';
import { AwError } from '../../core/errors.js';
import { compileRe2 } from './re2js.js';

export interface GitleaksAllowlist {
  description?: string;
  condition?: 'OR' | 'AND';
  regexTarget?: 'secret' | 'match' | 'line';
  regexes?: string[];
  stopwords?: string[];
}

export interface GitleaksRule {
  id: string;
  regex: string;
  keywords?: string[];
  entropy?: number;
  secretGroup?: number;
  allowlists?: GitleaksAllowlist[];
}

export interface GitleaksConfig {
  title?: string;
  allowlist?: GitleaksAllowlist;
  rules: GitleaksRule[];
}

export interface Finding {
  /** Rule or detector id, e.g. 'aws-access-token', 'pii-email'. */
  rule: string;
  kind: 'secret' | 'pii';
  /** Offsets of the secret in the scanned text (UTF-16 code units). */
  start: number;
  end: number;
}

interface CompiledAllow {
  and: boolean;
  target: 'secret' | 'match' | 'line';
  regexes: RegExp[];
  stopwords: string[];
}

interface CompiledRule {
  id: string;
  re: RegExp;
  keywords: string[];
  entropy: number;
  secretGroup: number;
  generic: boolean;
  allow: CompiledAllow[];
}

/** Reads a gitleaks TOML config (e.g. a user's own .gitleaks.toml). */
export function gitleaksConfigFromToml(text: string, file = '<gitleaks.toml>'): GitleaksConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new AwError('REDACT_RULES', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const rules = ((raw.rules as GitleaksRule[] | undefined) ?? []).filter((r) => typeof r.regex === 'string');
  return { title: raw.title as string | undefined, allowlist: raw.allowlist as GitleaksAllowlist | undefined, rules };
}

export function shannonEntropy(s: string): number {
  if (!s) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

function compileAllow(a: GitleaksAllowlist, where: string): CompiledAllow {
  return {
    and: a.condition === 'AND',
    target: a.regexTarget ?? 'secret',
    regexes: (a.regexes ?? []).map((r, i) => {
      try {
        return compileRe2(r);
      } catch (err) {
        throw new AwError('REDACT_RULES', `${where} allowlist regex ${i}: ${(err as Error).message}`, { cause: err });
      }
    }),
    stopwords: (a.stopwords ?? []).map((s) => s.toLowerCase()),
  };
}

function allowed(a: CompiledAllow, secret: string, match: string, line: string): boolean {
  const subject = a.target === 'match' ? match : a.target === 'line' ? line : secret;
  const checks: boolean[] = [];
  if (a.regexes.length) checks.push(a.regexes.some((r) => r.test(subject)));
  if (a.stopwords.length) {
    const low = secret.toLowerCase();
    checks.push(a.stopwords.some((w) => low.includes(w)));
  }
  if (!checks.length) return false;
  return a.and ? checks.every(Boolean) : checks.some(Boolean);
}

export class SecretScanner {
  private readonly rules: CompiledRule[];
  private readonly global: CompiledAllow[];
  private readonly byKeyword = new Map<string, CompiledRule[]>();
  private readonly always: CompiledRule[] = [];
  /** Rules that failed to compile (reported, not fatal). */
  readonly skipped: Array<{ id: string; error: string }> = [];

  constructor(cfg: GitleaksConfig, extraAllow: GitleaksAllowlist[] = []) {
    this.rules = [];
    for (const r of cfg.rules) {
      let re: RegExp;
      try {
        re = compileRe2(r.regex, 'gd');
      } catch (err) {
        this.skipped.push({ id: r.id, error: (err as Error).message });
        continue;
      }
      const c: CompiledRule = {
        id: r.id,
        re,
        keywords: (r.keywords ?? []).map((k) => k.toLowerCase()),
        entropy: r.entropy ?? 0,
        secretGroup: r.secretGroup ?? 0,
        generic: r.id.startsWith('generic'),
        allow: (r.allowlists ?? []).map((a) => compileAllow(a, r.id)),
      };
      this.rules.push(c);
      if (!c.keywords.length) this.always.push(c);
      for (const k of c.keywords) {
        const list = this.byKeyword.get(k) ?? [];
        list.push(c);
        this.byKeyword.set(k, list);
      }
    }
    this.global = [...(cfg.allowlist ? [compileAllow(cfg.allowlist, 'global')] : []), ...extraAllow.map((a) => compileAllow(a, 'extra'))];
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** The rules whose keywords occur in the text (gitleaks' prefilter), plus keyword-less ones. */
  private candidates(text: string): CompiledRule[] {
    const set = new Set<CompiledRule>(this.always);
    const low = text.toLowerCase();
    for (const [k, rules] of this.byKeyword) if (low.includes(k)) for (const r of rules) set.add(r);
    return [...set];
  }

  scan(text: string): Finding[] {
    const out: Finding[] = [];
    for (const r of this.candidates(text)) {
      r.re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = r.re.exec(text)) !== null) {
        if (m[0].length === 0) {
          r.re.lastIndex++;
          continue;
        }
        let gi = r.secretGroup;
        if (!gi) for (let g = 1; g < m.length; g++) if (m[g]) {
          gi = g;
          break;
        }
        const secret = m[gi] ?? m[0];
        const [s, e] = m.indices?.[gi] ?? m.indices![0];
        if (r.entropy && shannonEntropy(secret) <= r.entropy) continue;
        // gitleaks: generic rules need a digit in the secret (its regex engine lacks lookaheads).
        if (r.generic && !/[0-9]/.test(secret)) continue;
        const ls = text.lastIndexOf('\n', m.index) + 1;
        const le = text.indexOf('\n', m.index + m[0].length);
        const line = text.slice(ls, le < 0 ? text.length : le);
        if (r.allow.some((a) => allowed(a, secret, m![0], line))) continue;
        if (this.global.some((a) => allowed(a, secret, m![0], line))) continue;
        out.push({ rule: r.id, kind: 'secret', start: s, end: e });
      }
    }
    return out;
  }
}
