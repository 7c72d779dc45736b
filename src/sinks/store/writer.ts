// The store as a sink: a bounded, batching writer in front of EventStore.appendBatch.
// When full it either blocks the producer (`block`, the default for the store: nothing is
// lost) or drops the newest event and counts it (`drop_newest`, for producers that must
// never stall, such as a kernel ring-buffer reader).
import type { Sink } from '../../core/component.js';
import { BatchQueue, type QueueCounters, type WhenFull } from '../../core/queue.js';
import type { AwEvent } from '../../schema/index.js';
import type { AppendInput, EventStore } from './store.js';

export interface StoreWriterOptions {
  capacity?: number;
  batchSize?: number;
  flushMs?: number;
  whenFull?: WhenFull;
  /** Called after each durable batch with the highest acknowledged sequence number. */
  onDurable?: (lastSeq: number, count: number) => void;
  onError?: (err: unknown) => void;
}

export class StoreWriter implements Sink {
  readonly name = 'store';
  private readonly queue: BatchQueue<AppendInput>;
  /** Total events acknowledged as durable by this writer. */
  acknowledged = 0;
  lastSeq = 0;

  constructor(readonly store: EventStore, opts: StoreWriterOptions = {}) {
    this.queue = new BatchQueue<AppendInput>({
      capacity: opts.capacity ?? 65536,
      batchSize: opts.batchSize ?? 2048,
      flushMs: opts.flushMs ?? 50,
      whenFull: opts.whenFull ?? 'block',
      consume: (batch) => {
        const r = store.appendBatch(batch);
        this.acknowledged += batch.length;
        this.lastSeq = r.lastSeq;
        opts.onDurable?.(r.lastSeq, this.acknowledged);
      },
      onError: opts.onError,
    });
  }

  get counters(): QueueCounters {
    return this.queue.counters;
  }

  /** Queues an event; under `drop_newest` a full queue drops it (counted in counters.dropped). */
  write(event: AwEvent, commit?: readonly string[]): boolean {
    return this.queue.push({ event, commit });
  }

  /** Queues an event, waiting for space when the queue is full under `block`. */
  writeAsync(event: AwEvent, commit?: readonly string[], timeNs?: bigint): Promise<boolean> {
    return this.queue.pushAsync({ event, commit, timeNs });
  }

  /** Resolves when everything written so far is durable. */
  flush(): Promise<void> {
    return this.queue.flushed();
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
