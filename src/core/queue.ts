// A bounded queue in front of a batch consumer. It declares what happens when full
// (after OpenTelemetry's BatchSpanProcessor and Vector's WhenFull) and counts every drop.

/** What a full queue does with a new item. */
export type WhenFull = 'block' | 'drop_newest';

export interface QueueCounters {
  received: number;
  dropped: number;
  sent: number;
  /** Items currently waiting. */
  depth: number;
}

export interface BatchQueueOptions<T> {
  capacity: number;
  batchSize: number;
  /** Max time an item waits before a partial batch is flushed. */
  flushMs: number;
  whenFull: WhenFull;
  /** Consumes one batch; the returned promise settles when the batch is durable. */
  consume: (batch: T[]) => void | Promise<void>;
  /** Called once per batch failure; the batch's waiters are rejected with the error. */
  onError?: (err: unknown, batch: T[]) => void;
  /**
   * Batches handed to `consume` before the oldest has settled (default 1). With 2, the next
   * batch is prepared while the previous one is written; `consume` must then complete
   * batches in the order it received them.
   */
  maxInFlight?: number;
}

interface Waiter {
  upto: number; // resolves when `sent` (in items pushed so far) reaches this
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Bounded FIFO with batched, ordered consumption. `push` returns false (and counts a drop)
 * when full under `drop_newest`; under `block`, use `pushAsync`, which waits for space.
 * `flushed()` resolves once everything pushed so far has been consumed.
 */
export class BatchQueue<T> {
  private readonly opts: BatchQueueOptions<T>;
  private items: T[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private pushedTotal = 0;
  private consumedTotal = 0;
  private failed: unknown;
  private waiters: Waiter[] = [];
  private spaceWaiters: Array<() => void> = [];
  readonly counters: QueueCounters = { received: 0, dropped: 0, sent: 0, depth: 0 };

  constructor(opts: BatchQueueOptions<T>) {
    if (opts.capacity < 1 || opts.batchSize < 1) throw new RangeError('capacity and batchSize must be >= 1');
    this.opts = opts;
  }

  get depth(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; false if the queue was full and the item was dropped (counted). */
  push(item: T): boolean {
    this.counters.received++;
    // A synchronous push cannot wait: when full it drops the newest item and counts it,
    // whatever the policy. Producers that must not lose anything use pushAsync.
    if (this.depth >= this.opts.capacity) {
      this.counters.dropped++;
      return false;
    }
    this.items.push(item);
    this.pushedTotal++;
    this.counters.depth = this.depth;
    this.schedule();
    return true;
  }

  /** Adds an item, waiting for space when full under `block` (backpressure). */
  async pushAsync(item: T): Promise<boolean> {
    if (this.opts.whenFull === 'block') {
      while (this.depth >= this.opts.capacity) {
        await new Promise<void>((r) => this.spaceWaiters.push(r));
      }
    }
    return this.push(item);
  }

  /** Resolves when every item pushed before the call has been consumed (durable). */
  flushed(): Promise<void> {
    const upto = this.pushedTotal;
    if (this.consumedTotal >= upto) return this.failed ? Promise.reject(this.failed) : Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upto, resolve, reject });
      this.kick();
    });
  }

  /** Forces a flush now instead of waiting for the timer. */
  kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    void this.drain();
  }

  private schedule(): void {
    if (this.running) return;
    if (this.depth >= this.opts.batchSize) {
      this.kick();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, this.opts.flushMs);
      // The flush timer alone must not keep the process alive; flushed()/close keep it.
      this.timer.unref();
    }
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const maxInFlight = Math.max(1, this.opts.maxInFlight ?? 1);
    const inFlight: Array<Promise<void>> = [];
    try {
      while (this.depth > 0 || inFlight.length) {
        if (this.depth === 0 || inFlight.length >= maxInFlight) {
          await inFlight.shift();
          continue;
        }
        const end = Math.min(this.items.length, this.head + this.opts.batchSize);
        const batch = this.items.slice(this.head, end);
        this.head = end;
        if (this.head > 65536 && this.head * 2 > this.items.length) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        this.counters.depth = this.depth;
        for (const w of this.spaceWaiters.splice(0)) w();
        let p: Promise<void>;
        try {
          p = Promise.resolve(this.opts.consume(batch));
        } catch (err) {
          p = Promise.reject(err);
        }
        inFlight.push(
          p.then(
            () => {
              this.counters.sent += batch.length;
              this.consumedTotal += batch.length;
              this.settleWaiters();
            },
            (err) => {
              this.failed = err;
              this.opts.onError?.(err, batch);
              this.consumedTotal += batch.length;
              this.settleWaiters();
            },
          ),
        );
      }
    } finally {
      this.running = false;
    }
    if (this.depth > 0) this.schedule();
  }

  private settleWaiters(): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.consumedTotal >= w.upto) {
        if (this.failed) w.reject(this.failed);
        else w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }
}
