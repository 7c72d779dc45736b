// SQL analysis on the real PostgreSQL parse tree (libpg-query, the server's own grammar in
// WASM). Every statement of a multi-statement string, every nested statement (CTE bodies,
// COPY (query), EXPLAIN ANALYZE, PREPARE), static statements of DO blocks (PL/pgSQL parse)
// and every function call become "effects"; the policy decides on effects, never on text.
// Anything we cannot see through (dynamic SQL, procedures, unknown functions, unknown node
// types) becomes an `unknown` effect so that policies fail closed.
import { hash } from 'node:crypto';
import { createRequire } from 'node:module';

// libpg-query ships CJS + ESM builds; the CJS one has a synchronous loader we can await once.
const require = createRequire(import.meta.url);
const pgq = require('libpg-query') as {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
  parsePlPgSQLSync(sql: string): unknown;
  fingerprintSync(sql: string): string;
};

let loaded: Promise<void> | undefined;
/** Loads the parser (WASM). Must resolve before analyze() is used. */
export function loadParser(): Promise<void> {
  loaded ??= pgq.loadModule();
  return loaded;
}

export type EffectOp = 'read' | 'write' | 'ddl' | 'session' | 'admin' | 'unknown';

export interface Effect {
  op: EffectOp;
  /** Relation touched (lower-case, schema-qualified when the statement qualified it). */
  table?: string;
  /** Node type or function that produced the effect, e.g. 'DeleteStmt', 'fn:dblink_exec'. */
  what: string;
  detail?: string;
}

export interface StatementInfo {
  /** Top-level node type, e.g. 'SelectStmt'. */
  type: string;
  text: string;
  /** The statement node (wrapped: `{ SelectStmt: {...} }`). */
  node: Record<string, unknown>;
  effects: Effect[];
}

export interface Analysis {
  ok: boolean;
  error?: string;
  statements: StatementInfo[];
  /** Exact-text fingerprint (sha256, 16 hex). */
  exact: string;
}

/** Session state that outlives a statement: names of SQL-level PREPAREs and their effects. */
export interface SessionSqlState {
  prepared: Map<string, Effect[]>;
}

export interface AnalyzeOptions {
  /** Extra function names treated as harmless reads. */
  allowFunctions?: ReadonlySet<string>;
  /** Extra function names treated as admin (always dangerous). */
  denyFunctions?: ReadonlySet<string>;
  maxBytes?: number;
  session?: SessionSqlState;
}

// Functions that run SQL given as a string, reach other servers, touch server files, or
// change privileges: each is an `admin` effect whatever the statement around it.
const DANGEROUS_FUNCTIONS = new Set([
  'dblink', 'dblink_exec', 'dblink_open', 'dblink_fetch', 'dblink_send_query', 'dblink_get_result', 'dblink_connect', 'dblink_connect_u',
  'query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema',
  'table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema', 'schema_to_xml', 'schema_to_xmlschema', 'schema_to_xml_and_xmlschema',
  'database_to_xml', 'database_to_xmlschema', 'database_to_xml_and_xmlschema', 'ts_stat', 'ts_rewrite',
  'set_config', 'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir',
  'lo_import', 'lo_export', 'lo_from_bytea', 'lo_put', 'lo_unlink', 'lo_create', 'lo_creat', 'lo_open', 'lowrite', 'loread', 'lo_get', 'lo_truncate',
  'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_logdir_ls', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf',
  'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop',
  'pg_create_logical_replication_slot', 'pg_create_physical_replication_slot', 'pg_drop_replication_slot', 'pg_logical_emit_message',
  'pg_logical_slot_get_changes', 'pg_logical_slot_peek_changes', 'pg_replication_origin_create', 'pg_import_system_collations',
  'pg_execute_server_program', 'xpath_table', 'crosstab', 'crosstab2', 'crosstab3', 'crosstab4', 'connectby',
]);
const WRITE_FUNCTIONS = new Set(['nextval', 'setval', 'pg_advisory_lock', 'pg_advisory_xact_lock', 'txid_current', 'pg_current_xact_id', 'pg_stat_reset', 'pg_stat_reset_single_table_counters']);

