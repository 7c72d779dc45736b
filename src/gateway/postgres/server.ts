// The PostgreSQL side of the gateway: listener, per-connection sessions, and everything a
// session asks of its surroundings (policies per group, masking catalogs per database,
// approvals, encrypted recordings, events, cancel-key mapping).
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import { ApprovalGate } from '../approvals/gate.js';
import { GATEWAY_DEFAULTS, splitHostPort, type GatewayConfig, type GatewayPostgresConfig } from '../config.js';
import { IdentityVerifier, type Identity } from '../identity/identity.js';
import { contentScanner, type ContentScanner } from '../masking/detectors.js';
import { CATALOG_SQL, MaskCatalog, buildCopyMasker, buildResultMasker, compileColumnRules, type CatalogRelation } from '../masking/masking.js';
import { AnalysisCache, analyze, loadParser, type Analysis, type SessionSqlState, type StatementInfo } from '../policy/analyze.js';
import { BUILTIN_POLICIES, combinePolicies, compilePolicy, type CompiledPolicy } from '../policy/policy.js';
import { loadRecordingKeys, recordingDir, startRecording, type RecordingKey, type SessionRecorder } from '../recording/recording.js';
import type { GatewayRuntime, ResultMasker, Result } from './runtime.js';
import { PgSession } from './session.js';
import { loadOrCreateTls, type TlsMaterial } from './tls.js';
import { cancelUpstream, type UpstreamConnection, type UpstreamTarget } from './upstream.js';
import { parseDataRow, type FieldDesc } from './wire.js';

export interface PgGatewayOptions {
  paths: AwPaths;
  config: GatewayConfig;
  emit: (ev: AwEvent) => void;
  log?: (m: string) => void;
  /** Worker mode: a cancel key this process did not issue (another worker may own it). */
  onForeignCancel?: (pid: number, secret: number) => void;
}

const CATALOG_TTL_MS = 60_000;

/** Compiles the policies and the group -> policy map once. */
export function compilePolicies(cfg: GatewayConfig): { byName: Map<string, CompiledPolicy>; forGroups(groups: string[]): CompiledPolicy } {
  const byName = new Map<string, CompiledPolicy>();
  for (const [n, p] of Object.entries({ ...BUILTIN_POLICIES, ...(cfg.policies ?? {}) })) byName.set(n, compilePolicy(n, p));
  const dflt = cfg.default_policy ?? GATEWAY_DEFAULTS.defaultPolicy;
  for (const [g, ps] of Object.entries(cfg.groups ?? {})) {
    for (const p of Array.isArray(ps) ? ps : [ps]) if (!byName.has(p)) throw new AwError('CONFIG_INVALID', `gateway.groups.${g}: unknown policy ${p}`);
  }
  if (!byName.has(dflt)) throw new AwError('CONFIG_INVALID', `gateway.default_policy: unknown policy ${dflt}`);
  const cache = new Map<string, CompiledPolicy>();
  return {
    byName,
    forGroups(groups) {
      const key = groups.join('\u0000');
      let p = cache.get(key);
      if (!p) {
        const names = new Set<string>();
        for (const g of groups) {
          const m = cfg.groups?.[g];
          for (const n of m === undefined ? [] : Array.isArray(m) ? m : [m]) names.add(n);
        }
        if (!names.size) names.add(dflt);
        p = combinePolicies([...names].map((n) => byName.get(n)!));
        cache.set(key, p);
      }
      return p;
    },
  };
}

export class PgGateway implements GatewayRuntime {
  readonly config: GatewayPostgresConfig;
  readonly tls: TlsMaterial;
  readonly verifier: IdentityVerifier;
  readonly upstreamTarget: UpstreamTarget;
  readonly upstreamLabel: string;
  readonly approvals: ApprovalGate;
  private readonly approvalStore: ApprovalStore;
  private readonly policies: ReturnType<typeof compilePolicies>;
  private readonly allowFunctions: Set<string>;
  private readonly denyFunctions: Set<string>;
  private readonly maxBytes: number;
  private readonly columnRules: ReturnType<typeof compileColumnRules>;
  private readonly scanner: ContentScanner | undefined;
  private readonly catalogs = new Map<string, MaskCatalog>();
  private readonly recKey: RecordingKey | undefined;
  private readonly recDir: string;
  private readonly recorders = new Map<string, SessionRecorder>();
  private readonly maxRows: number;
  private readonly cancelMap = new Map<string, { pid: number; secret: number }>();
  private readonly sessions = new Set<PgSession>();
  private readonly cache = new AnalysisCache();
  private server?: net.Server;
  readonly counters = { connections: 0, active: 0, statements: 0, blocked: 0, emitted: 0, recordErrors: 0 };

