// Approvals for held statements and requests. A small SQLite database under
// <home>/gateway/approvals.db is shared by the gateway process and the CLI
// (`agentwarden approvals list|approve|deny`), so approvers need no network API.
// Semantics (after hoop's reviews, adapted to a synchronous wire protocol):
// - a statement needing approval is held up to `hold_ms`, then the agent gets
//   "pending approval, retry" with the request id;
// - one-time approval: the exact statement text (sha256) for that agent, used once;
// - time-boxed approval (`--for 30m`): statements of the same shape (libpg-query
//   fingerprint, literals removed) for that agent until the window ends;
// - the agent can never approve itself; the approver's name is recorded.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'used' | 'expired';

export interface ApprovalRow {
  id: string;
  created_ms: number;
  agent: string;
  groups: string;
  resource: string;
  statement: string;
  exact: string;
  shape: string;
  reason: string;
  status: ApprovalStatus;
  kind: 'once' | 'window' | null;
  approver: string | null;
  decided_ms: number | null;
  expires_ms: number | null;
  uses: number;
  note: string | null;
}

export function approvalsDbPath(paths: AwPaths): string {
  return join(paths.home, 'gateway', 'approvals.db');
}

export class ApprovalStore {
  readonly db: Database.Database;

  constructor(file: string, readonly = false) {
    if (!readonly) mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    this.db = new Database(file, { readonly, fileMustExist: readonly });
    if (!readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(`CREATE TABLE IF NOT EXISTS approvals(
        id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, agent TEXT NOT NULL, groups TEXT NOT NULL DEFAULT '',
        resource TEXT NOT NULL, statement TEXT NOT NULL, exact TEXT NOT NULL, shape TEXT NOT NULL, reason TEXT NOT NULL,
        status TEXT NOT NULL, kind TEXT, approver TEXT, decided_ms INTEGER, expires_ms INTEGER, uses INTEGER NOT NULL DEFAULT 0, note TEXT);
        CREATE INDEX IF NOT EXISTS approvals_lookup ON approvals(agent, resource, status);`);
    } else this.db.pragma('busy_timeout = 5000');
  }

  static open(paths: AwPaths): ApprovalStore {
    return new ApprovalStore(approvalsDbPath(paths));
  }

  close(): void {
    this.db.close();
  }

  get(id: string): ApprovalRow | undefined {
    return this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined;
  }

  list(opts: { status?: ApprovalStatus | 'all'; limit?: number } = {}): ApprovalRow[] {
    this.expirePending();
    const st = opts.status ?? 'pending';
    const rows = st === 'all'
      ? this.db.prepare('SELECT * FROM approvals ORDER BY created_ms DESC LIMIT ?').all(opts.limit ?? 100)
      : this.db.prepare('SELECT * FROM approvals WHERE status = ? ORDER BY created_ms DESC LIMIT ?').all(st, opts.limit ?? 100);
    return rows as ApprovalRow[];
  }

  /** Marks pending requests older than the request TTL as expired. */
  expirePending(now = Date.now()): void {
    this.db.prepare("UPDATE approvals SET status = 'expired' WHERE status = 'pending' AND expires_ms IS NOT NULL AND expires_ms < ?").run(now);
    this.db.prepare("UPDATE approvals SET status = 'expired' WHERE status = 'approved' AND kind = 'window' AND expires_ms < ?").run(now);
  }

  /** Consumes a matching grant: one-time for the exact text, or a time window for the shape. */
  consumeGrant(agent: string, resource: string, exact: string, shape: string, now = Date.now()): ApprovalRow | undefined {
    return this.db.transaction(() => {
      const once = this.db.prepare("SELECT * FROM approvals WHERE agent = ? AND resource = ? AND exact = ? AND status = 'approved' AND kind = 'once' ORDER BY decided_ms LIMIT 1").get(agent, resource, exact) as ApprovalRow | undefined;
      if (once) {
        this.db.prepare("UPDATE approvals SET status = 'used', uses = uses + 1 WHERE id = ?").run(once.id);
        return once;
      }
      const win = this.db.prepare("SELECT * FROM approvals WHERE agent = ? AND resource = ? AND shape = ? AND status = 'approved' AND kind = 'window' AND expires_ms > ? ORDER BY expires_ms DESC LIMIT 1").get(agent, resource, shape, now) as ApprovalRow | undefined;
      if (win) {
        this.db.prepare('UPDATE approvals SET uses = uses + 1 WHERE id = ?').run(win.id);
        return win;
      }
      return undefined;
    })();
  }