// Built-in functions without side effects that agents use every day. Anything else is
// `unknown` (a user function may do anything: `SELECT purge()`), unless configured.
const SAFE_FUNCTIONS = new Set(
  `count sum avg min max every bool_and bool_or bit_and bit_or array_agg string_agg json_agg jsonb_agg json_object_agg jsonb_object_agg
  stddev stddev_pop stddev_samp variance var_pop var_samp percentile_cont percentile_disc mode corr covar_pop covar_samp regr_slope
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  lower upper initcap length char_length character_length octet_length bit_length substr substring trim btrim ltrim rtrim lpad rpad
  left right reverse repeat replace translate split_part strpos position concat concat_ws format quote_ident quote_literal quote_nullable
  md5 sha224 sha256 sha384 sha512 encode decode to_hex ascii chr regexp_replace regexp_match regexp_matches regexp_split_to_array
  regexp_split_to_table regexp_like regexp_count regexp_instr regexp_substr starts_with string_to_array array_to_string unnest
  array_length array_lower array_upper array_position array_positions array_remove array_replace array_append array_prepend array_cat
  cardinality coalesce nullif greatest least abs ceil ceiling floor round trunc sign sqrt cbrt power pow exp ln log log10 mod div pi
  degrees radians sin cos tan asin acos atan atan2 random width_bucket gcd lcm factorial
  now current_timestamp current_date current_time localtime localtimestamp clock_timestamp statement_timestamp transaction_timestamp
  timeofday date_trunc date_part date_bin extract age make_date make_time make_timestamp make_timestamptz make_interval justify_days
  justify_hours justify_interval isfinite to_char to_date to_number to_timestamp
  json_build_object jsonb_build_object json_build_array jsonb_build_array to_json to_jsonb row_to_json array_to_json json_array_length
  jsonb_array_length json_each jsonb_each json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text
  jsonb_extract_path_text json_object_keys jsonb_object_keys json_typeof jsonb_typeof jsonb_pretty jsonb_set jsonb_insert
  jsonb_strip_nulls json_strip_nulls jsonb_path_query jsonb_path_exists jsonb_path_match json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text json_populate_record jsonb_populate_record jsonb_to_record json_to_record
  generate_series generate_subscripts version current_user session_user current_role user current_database current_catalog
  current_schema current_schemas current_setting inet_client_addr inet_server_addr pg_backend_pid pg_postmaster_start_time
  pg_is_in_recovery pg_typeof format_type pg_encoding_to_char obj_description col_description shobj_description
  pg_relation_size pg_total_relation_size pg_table_size pg_indexes_size pg_database_size pg_size_pretty pg_column_size
  pg_get_userbyid pg_get_viewdef pg_get_indexdef pg_get_constraintdef pg_get_expr pg_get_triggerdef pg_get_functiondef
  pg_get_function_arguments pg_get_function_result pg_get_function_identity_arguments pg_get_ruledef pg_get_serial_sequence
  pg_get_statisticsobjdef pg_get_partkeydef pg_get_keywords pg_get_publication_tables
  pg_table_is_visible pg_type_is_visible pg_function_is_visible pg_opclass_is_visible pg_operator_is_visible pg_collation_is_visible
  pg_conversion_is_visible pg_ts_config_is_visible pg_statistics_obj_is_visible pg_relation_is_publishable pg_partition_tree
  pg_char_to_encoding pg_tablespace_location pg_my_temp_schema pg_is_other_temp_schema pg_jit_available
  has_table_privilege has_column_privilege has_database_privilege has_schema_privilege has_function_privilege
  has_sequence_privilege has_any_column_privilege pg_has_role array_dims bool int4 int8 text numeric float8 uuid_generate_v4
  gen_random_uuid to_tsvector to_tsquery plainto_tsquery websearch_to_tsquery phraseto_tsquery ts_rank ts_rank_cd ts_headline
  setweight numnode strip similarity word_similarity levenshtein soundex difference metaphone host masklen network family
  string_agg xmlelement xmlforest xmlconcat xmlagg xmlparse xmlserialize xml_is_well_formed lag lead`
    .split(/\s+/)
    .filter(Boolean),
);

