// Resolves a SESSION|INCIDENT argument into the sessions and events it covers, and loads
// those events in time order. Used by every reconstruction command.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AwError } from '../../core/errors.js';
import { isKernelEvent, joinEvents, stamp } from '../../transforms/join/index.js';
import { parseTimeNs, type AwEvent } from '../../schema/index.js';
import type { EventStore, StoredEvent } from '../../sinks/store/index.js';
import { IncidentDb, type Incident } from '../incident/db.js';

export interface Scope {
  kind: 'session' | 'incident';
  id: string;
  sessions: string[];
  incident?: Incident;
}

export function looksLikeIncidentId(id: string): boolean {
  return /^INC-/.test(id);
}

/** Opens the incident database beside a store if it exists (read paths) or creates it. */
export function incidentDbOf(store: EventStore, create = true): IncidentDb | undefined {
  if (!create && !existsSync(join(store.dir, 'forensics.db'))) return undefined;
  return IncidentDb.open(store.dir);
}

export function resolveScope(store: EventStore, target: string): Scope {
  if (looksLikeIncidentId(target)) {
    const db = incidentDbOf(store, false);
    const inc = db?.get(target);
    db?.close();
    if (!inc) throw new AwError('NOT_FOUND', `no incident '${target}'`);
    return { kind: 'incident', id: target, sessions: inc.sessions, incident: inc };
  }
  if (store.sessions({ session: target }).length === 0) {
    throw new AwError('NOT_FOUND', `no session or incident '${target}' (see: agentwarden sessions, agentwarden incident list)`);
  }
  return { kind: 'session', id: target, sessions: [target] };
}

export interface TimedEvent {
  ev: StoredEvent;
  ns: bigint;
}

/**
 * Every event of the scope in time order (ties by seq): the sessions' records, alerts that
 * name their records, and the incident's own actions.
 */
export function scopeEvents(store: EventStore, scope: Scope, opts: { maxSeq?: number } = {}): TimedEvent[] {
  const out: TimedEvent[] = [];
  const seen = new Set<number>();
  const push = (ev: StoredEvent) => {
    if (seen.has(ev.seq) || (opts.maxSeq !== undefined && ev.seq > opts.maxSeq)) return;
    seen.add(ev.seq);
    out.push({ ev, ns: parseTimeNs(ev.time) ?? 0n });
  };
  // Session records straight from their blocks; bodies with salted commitments go through
  // the store's decoder.
  for (const sid of scope.sessions) {
    for (const [seq, body] of store.sessionBodies(sid, opts.maxSeq)) {
      if (seen.has(seq)) continue;
      const ev = body.includes('"$commit"') ? store.get(seq) : (JSON.parse(body) as StoredEvent);
      if (!ev || ev.session?.id !== sid) continue;
      seen.add(seq);
      out.push({ ev, ns: parseTimeNs(ev.time) ?? 0n });
    }
  }
  // Alerts raised without a session but pointing at the scope's records, and incident actions.
  const sessions = new Set(scope.sessions);
  for (const ev of store.iterate({ kinds: ['alert', 'incident.action'] })) {
    if (seen.has(ev.seq)) continue;
    if (ev.kind === 'incident.action') {
      const at = ev.attributes ?? {};
      const ids = Array.isArray(at.sessions) ? (at.sessions as string[]) : [];
      if ((scope.incident && at.incident_id === scope.incident.id) || ids.some((s) => sessions.has(s))) push(ev);
    } else if (ev.alert?.trigger_seqs?.some((s) => seen.has(s))) push(ev);
  }
  if (scope.kind === 'session' && out.length === 0) return out;
  // Records are mostly in time order already (checked in O(n) first); sort on (time, seq).
  let sorted = true;
  for (let i = 1; i < out.length && sorted; i++) if (out[i].ns < out[i - 1].ns || (out[i].ns === out[i - 1].ns && out[i].ev.seq < out[i - 1].ev.seq)) sorted = false;
  if (!sorted) out.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.ev.seq - b.ev.seq));
  // Kernel records stored before the agent's own tool calls were known (a transcript
  // imported afterwards, hooks that were not live) are joined to their tool calls here, at
  // read time, with the same join the live pipeline uses.
  // Only records not joined yet are joined (plus agent events, and process starts for
  // descent): a live-joined store pays nothing here.
  const unjoined = out.filter((t) => isKernelEvent(t.ev) && !t.ev.session?.tool_call_id);
  if (unjoined.length && out.some((t) => t.ev.kind === 'agent.tool.call')) {
    const input = out.filter((t) => t.ev.kind.startsWith('agent.') || t.ev.kind === 'process.exec' || t.ev.kind === 'process.fork' || (isKernelEvent(t.ev) && !t.ev.session?.tool_call_id)).map((t) => t.ev);
    const { matches, joiner } = joinEvents(input);
    for (const t of unjoined) {
      const m = matches.get(t.ev);
      if (m) t.ev = stamp(t.ev, m, joiner) as StoredEvent;
    }
  }
  return out;
}

export function eventsOnly(list: TimedEvent[]): AwEvent[] {
  return list.map((t) => t.ev);
}
