// Configuration of the embedded store (SQLite), section `store:` of the YAML config.
import type { WhenFull } from '../../core/queue.js';

export interface StoreConfig {
  /** Database directory (default <home>/store). */
  path?: string;
  /**
   * 'normal' (default): a batch is acknowledged once committed to the WAL; it survives a
   * crash or SIGKILL of any process, but the last batches may be lost on power failure.
   * 'fsync': the WAL is fsynced at every commit; acknowledged batches survive power loss.
   */
  durability?: 'normal' | 'fsync';
  /** Extra directories that receive a copy of every signed checkpoint (default <home>/checkpoints). */
  checkpoint_dirs?: string[];
  /** Log origin line written into checkpoints (default 'agentwarden/<host>'). */
  origin?: string;
  queue?: { capacity?: number; batch_size?: number; flush_ms?: number; when_full?: WhenFull };
}

export const STORE_DEFAULTS = {
  durability: 'normal' as const,
  queue: { capacity: 65536, batch_size: 2048, flush_ms: 50, when_full: 'block' as WhenFull },
};

export const STORE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    durability: { enum: ['normal', 'fsync'] },
    checkpoint_dirs: { type: 'array', items: { type: 'string' } },
    origin: { type: 'string', minLength: 1, pattern: '^[^\\n]+$' },
    queue: {
      type: 'object',
      additionalProperties: false,
      properties: {
        capacity: { type: 'integer', minimum: 1 },
        batch_size: { type: 'integer', minimum: 1 },
        flush_ms: { type: 'integer', minimum: 0 },
        when_full: { enum: ['block', 'drop_newest'] },
      },
    },
  },
} as const;