// GUCs whose change alters privileges, name resolution, or what a later scanner sees.
const DANGEROUS_SETTINGS = new Set([
  'role', 'session_authorization', 'search_path', 'standard_conforming_strings', 'default_transaction_read_only',
  'transaction_read_only', 'session_replication_role', 'row_security', 'local_preload_libraries', 'session_preload_libraries',
  'log_statement', 'log_min_duration_statement', 'log_min_messages', 'client_min_messages_dummy', 'default_tablespace', 'temp_tablespaces',
  'allow_system_table_mods', 'ignore_system_indexes', 'zero_damaged_pages', 'lo_compat_privileges', 'jit_provider',
]);

const SESSION_STMTS = new Set([
  'VariableShowStmt', 'TransactionStmt', 'DiscardStmt', 'ListenStmt', 'UnlistenStmt', 'NotifyStmt', 'DeallocateStmt',
  'FetchStmt', 'ClosePortalStmt', 'ConstraintsSetStmt',
]);
const ADMIN_STMTS = new Set([
  'AlterSystemStmt', 'CreateRoleStmt', 'AlterRoleStmt', 'AlterRoleSetStmt', 'DropRoleStmt', 'GrantStmt', 'GrantRoleStmt',
  'CreateExtensionStmt', 'AlterExtensionStmt', 'AlterExtensionContentsStmt', 'LoadStmt', 'CheckPointStmt', 'ReassignOwnedStmt',
  'DropOwnedStmt', 'CreateEventTrigStmt', 'AlterEventTrigStmt', 'CreateFdwStmt', 'AlterFdwStmt', 'CreateForeignServerStmt',
  'AlterForeignServerStmt', 'CreateUserMappingStmt', 'AlterUserMappingStmt', 'DropUserMappingStmt', 'ImportForeignSchemaStmt',
  'CreateSubscriptionStmt', 'AlterSubscriptionStmt', 'DropSubscriptionStmt', 'CreatePublicationStmt', 'AlterPublicationStmt',
  'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'AlterTableSpaceOptionsStmt', 'AlterDatabaseStmt', 'AlterDatabaseSetStmt',
  'CreatedbStmt', 'DropdbStmt', 'AlterDatabaseRefreshCollStmt', 'CreatePLangStmt', 'AlterOwnerStmt', 'SecLabelStmt',
  'AlterDefaultPrivilegesStmt', 'CreateConversionStmt', 'CreateCastStmt', 'CreateTransformStmt',
]);

function nameOf(list: unknown): string {
  if (!Array.isArray(list)) return '';
  return list
    .map((n) => (n as { String?: { sval?: string } }).String?.sval ?? '')
    .filter(Boolean)
    .join('.')
    .toLowerCase();
}

function rangeVarName(rv: { relname?: string; schemaname?: string; catalogname?: string }): string {
  const parts = [rv.schemaname, rv.relname].filter(Boolean) as string[];
  return parts.join('.').toLowerCase();
}

function defElemTrue(d: { arg?: unknown }): boolean {
  const a = d.arg as { String?: { sval?: string }; Boolean?: { boolval?: boolean }; Integer?: { ival?: number } } | undefined;
  if (!a) return true;
  if (a.String) return !/^(false|off|no|0)$/i.test(a.String.sval ?? '');
  if (a.Boolean) return Boolean(a.Boolean.boolval);
  if (a.Integer) return Boolean(a.Integer.ival);
  return true;
}

