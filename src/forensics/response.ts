// The proactive/autonomous response: scans alerts appended since the last scan and opens
// incidents for those at or above the configured severity (one incident per affected
// session set; later alerts on a session with an open incident join it). In the
// autonomous tier the containment playbook runs too, limited to the configured actions
// and rate. `openIncidentsForAlerts` is what the daemon's response service calls.
import type { Severity } from '../schema/index.js';
import type { EventStore } from '../sinks/store/index.js';
import { RESPONSE_DEFAULTS, SEVERITY_RANK, type ResponseConfig } from './config.js';
import { runContainment, type ContainResult } from './contain/contain.js';
import { IncidentDb, type Incident } from './incident/db.js';
import { attachAlert, openIncident } from './incident/incidents.js';

export interface ScanResult {
  scanned: number;
  opened: Incident[];
  attached: Array<{ incident: string; alert_seq: number }>;
  /** Alerts at or above the threshold that name no session (nothing to freeze). */
  unattributed: number[];
  contained: Array<{ incident: string; result?: ContainResult; skipped?: string }>;
  lastSeq: number;
}

const SCAN_KEY = 'alert_scan_seq';

export function openIncidentsForAlerts(store: EventStore, cfg: ResponseConfig = {}, opts: { actor?: string; rulesDir?: string; home?: string; exporters?: string[] } = {}): ScanResult {
  const tier = cfg.tier ?? RESPONSE_DEFAULTS.tier;
  const result: ScanResult = { scanned: 0, opened: [], attached: [], unattributed: [], contained: [], lastSeq: 0 };
  if (tier === 'reactive') return result;
  const min = SEVERITY_RANK[cfg.min_severity ?? RESPONSE_DEFAULTS.min_severity];
  const actor = opts.actor ?? `agentwarden/response (${tier})`;
  const db = IncidentDb.open(store.dir);
  try {
    const after = Number(db.getMeta(SCAN_KEY) ?? '0');
    result.lastSeq = after;
    // Collected first: opening an incident appends to the store on the same connection.
    const alerts = store.query({ kinds: ['alert'], afterSeq: after });
    for (const ev of alerts) {
      result.scanned++;
      result.lastSeq = ev.seq;
      const a = ev.alert;
      if (!a || (SEVERITY_RANK[a.severity as Severity] ?? 0) < min) continue;
      const sessions = new Set<string>();
      if (ev.session?.id) sessions.add(ev.session.id);
      for (const s of a.trigger_seqs ?? []) {
        const t = store.get(s);
        if (t?.session?.id) sessions.add(t.session.id);
      }
      if (!sessions.size) {
        result.unattributed.push(ev.seq);
        continue;
      }
      const existing = [...sessions].flatMap((s) => db.openForSession(s))[0];
      if (existing) {
        attachAlert(db, existing, ev.seq, ev, actor);
        result.attached.push({ incident: existing.id, alert_seq: ev.seq });
        continue;
      }
      const inc = openIncident(store, { sessions: [...sessions], alerts: [ev.seq], actor, cfg, db, reason: `alert ${a.rule_id} (${a.severity})${a.ioc_id ? ` ${a.ioc_id}` : ''}` });
      result.opened.push(inc);
      if (tier === 'autonomous') {
        const max = cfg.autonomous?.max_per_hour ?? RESPONSE_DEFAULTS.autonomous.max_per_hour;
        const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
        const recent = (db.db.prepare("SELECT count(DISTINCT incident_id) AS n FROM incident_log WHERE action = 'contain' AND time >= ?").get(hourAgo) as { n: number }).n;
        if (recent >= max) {
          db.log(inc.id, actor, 'contain-skipped', { why: `autonomous.max_per_hour (${max}) reached` });
          result.contained.push({ incident: inc.id, skipped: 'rate limit' });
        } else {
          const allowed = cfg.autonomous?.actions ?? RESPONSE_DEFAULTS.autonomous.actions;
          const r = runContainment(store, inc.id, { dryRun: false, allowed, actor, db, cfg, rulesDir: opts.rulesDir, home: opts.home, exporters: opts.exporters });
          result.contained.push({ incident: inc.id, result: r });
        }
      }
    }
    db.setMeta(SCAN_KEY, String(result.lastSeq));
    return result;
  } finally {
    db.close();
  }
}
