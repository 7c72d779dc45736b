// Result masking. Column rules name `table.column`; the gateway resolves every output
// column of a statement back to its source columns on the parse tree (aliases, joins,
// sub-selects, CTEs, set operations, computed expressions, scalar sub-queries) and through
// views (their definitions are parsed the same way), using a catalog snapshot of the
// database. RowDescription's table OID/attnum is a second, independent signal; when the
// parse tree cannot be aligned with the result (e.g. `SELECT *` over a function) every
// computed column of a statement that touches a masked relation is masked (fail closed).
// Content detectors then run over every text cell.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { MaskStrategy, GatewayMaskingConfig } from '../config.js';
import type { StatementInfo } from '../policy/analyze.js';
import type { ResultMasker } from '../postgres/runtime.js';
import { buildDataRow, parseDataRow, type FieldDesc } from '../postgres/wire.js';
import type { ContentScanner } from './detectors.js';

const require = createRequire(import.meta.url);
const pgq = require('libpg-query') as { parseSync(sql: string): { stmts: Array<{ stmt: Record<string, unknown> }> } };

export interface MaskRule {
  /** 'schema.table.column' as configured (for reporting). */
  id: string;
  strategy: MaskStrategy;
  keep: number;
}

export interface CatalogRelation {
  oid: number;
  schema: string;
  name: string;
  kind: string;
  columns: string[];
  attnums: number[];
  viewdef?: string;
}

/** SQL that returns the catalog snapshot as one JSON text cell. */
export const CATALOG_SQL = `SELECT coalesce(json_agg(r), '[]')::text FROM (
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
    coalesce((SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
    coalesce((SELECT json_agg(a.attnum ORDER BY a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS attnums,
    CASE WHEN c.relkind IN ('v','m') THEN pg_catalog.pg_get_viewdef(c.oid) END AS viewdef
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','v','m','f','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
) r`;

interface ScopeEntry {
  alias: string;
  columns?: string[];
  masks: Map<string, MaskRule>;
  sensitive: boolean;
}

type Masks = Array<MaskRule | undefined>;
interface Plan {
  planned: Masks | null;
  unknown: boolean;
  touches: boolean;
  /** Maskers built from this plan, per RowDescription (see buildResultMasker). */
  maskers?: WeakMap<FieldDesc[], { scanner: ContentScanner | undefined; masker: ResultMasker | null }>;
}

// Types whose text and binary forms are the raw string (safe to replace in place).
const TEXTY = new Set([25, 1043, 1042, 19, 18, 705, 0]);

/** The masking view of one database: rules resolved to relations and view columns. */
export class MaskCatalog {
  private readonly byName = new Map<string, CatalogRelation[]>();
  /** Relation oid -> column -> rule (tables from config, views derived). */
  private readonly relMasks = new Map<number, Map<string, MaskRule>>();
  /** 'oid:attnum' -> rule. */
  private readonly attMasks = new Map<string, MaskRule>();
  private readonly oids = new Set<number>();
  readonly loadedAt = Date.now();
  /** Result plans per statement tree (see buildResultMasker). */
  readonly planMemo = new WeakMap<object, Plan>();
  private readonly unknownMemo = new WeakMap<object, boolean>();

  constructor(relations: CatalogRelation[], rules: Array<{ table: string; column: string; schema?: string; rule: MaskRule }>) {
    for (const r of relations) {
      this.oids.add(r.oid);
      const k = r.name.toLowerCase();
      const list = this.byName.get(k) ?? [];
      list.push(r);
      this.byName.set(k, list);
    }
    for (const rule of rules) {
      for (const rel of this.byName.get(rule.table) ?? []) {
        if (rule.schema && rel.schema !== rule.schema) continue;
        if (!rel.columns.includes(rule.column)) continue;
        this.setMask(rel, rule.column, rule.rule);
      }
    }
    // Views: parse each definition and derive which of its columns carry masked data;
    // repeat so that views over views resolve (bounded).
    const views = relations.filter((r) => r.viewdef);
    for (let pass = 0; pass < 6; pass++) {
      let changed = false;
      for (const v of views) {
        let masks: Masks | null;
        try {
          const stmt = pgq.parseSync(v.viewdef!).stmts[0]?.stmt;
          masks = stmt ? this.outputMasks(stmt, []) : null;
        } catch {
          masks = null;
        }
        if (!masks) continue;
        masks.forEach((m, i) => {
          const col = v.columns[i];
          if (m && col && !this.relMasks.get(v.oid)?.has(col)) {
            this.setMask(v, col, m);
            changed = true;
          }
        });
      }
      if (!changed) break;
    }
  }