class Walker {
  readonly effects: Effect[] = [];
  constructor(private readonly opts: AnalyzeOptions, private readonly depth = 0) {}

  add(e: Effect): void {
    this.effects.push(e);
  }

  /** Walks any JSON value, dispatching wrapped nodes (`{ TypeName: body }`). */
  walk(v: unknown): void {
    if (Array.isArray(v)) {
      for (const x of v) this.walk(x);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0])) {
      this.node(keys[0], o[keys[0]] as Record<string, unknown>);
      return;
    }
    if (typeof o.relname === 'string') {
      // A bare RangeVar (e.g. `relation` of a statement we did not special-case): a read.
      this.add({ op: 'read', table: rangeVarName(o as { relname: string }), what: 'RangeVar' });
      return;
    }
    for (const k of keys) this.walk(o[k]);
  }

  walkExcept(body: Record<string, unknown>, skip: string[]): void {
    for (const k of Object.keys(body)) if (!skip.includes(k)) this.walk(body[k]);
  }

  node(type: string, body: Record<string, unknown>): void {
    if (!body || typeof body !== 'object') return;
    switch (type) {
      case 'RangeVar':
        this.add({ op: 'read', table: rangeVarName(body as { relname: string }), what: 'RangeVar' });
        return;
      case 'SelectStmt':
        if (body.intoClause) {
          const rel = (body.intoClause as { rel?: { relname: string } }).rel;
          this.add({ op: 'ddl', table: rel ? rangeVarName(rel) : undefined, what: 'SelectInto', detail: 'SELECT INTO creates a table' });
        }
        if (body.lockingClause) this.add({ op: 'read', what: 'SelectStmt', detail: 'row locks' });
        this.walkExcept(body, ['intoClause']);
        return;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt': {
        const rel = body.relation as { relname: string } | undefined;
        this.add({ op: 'write', table: rel ? rangeVarName(rel) : undefined, what: type });
        this.walkExcept(body, ['relation']);
        return;
      }
      case 'TruncateStmt':
        for (const r of (body.relations as Array<{ RangeVar: { relname: string } }>) ?? []) this.add({ op: 'write', table: rangeVarName(r.RangeVar), what: type });
        return;
      case 'LockStmt':
        for (const r of (body.relations as Array<{ RangeVar: { relname: string } }>) ?? []) this.add({ op: 'write', table: rangeVarName(r.RangeVar), what: type, detail: 'explicit lock' });
        return;
      case 'RefreshMatViewStmt': {
        const rel = body.relation as { relname: string } | undefined;
        this.add({ op: 'write', table: rel ? rangeVarName(rel) : undefined, what: type });
        return;
      }
      case 'CopyStmt': {
        const rel = body.relation as { relname: string } | undefined;
        const table = rel ? rangeVarName(rel) : undefined;
        if (body.is_program) this.add({ op: 'admin', table, what: 'CopyProgram', detail: 'COPY ... PROGRAM runs a shell command on the database server' });
        else if (body.filename) this.add({ op: 'admin', table, what: 'CopyFile', detail: 'COPY with a server-side file' });
        if (body.is_from) this.add({ op: 'write', table, what: 'CopyFrom' });
        else if (table) this.add({ op: 'read', table, what: 'CopyTo' });
        if (body.query) this.walk(body.query);
        this.walkExcept(body, ['relation', 'query']);
        return;
      }
      case 'ExplainStmt': {
        const analyze = ((body.options as Array<{ DefElem: { defname: string; arg?: unknown } }>) ?? []).some((d) => d.DefElem?.defname === 'analyze' && defElemTrue(d.DefElem));
        if (analyze) this.walk(body.query);
        else {
          // Plain EXPLAIN plans without executing: the relations are only read (catalog access).
          const inner = new Walker(this.opts, this.depth + 1);
          inner.walk(body.query);
          for (const e of inner.effects) if (e.table) this.add({ op: 'read', table: e.table, what: 'Explain' });
          this.add({ op: 'read', what: 'ExplainStmt', detail: 'plan only' });
        }
        return;
      }
      case 'DoStmt':
        this.doBlock(body);
        return;
      case 'CallStmt':
        this.add({ op: 'unknown', what: 'CallStmt', detail: 'procedure body is not visible to the gateway' });
        this.walk(body.funccall);
        return;
      case 'PrepareStmt': {
        const inner = new Walker(this.opts, this.depth + 1);
        inner.walk(body.query);
        this.opts.session?.prepared.set(String(body.name ?? '').toLowerCase(), inner.effects);
        this.effects.push(...inner.effects);
        return;
      }
      case 'ExecuteStmt': {
        const known = this.opts.session?.prepared.get(String(body.name ?? '').toLowerCase());
        if (known) this.effects.push(...known);
        else this.add({ op: 'unknown', what: 'ExecuteStmt', detail: `EXECUTE of a statement prepared outside this analysis (${String(body.name)})` });
        this.walk(body.params);
        return;
      }
      case 'VariableSetStmt': {
        const name = String(body.name ?? '').toLowerCase();
        const kind = String(body.kind ?? '');
        if (kind === 'VAR_RESET_ALL' || (kind === 'VAR_RESET' && name === 'role')) this.add({ op: 'session', what: type, detail: `RESET ${name || 'ALL'}` });
        else if (DANGEROUS_SETTINGS.has(name)) this.add({ op: 'admin', what: type, detail: `SET ${name}` });
        else this.add({ op: 'session', what: type, detail: `SET ${name}` });
        return;
      }
      case 'FuncCall':
        this.func(body);
        this.walkExcept(body, ['funcname']);
        return;
      case 'DeclareCursorStmt':
        this.walk(body.query);
        return;
      case 'DropStmt': {
        const objs = (body.objects as unknown[]) ?? [];
        const tabular = ['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE', 'OBJECT_INDEX', 'OBJECT_SEQUENCE'].includes(String(body.removeType));
        if (tabular) for (const o of objs) this.add({ op: 'ddl', table: nameOf((o as { List?: { items?: unknown[] } }).List?.items), what: type });
        else this.add({ op: 'ddl', what: type, detail: String(body.removeType) });
        return;
      }
      default:
        break;
    }
    if (SESSION_STMTS.has(type)) {
      this.add({ op: 'session', what: type });
      return;
    }
    if (ADMIN_STMTS.has(type)) {
      this.add({ op: 'admin', what: type });
      return;
    }
    if (/^(Create|Alter|Drop|Rename|Comment|Define|Index|View|Rule|Vacuum|Cluster|Reindex|CompositeType|Composite)/.test(type) && /Stmt$/.test(type)) {
      const rel = (body.relation ?? body.view ?? (body.into as { rel?: unknown } | undefined)?.rel) as { relname?: string } | undefined;
      this.add({ op: 'ddl', table: rel?.relname ? rangeVarName(rel as { relname: string }) : undefined, what: type });
      // Bodies of CREATE VIEW / CREATE TABLE AS are read now (and on every later use).
      this.walkExcept(body, ['relation', 'view']);
      return;
    }
    if (/Stmt$/.test(type)) {
      this.add({ op: 'unknown', what: type, detail: 'statement type not classified by the gateway' });
      return;
    }
    // Expression and clause nodes: keep walking.
    this.walk(body);
  }

  func(body: Record<string, unknown>): void {
    const full = nameOf(body.funcname);
    const name = full.split('.').pop() ?? full;
    const schema = full.includes('.') ? full.split('.')[0] : '';
    const o = this.opts;
    if (DANGEROUS_FUNCTIONS.has(name) || o.denyFunctions?.has(name) || o.denyFunctions?.has(full) || name.startsWith('dblink') || name.startsWith('lo_')) {
      this.add({ op: 'admin', what: `fn:${name}`, detail: `${full}() runs dynamic SQL, reaches the server's files or other servers, or changes privileges` });
    } else if (WRITE_FUNCTIONS.has(name)) {
      this.add({ op: 'write', what: `fn:${name}` });
    } else if (SAFE_FUNCTIONS.has(name) && (schema === '' || schema === 'pg_catalog')) {
      // harmless
    } else if (o.allowFunctions?.has(name) || o.allowFunctions?.has(full)) {
      // configured as harmless
    } else {
      this.add({ op: 'unknown', what: `fn:${name}`, detail: `function ${full}() is not known to be free of side effects` });
    }
  }

  doBlock(body: Record<string, unknown>): void {
    const args = (body.args as Array<{ DefElem: { defname: string; arg?: { String?: { sval?: string } } } }>) ?? [];
    const lang = args.find((a) => a.DefElem?.defname === 'language')?.DefElem.arg?.String?.sval?.toLowerCase() ?? 'plpgsql';
    const src = args.find((a) => a.DefElem?.defname === 'as')?.DefElem.arg?.String?.sval ?? '';
    if (lang !== 'plpgsql') {
      this.add({ op: 'unknown', what: 'DoStmt', detail: `DO block in language ${lang} is not analyzable` });
      return;
    }
    if (this.depth > 8) {
      this.add({ op: 'unknown', what: 'DoStmt', detail: 'nesting too deep' });
      return;
    }
    let tree: unknown;
    try {
      tree = pgq.parsePlPgSQLSync(`DO ${dollarQuote(src)}`);
    } catch (err) {
      this.add({ op: 'unknown', what: 'DoStmt', detail: `DO body does not parse: ${(err as Error).message}` });
      return;
    }
    this.add({ op: 'read', what: 'DoStmt', detail: 'anonymous code block' });
    this.plpgsql(tree);
  }

  /** Walks a PL/pgSQL tree: static SQL is analyzed, dynamic SQL is `unknown`. */
  plpgsql(v: unknown): void {
    if (Array.isArray(v)) {
      for (const x of v) this.plpgsql(x);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    for (const [k, val] of Object.entries(o)) {
      if (k === 'PLpgSQL_stmt_dynexecute' || k === 'PLpgSQL_stmt_dynfors' || k === 'dynquery') {
        this.add({ op: 'unknown', what: 'plpgsql:EXECUTE', detail: 'dynamic SQL inside a code block' });
      }
      if (k === 'PLpgSQL_expr') {
        const e = val as { query?: string; parseMode?: number };
        const q = e.query ?? '';
        const sql = e.parseMode === 0 || e.parseMode === undefined ? q : `SELECT ${q}`;
        const sub = analyzeInner(sql, this.opts, this.depth + 1);
        if (!sub.ok) this.add({ op: 'unknown', what: 'plpgsql:expr', detail: `expression does not parse: ${sub.error}` });
        for (const s of sub.statements) this.effects.push(...s.effects);
        continue;
      }
      this.plpgsql(val);
    }
  }
}

