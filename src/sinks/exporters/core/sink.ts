// ExporterSink: the bounded, retrying buffer between the pipeline and one exporter.
// - `write` never blocks and never throws: the event is filtered, then buffered. When the
//   buffer is full it drops (the newest or the oldest, as configured) and counts the drop.
// - A delivery loop takes batches in order, serializes each once, and sends it through the
//   RetryingTransport. While the receiver is down (retryable results) the batch stays at
//   the head and the loop keeps trying with capped backoff: nothing is lost on a receiver
//   restart unless the buffer overflows meanwhile, and then every loss is counted.
// - A permanent 'failure' (the receiver refused the batch) is counted as `rejected`.
// - `flush` resolves when everything written before it is settled (delivered or counted);
//   `close` flushes, giving up after closeTimeoutMs and counting what remains as `shutdown`.
import type { Sink } from '../../../core/component.js';
import type { AwEvent } from '../../../schema/index.js';
import { nowTime } from '../../../schema/index.js';
import type { EventPredicate } from './filter.js';
import { RetryingTransport, type RetryOptions } from './retrying.js';
import type { ExportResponse, Serializer, Transport } from './types.js';
import { isRetryable } from './types.js';

export type ExporterWhenFull = 'drop_newest' | 'drop_oldest';
export type WriteOutcome = 'accepted' | 'filtered' | 'dropped';

export interface ExporterSinkOptions {
  name: string;
  serializer: Serializer;
  transport: Transport;
  filter?: EventPredicate;
  /** Events buffered at most, including the batch in flight (default 10,000). */
  capacity?: number;
  batchSize?: number;
  /** Max wait before a partial batch is sent (default 1000 ms). */
  flushMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  whenFull?: ExporterWhenFull;
  retry?: RetryOptions;
  /** Backoff between delivery rounds while the receiver stays down (default 1 s doubling to 30 s). */
  outageBackoffMs?: { initial: number; max: number };
  /** How long close() keeps trying to deliver before counting the rest as dropped (default 30 s). */
  closeTimeoutMs?: number;
  /** Called (never throws into us) when a batch is rejected, dropped or the receiver goes down. */
  onError?: (message: string) => void;
}

export interface ExporterCounters {
  received: number;
  /** Not selected by the exporter's filter (not a loss). */
  filtered: number;
  sent: number;
  dropped: { buffer_full: number; rejected: number; shutdown: number; serialize_error: number };
  batches: number;
  /** Resends by the RetryingTransport plus delivery rounds during an outage. */
  retries: number;
  depth: number;
  /** 'ok', or 'retrying' while the receiver is unreachable. */
  state: 'ok' | 'retrying' | 'closed';
}

interface Waiter {
  upto: number;
  resolve: () => void;
}

export class ExporterSink implements Sink {
  readonly name: string;
  readonly counters: ExporterCounters = {
    received: 0,
    filtered: 0,
    sent: 0,
    dropped: { buffer_full: 0, rejected: 0, shutdown: 0, serialize_error: 0 },
    batches: 0,
    retries: 0,
    depth: 0,
    state: 'ok',
  };
  readonly transport: RetryingTransport;
  private readonly serializer: Serializer;
  private readonly filter?: EventPredicate;
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly timeoutMs: number;
  private readonly whenFull: ExporterWhenFull;
  private readonly outage: { initial: number; max: number };
  private readonly closeTimeoutMs: number;
  private readonly onError?: (message: string) => void;
  private buf: AwEvent[] = [];
  private head = 0;
  private inflight = 0;
  private accepted = 0;
  private settled = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closing = false;
  private giveUp = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private reportedDrops = 0;