  private setMask(rel: CatalogRelation, column: string, rule: MaskRule): void {
    const m = this.relMasks.get(rel.oid) ?? new Map<string, MaskRule>();
    m.set(column, rule);
    this.relMasks.set(rel.oid, m);
    const idx = rel.columns.indexOf(column);
    if (idx >= 0) this.attMasks.set(`${rel.oid}:${rel.attnums[idx]}`, rule);
  }

  get empty(): boolean {
    return this.relMasks.size === 0;
  }

  lookup(schema: string | undefined, name: string): CatalogRelation | undefined {
    const list = this.byName.get(name.toLowerCase());
    if (!list?.length) return undefined;
    if (schema) return list.find((r) => r.schema === schema);
    return list.find((r) => r.schema === 'public') ?? list[0];
  }

  maskOfAttr(oid: number, attnum: number): MaskRule | undefined {
    return this.attMasks.get(`${oid}:${attnum}`);
  }

  masksOfRelation(rel: CatalogRelation): Map<string, MaskRule> {
    return this.relMasks.get(rel.oid) ?? new Map();
  }

  /** Output-column rules of a statement, or null when the columns cannot be aligned. */
  outputMasks(node: Record<string, unknown>, outer: ScopeEntry[]): Masks | null {
    const type = Object.keys(node)[0];
    const body = node[type] as Record<string, unknown>;
    if (type === 'SelectStmt') return this.selectMasks(body, outer, new Map());
    if (type === 'CopyStmt' && body.query) return this.outputMasks(body.query as Record<string, unknown>, outer);
    if ((type === 'InsertStmt' || type === 'UpdateStmt' || type === 'DeleteStmt' || type === 'MergeStmt') && body.returningClause) {
      const rel = body.relation as { relname: string; schemaname?: string; alias?: { aliasname: string } };
      const scope = [this.entryFor(rel.schemaname, rel.relname, rel.alias?.aliasname)];
      const ret = ((body.returningClause as { exprs?: unknown[] }).exprs ?? []) as unknown[];
      return this.targetMasks(ret, scope, [...scope, ...outer], new Map());
    }
    if (type === 'ExplainStmt' || type === 'ExecuteStmt') return null;
    return [];
  }

  knownOid(oid: number): boolean {
    return this.oids.has(oid);
  }