function dollarQuote(body: string): string {
  let tag = 'aw';
  while (body.includes(`$${tag}$`)) tag += 'x';
  return `$${tag}$${body}$${tag}$`;
}

function analyzeInner(sql: string, opts: AnalyzeOptions, depth: number): { ok: boolean; error?: string; statements: StatementInfo[] } {
  let tree: ReturnType<typeof pgq.parseSync>;
  try {
    tree = pgq.parseSync(sql);
  } catch (err) {
    return { ok: false, error: (err as Error).message, statements: [] };
  }
  const statements: StatementInfo[] = [];
  for (const s of tree.stmts ?? []) {
    const w = new Walker(opts, depth);
    const type = Object.keys(s.stmt)[0];
    w.walk(s.stmt);
    const start = s.stmt_location ?? 0;
    const text = (s.stmt_len ? Buffer.from(sql).subarray(start, start + s.stmt_len).toString() : Buffer.from(sql).subarray(start).toString()).trim();
    statements.push({ type, text, node: s.stmt, effects: w.effects });
  }
  return { ok: true, statements };
}

export function exactFingerprint(sql: string): string {
  // One-shot hash (Node >= 20.12): no Hash object per statement; createHash + update +
  // digest was ~2% of a gateway worker's CPU profile under pgbench -S.
  return hash('sha256', sql, 'hex').slice(0, 16);
}

