// Opening, closing and listing incidents. Opening freezes the affected sessions: an
// `incident.action` freeze event naming their record ranges is appended to the store (so
// the mark itself is covered by the Merkle tree and a signed checkpoint), and every file
// they referenced that still exists is copied into the incident's evidence directory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { AwError } from '../../core/errors.js';
import { formatTimeNs, nowTime, parseTimeNs, type AwEvent, type Severity } from '../../schema/index.js';
import type { EventStore } from '../../sinks/store/index.js';
import { RESPONSE_DEFAULTS, SEVERITY_RANK, type ResponseConfig } from '../config.js';
import { IncidentDb, type Incident } from './db.js';

export interface SnapshotEntry {
  path: string;
  sha256?: string;
  size?: number;
  mode?: number;
  mtime?: string;
  /** File name of the copy inside snapshots/ (content-addressed). */
  blob?: string;
  symlink?: string;
  skipped?: string;
}

export function defaultActor(): string {
  if (process.env.AGENTWARDEN_ACTOR) return process.env.AGENTWARDEN_ACTOR;
  try {
    return `${userInfo().username}@cli`;
  } catch {
    return 'unknown@cli';
  }
}

export function evidenceRoot(store: EventStore, cfg: ResponseConfig = {}): string {
  return cfg.evidence_dir ? resolve(cfg.evidence_dir) : join(store.dir, 'incidents');
}

function newIncidentId(): string {
  const d = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `INC-${d}-${randomBytes(4).toString('hex')}`;
}

/** Paths of files the sessions referenced (file events and agent file edits). */
function referencedFiles(store: EventStore, sessions: string[]): string[] {
  const paths = new Set<string>();
  for (const sid of sessions) {
    for (const ev of store.iterate({ session: sid })) {
      if (ev.file?.path) paths.add(ev.file.path);
      if (ev.file?.target_path) paths.add(ev.file.target_path);
      const input = ev.agent?.tool?.input as Record<string, unknown> | undefined;
      if (ev.kind === 'agent.tool.call' && input && typeof input.file_path === 'string') paths.add(input.file_path);
    }
  }
  return [...paths].filter((p) => p.startsWith('/'));
}

/** Copies the files that still exist into <dir>/snapshots/<sha256>; returns the index. */
export function snapshotFiles(paths: string[], dir: string, cfg: ResponseConfig = {}): SnapshotEntry[] {
  const maxBytes = cfg.snapshot_max_bytes ?? RESPONSE_DEFAULTS.snapshot_max_bytes;
  const maxFiles = cfg.snapshot_max_files ?? RESPONSE_DEFAULTS.snapshot_max_files;
  const snapDir = join(dir, 'snapshots');
  mkdirSync(snapDir, { recursive: true, mode: 0o700 });
  const out: SnapshotEntry[] = [];
  let copied = 0;
  for (const path of paths.sort()) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // gone: nothing to preserve
    }
    const base = { path, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime.toISOString() };
    if (st.isSymbolicLink()) {
      out.push({ ...base, symlink: readlinkSync(path), skipped: 'symlink (target recorded, not followed)' });
      continue;
    }
    if (!st.isFile()) continue;
    if (st.size > maxBytes) {
      out.push({ ...base, skipped: `larger than snapshot_max_bytes (${maxBytes})` });
      continue;
    }
    if (copied >= maxFiles) {
      out.push({ ...base, skipped: `snapshot_max_files (${maxFiles}) reached` });
      continue;
    }
    try {
      const data = readFileSync(path);
      const sha = createHash('sha256').update(data).digest('hex');
      const blob = join(snapDir, sha);
      if (!existsSync(blob)) writeFileSync(blob, data, { mode: 0o600 });
      out.push({ ...base, size: data.length, sha256: sha, blob: sha });
      copied++;
    } catch (err) {
      out.push({ ...base, skipped: `unreadable: ${(err as Error).message}` });
    }
  }
  writeFileSync(join(dir, 'snapshots.json'), `${JSON.stringify(out, null, 1)}\n`, { mode: 0o600 });
  return out;
}

/** Appends an `incident.action` event to the store; returns its seq. */
export function recordAction(store: EventStore, incidentId: string, action: string, fields: Record<string, unknown> = {}): number {
  const ev: AwEvent = {
    time: nowTime(),
    kind: 'incident.action',
    source: { type: 'forensics', name: 'incident' },
    attributes: { incident_id: incidentId, action, ...fields },
  };
  return store.appendBatch([{ event: ev }]).lastSeq;
}

export interface OpenOptions {
  sessions: string[];
  reason?: string;
  title?: string;
  alerts?: number[];
  actor?: string;
  cfg?: ResponseConfig;
  db?: IncidentDb;
}

