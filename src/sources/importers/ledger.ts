// Idempotent import: every imported event has a deterministic id, and this ledger (a table
// in the store's own database, owned by the importers) remembers which ids were stored,
// so importing the same files twice, or a watcher re-reading a file, stores nothing twice.
// The check and the append run in one IMMEDIATE transaction, so two importers racing on
// the same files cannot both store a record.
import type { AwEvent } from '../../schema/index.js';
import type { EventStore } from '../../sinks/store/index.js';

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

/** Appends events not stored before (by id), in batches; returns counts. */
export function storeImported(store: EventStore, events: readonly AwEvent[], batchSize = 2000): StoreImportResult {
  ensureLedger(store);
  const res: StoreImportResult = { stored: 0, duplicates: 0 };
  const has = store.db.prepare('SELECT 1 FROM import_ledger WHERE event_id = ?');
  const put = store.db.prepare('INSERT INTO import_ledger(event_id, seq) VALUES (?, ?)');
  for (let i = 0; i < events.length; i += batchSize) {
    const chunk = events.slice(i, i + batchSize);
    const tx = store.db.transaction(() => {
      const fresh: AwEvent[] = [];
      const inBatch = new Set<string>();
      for (const ev of chunk) {
        if (ev.id && (inBatch.has(ev.id) || has.get(ev.id))) {
          res.duplicates++;
          continue;
        }
        if (ev.id) inBatch.add(ev.id);
        fresh.push(ev);
      }
      if (!fresh.length) return;
      const r = store.appendBatch(fresh.map((event) => ({ event })));
      let seq = r.firstSeq;
      for (const ev of fresh) {
        if (ev.id) put.run(ev.id, seq);
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
