// Sigma rules (SigmaHQ specification) compiled into the same closures as our own rules.
// Supported: logsource categories process_creation, file_event, file_delete,
// network_connection, dns_query, image_load, registry_add/set/delete/rename/event; value
// modifiers contains, startswith, endswith, all, re (i/m/s), base64, base64offset,
// wide/utf16le, utf16be, utf16, windash, cidr, exists, cased, lt/lte/gt/gte, neq; wildcards
// `*` and `?` (with `\` escapes); conditions with and/or/not, parentheses, `1 of x*`,
// `all of x*`, `1 of them`, `all of them`. Matching is case-insensitive unless `cased`/`re`.
// Rules for other log sources are skipped (reported), not failed; malformed rules and
// unsupported modifiers are located load errors. Hand-written because no maintained
// JavaScript Sigma evaluator exists (pySigma is Python and converts to backends' queries).
import { basename } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { LocatedError } from '../../core/errors.js';
import type { AwEvent, EventKind, Severity } from '../../schema/index.js';
import { cidrSet, ipIn } from '../compile.js';
import type { RuleSource } from '../load.js';
import { RuleSet } from '../ruleset.js';
import type { CompiledRule, Pred, RuleProblem } from '../types.js';
import { sigmaGetter, type SigmaGetter } from './fields.js';

export interface SigmaLoadResult {
  rules: CompiledRule[];
  skipped: Array<{ file: string; reason: string }>;
  problems: RuleProblem[];
}

type Matcher = (v: unknown) => boolean;
type EvPred = (ev: AwEvent) => boolean;

class SigmaError extends Error {
  constructor(
    readonly code: 'RULE_SHAPE' | 'RULE_SIGMA_UNSUPPORTED' | 'RULE_CONDITION_SYNTAX' | 'RULE_REGEX' | 'RULE_CIDR' | 'RULE_PARSE',
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const CATEGORY_KINDS: Record<string, { kinds: EventKind[]; op?: string }> = {
  process_creation: { kinds: ['process.exec'] },
  file_event: { kinds: ['file.create', 'file.write'] },
  file_delete: { kinds: ['file.delete'] },
  network_connection: { kinds: ['network.connect'] },
  dns_query: { kinds: ['network.dns'] },
  image_load: { kinds: ['library.load'] },
  registry_event: { kinds: ['registry.change'] },
  registry_add: { kinds: ['registry.change'], op: 'create' },
  registry_set: { kinds: ['registry.change'], op: 'set' },
  registry_delete: { kinds: ['registry.change'], op: 'delete' },
  registry_rename: { kinds: ['registry.change'], op: 'rename' },
};

const LEVELS: Record<string, Severity> = { informational: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };

const WINDASH = ['-', '/', '\u2013', '\u2014', '\u2015'];

function toStr(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A Sigma string value with wildcards to a RegExp source (anchors added by the caller). */
function wildcardSource(value: string): { src: string; plain: string | undefined } {
  let src = '';
  let plain = '';
  let hasWild = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (value[i + 1] === '*' || value[i + 1] === '?' || value[i + 1] === '\\')) {
      src += escapeRe(value[i + 1]);
      plain += value[i + 1];
      i++;
    } else if (c === '*') {
      src += '.*';
      hasWild = true;
    } else if (c === '?') {
      src += '.';
      hasWild = true;
    } else {
      src += escapeRe(c);
      plain += c;
    }
  }
  return { src, plain: hasWild ? undefined : plain };
}

function base64Variants(bytes: Buffer, offset: boolean): string[] {
  if (!offset) return [bytes.toString('base64').replace(/=+$/, '')];
  // pySigma's base64offset: the value at offsets 0, 1, 2 inside a longer blob, trimmed of
  // the characters that depend on neighbouring bytes.
  const starts = [0, 2, 3];
  const ends = [undefined, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, ' '), bytes]).toString('base64');
    out.push(enc.slice(starts[i], ends[(bytes.length + i) % 3]));
  }
  return out;
}

function encode(value: string, mods: Set<string>): Buffer {
  if (mods.has('wide') || mods.has('utf16le')) return Buffer.from(value, 'utf16le');
  if (mods.has('utf16be')) return Buffer.from(value, 'utf16le').swap16();
  if (mods.has('utf16')) return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(value, 'utf16le')]);
  return Buffer.from(value, 'utf8');
}

function windashVariants(v: string): string[] {
  const positions: number[] = [];
  for (let i = 0; i < v.length; i++) if ((v[i] === '-' || v[i] === '/') && (i === 0 || /\s/.test(v[i - 1]))) positions.push(i);
  if (!positions.length) return [v];
  // All combinations when few dashes, else the same dash everywhere (bounded expansion).
  if (positions.length > 3) return WINDASH.map((d) => positions.reduce((s, p) => s.slice(0, p) + d + s.slice(p + 1), v));
  let out = [v];
  for (const p of positions) out = out.flatMap((s) => WINDASH.map((d) => s.slice(0, p) + d + s.slice(p + 1)));
  return [...new Set(out)];
}

