// The store as a sink: a bounded, batching writer in front of EventStore.
// When full it either blocks the producer (`block`, the default for the store: nothing is
// lost) or drops the newest event and counts it (`drop_newest`, for producers that must
// never stall, such as a kernel ring-buffer reader).
// Threaded mode encodes each batch on the calling thread and commits it on a worker thread,
// so encoding the next batch overlaps writing the previous one (two cores instead of one).
import { Worker } from 'node:worker_threads';
import type { Sink } from '../../core/component.js';
import { AwError } from '../../core/errors.js';
import { BatchQueue, type QueueCounters, type WhenFull } from '../../core/queue.js';
import type { AwEvent } from '../../schema/index.js';
import { prepareBatch, type AppendInput, type EventStore, type PreparedBatch } from './store.js';

export interface StoreWriterOptions {
  capacity?: number;
  batchSize?: number;
  flushMs?: number;
  whenFull?: WhenFull;
  /** Commit on a worker thread (for sustained high rates: daemon, run, ingest). */
  threaded?: boolean;
  /** Called after each durable batch with the highest acknowledged sequence number. */
  onDurable?: (lastSeq: number, count: number) => void;
  onError?: (err: unknown) => void;
}

interface Pending {
  resolve: (r: { firstSeq: number; lastSeq: number }) => void;
  reject: (e: Error) => void;
}

export class StoreWriter implements Sink {
  readonly name = 'store';
  private readonly queue: BatchQueue<AppendInput>;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Total events acknowledged as durable by this writer. */
  acknowledged = 0;
  lastSeq = 0;

  constructor(
    readonly store: EventStore,
    opts: StoreWriterOptions = {},
  ) {
    const done = (lastSeq: number, n: number) => {
      this.acknowledged += n;
      this.lastSeq = lastSeq;
      opts.onDurable?.(lastSeq, this.acknowledged);
    };
    if (opts.threaded) {
      this.worker = new Worker(new URL('./writer-worker.js', import.meta.url), { workerData: store.writerOptions() });
      this.worker.on('message', (m: { id: number; lastSeq?: number; firstSeq?: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new AwError('STORE_WRITE', m.error));
        else p.resolve({ firstSeq: m.firstSeq!, lastSeq: m.lastSeq! });
      });
      this.worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      // The worker must not keep a finished process alive; pending batches keep the queue busy.
      this.worker.unref();
    }
    this.queue = new BatchQueue<AppendInput>({
      capacity: opts.capacity ?? 65536,
      batchSize: opts.batchSize ?? 2048,
      flushMs: opts.flushMs ?? 50,
      whenFull: opts.whenFull ?? 'block',
      maxInFlight: opts.threaded ? 4 : 1,
      consume: (batch) => {
        // Nobody maps the writer's results back to positions in a batch, so it clusters.
        if (!this.worker) {
          const r = store.appendBatch(batch, { cluster: true });
          done(r.lastSeq, batch.length);
          return;
        }
        return this.commitOnWorker(prepareBatch(batch, { cluster: true })).then((r) => done(r.lastSeq, batch.length));
      },
      onError: opts.onError,
    });
  }

  private commitOnWorker(batch: PreparedBatch): Promise<{ firstSeq: number; lastSeq: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.ref();
      this.worker!.postMessage({ id, batch }, [batch.bytes.buffer, batch.headEnd.buffer, batch.tailEnd.buffer, batch.times.buffer, batch.keys.buffer, batch.keyEnd.buffer] as ArrayBuffer[]);
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    }) as Promise<{ firstSeq: number; lastSeq: number }>;
  }

  get counters(): QueueCounters {
    return this.queue.counters;
  }

  /** Queues an event; a full queue drops it (counted in counters.dropped). */
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
    try {
      await this.flush();
    } finally {
      if (this.worker) {
        const w = this.worker;
        this.worker = undefined;
        await w.terminate();
      }
    }
  }
}
