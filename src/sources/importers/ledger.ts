// Idempotent import: every imported event has a deterministic id, and this ledger (a table
// in the store's own database, owned by the importers) remembers which ids were stored,
// so importing the same files twice, or a watcher re-reading a file, stores nothing twice.
// The check and the append run in one IMMEDIATE transaction, so two importers racing on
// the same files cannot both store a record.
import type { AwEvent } from '../../schema/index.js';
import type { EventStore } from '../../sinks/store/index.js';

// seq 0: skipped because another channel had already stored the same tool call.
const LEDGER_SQL = `CREATE TABLE IF NOT EXISTS import_ledger(event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`;

export interface StoreImportResult {
  stored: number;
  duplicates: number;
  firstSeq?: number;
  lastSeq?: number;
}

export function ensureLedger(store: EventStore): void {
  store.db.exec(LEDGER_SQL);
}

/** Ids among `ids` already in the ledger. */
export function knownIds(store: EventStore, ids: string[]): Set<string> {
  const out = new Set<string>();
  const has = store.db.prepare('SELECT 1 FROM import_ledger WHERE event_id = ?');
  for (const id of ids) if (has.get(id)) out.add(id);
  return out;
}

export interface StoreImportOptions {
  batchSize?: number;
  /** Applied to each new event before it is stored (the redaction transform). */
  transform?: { apply(ev: AwEvent): AwEvent | AwEvent[] | null; commitPathsOf?(ev: AwEvent): string[] | undefined };
  /**
   * Also skip tool calls/results whose (session, kind, call id) is already in the store
   * from another channel (hooks, OTLP): the ids agree across channels, so the first
   * channel to record a call wins (default true).
   */
  crossChannel?: boolean;
}

/** Appends events not stored before (by id, and by tool call across channels), in batches. */
export function storeImported(store: EventStore, events: readonly AwEvent[], opts: StoreImportOptions = {}): StoreImportResult {
  ensureLedger(store);
  const batchSize = opts.batchSize ?? 2000;
  const res: StoreImportResult = { stored: 0, duplicates: 0 };
  const has = store.db.prepare('SELECT 1 FROM import_ledger WHERE event_id = ?');
  const put = store.db.prepare('INSERT INTO import_ledger(event_id, seq) VALUES (?, ?)');
  const known = new Map<string, Set<string>>();
  const toolKey = (ev: AwEvent) => (ev.session && ev.agent?.tool?.call_id && (ev.kind === 'agent.tool.call' || ev.kind === 'agent.tool.result') ? `${ev.kind}\u0000${ev.agent.tool.call_id}` : undefined);
  const seenInStore = (ev: AwEvent): boolean => {
    if (opts.crossChannel === false) return false;
    const k = toolKey(ev);
    if (!k) return false;
    const sid = ev.session!.id;
    let set = known.get(sid);
    if (!set) {
      set = new Set();
      for (const e of store.iterate({ session: sid, kinds: ['agent.tool.call', 'agent.tool.result'] })) {
        const ek = toolKey(e);
        if (ek) set.add(ek);
      }
      known.set(sid, set);
    }
    if (set.has(k)) return true;
    set.add(k);
    return false;
  };
  for (let i = 0; i < events.length; i += batchSize) {
    const chunk = events.slice(i, i + batchSize);
    const tx = store.db.transaction(() => {
      const fresh: Array<{ event: AwEvent; commit?: string[] }> = [];
      const inBatch = new Set<string>();
      for (const ev of chunk) {
        if (ev.id && (inBatch.has(ev.id) || has.get(ev.id))) {
          res.duplicates++;
          continue;
        }
        if (ev.id) inBatch.add(ev.id);
        if (seenInStore(ev)) {
          res.duplicates++;
          if (ev.id) put.run(ev.id, 0);
          continue;
        }
        if (!opts.transform) {
          fresh.push({ event: ev });
          continue;
        }
        const out = opts.transform.apply(ev);
        for (const o of out === null ? [] : Array.isArray(out) ? out : [out]) {
          const commit = opts.transform.commitPathsOf?.(o);
          fresh.push(commit?.length ? { event: o, commit } : { event: o });
        }
      }
      if (!fresh.length) return;
      const r = store.appendBatch(fresh);
      let seq = r.firstSeq;
      for (const { event } of fresh) {
        if (event.id) put.run(event.id, seq);
        seq++;
      }
      res.stored += fresh.length;
      res.firstSeq ??= r.firstSeq;
      res.lastSeq = r.lastSeq;
    });
    tx.immediate();
  }
  return res;
}