  /** Relation names a statement uses that the catalog does not know (CTE names excluded). */
  unknownRelations(node: unknown): string[] {
    const ctes = new Set<string>();
    const names: Array<{ schema?: string; name: string }> = [];
    const walk = (v: unknown) => {
      if (!v || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (o.CommonTableExpr) ctes.add(String((o.CommonTableExpr as { ctename: string }).ctename).toLowerCase());
      if (typeof o.relname === 'string') names.push({ schema: o.schemaname as string | undefined, name: o.relname });
      for (const k of Object.keys(o)) walk(o[k]);
    };
    walk(node);
    return names.filter((n) => !(n.schema === undefined && ctes.has(n.name.toLowerCase())) && !this.lookup(n.schema, n.name) && n.schema !== 'pg_catalog' && n.schema !== 'information_schema' && !n.name.startsWith('pg_')).map((n) => (n.schema ? `${n.schema}.${n.name}` : n.name));
  }

  /**
   * unknownRelations(node).length > 0, memoized per tree: this snapshot never changes and
   * template-cache hits share one tree, so a repeated statement skips the walk (the walk
   * was the top self-time JS function of a gateway worker under pgbench -S).
   */
  hasUnknownRelations(node: object): boolean {
    let v = this.unknownMemo.get(node);
    if (v === undefined) {
      v = this.unknownRelations(node).length > 0;
      this.unknownMemo.set(node, v);
    }
    return v;
  }

  /** Whether a statement reads a relation with masked columns, or one the catalog does not know. */
  touchesMasked(node: unknown): boolean {
    let hit = false;
    const walk = (v: unknown) => {
      if (hit || !v || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (typeof o.relname === 'string') {
        const rel = this.lookup(o.schemaname as string | undefined, o.relname);
        if (rel && this.relMasks.has(rel.oid)) hit = true;
      }
      for (const k of Object.keys(o)) walk(o[k]);
    };
    walk(node);
    return hit || this.unknownRelations(node).length > 0;
  }

  private entryFor(schema: string | undefined, name: string, alias: string | undefined, ctes?: Map<string, ScopeEntry>): ScopeEntry {
    const cte = !schema ? ctes?.get(name.toLowerCase()) : undefined;
    if (cte) return { ...cte, alias: (alias ?? name).toLowerCase() };
    const rel = this.lookup(schema, name);
    if (!rel) return { alias: (alias ?? name).toLowerCase(), columns: undefined, masks: new Map(), sensitive: false };
    const masks = this.masksOfRelation(rel);
    return { alias: (alias ?? name).toLowerCase(), columns: rel.columns, masks, sensitive: masks.size > 0 };
  }

  private fromEntries(items: unknown[], outer: ScopeEntry[], ctes: Map<string, ScopeEntry>): ScopeEntry[] {
    const out: ScopeEntry[] = [];
    const visit = (n: unknown) => {
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o.RangeVar) {
        const rv = o.RangeVar as { relname: string; schemaname?: string; alias?: { aliasname: string; colnames?: unknown[] } };
        const e = this.entryFor(rv.schemaname, rv.relname, rv.alias?.aliasname, ctes);
        out.push(renameColumns(e, rv.alias?.colnames));
      } else if (o.RangeSubselect) {
        const rs = o.RangeSubselect as { subquery: Record<string, unknown>; alias?: { aliasname: string; colnames?: unknown[] }; lateral?: boolean };
        const body = rs.subquery.SelectStmt as Record<string, unknown> | undefined;
        const masks = body ? this.selectMasks(body, rs.lateral ? [...out, ...outer] : outer, ctes) : null;
        const names = body ? targetNames(body) : undefined;
        out.push(renameColumns(entryFromMasks(rs.alias?.aliasname ?? '', names, masks), rs.alias?.colnames));
      } else if (o.JoinExpr) {
        const j = o.JoinExpr as { larg: unknown; rarg: unknown; alias?: { aliasname: string } };
        visit(j.larg);
        visit(j.rarg);
      } else {
        // RangeFunction, RangeTableFunc, ...: columns unknown, no masks known.
        out.push({ alias: String((o[Object.keys(o)[0]] as { alias?: { aliasname?: string } })?.alias?.aliasname ?? '').toLowerCase(), columns: undefined, masks: new Map(), sensitive: false });
      }
    };
    for (const it of items) visit(it);
    return out;
  }

  private selectMasks(body: Record<string, unknown>, outer: ScopeEntry[], parentCtes: Map<string, ScopeEntry>): Masks | null {
    const ctes = new Map(parentCtes);
    const withClause = body.withClause as { ctes?: Array<{ CommonTableExpr: { ctename: string; ctequery: Record<string, unknown>; aliascolnames?: unknown[] } }> } | undefined;
    for (const c of withClause?.ctes ?? []) {
      const cte = c.CommonTableExpr;
      const q = cte.ctequery;
      const inner = q.SelectStmt as Record<string, unknown> | undefined;
      const masks = inner ? this.selectMasks(inner, outer, ctes) : this.outputMasks(q, outer);
      const names = inner ? targetNames(inner) : undefined;
      ctes.set(cte.ctename.toLowerCase(), renameColumns(entryFromMasks(cte.ctename, names, masks), cte.aliascolnames));
    }
    if (body.op && body.op !== 'SETOP_NONE') {
      const l = this.selectMasks(body.larg as Record<string, unknown>, outer, ctes);
      const r = this.selectMasks(body.rarg as Record<string, unknown>, outer, ctes);
      if (!l || !r) return null;
      const n = Math.max(l.length, r.length);
      return Array.from({ length: n }, (_, i) => l[i] ?? r[i]);
    }
    if (body.valuesLists) return ((body.valuesLists as Array<{ List: { items: unknown[] } }>)[0]?.List.items ?? []).map(() => undefined);
    const local = this.fromEntries((body.fromClause as unknown[]) ?? [], outer, ctes);
    return this.targetMasks((body.targetList as unknown[]) ?? [], local, [...local, ...outer], ctes);
  }

  private targetMasks(targets: unknown[], local: ScopeEntry[], scope: ScopeEntry[], ctes: Map<string, ScopeEntry>): Masks | null {
    const out: Masks = [];
    for (const t of targets) {
      const rt = (t as { ResTarget?: { val?: Record<string, unknown> } }).ResTarget;
      const val = rt?.val;
      const cref = val?.ColumnRef as { fields: Array<Record<string, unknown>> } | undefined;
      if (cref && cref.fields.some((f) => 'A_Star' in f)) {
        const qual = cref.fields.length > 1 ? String((cref.fields[cref.fields.length - 2].String as { sval: string }).sval).toLowerCase() : undefined;
        const entries = qual ? scope.filter((e) => e.alias === qual).slice(0, 1) : local;
        if (qual && !entries.length) return null;
        for (const e of entries) {
          if (!e.columns) return null;
          for (const c of e.columns) out.push(e.masks.get(c));
        }
        continue;
      }
      out.push(this.exprMask(val, scope, ctes));
    }
    return out;
  }

  /** The rule of the first masked column an expression reads (deep, incl. scalar sub-queries). */
  private exprMask(v: unknown, scope: ScopeEntry[], ctes: Map<string, ScopeEntry>): MaskRule | undefined {
    if (!v || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) {
      for (const x of v) {
        const m = this.exprMask(x, scope, ctes);
        if (m) return m;
      }
      return undefined;
    }
    const o = v as Record<string, unknown>;
    if (o.ColumnRef) {
      const fields = (o.ColumnRef as { fields: Array<Record<string, unknown>> }).fields.map((f) => String((f.String as { sval?: string } | undefined)?.sval ?? '*').toLowerCase());
      const col = fields[fields.length - 1];
      if (fields.length >= 2) {
        const qual = fields[fields.length - 2];
        const e = scope.find((x) => x.alias === qual);
        if (e) return col === '*' ? e.masks.values().next().value : e.masks.get(col);
        return undefined;
      }
      for (const e of scope) {
        const m = e.masks.get(col);
        if (m) return m;
      }
      // A bare name may be a whole-row reference to a masked relation (`SELECT u FROM users u`).
      const whole = scope.find((e) => e.alias === col && e.sensitive);
      return whole ? whole.masks.values().next().value : undefined;
    }
    if (o.SubLink) {
      const sub = (o.SubLink as { subselect?: Record<string, unknown> }).subselect;
      const body = sub?.SelectStmt as Record<string, unknown> | undefined;
      if (body) {
        const m = this.selectMasks(body, scope, ctes);
        if (m === null) {
          if (this.touchesMasked(sub)) return { id: 'subquery', strategy: 'null', keep: 0 };
        } else {
          const hit = m.find(Boolean);
          if (hit) return hit;
        }
      }
      return this.exprMask((o.SubLink as { testexpr?: unknown }).testexpr, scope, ctes);
    }
    for (const k of Object.keys(o)) {
      const m = this.exprMask(o[k], scope, ctes);
      if (m) return m;
    }
    return undefined;
  }
}

function targetNames(body: Record<string, unknown>): string[] | undefined {
  if (body.op && body.op !== 'SETOP_NONE') return targetNames(body.larg as Record<string, unknown>);
  const out: string[] = [];
  for (const t of (body.targetList as unknown[]) ?? []) {
    const rt = (t as { ResTarget: { name?: string; val?: Record<string, unknown> } }).ResTarget;
    if (rt.name) out.push(rt.name.toLowerCase());
    else if (rt.val?.ColumnRef) {
      const f = (rt.val.ColumnRef as { fields: Array<Record<string, unknown>> }).fields;
      const last = f[f.length - 1];
      if ('A_Star' in last) return undefined;
      out.push(String((last.String as { sval: string }).sval).toLowerCase());
    } else if (rt.val?.FuncCall) {
      const n = (rt.val.FuncCall as { funcname: Array<{ String: { sval: string } }> }).funcname;
      out.push(n[n.length - 1].String.sval.toLowerCase());
    } else out.push('?column?');
  }
  return out;
}

function entryFromMasks(alias: string, names: string[] | undefined, masks: Masks | null): ScopeEntry {
  const m = new Map<string, MaskRule>();
  let sensitive = false;
  if (masks) {
    masks.forEach((r, i) => {
      if (r) {
        sensitive = true;
        if (names?.[i]) m.set(names[i], r);
      }
    });
  }
  const cols = names && masks && names.length === masks.length ? names : undefined;
  return { alias: alias.toLowerCase(), columns: cols, masks: m, sensitive };
}

function renameColumns(e: ScopeEntry, colnames: unknown[] | undefined): ScopeEntry {
  if (!colnames?.length || !e.columns) return e;
  const names = colnames.map((c) => String((c as { String: { sval: string } }).String.sval).toLowerCase());
  const masks = new Map<string, MaskRule>();
  const columns = e.columns.map((c, i) => {
    const n = names[i] ?? c;
    const r = e.masks.get(c);
    if (r) masks.set(n, r);
    return n;
  });
  return { ...e, columns, masks };
}

/** Parses `gateway.masking.columns` into per-table rules. */
export function compileColumnRules(cfg: GatewayMaskingConfig | undefined): Array<{ table: string; column: string; schema?: string; rule: MaskRule }> {
  return (cfg?.columns ?? []).map((c) => {
    const parts = c.column.toLowerCase().split('.');
    const [schema, table, column] = parts.length === 3 ? parts : [undefined, parts[0], parts[1]];
    return { table, column, schema, rule: { id: c.column, strategy: c.strategy ?? cfg?.strategy ?? 'redact', keep: c.keep ?? 4 } };
  });
}

function applyStrategy(rule: MaskRule, value: string): string | null {
  switch (rule.strategy) {
    case 'null':
      return null;
    case 'hash':
      return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
    case 'partial':
      return value.length > rule.keep ? `****${value.slice(value.length - rule.keep)}` : '****';
    default:
      return '****';
  }
}

/** Builds the DataRow masker for one result set, or null when nothing can match. */
export function buildResultMasker(
  catalog: MaskCatalog | undefined,
  scanner: ContentScanner | undefined,
  stmt: StatementInfo | undefined,
  fields: FieldDesc[] | undefined,
): ResultMasker | null {
  // The plan depends only on the statement's tree and this catalog snapshot: memoized per
  // tree (template-cache hits share one tree), so repeated statements skip the walks.
  let plan: Plan | undefined;
  if (catalog && !catalog.empty && stmt) {
    plan = catalog.planMemo.get(stmt.node);
    if (!plan) {
      let planned: Masks | null;
      try {
        planned = catalog.outputMasks(stmt.node, []);
      } catch {
        planned = null;
      }
      plan = { planned, unknown: catalog.hasUnknownRelations(stmt.node), touches: catalog.touchesMasked(stmt.node) };
      catalog.planMemo.set(stmt.node, plan);
    }
  }
  // The masker is a pure function of (plan, catalog, scanner, fields) and holds no state:
  // one per plan and RowDescription (the session shares parsed RowDescriptions), so a
  // repeated statement builds no rule arrays or closures (part of the 130-158 -> 111-115 us
  // worker CPU per pgbench -S transaction of the policy/masking memos).
  const memoHost: { maskers?: Plan['maskers'] } = plan ?? (catalog ? catalogMaskers(catalog) : NO_CATALOG);
  if (fields) {
    const hit = memoHost.maskers?.get(fields);
    if (hit && hit.scanner === scanner) return hit.masker;
  }
  const masker = makeResultMasker(catalog, scanner, plan ?? EMPTY_PLAN, fields);
  if (fields) (memoHost.maskers ??= new WeakMap()).set(fields, { scanner, masker });
  return masker;
}

const EMPTY_PLAN: Plan = { planned: [], unknown: false, touches: false };
const NO_CATALOG: { maskers?: Plan['maskers'] } = {};
const catalogMaskerHosts = new WeakMap<MaskCatalog, { maskers?: Plan['maskers'] }>();
function catalogMaskers(c: MaskCatalog): { maskers?: Plan['maskers'] } {
  let h = catalogMaskerHosts.get(c);
  if (!h) catalogMaskerHosts.set(c, (h = {}));
  return h;
}

function makeResultMasker(catalog: MaskCatalog | undefined, scanner: ContentScanner | undefined, plan: Plan, fields: FieldDesc[] | undefined): ResultMasker | null {
  const planned = plan.planned;
  const n = fields?.length ?? planned?.length ?? 0;
  const rules: Masks = new Array(n).fill(undefined);
  let any = false;
  const aligned = !plan.unknown && planned !== null && (!fields || planned.length === fields.length);
  const fallback = !aligned && plan.touches;
  for (let i = 0; i < n; i++) {
    const f = fields?.[i];
    let r = aligned ? planned![i] : undefined;
    if (!r && f && f.tableOid && catalog) r = catalog.maskOfAttr(f.tableOid, f.attnum);
    // Not aligned with the parse tree: only plain columns of known relations are trusted.
    if (!r && fallback && (!f || !f.tableOid || !catalog!.knownOid(f.tableOid))) r = { id: 'unresolved-expression', strategy: 'null', keep: 0 };
    if (r) {
      rules[i] = r;
      any = true;
    }
  }
  if (!any && !scanner) return null;
  const texty = fields ? fields.map((f) => TEXTY.has(f.typeOid) || f.typeOid === 114 || f.typeOid === 3802) : new Array(n).fill(false);
  const binary = fields ? fields.map((f) => f.format === 1) : new Array(n).fill(false);
  return {
    row(raw, counts) {
      // No column rule in this result: walk the cells in place and decode nothing unless a
      // detector's byte pre-test passes (every cell a detector would scan is still tested).
      if (!any && scanner && !mayNeedScan(raw, scanner, binary, texty)) return raw;
      const cells = parseDataRow(raw.subarray(5));
      let changed = false;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i];
        if (!c) continue;
        const r = rules[i];
        if (r) {
          // Only string-typed values can carry a replacement string; others become NULL.
          const canText = (texty[i] && !(binary[i] && (fields![i].typeOid === 3802))) || (!fields && !binary[i]);
          const v = canText ? applyStrategy(r, c.toString('utf8')) : null;
          cells[i] = v === null ? null : Buffer.from(v, 'utf8');
          counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
          changed = true;
          continue;
        }
        if (scanner && (!binary[i] || texty[i])) {
          const s = c.toString('utf8');
          const m = scanner(s, counts);
          if (m !== s) {
            cells[i] = Buffer.from(m, 'utf8');
            changed = true;
          }
        }
      }
      return changed ? buildDataRow(cells) : raw;
    },
    copyData(body) {
      return body;
    },
  };
}