  constructor(opts: ExporterSinkOptions) {
    this.name = opts.name;
    this.serializer = opts.serializer;
    this.transport = opts.transport instanceof RetryingTransport ? opts.transport : new RetryingTransport(opts.transport, opts.retry);
    this.filter = opts.filter;
    this.capacity = opts.capacity ?? 10_000;
    this.batchSize = Math.min(opts.batchSize ?? 500, this.capacity);
    this.flushMs = opts.flushMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.whenFull = opts.whenFull ?? 'drop_newest';
    this.outage = opts.outageBackoffMs ?? { initial: 1000, max: 30_000 };
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 30_000;
    this.onError = opts.onError;
    if (this.capacity < 1 || this.batchSize < 1) throw new RangeError('capacity and batchSize must be >= 1');
  }

  get depth(): number {
    return this.buf.length - this.head + this.inflight;
  }

  /** Total events lost (every reason). */
  get droppedTotal(): number {
    const d = this.counters.dropped;
    return d.buffer_full + d.rejected + d.shutdown + d.serialize_error;
  }

  /** Events buffered so far (the n-th accepted event is settled once settledCount >= n). */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** Accepted events delivered or counted as lost, in order. */
  get settledCount(): number {
    return this.settled;
  }

  /** Free buffer slots (a producer that can wait, such as a store tail, stays under this). */
  get room(): number {
    return Math.max(0, this.capacity - this.depth);
  }

  /** Buffers the event; says whether it was accepted, filtered out or dropped (counted). */
  write(event: AwEvent): WriteOutcome {
    this.counters.received++;
    if (this.closed) {
      this.counters.dropped.shutdown++;
      return 'dropped';
    }
    if (this.filter && !this.filter(event)) {
      this.counters.filtered++;
      return 'filtered';
    }
    if (this.depth >= this.capacity) {
      if (this.whenFull === 'drop_oldest' && this.buf.length - this.head > 0) {
        this.head++;
        this.settled++; // the oldest waiting event is settled (as a counted loss)
        this.counters.dropped.buffer_full++;
        this.settleWaiters();
      } else {
        this.counters.dropped.buffer_full++;
        return 'dropped';
      }
    }
    this.buf.push(event);
    this.accepted++;
    this.counters.depth = this.depth;
    this.schedule();
    return 'accepted';
  }