/** Analyzes a SQL string (one or many statements). Never throws: a parse failure is `ok: false`. */
export function analyze(sql: string, opts: AnalyzeOptions = {}): Analysis {
  const exact = exactFingerprint(sql);
  if (opts.maxBytes !== undefined && Buffer.byteLength(sql) > opts.maxBytes) {
    return { ok: false, error: `statement larger than ${opts.maxBytes} bytes`, statements: [], exact };
  }
  if (sql.includes('\u0000')) return { ok: false, error: 'NUL byte in statement', statements: [], exact };
  const r = analyzeInner(sql, opts, 0);
  if (!r.ok) return { ok: false, error: r.error, statements: [], exact };
  return { ok: true, statements: r.statements, exact };
}

// ---------- template cache ----------
// pgbench-style traffic repeats one statement with different integer literals, and a parse
// costs 20-150 us. The cache key is the text with every free-standing digit run replaced;
// a template is stored only when the real parser confirmed that EVERY such run is an
// integer constant (A_Const at that offset), so a hit differs from the template only in
// the values of integer constants, which never change effects or output columns. Digits
// cannot end a string, comment or identifier, and the neighbours of each run are the same
// bytes as in the template, so the token structure is identical. ASCII only (byte offsets).
const DIGITS = /(?<![\w$.])\d+(?![\w$.])/g;
const STATEFUL = new Set(['PrepareStmt', 'ExecuteStmt', 'DeallocateStmt', 'DoStmt']);