  constructor(private readonly opts: PgGatewayOptions) {
    const cfg = opts.config;
    if (!cfg.postgres) throw new AwError('CONFIG_INVALID', 'gateway.postgres is not configured');
    this.config = cfg.postgres;
    const up = cfg.postgres.upstream;
    const password = up.password ?? (up.password_file ? readFileSync(up.password_file, 'utf8').replace(/\r?\n$/, '') : undefined);
    this.upstreamTarget = { host: up.host, port: up.port ?? 5432, user: up.user, password, database: up.database ?? 'postgres', ssl: up.ssl ?? 'disable' };
    this.upstreamLabel = `${this.upstreamTarget.host}:${this.upstreamTarget.port}`;
    this.tls = loadOrCreateTls(opts.paths, cfg.postgres.tls);
    this.verifier = new IdentityVerifier(opts.paths, cfg.identity);
    this.policies = compilePolicies(cfg);
    this.allowFunctions = new Set((cfg.functions?.allow ?? []).map((s) => s.toLowerCase()));
    this.denyFunctions = new Set((cfg.functions?.deny ?? []).map((s) => s.toLowerCase()));
    this.maxBytes = cfg.postgres.max_statement_bytes ?? GATEWAY_DEFAULTS.maxStatementBytes;
    this.columnRules = compileColumnRules(cfg.masking);
    this.scanner = contentScanner(cfg.masking?.detectors ?? []);
    this.approvalStore = ApprovalStore.open(opts.paths);
    this.approvals = new ApprovalGate(this.approvalStore, cfg.approvals, (m) => this.log(m));
    this.recDir = recordingDir(opts.paths, cfg.recording);
    this.recKey = cfg.recording?.enabled === false ? undefined : loadRecordingKeys(opts.paths, cfg.recording).active;
    this.maxRows = cfg.recording?.max_rows_per_result ?? GATEWAY_DEFAULTS.maxRowsPerResult;
  }

  private log(m: string): void {
    this.opts.log?.(m);
  }

