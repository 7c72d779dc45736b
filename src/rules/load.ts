// Rule files: read (YAML text -> items with positions) -> collect (lists, macros,
// allowlists, rules, overrides and exceptions, across files in order) -> compile (closures)
// -> RuleSet. Any problem is reported located (file:line:col, code) and stops the load: a
// half-loaded policy is worse than the previous one. Pure: callers pass the text.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Scalar, type YAMLMap } from 'yaml';
import { LocatedError } from '../core/errors.js';
import { parseDurationMs, type EventKind, type Severity } from '../schema/index.js';
import { CompileError, compileCondition, type CompiledCondition } from './compile.js';
import { ConditionSyntaxError, parseCondition, type CondNode } from './condition.js';
import { compileGetter, isKnownField } from './fields.js';
import { RuleSet, type AllowlistSpec } from './ruleset.js';
import { SEVERITIES, type CompiledRule, type Getter, type RuleAction, type RuleErrorCode, type RuleMeta, type RuleProblem } from './types.js';

export interface RuleSource {
  file: string;
  text: string;
}

export interface RuleLoadResult {
  ok: boolean;
  ruleSet?: RuleSet;
  problems: RuleProblem[];
  /** Counts for status output. */
  stats: { files: number; rules: number; macros: number; lists: number; allowlists: number; disabled: number };
}

class LoadProblem extends Error {
  constructor(readonly problem: RuleProblem) {
    super(problem.message);
  }
}

/** A YAML value with the position of its node. */
interface Located {
  value: unknown;
  node: YamlNode | undefined;
  line: number;
  col: number;
}

interface Item {
  file: string;
  text: string;
  lc: LineCounter;
  line: number;
  col: number;
  fields: Map<string, Located>;
}

const FALCO_PRIORITIES: Record<string, Severity> = {
  emergency: 'critical', alert: 'critical', critical: 'critical', error: 'high', warning: 'medium', notice: 'low',
  informational: 'info', info: 'info', debug: 'info',
};

const RULE_KEYS = new Set([
  'rule', 'title', 'desc', 'description', 'condition', 'output', 'priority', 'severity', 'action', 'tags', 'attack', 'atlas', 'ioc',
  'confidence', 'falsepositives', 'next_step', 'scope', 'exceptions', 'enabled', 'sequence', 'threshold', 'baseline', 'dedup',
  'override', 'append', 'source',
]);