function intConstLocations(node: unknown, out: Set<number>): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const x of node) intConstLocations(x, out);
    return;
  }
  const o = node as Record<string, unknown>;
  const c = o.A_Const as { ival?: unknown; location?: number } | undefined;
  if (c && c.ival !== undefined && typeof c.location === 'number') out.add(c.location);
  for (const k of Object.keys(o)) intConstLocations(o[k], out);
}

export class AnalysisCache {
  private readonly map = new Map<string, Analysis>();
  hits = 0;
  misses = 0;
  constructor(private readonly max = 4096) {}

  private key(sql: string): string | undefined {
    if (sql.length > 4096 || !/^[\x01-\x7f]*$/.test(sql)) return undefined;
    return sql.replace(DIGITS, '\u0000');
  }

  get(sql: string): Analysis | undefined {
    const k = this.key(sql);
    const a = k === undefined ? undefined : this.map.get(k);
    if (!a) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const st = a.statements[0];
    return { ok: a.ok, exact: exactFingerprint(sql), statements: [{ type: st.type, text: sql.trim().replace(/;\s*$/, ''), node: st.node, effects: st.effects }] };
  }

  /** Stores a freshly parsed single-statement analysis if all digit runs are integer constants. */
  put(sql: string, a: Analysis): void {
    if (!a.ok || a.statements.length !== 1 || STATEFUL.has(a.statements[0].type)) return;
    const k = this.key(sql);
    if (k === undefined) return;
    const locs = new Set<number>();
    intConstLocations(a.statements[0].node, locs);
    DIGITS.lastIndex = 0;
    for (let m = DIGITS.exec(sql); m; m = DIGITS.exec(sql)) if (!locs.has(m.index)) return;
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(k, a);
  }
}

/** Shape fingerprint (literals removed) from libpg-query; costs a second parse, so only on demand. */
export function shapeFingerprint(sql: string): string {
  try {
    return pgq.fingerprintSync(sql);
  } catch {
    return exactFingerprint(sql);
  }
}