  async start(): Promise<{ host: string; port: number }> {
    await loadParser();
    const { host, port } = splitHostPort(this.config.listen ?? GATEWAY_DEFAULTS.listen, 6432);
    this.server = net.createServer((sock) => {
      this.counters.connections++;
      const s = new PgSession(this, sock);
      this.sessions.add(s);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as net.AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.close('gateway stopping');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await Promise.all([...this.recorders.values()].map((r) => r.close()));
    this.approvalStore.close();
  }

  status(): Record<string, unknown> {
    return { ...this.counters, active: this.sessions.size, cache_hits: this.cache.hits, cache_misses: this.cache.misses, tls_fingerprint: this.tls.fingerprint, webhook_errors: this.approvals.webhookErrors };
  }

  policyFor(id: Identity): CompiledPolicy {
    return this.policies.forGroups(id.groups);
  }

  analyze(sql: string, state: SessionSqlState): Analysis {
    const hit = this.cache.get(sql);
    if (hit) return hit;
    const a = analyze(sql, { allowFunctions: this.allowFunctions, denyFunctions: this.denyFunctions, maxBytes: this.maxBytes, session: state });
    this.cache.put(sql, a);
    return a;
  }

  // ---------- masking ----------

  private async loadCatalog(session: PgSession, database: string): Promise<void> {
    const r = await session.internalQuery(CATALOG_SQL);
    if (r.error || !r.rows[0]) {
      this.log(`masking catalog for ${database} failed: ${r.error ?? 'no rows'}`);
      this.catalogs.delete(database);
      return;
    }
    const rels = JSON.parse(r.rows[0][0]) as CatalogRelation[];
    this.catalogs.set(database, new MaskCatalog(rels, this.columnRules));
  }

  async onSessionReady(session: PgSession, _up: UpstreamConnection, database: string): Promise<void> {
    this.counters.active++;
    if (this.columnRules.length) {
      const c = this.catalogs.get(database);
      if (!c || Date.now() - c.loadedAt > CATALOG_TTL_MS) await this.loadCatalog(session, database);
    }
    if (this.recKey) {
      const id = session.agent!;
      try {
        const rec = startRecording(this.recDir, this.recKey, { session: session.id, started: new Date().toISOString(), protocol: 'postgres', agent: id.subject, groups: id.groups, database });
        this.recorders.set(session.id, rec);
      } catch (err) {
        this.counters.recordErrors++;
        this.log(`cannot start recording for ${session.id}: ${(err as Error).message}`);
      }
    }
  }

  prepareMasking(session: PgSession, a: Analysis): Promise<void> | undefined {
    if (!this.columnRules.length || !a.ok) return undefined;
    const cat = this.catalogs.get(session.db);
    const ddl = a.statements.some((s) => s.effects.some((e) => e.op === 'ddl'));
    if (ddl) session.catalogDirty = true;
    const dirty = session.catalogDirty;
    const needs = !cat || (dirty && !ddl) || a.statements.some((s) => cat.hasUnknownRelations(s.node));
    // In an aborted transaction the refresh would fail: unknown relations are then masked
    // by the fail-closed fallback instead.
    if (!needs || ddl || session.transactionStatus === 'E') return undefined;
    // A relation we do not know yet (created since the snapshot): refresh before deciding
    // how to mask, inside the session so uncommitted DDL of this transaction is visible.
    session.catalogDirty = false;
    return session.whenIdle(() => this.loadCatalog(session, session.db));
  }

  masker(session: PgSession, stmt: StatementInfo | undefined, fields: FieldDesc[] | undefined): ResultMasker | null {
    return buildResultMasker(this.catalogs.get(session.db), this.scanner, stmt, fields);
  }

  copyMasker(session: PgSession, stmt: StatementInfo | undefined, copyOutBody: Buffer): ResultMasker | null {
    return buildCopyMasker(this.catalogs.get(session.db), this.scanner, stmt, copyOutBody);
  }

  // ---------- recording ----------

  record(session: PgSession, rec: Record<string, unknown>): void {
    const r = this.recorders.get(session.id);
    if (!r) return;
    try {
      r.write(rec);
    } catch {
      this.counters.recordErrors++;
    }
  }

  recordRow(result: Result, raw: Buffer, copy: boolean): void {
    if (!this.recKey || result.recorded.length >= this.maxRows) return;
    if (copy) {
      result.recorded.push([raw.toString('utf8').replace(/\n$/, '')]);
      return;
    }
    const cells = parseDataRow(raw.subarray(5));
    result.recorded.push(cells.map((c, i) => (c === null ? '\u2400' : result.fields?.[i]?.format === 1 ? `\\x${c.toString('hex')}` : c.toString('utf8'))));
  }

  // ---------- events, cancel, lifecycle ----------

  emit(ev: AwEvent): void {
    this.counters.emitted++;
    if (ev.kind === 'gateway.statement') this.counters.statements++;
    if (ev.kind === 'gateway.block') this.counters.blocked++;
    this.opts.emit(ev);
  }

  registerCancel(upPid: number, upSecret: number): { pid: number; secret: number } {
    for (;;) {
      const key = { pid: randomInt(1, 2 ** 31 - 1), secret: randomInt(-(2 ** 31), 2 ** 31 - 1) };
      const k = `${key.pid}:${key.secret}`;
      if (!this.cancelMap.has(k)) {
        this.cancelMap.set(k, { pid: upPid, secret: upSecret });
        return key;
      }
    }
  }

  unregisterCancel(pid: number, secret: number): void {
    this.cancelMap.delete(`${pid}:${secret}`);
  }

  async cancel(pid: number, secret: number): Promise<void> {
    const up = this.cancelMap.get(`${pid}:${secret}`);
    if (!up) {
      this.opts.onForeignCancel?.(pid, secret); // unknown here: ignored, as the server does, or relayed to the owner
      return;
    }
    await cancelUpstream(this.upstreamTarget, up.pid, up.secret);
  }

  /** Cancels only if this process issued the key (worker mode relay target). */
  async cancelLocal(pid: number, secret: number): Promise<void> {
    const up = this.cancelMap.get(`${pid}:${secret}`);
    if (up) await cancelUpstream(this.upstreamTarget, up.pid, up.secret);
  }

  sessionClosed(session: PgSession, reason: string): void {
    this.sessions.delete(session);
    this.counters.active = this.sessions.size;
    const r = this.recorders.get(session.id);
    if (r) {
      r.write({ type: 'end', reason, statements: session.statements, blocked: session.blocked });
      void r.close();
      this.recorders.delete(session.id);
    }
  }
}