function readItems(src: RuleSource): Item[] {
  const lc = new LineCounter();
  const doc = parseDocument(src.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lc.linePos(offset);
  if (doc.errors.length) {
    const e = doc.errors[0];
    const p = at(e.pos[0]);
    throw new LoadProblem({ code: 'RULE_PARSE', file: src.file, line: p.line, column: p.col, message: e.message.split('\n')[0] });
  }
  const root = doc.contents;
  if (root === null || root === undefined) return [];
  if (!isSeq(root)) {
    const p = at((root as YamlNode).range?.[0] ?? 0);
    throw new LoadProblem({ code: 'RULE_SHAPE', file: src.file, line: p.line, column: p.col, message: 'a rule file is a YAML list of items (- rule:, - macro:, - list:, - allowlist:)' });
  }
  const items: Item[] = [];
  for (const it of root.items) {
    const node = it as YamlNode;
    const p = at(node.range?.[0] ?? 0);
    if (!isMap(node)) throw new LoadProblem({ code: 'RULE_SHAPE', file: src.file, line: p.line, column: p.col, message: 'each item must be a mapping' });
    const fields = new Map<string, Located>();
    for (const pair of (node as YAMLMap).items) {
      const k = pair.key as Scalar;
      const v = pair.value as YamlNode | null;
      const vp = at((v?.range?.[0] ?? k.range?.[0]) ?? 0);
      fields.set(String(k.value), { value: v && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v, node: v ?? undefined, line: vp.line, col: vp.col });
    }
    items.push({ file: src.file, text: src.text, lc, line: p.line, col: p.col, fields });
  }
  return items;
}

function problem(item: Item, code: RuleErrorCode, message: string, loc?: Located): LoadProblem {
  return new LoadProblem({ code, file: item.file, line: loc?.line ?? item.line, column: loc?.col ?? item.col, message });
}

/** Maps an offset inside a condition string to the source position of that token. */
function conditionPos(item: Item, loc: Located, text: string, at: number): { line: number; col: number } {
  const node = loc.node;
  if (!node?.range) return { line: loc.line, col: loc.col };
  const [start, end] = node.range;
  const raw = item.text.slice(start, end);
  const scalar = isScalar(node) ? (node as Scalar) : undefined;
  if (scalar && (scalar.type === 'PLAIN' || scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE') && !raw.includes('\n')) {
    const p = item.lc.linePos(start + at + (scalar.type === 'PLAIN' ? 0 : 1));
    return { line: p.line, col: p.col };
  }
  // Folded or multi-line scalars: find the token text in the raw source, nearest to its offset.
  const token = text.slice(at).split(/[\s]/)[0] || text.slice(at, at + 1);
  let best = -1;
  for (let i = raw.indexOf(token); i >= 0; i = raw.indexOf(token, i + 1)) if (best < 0 || Math.abs(i - at) < Math.abs(best - at)) best = i;
  const p = item.lc.linePos(start + (best >= 0 ? best : 0));
  return { line: p.line, col: p.col };
}

function asString(item: Item, loc: Located | undefined, key: string, required = false): string | undefined {
  if (!loc || loc.value === null || loc.value === undefined) {
    if (required) throw problem(item, 'RULE_SHAPE', `missing '${key}'`);
    return undefined;
  }
  if (typeof loc.value !== 'string' && typeof loc.value !== 'number') throw problem(item, 'RULE_SHAPE', `'${key}' must be a string`, loc);
  return String(loc.value);
}

function asStrings(item: Item, loc: Located | undefined, key: string): string[] | undefined {
  if (!loc || loc.value === null || loc.value === undefined) return undefined;
  if (typeof loc.value === 'string') return [loc.value];
  if (!Array.isArray(loc.value) || loc.value.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw problem(item, 'RULE_SHAPE', `'${key}' must be a list of strings`, loc);
  return loc.value.map(String);
}

function sub(item: Item, loc: Located, key: string): Located | undefined {
  // Position of a key inside a nested mapping (for sequence steps, thresholds, ...).
  const node = loc.node;
  if (!node || !isMap(node)) return undefined;
  for (const pair of (node as YAMLMap).items) {
    if (String((pair.key as Scalar).value) !== key) continue;
    const v = pair.value as YamlNode | null;
    const p = item.lc.linePos(v?.range?.[0] ?? (pair.key as Scalar).range?.[0] ?? 0);
    return { value: v && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v, node: v ?? undefined, line: p.line, col: p.col };
  }
  return undefined;
}

function seqItems(item: Item, loc: Located): Located[] {
  const node = loc.node;
  if (!node || !isSeq(node)) return [];
  return node.items.map((n) => {
    const yn = n as YamlNode;
    const p = item.lc.linePos(yn.range?.[0] ?? 0);
    return { value: 'toJSON' in yn ? (yn as { toJSON(): unknown }).toJSON() : yn, node: yn, line: p.line, col: p.col };
  });
}

interface RuleDecl {
  item: Item;
  id: string;
  fields: Map<string, Located>;
  /** Condition parts appended by overrides, each with its own item for positions. */
  appends: Array<{ item: Item; loc: Located }>;
  exceptions: Array<{ item: Item; loc: Located }>;
}

/** Loads rule files in order. Never throws for content problems: they are in `problems`. */
export function loadRules(sources: readonly RuleSource[]): RuleLoadResult {
  const stats = { files: sources.length, rules: 0, macros: 0, lists: 0, allowlists: 0, disabled: 0 };
  const problems: RuleProblem[] = [];
  const lists = new Map<string, string[]>();
  const macroDecls = new Map<string, { item: Item; loc: Located; text: string; appends: Array<{ item: Item; loc: Located }> }>();
  const allowlists = new Map<string, AllowlistSpec>();
  const rules = new Map<string, RuleDecl>();

  // Collect: every file, in order; later files may append to or override earlier items.
  for (const src of sources) {
    let items: Item[];
    try {
      items = readItems(src);
    } catch (e) {
      if (e instanceof LoadProblem) {
        problems.push(e.problem);
        continue;
      }
      throw e;
    }
    for (const item of items) {
      try {
        collect(item);
      } catch (e) {
        if (e instanceof LoadProblem) problems.push(e.problem);
        else throw e;
      }
    }
  }

  function collect(item: Item): void {
    const f = item.fields;
    const isAppend = (f.get('append')?.value === true);
    if (f.has('list')) {
      const name = asString(item, f.get('list'), 'list', true)!;
      const its = asStrings(item, f.get('items'), 'items') ?? [];
      for (const k of f.keys()) if (!['list', 'items', 'append', 'override'].includes(k)) throw problem(item, 'RULE_KEY_UNKNOWN', `unknown key '${k}' in list`, f.get(k));
      // Items may name other lists (expanded here, in declaration order, like Falco).
      const expanded = its.flatMap((i) => lists.get(i) ?? [i]);
      const appendMode = isAppend || (f.get('override')?.value as Record<string, string> | undefined)?.items === 'append';
      if (appendMode) {
        if (!lists.has(name)) throw problem(item, 'RULE_OVERRIDE_TARGET', `append to unknown list '${name}'`, f.get('list'));
        lists.get(name)!.push(...expanded);
      } else {
        lists.set(name, expanded);
        stats.lists++;
      }
      return;
    }
    if (f.has('macro')) {
      const name = asString(item, f.get('macro'), 'macro', true)!;
      const loc = f.get('condition');
      const text = asString(item, loc, 'condition', true)!;
      for (const k of f.keys()) if (!['macro', 'condition', 'append', 'override'].includes(k)) throw problem(item, 'RULE_KEY_UNKNOWN', `unknown key '${k}' in macro`, f.get(k));
      const appendMode = isAppend || (f.get('override')?.value as Record<string, string> | undefined)?.condition === 'append';
      if (appendMode) {
        const m = macroDecls.get(name);
        if (!m) throw problem(item, 'RULE_OVERRIDE_TARGET', `append to unknown macro '${name}'`, f.get('macro'));
        m.appends.push({ item, loc: loc! });
      } else {
        macroDecls.set(name, { item, loc: loc!, text, appends: [] });
        stats.macros++;
      }
      return;
    }
    if (f.has('allowlist')) {
      const name = asString(item, f.get('allowlist'), 'allowlist', true)!;
      for (const k of f.keys()) if (!['allowlist', 'items', 'agents', 'append'].includes(k)) throw problem(item, 'RULE_KEY_UNKNOWN', `unknown key '${k}' in allowlist`, f.get(k));
      const items = asStrings(item, f.get('items'), 'items') ?? [];
      const agentsLoc = f.get('agents');
      const agents: Record<string, string[]> = {};
      if (agentsLoc?.value !== undefined && agentsLoc.value !== null) {
        if (typeof agentsLoc.value !== 'object' || Array.isArray(agentsLoc.value)) throw problem(item, 'RULE_SHAPE', "'agents' maps agent kinds to lists", agentsLoc);
        for (const [k, v] of Object.entries(agentsLoc.value as Record<string, unknown>)) {
          if (!Array.isArray(v)) throw problem(item, 'RULE_SHAPE', `'agents.${k}' must be a list`, sub(item, agentsLoc, k) ?? agentsLoc);
          agents[k] = v.map(String);
        }
      }
      const prev = allowlists.get(name);
      if (prev && isAppend) {
        prev.items.push(...items);
        for (const [k, v] of Object.entries(agents)) prev.agents[k] = [...(prev.agents[k] ?? []), ...v];
      } else {
        allowlists.set(name, { name, items, agents });
        stats.allowlists++;
      }
      return;
    }
    if (f.has('rule')) {
      const id = asString(item, f.get('rule'), 'rule', true)!;
      for (const k of f.keys()) if (!RULE_KEYS.has(k)) throw problem(item, 'RULE_KEY_UNKNOWN', `unknown key '${k}' in rule '${id}'`, f.get(k));
      const ov = f.get('override');
      if (ov || isAppend) {
        const target = rules.get(id);
        if (!target) throw problem(item, 'RULE_OVERRIDE_TARGET', `override of unknown rule '${id}'`, f.get('rule'));
        const modes = (ov?.value ?? {}) as Record<string, string>;
        if (typeof modes !== 'object') throw problem(item, 'RULE_SHAPE', "'override' maps keys to append|replace", ov);
        for (const [k, loc] of f) {
          if (k === 'rule' || k === 'override' || k === 'append') continue;
          const mode = isAppend ? 'append' : modes[k];
          if (mode !== 'append' && mode !== 'replace') throw problem(item, 'RULE_SHAPE', `'${k}' is not named in 'override' (append|replace)`, loc);
          if (mode === 'append' && k === 'condition') target.appends.push({ item, loc });
          else if (mode === 'append' && k === 'exceptions') target.exceptions.push({ item, loc });
          else if (mode === 'append' && (k === 'tags' || k === 'attack' || k === 'atlas')) {
            const prev = (target.fields.get(k)?.value as string[] | undefined) ?? [];
            target.fields.set(k, { ...loc, value: [...prev, ...(asStrings(item, loc, k) ?? [])] });
          } else if (mode === 'append') throw problem(item, 'RULE_SHAPE', `'${k}' can only be replaced`, loc);
          else target.fields.set(k, loc);
        }
        return;
      }
      if (rules.has(id)) {
        const prev = rules.get(id)!;
        throw problem(item, 'RULE_DUPLICATE', `rule '${id}' already defined at ${prev.item.file}:${prev.item.line}:${prev.item.col} (use override:)`, f.get('rule'));
      }
      const decl: RuleDecl = { item, id, fields: new Map(f), appends: [], exceptions: [] };
      const ex = f.get('exceptions');
      if (ex) decl.exceptions.push({ item, loc: ex });
      rules.set(id, decl);
      return;
    }
    if (f.has('required_engine_version') || f.has('required_plugin_versions')) return;
    throw problem(item, 'RULE_SHAPE', 'unknown item (expected rule, macro, list or allowlist)');
  }

  // Macros: parse each (after appends) before rules use them.
  const macros = new Map<string, { node: CondNode; text: string }>();
  const isMacro = (n: string) => macroDecls.has(n);
  for (const [name, m] of macroDecls) {
    try {
      let node = parseAt(m.item, m.loc, m.text, isMacro);
      for (const a of m.appends) node = joinAppend(node, a.item, a.loc, String(a.loc.value), isMacro);
      macros.set(name, { node, text: m.text });
    } catch (e) {
      if (e instanceof LoadProblem) problems.push(e.problem);
      else throw e;
    }
  }
  const env = { lists, macros, allowlists: new Set(allowlists.keys()), macroCache: new Map() };
  // Macro bodies compile inside each rule, but their own errors are reported at the macro.
  for (const [name, m] of macroDecls) {
    const parsed = macros.get(name);
    if (!parsed) continue;
    try {
      compileCondition(parsed.node, { ...env, macroCache: undefined }, m.text);
    } catch (e) {
      if (e instanceof CompileError) {
        const p = conditionPos(m.item, m.loc, m.text, e.at);
        problems.push({ code: e.code, file: m.item.file, line: p.line, column: p.col, message: `macro '${name}': ${e.message}` });
      } else throw e;
    }
  }

  const compiled: CompiledRule[] = [];
  for (const decl of rules.values()) {
    try {
      const r = compileRule(decl, env, isMacro);
      if (r) {
        compiled.push(r);
        stats.rules++;
      } else stats.disabled++;
    } catch (e) {
      if (e instanceof LoadProblem) problems.push(e.problem);
      else throw e;
    }
  }
  if (problems.length) return { ok: false, problems, stats };
  return { ok: true, ruleSet: new RuleSet(compiled, [...allowlists.values()]), problems, stats };
}

/** Loads and throws the first problem as a LocatedError (for CLI and daemon start-up). */
export function loadRuleSet(sources: readonly RuleSource[]): RuleSet {
  const r = loadRules(sources);
  if (!r.ok || !r.ruleSet) {
    const p = r.problems[0];
    const more = r.problems.length > 1 ? ` (and ${r.problems.length - 1} more problem(s))` : '';
    throw new LocatedError(p.code, p.file, p.line, p.column, p.message + more);
  }
  return r.ruleSet;
}

/** An appended condition may start with `and`/`or` (Falco style); plain text means `and`. */
function splitAppend(text: string): { op: 'and' | 'or'; offset: number } {
  const m = /^\s*(and|or)\s/.exec(text);
  return m ? { op: m[1] as 'and' | 'or', offset: m[0].length } : { op: 'and', offset: 0 };
}

function joinAppend(base: CondNode, item: Item, loc: Located, text: string, isMacro: (n: string) => boolean): CondNode {
  const { op, offset } = splitAppend(text);
  const padded = ' '.repeat(offset) + text.slice(offset);
  const extra = parseAt(item, loc, padded, isMacro, true);
  return { t: op, items: [base, extra], at: base.at };
}

function parseAt(item: Item, loc: Located, text: string, isMacro: (n: string) => boolean, wrap = false): CondNode {
  try {
    return parseCondition(text, isMacro);
  } catch (e) {
    if (e instanceof ConditionSyntaxError) {
      const p = conditionPos(item, loc, text, e.at);
      throw new LoadProblem({ code: 'RULE_CONDITION_SYNTAX', file: item.file, line: p.line, column: p.col, message: `${e.message}${wrap ? ' (in appended condition)' : ''}` });
    }
    throw e;
  }
}

function compileAt(
  item: Item,
  loc: Located,
  text: string,
  env: Parameters<typeof compileCondition>[1],
  isMacro: (n: string) => boolean,
  extra?: CondNode[],
  appends: Array<{ item: Item; loc: Located }> = [],
): CompiledCondition {
  let node = parseAt(item, loc, text, isMacro);
  for (const a of appends) node = joinAppend(node, a.item, a.loc, String(a.loc.value), isMacro);
  if (extra?.length) node = { t: 'and', items: [node, ...extra], at: node.at };
  try {
    return compileCondition(node, env, text);
  } catch (e) {
    if (e instanceof CompileError) {
      const p = conditionPos(item, loc, text, e.at);
      throw new LoadProblem({ code: e.code, file: item.file, line: p.line, column: p.col, message: e.message });
    }
    throw e;
  }
}

const COMPS: Record<string, string> = { '=': '=', '!=': '!=', in: 'in', startswith: 'startswith', endswith: 'endswith', contains: 'contains', glob: 'glob', pmatch: 'pmatch', cidr: 'cidr', icontains: 'icontains', matches: 'matches' };

/** Falco exceptions: {name, fields, comps, values: [[...], ...]} -> a condition node to AND as `not (...)`. */
function exceptionNodes(item: Item, loc: Located): CondNode[] {
  const out: CondNode[] = [];
  const list = loc.value;
  if (!Array.isArray(list)) throw problem(item, 'RULE_SHAPE', "'exceptions' must be a list", loc);
  const locs = seqItems(item, loc);
  list.forEach((ex, i) => {
    const el = locs[i] ?? loc;
    if (typeof ex !== 'object' || ex === null) throw problem(item, 'RULE_SHAPE', 'an exception is a mapping {name, fields, comps, values}', el);
    const e = ex as { name?: unknown; fields?: unknown; comps?: unknown; values?: unknown };
    const fields = typeof e.fields === 'string' ? [e.fields] : e.fields;
    if (!Array.isArray(fields) || !fields.length) throw problem(item, 'RULE_SHAPE', "exception 'fields' must be a non-empty list", el);
    const single = typeof e.fields === 'string';
    const comps = e.comps === undefined ? fields.map(() => (single ? 'in' : '=')) : typeof e.comps === 'string' ? [e.comps] : e.comps;
    if (!Array.isArray(comps) || comps.length !== fields.length) throw problem(item, 'RULE_SHAPE', "exception 'comps' must match 'fields' in length", el);
    for (const f of fields) if (!isKnownField(String(f))) throw problem(item, 'RULE_FIELD_UNKNOWN', `unknown field '${String(f)}' in exception`, sub(item, el, 'fields') ?? el);
    for (const c of comps) if (!COMPS[String(c)]) throw problem(item, 'RULE_OPERATOR', `unsupported exception comparison '${String(c)}'`, sub(item, el, 'comps') ?? el);
    const values = e.values ?? [];
    if (!Array.isArray(values)) throw problem(item, 'RULE_SHAPE', "exception 'values' must be a list", el);
    const alts: CondNode[] = [];
    for (const row of values) {
      const tuple = single ? [row] : row;
      if (!Array.isArray(tuple) || tuple.length !== fields.length) throw problem(item, 'RULE_SHAPE', `exception '${String(e.name ?? '')}': each value must have ${fields.length} item(s)`, sub(item, el, 'values') ?? el);
      alts.push({
        t: 'and',
        at: 0,
        items: fields.map((f, j) => {
          const v = tuple[j];
          const vals = (Array.isArray(v) ? v : [v]).map((x) => ({ kind: 'str' as const, value: String(x), quoted: true, at: 0 }));
          return { t: 'cmp' as const, field: String(f), op: COMPS[String(comps[j])] as 'in', values: vals, list: Array.isArray(v), at: 0, opAt: 0 };
        }),
      });
    }
    if (alts.length) out.push({ t: 'not', at: 0, item: { t: 'or', at: 0, items: alts } });
  });
  return out;
}

function readWithin(item: Item, loc: Located | undefined, key: string): number {
  const w = loc?.value;
  const ms = typeof w === 'number' ? w * 1000 : typeof w === 'string' ? parseDurationMs(w) : undefined;
  if (ms === undefined || ms <= 0) throw problem(item, 'RULE_VALUE', `'${key}' must be a duration like 60s, 5m`, loc);
  return ms;
}

function readField(item: Item, loc: Located | undefined, key: string): { get: Getter; name: string } {
  const name = asString(item, loc, key, true)!;
  if (!isKnownField(name)) throw problem(item, 'RULE_FIELD_UNKNOWN', `unknown field '${name}'`, loc);
  return { get: compileGetter(name), name };
}

function compileRule(decl: RuleDecl, env: Parameters<typeof compileCondition>[1], isMacro: (n: string) => boolean): CompiledRule | undefined {
  const { item, fields: f, id } = decl;
  if (f.get('enabled')?.value === false) return undefined;
  const sevText = asString(item, f.get('severity') ?? f.get('priority'), 'severity')?.toLowerCase() ?? 'medium';
  const severity = (SEVERITIES as readonly string[]).includes(sevText) ? (sevText as Severity) : FALCO_PRIORITIES[sevText];
  if (!severity) throw problem(item, 'RULE_VALUE', `unknown severity '${sevText}' (info|low|medium|high|critical or a Falco priority)`, f.get('severity') ?? f.get('priority'));
  const action = (asString(item, f.get('action'), 'action') ?? 'alert') as RuleAction;
  if (!['alert', 'deny', 'require_approval'].includes(action)) throw problem(item, 'RULE_VALUE', `unknown action '${action}' (alert|deny|require_approval)`, f.get('action'));
  const confLoc = f.get('confidence');
  const confidence = confLoc ? Number(confLoc.value) : { info: 0.2, low: 0.35, medium: 0.5, high: 0.7, critical: 0.85 }[severity];
  if (!(confidence >= 0 && confidence <= 1)) throw problem(item, 'RULE_VALUE', "'confidence' must be a number in [0, 1]", confLoc);
  const meta: RuleMeta = {
    id,
    title: asString(item, f.get('title'), 'title') ?? asString(item, f.get('desc') ?? f.get('description'), 'desc') ?? id,
    desc: asString(item, f.get('desc') ?? f.get('description'), 'desc'),
    severity,
    action,
    tags: asStrings(item, f.get('tags'), 'tags') ?? [],
    attack: asStrings(item, f.get('attack'), 'attack') ?? [],
    atlas: asStrings(item, f.get('atlas'), 'atlas') ?? [],
    ioc: asString(item, f.get('ioc'), 'ioc'),
    confidence,
    falsepositives: asStrings(item, f.get('falsepositives'), 'falsepositives'),
    output: asString(item, f.get('output'), 'output'),
    next_step: asString(item, f.get('next_step'), 'next_step'),
    source: 'agentwarden',
    origin: { file: item.file, line: item.line, column: item.col },
  };
  if (meta.ioc !== undefined && !/^AW-IOC-[A-Z]+-\d{3}$/.test(meta.ioc)) throw problem(item, 'RULE_VALUE', `ioc id '${meta.ioc}' must look like AW-IOC-<CLASS>-<nnn>`, f.get('ioc'));
  // Output template: validate %field references now.
  if (meta.output) {
    for (const m of meta.output.matchAll(/%([a-z_][\w.[\]]*[\w\]])/g)) if (!isKnownField(m[1])) throw problem(item, 'RULE_FIELD_UNKNOWN', `unknown field '%${m[1]}' in output`, f.get('output'));
  }
  const scopeLoc = f.get('scope');
  const scope: CompiledRule['scope'] = {};
  if (scopeLoc) {
    const s = scopeLoc.value as Record<string, unknown>;
    if (typeof s !== 'object' || s === null) throw problem(item, 'RULE_SHAPE', "'scope' is a mapping {agents, host_groups}", scopeLoc);
    for (const k of Object.keys(s)) if (k !== 'agents' && k !== 'host_groups') throw problem(item, 'RULE_KEY_UNKNOWN', `unknown key '${k}' in scope`, sub(item, scopeLoc, k) ?? scopeLoc);
    const agents = asStrings(item, sub(item, scopeLoc, 'agents'), 'scope.agents');
    const groups = asStrings(item, sub(item, scopeLoc, 'host_groups'), 'scope.host_groups');
    if (agents) scope.agents = new Set(agents);
    if (groups) scope.hostGroups = new Set(groups);
  }
  const exNodes = decl.exceptions.flatMap((e) => exceptionNodes(e.item, e.loc));
  const dedupNames = asStrings(item, f.get('dedup'), 'dedup');
  const dedupFields = dedupNames?.map((n) => {
    if (!isKnownField(n)) throw problem(item, 'RULE_FIELD_UNKNOWN', `unknown field '${n}' in dedup`, f.get('dedup'));
    return compileGetter(n);
  });

  const seqLoc = f.get('sequence');
  if (seqLoc) {
    if (f.has('condition')) throw problem(item, 'RULE_SHAPE', "a sequence rule has 'sequence.steps' instead of 'condition'", f.get('condition'));
    const stepsLoc = sub(item, seqLoc, 'steps');
    if (!stepsLoc || !Array.isArray(stepsLoc.value) || stepsLoc.value.length < 2) throw problem(item, 'RULE_SHAPE', "'sequence.steps' must list at least two conditions", stepsLoc ?? seqLoc);
    const withinMs = readWithin(item, sub(item, seqLoc, 'within'), 'sequence.within');
    const by = (sub(item, seqLoc, 'by')?.value ?? 'session') as string;
    if (by !== 'session' && by !== 'process') throw problem(item, 'RULE_VALUE', "'sequence.by' is session or process", sub(item, seqLoc, 'by'));
    const steps = seqItems(item, stepsLoc).map((sl, i) => {
      if (typeof sl.value !== 'string') throw problem(item, 'RULE_SHAPE', 'each step is a condition string', sl);
      // Exceptions and appended conditions apply to the last step (the one that raises).
      const isLast = i === (stepsLoc.value as unknown[]).length - 1;
      const c = compileAt(item, sl, sl.value, env, isMacro, isLast ? exNodes : undefined, isLast ? decl.appends : []);
      return { pred: c.pred, kinds: c.kinds, explain: sl.value, why: c.why };
    });
    const kinds = steps.some((s) => s.kinds === null) ? null : new Set<EventKind>(steps.flatMap((s) => [...s.kinds!]));
    return { meta, kinds, scope, pred: () => true, explain: steps.map((s, i) => `step ${i + 1}: ${s.explain}`).join('\n'), sequence: { steps, withinMs, by }, dedupFields };
  }

  const condLoc = f.get('condition');
  const condText = asString(item, condLoc, 'condition', true)!;
  const c = compileAt(item, condLoc!, condText, env, isMacro, exNodes, decl.appends);
  const rule: CompiledRule = { meta, kinds: c.kinds, scope, pred: c.pred, explain: condText, dedupFields, why: c.why };

  const thLoc = f.get('threshold');
  if (thLoc) {
    const field = sub(item, thLoc, 'field') ? readField(item, sub(item, thLoc, 'field'), 'threshold.field') : undefined;
    const overLoc = sub(item, thLoc, 'over');
    const over = Number(overLoc?.value);
    if (!Number.isInteger(over) || over < 1) throw problem(item, 'RULE_VALUE', "'threshold.over' must be a positive integer", overLoc ?? thLoc);
    const by = (sub(item, thLoc, 'by')?.value ?? 'session') as 'session' | 'process';
    rule.threshold = { field: field?.get, fieldName: field?.name, over, withinMs: readWithin(item, sub(item, thLoc, 'within'), 'threshold.within'), by };
  }
  const blLoc = f.get('baseline');
  if (blLoc) {
    const field = readField(item, sub(item, blLoc, 'field'), 'baseline.field');
    const learn = Number(sub(item, blLoc, 'learn')?.value ?? 200);
    const maxValues = Number(sub(item, blLoc, 'max_values')?.value ?? 1000);
    const key = (sub(item, blLoc, 'key')?.value ?? 'agent_kind') as 'agent_kind' | 'session';
    if (!Number.isInteger(learn) || learn < 1 || !Number.isInteger(maxValues) || maxValues < 1) throw problem(item, 'RULE_VALUE', "'baseline.learn' and 'baseline.max_values' must be positive integers", blLoc);
    rule.novelty = { field: field.get, fieldName: field.name, key, learn, maxValues };
  }
  return rule;
}