/** Opens an incident over `sessions` and freezes them. The store must be writable. */
export function openIncident(store: EventStore, opts: OpenOptions): Incident {
  if (!store.writable) throw new AwError('STORE_READONLY', 'opening an incident appends to the store: open it with its key');
  const sessions = [...new Set(opts.sessions)];
  if (!sessions.length) throw new AwError('USAGE', 'an incident needs at least one session (--session ID)');
  const summaries = sessions.map((sid) => {
    const s = store.sessions({ session: sid })[0];
    if (!s) throw new AwError('NOT_FOUND', `no session '${sid}' in the store (see: agentwarden sessions)`);
    return s;
  });
  const db = opts.db ?? IncidentDb.open(store.dir);
  try {
    const actor = opts.actor ?? defaultActor();
    const id = newIncidentId();
    const alertEvents = (opts.alerts ?? []).map((seq) => store.get(seq)).filter((e): e is NonNullable<typeof e> => e?.kind === 'alert');
    let severity: Severity = 'medium';
    for (const a of alertEvents) if (a.alert && SEVERITY_RANK[a.alert.severity] > SEVERITY_RANK[severity]) severity = a.alert.severity;
    const first = summaries.reduce((m, s) => (s.first_time_ns < m ? s.first_time_ns : m), summaries[0].first_time_ns);
    const last = summaries.reduce((m, s) => (s.last_time_ns > m ? s.last_time_ns : m), summaries[0].last_time_ns);
    const dir = join(evidenceRoot(store, opts.cfg), id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const inc: Incident = {
      id,
      title: opts.title ?? (alertEvents[0]?.alert?.title ? `${alertEvents[0].alert.title}` : `Incident on ${sessions.join(', ')}`),
      status: 'open',
      severity,
      reason: opts.reason ?? (alertEvents.length ? `alert ${alertEvents.map((a) => a.alert?.rule_id).join(', ')}` : 'opened by hand'),
      opened_at: nowTime(),
      opened_by: actor,
      sessions,
      window: { start: formatTimeNs(first), end: formatTimeNs(last) },
      alerts: alertEvents.map((a) => a.seq),
      ioc_ids: [...new Set(alertEvents.map((a) => a.alert?.ioc_id).filter((x): x is string => Boolean(x)))],
      evidence_dir: dir,
    };
    db.insert(inc);
    db.log(id, actor, 'open', { sessions, reason: inc.reason, alerts: inc.alerts });
    // Freeze: snapshot first (files may still change), then mark the records.
    const snaps = snapshotFiles(referencedFiles(store, sessions), dir, opts.cfg);
    const frozen = summaries.map((s) => ({ session: s.session_id, first_seq: s.first_seq, last_seq: s.last_seq, events: s.events }));
    inc.freeze_seq = recordAction(store, id, 'freeze', { sessions, frozen, snapshots: snaps.filter((s) => s.blob).length, actor });
    db.update(inc);
    db.log(id, actor, 'freeze', { freeze_seq: inc.freeze_seq, frozen, snapshotted: snaps.filter((s) => s.blob).map((s) => s.path), skipped: snaps.filter((s) => s.skipped).map((s) => ({ path: s.path, why: s.skipped })) });
    return inc;
  } finally {
    if (!opts.db) db.close();
  }
}

export function closeIncident(store: EventStore, id: string, resolution: string, opts: { actor?: string; db?: IncidentDb } = {}): Incident {
  if (!resolution.trim()) throw new AwError('USAGE', 'closing needs --resolution TEXT');
  const db = opts.db ?? IncidentDb.open(store.dir);
  try {
    const inc = db.require(id);
    if (inc.status === 'closed') throw new AwError('INCIDENT_CLOSED', `incident ${id} is already closed`);
    const actor = opts.actor ?? defaultActor();
    inc.status = 'closed';
    inc.closed_at = nowTime();
    inc.resolution = resolution;
    db.update(inc);
    db.log(id, actor, 'close', { resolution });
    if (store.writable) recordAction(store, id, 'close', { sessions: inc.sessions, resolution, actor });
    return inc;
  } finally {
    if (!opts.db) db.close();
  }
}

/** Adds an alert to an open incident (proactive scanner: same session, incident already open). */
export function attachAlert(db: IncidentDb, inc: Incident, alertSeq: number, ev: AwEvent, actor: string): void {
  if (inc.alerts.includes(alertSeq)) return;
  inc.alerts.push(alertSeq);
  if (ev.alert?.ioc_id && !inc.ioc_ids.includes(ev.alert.ioc_id)) inc.ioc_ids.push(ev.alert.ioc_id);
  if (ev.alert && SEVERITY_RANK[ev.alert.severity] > SEVERITY_RANK[inc.severity as Severity]) inc.severity = ev.alert.severity;
  if ((parseTimeNs(ev.time) ?? 0n) > (parseTimeNs(inc.window.end) ?? 0n)) inc.window.end = ev.time;
  db.update(inc);
  db.log(inc.id, actor, 'alert', { alert_seq: alertSeq, rule_id: ev.alert?.rule_id, severity: ev.alert?.severity, ioc_id: ev.alert?.ioc_id });
}
