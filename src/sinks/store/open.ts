// Opens the store of an AgentWarden home with its config: creates the signing key on first
// run and wires the checkpoint copies outside the database directory.
import { ensureSigningKey } from '../../core/keys.js';
import type { AwPaths } from '../../core/paths.js';
import { resolve } from 'node:path';
import type { StoreConfig } from './config.js';
import { STORE_DEFAULTS } from './config.js';
import { EventStore } from './store.js';
import { StoreWriter, type StoreWriterOptions } from './writer.js';

export function storeDirOf(paths: AwPaths, cfg: StoreConfig = {}): string {
  return cfg.path ? resolve(cfg.path) : paths.storeDir;
}

/** Opens the store for writing (creating key and database on first use). */
export function openStore(paths: AwPaths, cfg: StoreConfig = {}): EventStore {
  const key = ensureSigningKey(paths.keysDir);
  return EventStore.open({
    dir: storeDirOf(paths, cfg),
    key,
    checkpointDirs: [paths.checkpointsDir, ...(cfg.checkpoint_dirs ?? []).map((d) => resolve(d))],
    durability: cfg.durability ?? STORE_DEFAULTS.durability,
    origin: cfg.origin,
  });
}

/** Opens the store for reading only (no key needed). */
export function openStoreReadonly(paths: AwPaths, cfg: StoreConfig = {}): EventStore {
  return EventStore.open({ dir: storeDirOf(paths, cfg), readonly: true });
}

/** A writer with the configured queue policy. */
export function storeWriter(store: EventStore, cfg: StoreConfig = {}, extra: StoreWriterOptions = {}): StoreWriter {
  const q = { ...STORE_DEFAULTS.queue, ...(cfg.queue ?? {}) };
  return new StoreWriter(store, { capacity: q.capacity, batchSize: q.batch_size, flushMs: q.flush_ms, whenFull: q.when_full, ...extra });
}