  /** An existing pending request for the same statement, or a new one. */
  requestFor(r: { agent: string; groups: string[]; resource: string; statement: string; exact: string; shape: string; reason: string; ttlMs: number }, now = Date.now()): { row: ApprovalRow; created: boolean } {
    return this.db.transaction(() => {
      const existing = this.db.prepare("SELECT * FROM approvals WHERE agent = ? AND resource = ? AND exact = ? AND status IN ('pending', 'denied') ORDER BY created_ms DESC LIMIT 1").get(r.agent, r.resource, r.exact) as ApprovalRow | undefined;
      if (existing && existing.status === 'pending') return { row: existing, created: false };
      if (existing && existing.status === 'denied' && (existing.decided_ms ?? 0) > now - r.ttlMs) return { row: existing, created: false };
      const id = `apr-${randomBytes(5).toString('hex')}`;
      this.db.prepare(`INSERT INTO approvals(id, created_ms, agent, groups, resource, statement, exact, shape, reason, status, expires_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`).run(id, now, r.agent, r.groups.join(','), r.resource, r.statement, r.exact, r.shape, r.reason, now + r.ttlMs);
      return { row: this.get(id)!, created: true };
    })();
  }

  /** Approves a pending request. `forMs` makes it a time-boxed approval of the statement's shape. */
  approve(id: string, approver: string, opts: { forMs?: number; maxMs?: number; approvers?: string[]; note?: string } = {}, now = Date.now()): ApprovalRow {
    const row = this.get(id);
    if (!row) throw new AwError('APPROVAL_NOT_FOUND', `no approval request ${id}`);
    if (!approver) throw new AwError('APPROVAL_APPROVER', 'an approver name is required');
    if (approver.toLowerCase() === row.agent.toLowerCase()) throw new AwError('APPROVAL_SELF', `self-approval refused: ${approver} is the requesting agent`);
    if (opts.approvers?.length && !opts.approvers.includes(approver)) throw new AwError('APPROVAL_APPROVER', `${approver} is not an approver (gateway.approvals.approvers)`);
    if (row.status !== 'pending') throw new AwError('APPROVAL_STATE', `request ${id} is ${row.status}, not pending`);
    if (opts.forMs !== undefined && opts.maxMs !== undefined && opts.forMs > opts.maxMs) throw new AwError('APPROVAL_DURATION', 'approval window exceeds gateway.approvals.max_duration');
    const kind = opts.forMs ? 'window' : 'once';
    const expires = opts.forMs ? now + opts.forMs : null;
    const r = this.db.prepare("UPDATE approvals SET status = 'approved', kind = ?, approver = ?, decided_ms = ?, expires_ms = ?, note = ? WHERE id = ? AND status = 'pending'").run(kind, approver, now, expires, opts.note ?? null, id);
    if (r.changes !== 1) throw new AwError('APPROVAL_STATE', `request ${id} changed state meanwhile`);
    return this.get(id)!;
  }

  deny(id: string, approver: string, note?: string, now = Date.now()): ApprovalRow {
    const row = this.get(id);
    if (!row) throw new AwError('APPROVAL_NOT_FOUND', `no approval request ${id}`);
    if (row.status !== 'pending' && !(row.status === 'approved' && row.kind === 'window')) throw new AwError('APPROVAL_STATE', `request ${id} is ${row.status}`);
    this.db.prepare("UPDATE approvals SET status = 'denied', approver = ?, decided_ms = ?, note = ? WHERE id = ?").run(approver, now, note ?? null, id);
    return this.get(id)!;
  }
}
