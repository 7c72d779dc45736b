// Incident records live in their own database file beside the event store
// (`<store dir>/forensics.db`): the event store stays append-only and hash-covered, while
// incidents change state (open -> closed). Every change to an incident is an entry in its
// action log (who, when, what), and the ones that matter for the record (freeze,
// quarantine, containment, close) are also appended to the event store as
// `incident.action` events.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { AwError } from '../../core/errors.js';
import { formatTimeNs, nowNs } from '../../schema/index.js';

export interface Incident {
  id: string;
  title: string;
  status: 'open' | 'closed';
  severity: string;
  reason: string;
  opened_at: string;
  opened_by: string;
  closed_at?: string;
  resolution?: string;
  sessions: string[];
  /** Time window covered, RFC 3339. */
  window: { start: string; end: string };
  /** Store sequence numbers of the alerts that opened (or joined) the incident. */
  alerts: number[];
  ioc_ids: string[];
  /** Directory with snapshots and other evidence gathered at open. */
  evidence_dir: string;
  /** Seq of the freeze event in the store. */
  freeze_seq?: number;
}

export interface IncidentLogEntry {
  n: number;
  incident_id: string;
  time: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

const SQL = `
CREATE TABLE IF NOT EXISTS incidents(
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  opened_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_sessions(
  incident_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  PRIMARY KEY(incident_id, session_id)
);
CREATE INDEX IF NOT EXISTS incident_sessions_s ON incident_sessions(session_id);
CREATE TABLE IF NOT EXISTS incident_log(
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT NOT NULL,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_log_i ON incident_log(incident_id, n);
CREATE TABLE IF NOT EXISTS fmeta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS incident_log_append_only_u BEFORE UPDATE ON incident_log BEGIN SELECT RAISE(ABORT, 'the incident log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS incident_log_append_only_d BEFORE DELETE ON incident_log BEGIN SELECT RAISE(ABORT, 'the incident log is append-only'); END;
`;

export class IncidentDb {
  readonly db: Db;
  readonly file: string;

  private constructor(db: Db, file: string) {
    this.db = db;
    this.file = file;
  }

  static open(storeDir: string): IncidentDb {
    const file = join(storeDir, 'forensics.db');
    let db: Db;
    try {
      db = new Database(file);
    } catch (err) {
      throw new AwError('INCIDENT_DB', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
    }
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.exec(SQL);
    return new IncidentDb(db, file);
  }

  insert(inc: Incident): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO incidents(id, body, status, opened_ns) VALUES (?,?,?,?)').run(inc.id, JSON.stringify(inc), inc.status, nowNs());
      const s = this.db.prepare('INSERT OR IGNORE INTO incident_sessions(incident_id, session_id) VALUES (?,?)');
      for (const sid of inc.sessions) s.run(inc.id, sid);
    })();
  }

  update(inc: Incident): void {
    this.db.transaction(() => {
      const r = this.db.prepare('UPDATE incidents SET body = ?, status = ? WHERE id = ?').run(JSON.stringify(inc), inc.status, inc.id);
      if (!r.changes) throw new AwError('INCIDENT_MISSING', `no incident ${inc.id}`);
      const s = this.db.prepare('INSERT OR IGNORE INTO incident_sessions(incident_id, session_id) VALUES (?,?)');
      for (const sid of inc.sessions) s.run(inc.id, sid);
    })();
  }

  get(id: string): Incident | undefined {
    const r = this.db.prepare('SELECT body FROM incidents WHERE id = ?').get(id) as { body: string } | undefined;
    return r ? (JSON.parse(r.body) as Incident) : undefined;
  }

  /** The incident, or a USAGE error naming the id. */
  require(id: string): Incident {
    const inc = this.get(id);
    if (!inc) throw new AwError('INCIDENT_MISSING', `no incident '${id}' (see: agentwarden incident list)`);
    return inc;
  }

  list(opts: { status?: 'open' | 'closed' } = {}): Incident[] {
    const rows = (opts.status
      ? this.db.prepare('SELECT body FROM incidents WHERE status = ? ORDER BY opened_ns DESC').all(opts.status)
      : this.db.prepare('SELECT body FROM incidents ORDER BY opened_ns DESC').all()) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as Incident);
  }

  /** Open incidents covering a session. */
  openForSession(sessionId: string): Incident[] {
    const rows = this.db
      .prepare("SELECT i.body FROM incidents i JOIN incident_sessions s ON s.incident_id = i.id WHERE s.session_id = ? AND i.status = 'open' ORDER BY i.opened_ns")
      .all(sessionId) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as Incident);
  }

  log(incidentId: string, actor: string, action: string, detail: Record<string, unknown> = {}): IncidentLogEntry {
    const time = formatTimeNs(nowNs());
    const r = this.db.prepare('INSERT INTO incident_log(incident_id, time, actor, action, detail) VALUES (?,?,?,?,?)').run(incidentId, time, actor, action, JSON.stringify(detail));
    return { n: Number(r.lastInsertRowid), incident_id: incidentId, time, actor, action, detail };
  }

  logOf(incidentId: string): IncidentLogEntry[] {
    return (this.db.prepare('SELECT n, incident_id, time, actor, action, detail FROM incident_log WHERE incident_id = ? ORDER BY n').all(incidentId) as Array<Omit<IncidentLogEntry, 'detail'> & { detail: string }>).map((r) => ({
      ...r,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  getMeta(k: string): string | undefined {
    return (this.db.prepare('SELECT v FROM fmeta WHERE k = ?').get(k) as { v: string } | undefined)?.v;
  }

  setMeta(k: string, v: string): void {
    this.db.prepare('INSERT INTO fmeta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v').run(k, v);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