const KNOWN_MODS = new Set(['contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'base64', 'base64offset', 'wide', 'utf16le', 'utf16be', 'utf16', 'windash', 'cidr', 'exists', 'cased', 'lt', 'lte', 'gt', 'gte', 'neq']);

/** Compiles one field with its modifiers and values into a predicate on the field value. */
function fieldMatcher(mods: string[], rawValues: unknown[], at: number): Matcher {
  const set = new Set(mods);
  for (const m of mods) if (!KNOWN_MODS.has(m)) throw new SigmaError('RULE_SIGMA_UNSUPPORTED', at, `unsupported Sigma modifier '${m}'`);
  if (set.has('exists')) {
    const want = rawValues[0] === true || rawValues[0] === 'true';
    return (v) => (v !== undefined && v !== null && v !== '') === want;
  }
  if (set.has('cidr')) {
    let bl: ReturnType<typeof cidrSet>;
    try {
      bl = cidrSet(rawValues.map(toStr));
    } catch (e) {
      throw new SigmaError('RULE_CIDR', at, (e as Error).message);
    }
    return (v) => typeof v === 'string' && ipIn(bl, v);
  }
  for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
    if (!set.has(op)) continue;
    const n = Number(rawValues[0]);
    return (v) => {
      const x = Number(v);
      if (v === undefined || v === null || Number.isNaN(x)) return false;
      return op === 'lt' ? x < n : op === 'lte' ? x <= n : op === 'gt' ? x > n : x >= n;
    };
  }
  const matchers: Matcher[] = rawValues.map((raw) => {
    if (raw === null) return (v: unknown) => v === undefined || v === null || v === '';
    if (set.has('re')) {
      const flags = (set.has('i') ? 'i' : '') + (set.has('m') ? 'm' : '') + (set.has('s') ? 's' : '');
      let re: RegExp;
      try {
        re = new RegExp(toStr(raw), flags);
      } catch (e) {
        throw new SigmaError('RULE_REGEX', at, `bad regular expression: ${(e as Error).message}`);
      }
      return (v: unknown) => v !== undefined && v !== null && re.test(toStr(v));
    }
    if (typeof raw === 'number' || typeof raw === 'boolean') {
      const s = String(raw).toLowerCase();
      return (v: unknown) => v !== undefined && v !== null && toStr(v).toLowerCase() === s;
    }
    let variants = [toStr(raw)];
    if (set.has('windash')) variants = variants.flatMap(windashVariants);
    if (set.has('base64') || set.has('base64offset')) variants = variants.flatMap((x) => base64Variants(encode(x, set), set.has('base64offset')));
    const cased = set.has('cased') || set.has('base64') || set.has('base64offset');
    const flags = cased ? 's' : 'is';
    const mode = set.has('contains') ? 'c' : set.has('startswith') ? 's' : set.has('endswith') ? 'e' : 'x';
    const parts = variants.map((x) => (set.has('base64') || set.has('base64offset') ? { src: escapeRe(x), plain: x } : wildcardSource(x)));
    // Fast path without wildcards: lower-cased string operations.
    if (parts.every((p) => p.plain !== undefined)) {
      const lits = parts.map((p) => (cased ? p.plain! : p.plain!.toLowerCase()));
      return (v: unknown) => {
        if (v === undefined || v === null) return false;
        const s = cased ? toStr(v) : toStr(v).toLowerCase();
        for (const l of lits) if (mode === 'c' ? s.includes(l) : mode === 's' ? s.startsWith(l) : mode === 'e' ? s.endsWith(l) : s === l) return true;
        return false;
      };
    }
    const src = parts.map((p) => p.src).join('|');
    const re = new RegExp(mode === 'c' ? `(?:${src})` : mode === 's' ? `^(?:${src})` : mode === 'e' ? `(?:${src})$` : `^(?:${src})$`, flags);
    return (v: unknown) => v !== undefined && v !== null && re.test(toStr(v));
  });
  const all = set.has('all');
  const base: Matcher = all ? (v) => matchers.every((m) => m(v)) : (v) => matchers.some((m) => m(v));
  return set.has('neq') ? (v) => v !== undefined && v !== null && !base(v) : base;
}

interface Ctx {
  lc: LineCounter;
  file: string;
}

function offsetOf(n: YamlNode | null | undefined): number {
  return n?.range?.[0] ?? 0;
}

/** A search identifier: a map (AND of fields), a list of maps (OR), or a list of keywords. */
function compileSearch(node: YamlNode, keywordText: (ev: AwEvent) => string): EvPred {
  if (isMap(node)) {
    const preds: EvPred[] = [];
    for (const pair of (node as YAMLMap).items as Pair[]) {
      const keyNode = pair.key as Scalar;
      const key = String(keyNode.value);
      const [field, ...mods] = key.split('|');
      const vn = pair.value as YamlNode | null;
      const raw = vn && 'toJSON' in vn ? (vn as { toJSON(): unknown }).toJSON() : null;
      const values = Array.isArray(raw) ? raw : [raw];
      const m = fieldMatcher(mods, values, offsetOf(keyNode));
      if (field === '') {
        preds.push((ev) => m(keywordText(ev)));
        continue;
      }
      const g: SigmaGetter = sigmaGetter(field);
      preds.push((ev) => m(g(ev)));
    }
    return (ev) => preds.every((p) => p(ev));
  }
  const raw = 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : undefined;
  if (Array.isArray(raw)) {
    if (raw.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) {
      const items = (node as unknown as { items: YamlNode[] }).items.map((n) => compileSearch(n, keywordText));
      return (ev) => items.some((p) => p(ev));
    }
    const m = fieldMatcher(['contains'], raw, offsetOf(node));
    return (ev) => m(keywordText(ev));
  }
  if (isScalar(node)) {
    const m = fieldMatcher(['contains'], [node.value], offsetOf(node));
    return (ev) => m(keywordText(ev));
  }
  throw new SigmaError('RULE_SHAPE', offsetOf(node), 'a search identifier is a map, a list of maps or a list of keywords');
}

/** Parses a Sigma condition over the named searches. */
function compileSigmaCondition(text: string, searches: Map<string, EvPred>, at: number): EvPred {
  const toks = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let p = 0;
  const peek = () => toks[p];
  const fail = (msg: string): never => {
    throw new SigmaError('RULE_CONDITION_SYNTAX', at, `${msg} in condition '${text}'`);
  };
  const pick = (pattern: string): EvPred[] => {
    if (pattern === 'them') return [...searches.values()];
    const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
    const out = [...searches].filter(([k]) => re.test(k)).map(([, v]) => v);
    if (!out.length) fail(`'${pattern}' names no search identifier`);
    return out;
  };
  function orExpr(): EvPred {
    const items = [andExpr()];
    while (peek() === 'or') {
      p++;
      items.push(andExpr());
    }
    return items.length === 1 ? items[0] : (ev) => items.some((i) => i(ev));
  }
  function andExpr(): EvPred {
    const items = [notExpr()];
    while (peek() === 'and') {
      p++;
      items.push(notExpr());
    }
    return items.length === 1 ? items[0] : (ev) => items.every((i) => i(ev));
  }
  function notExpr(): EvPred {
    if (peek() === 'not') {
      p++;
      const inner = notExpr();
      return (ev) => !inner(ev);
    }
    return atom();
  }
  function atom(): EvPred {
    const t = toks[p++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const e = orExpr();
      if (toks[p++] !== ')') fail("expected ')'");
      return e;
    }
    if (t === '1' || t === 'any' || t === 'all') {
      if (toks[p] !== 'of') fail(`expected 'of' after '${t}'`);
      p++;
      const pat = toks[p++];
      if (pat === undefined) fail('expected a pattern after of');
      const items = pick(pat);
      return t === 'all' ? (ev) => items.every((i) => i(ev)) : (ev) => items.some((i) => i(ev));
    }
    const s = searches.get(t);
    if (!s) fail(`unknown search identifier '${t}'`);
    return s!;
  }
  const e = orExpr();
  if (p !== toks.length) fail(`unexpected '${toks[p]}'`);
  return e;
}

function keywordTextOf(ev: AwEvent): string {
  return [ev.process?.argv?.join(' '), ev.attributes?.command_line, ev.file?.path, ev.registry?.key, ev.dns?.query].filter(Boolean).join(' ');
}

/** Loads Sigma rule files. Unsupported log sources are skipped; malformed rules are problems. */
export function loadSigmaRules(sources: readonly RuleSource[]): SigmaLoadResult {
  const out: SigmaLoadResult = { rules: [], skipped: [], problems: [] };
  for (const src of sources) {
    const lc = new LineCounter();
    const ctx: Ctx = { lc, file: src.file };
    const located = (code: RuleProblem['code'], offset: number, message: string) => {
      const p = lc.linePos(offset);
      out.problems.push({ code, file: src.file, line: p.line, column: p.col, message });
    };
    const doc = parseDocument(src.text, { lineCounter: lc, uniqueKeys: true });
    if (doc.errors.length) {
      located('RULE_PARSE', doc.errors[0].pos[0], doc.errors[0].message.split('\n')[0]);
      continue;
    }
    try {
      const r = compileSigma(doc.contents as YamlNode, ctx, src);
      if (typeof r === 'string') out.skipped.push({ file: src.file, reason: r });
      else out.rules.push(r);
    } catch (e) {
      if (e instanceof SigmaError) located(e.code, e.offset, e.message);
      else throw e;
    }
  }
  return out;
}

/** Loads Sigma rules into a RuleSet, throwing the first problem as a LocatedError. */
export function loadSigmaRuleSet(sources: readonly RuleSource[]): { ruleSet: RuleSet; skipped: SigmaLoadResult['skipped'] } {
  const r = loadSigmaRules(sources);
  if (r.problems.length) {
    const p = r.problems[0];
    throw new LocatedError(p.code, p.file, p.line, p.column, p.message);
  }
  return { ruleSet: new RuleSet(r.rules), skipped: r.skipped };
}

function compileSigma(root: YamlNode, ctx: Ctx, src: RuleSource): CompiledRule | string {
  if (!isMap(root)) throw new SigmaError('RULE_SHAPE', offsetOf(root), 'a Sigma rule is a mapping');
  const map = root as YAMLMap;
  const get = (k: string) => map.get(k, true) as YamlNode | undefined;
  const js = (n: YamlNode | undefined) => (n && 'toJSON' in n ? (n as { toJSON(): unknown }).toJSON() : undefined);
  const title = js(get('title'));
  if (typeof title !== 'string') throw new SigmaError('RULE_SHAPE', offsetOf(root), "missing 'title'");
  const logsource = (js(get('logsource')) ?? {}) as { category?: string; product?: string; service?: string };
  const cat = logsource.category ? CATEGORY_KINDS[logsource.category] : undefined;
  if (!cat) return `log source ${JSON.stringify(logsource)} is not supported (categories: ${Object.keys(CATEGORY_KINDS).join(', ')})`;
  const det = get('detection');
  if (!det || !isMap(det)) throw new SigmaError('RULE_SHAPE', offsetOf(get('detection') ?? root), "missing 'detection' mapping");
  const searches = new Map<string, EvPred>();
  let condNode: YamlNode | undefined;
  for (const pair of (det as YAMLMap).items as Pair[]) {
    const k = String((pair.key as Scalar).value);
    if (k === 'condition') {
      condNode = pair.value as YamlNode;
      continue;
    }
    if (k === 'timeframe') throw new SigmaError('RULE_SIGMA_UNSUPPORTED', offsetOf(pair.key as YamlNode), "'timeframe' (use a correlation rule or our sequence/threshold rules)");
    searches.set(k, compileSearch(pair.value as YamlNode, keywordTextOf));
  }
  const condRaw = js(condNode);
  if (condRaw === undefined) throw new SigmaError('RULE_SHAPE', offsetOf(det), "missing 'detection.condition'");
  const conds = (Array.isArray(condRaw) ? condRaw : [condRaw]).map((c) => compileSigmaCondition(String(c), searches, offsetOf(condNode)));
  const cond: EvPred = conds.length === 1 ? conds[0] : (ev) => conds.some((c) => c(ev));
  const product = logsource.product;
  const os: EvPred | undefined = product ? (ev) => !ev.host?.os || ev.host.os.toLowerCase().includes(product === 'macos' ? 'mac' : product) || (product === 'macos' && ev.host.os.toLowerCase().includes('darwin')) : undefined;
  const opFilter = cat.op;
  const pred: Pred = (ev) => (!opFilter || ev.registry?.operation === opFilter || (opFilter === 'set' && ev.registry?.operation === undefined)) && (!os || os(ev)) && cond(ev);
  const tags = ((js(get('tags')) as string[] | undefined) ?? []).map(String);
  const attack = tags.filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.slice(7).toUpperCase());
  const level = String(js(get('level')) ?? 'medium');
  const severity = LEVELS[level] ?? 'medium';
  const name = basename(src.file).replace(/\.ya?ml$/, '');
  const p = ctx.lc.linePos(offsetOf(root));
  const fps = js(get('falsepositives'));
  return {
    meta: {
      id: `sigma.${name}`,
      title,
      desc: js(get('description')) as string | undefined,
      severity,
      action: 'alert',
      tags: [...tags, `sigma:${String(js(get('id')) ?? '')}`],
      attack,
      atlas: [],
      confidence: { info: 0.2, low: 0.35, medium: 0.5, high: 0.7, critical: 0.85 }[severity],
      falsepositives: Array.isArray(fps) ? fps.map(String) : undefined,
      source: 'sigma',
      origin: { file: src.file, line: p.line, column: p.col },
    },
    kinds: new Set(cat.kinds),
    scope: {},
    pred,
    explain: `sigma ${logsource.category}: ${String(condRaw)}`,
  };
}