  /** Resolves once every event written before the call is delivered or counted as dropped. */
  flush(): Promise<void> {
    const upto = this.accepted;
    if (this.settled >= upto) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ upto, resolve });
      this.kick();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    const deadline = setTimeout(() => {
      // Stop waiting for the receiver: the loop counts what remains as 'shutdown'.
      this.giveUp = true;
      this.transport.abort();
      this.wake?.();
      this.kick();
    }, this.closeTimeoutMs);
    try {
      await this.flush();
    } finally {
      clearTimeout(deadline);
      this.closed = true;
      this.counters.state = 'closed';
      await this.transport.close().catch(() => undefined);
    }
  }

  /**
   * A `sensor.drop` event describing drops since the previous call, or null if there were
   * none; the daemon emits it into the record so losses are visible in the store.
   */
  dropReport(host?: AwEvent['host']): AwEvent | null {
    const total = this.droppedTotal;
    if (total === this.reportedDrops) return null;
    this.reportedDrops = total;
    const d = this.counters.dropped;
    return {
      time: nowTime(),
      kind: 'sensor.drop',
      host,
      source: { type: 'exporter', name: this.name },
      sensor: {
        name: `exporter:${this.name}`,
        state: this.counters.state === 'retrying' ? 'degraded' : undefined,
        drops: { ...d },
        message: this.transport.lastError,
      },
    };
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    void this.run();
  }

  private schedule(): void {
    if (this.running) return;
    if (this.buf.length - this.head >= this.batchSize) {
      this.kick();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.buf.length - this.head > 0) {
        const end = Math.min(this.buf.length, this.head + this.batchSize);
        const batch = this.buf.slice(this.head, end);
        this.head = end;
        this.inflight = batch.length;
        if (this.head > 4096 && this.head * 2 > this.buf.length) {
          this.buf = this.buf.slice(this.head);
          this.head = 0;
        }
        await this.deliver(batch);
        this.inflight = 0;
        this.settled += batch.length;
        this.counters.depth = this.depth;
        this.settleWaiters();
      }
    } finally {
      this.running = false;
    }
    if (this.buf.length - this.head > 0) this.schedule();
  }

  private async deliver(batch: AwEvent[]): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = this.serializer.serialize(batch);
    } catch (err) {
      // One unserializable event (a cycle or a BigInt in `attributes`) must not cost the
      // whole batch: keep the events that serialize alone, count the others.
      const good = batch.filter((ev) => {
        try {
          this.serializer.serialize([ev]);
          return true;
        } catch {
          return false;
        }
      });
      // Every event alone is fine but not the batch (a serializer limit): count the batch.
      const bad = good.length === batch.length ? batch.length : batch.length - good.length;
      this.counters.dropped.serialize_error += bad;
      this.report(`cannot serialize ${bad} event(s): ${(err as Error).message}`);
      if (bad < batch.length) await this.deliver(good);
      return;
    }
    let delay = this.outage.initial;
    let seen = this.transport.retries;
    for (;;) {
      let res: ExportResponse;
      try {
        res = await this.transport.send(bytes, this.timeoutMs);
      } catch (err) {
        // Transports return values; a throw is a bug in one, treated as transient.
        res = { retryable: true, reason: (err as Error).message };
      }
      this.counters.retries += this.transport.retries - seen;
      seen = this.transport.retries;
      if (res === 'success') {
        this.counters.sent += batch.length;
        this.counters.batches++;
        this.counters.state = 'ok';
        return;
      }
      if (res === 'failure') {
        this.counters.dropped.rejected += batch.length;
        this.counters.state = 'ok';
        this.report(`batch of ${batch.length} rejected by ${this.transport.target}: ${this.transport.lastError ?? 'failure'}`);
        return;
      }
      if ('tooLarge' in res) {
        if (batch.length === 1) {
          this.counters.dropped.rejected++;
          this.report(`one event is larger than ${this.transport.target} accepts`);
          return;
        }
        // Split and send the halves in order (each may split again).
        const mid = Math.ceil(batch.length / 2);
        await this.deliver(batch.slice(0, mid));
        await this.deliver(batch.slice(mid));
        return;
      }
      if ('partial' in res) {
        const rejected = Math.min(res.rejected, batch.length);
        this.counters.sent += batch.length - rejected;
        this.counters.dropped.rejected += rejected;
        this.counters.batches++;
        this.counters.state = 'ok';
        if (rejected) this.report(`${rejected} of ${batch.length} events rejected by ${this.transport.target}: ${res.reason ?? ''}`);
        return;
      }
      if (this.giveUp) {
        this.counters.dropped.shutdown += batch.length;
        this.report(`closing: ${batch.length} events not delivered to ${this.transport.target}: ${res.reason ?? this.transport.lastError ?? ''}`);
        // Everything still buffered is lost too; count it and empty the buffer.
        const rest = this.buf.length - this.head;
        this.counters.dropped.shutdown += rest;
        this.settled += rest;
        this.buf = [];
        this.head = 0;
        return;
      }
      if (this.counters.state !== 'retrying') this.report(`${this.transport.target} unavailable, buffering: ${res.reason ?? this.transport.lastError ?? ''}`);
      this.counters.state = 'retrying';
      this.counters.retries++;
      // Retry-After is honoured between rounds too, within the same cap (a server cannot park us for a day).
      const wait = Math.max(Math.min(isRetryable(res) ? res.retryInMs ?? 0 : 0, Math.max(this.outage.max, 60_000)), delay);
      delay = Math.min(this.outage.max, delay * 2);
      await this.sleep(this.closing ? Math.min(wait, 250) : wait);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private settleWaiters(): void {
    if (!this.waiters.length) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.settled >= w.upto) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  private report(message: string): void {
    try {
      this.onError?.(`exporter ${this.name}: ${message}`);
    } catch {
      // A faulty error handler must not stop delivery.
    }
  }
}