/** Whether any cell of a DataRow message is one the scanner would scan and could match. */
function mayNeedScan(raw: Buffer, scanner: ContentScanner, binary: boolean[], texty: boolean[]): boolean {
  const n = raw.readInt16BE(5);
  let pos = 7;
  for (let i = 0; i < n; i++) {
    const len = raw.readInt32BE(pos);
    pos += 4;
    if (len < 0) continue;
    if ((!binary[i] || texty[i]) && scanner.mayMatch(raw, pos, pos + len)) return true;
    pos += len;
  }
  return false;
}

/** Masker for COPY ... TO STDOUT (text and CSV; binary COPY over masked columns is refused). */
export function buildCopyMasker(
  catalog: MaskCatalog | undefined,
  scanner: ContentScanner | undefined,
  stmt: StatementInfo | undefined,
  copyOut: Buffer,
): ResultMasker | null {
  const overall = copyOut[0];
  const ncols = copyOut.readInt16BE(1);
  let rules: Masks = new Array(ncols).fill(undefined);
  let csv = false;
  let delim = '\t';
  if (stmt && stmt.type === 'CopyStmt') {
    const body = stmt.node.CopyStmt as { relation?: { relname: string; schemaname?: string }; attlist?: unknown[]; query?: Record<string, unknown>; options?: Array<{ DefElem: { defname: string; arg?: { String?: { sval: string } } } }> };
    for (const o of body.options ?? []) {
      if (o.DefElem.defname === 'format' && o.DefElem.arg?.String?.sval?.toLowerCase() === 'csv') csv = true;
      if (o.DefElem.defname === 'delimiter' && o.DefElem.arg?.String?.sval) delim = o.DefElem.arg.String.sval;
    }
    if (csv && !body.options?.some((o) => o.DefElem.defname === 'delimiter')) delim = ',';
    if (catalog && !catalog.empty) {
      if (body.relation) {
        const rel = catalog.lookup(body.relation.schemaname, body.relation.relname);
        if (rel) {
          const masks = catalog.masksOfRelation(rel);
          const cols = body.attlist?.length ? body.attlist.map((a) => String((a as { String: { sval: string } }).String.sval).toLowerCase()) : rel.columns;
          rules = cols.map((c) => masks.get(c));
        }
      } else if (body.query) {
        const m = catalog.outputMasks(body.query, []);
        if (m && m.length === ncols) rules = m;
        else if (catalog.touchesMasked(body.query)) rules = new Array(ncols).fill({ id: 'unresolved-expression', strategy: 'null', keep: 0 });
      }
    }
  }
  const any = rules.some(Boolean);
  if (!any && !scanner) return null;
  if (overall === 1 && any) {
    return {
      row: (raw) => raw,
      copyData() {
        throw new Error('binary COPY of masked columns is not allowed through the gateway');
      },
    };
  }
  return {
    row: (raw) => raw,
    copyData(body, counts) {
      let line = body.toString('utf8');
      const nl = line.endsWith('\n') ? '\n' : '';
      if (nl) line = line.slice(0, -1);
      let changed = false;
      if (any) {
        const parts = csv ? splitCsv(line, delim) : line.split(delim);
        for (let i = 0; i < parts.length; i++) {
          const r = rules[i];
          if (!r || parts[i] === (csv ? '' : '\\N')) continue;
          const v = applyStrategy(r, parts[i]);
          parts[i] = v === null ? (csv ? '' : '\\N') : v;
          counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
          changed = true;
        }
        line = parts.join(delim);
      }
      if (scanner) {
        const m = scanner(line, counts);
        if (m !== line) {
          line = m;
          changed = true;
        }
      }
      return changed ? Buffer.from(line + nl, 'utf8') : body;
    },
  };
}

function splitCsv(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '""';
        i++;
      } else if (ch === '"') {
        q = false;
        cur += ch;
      } else cur += ch;
    } else if (ch === '"') {
      q = true;
      cur += ch;
    } else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
