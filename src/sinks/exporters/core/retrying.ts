// Retries transient failures of a transport with exponential backoff and full jitter,
// honouring the receiver's Retry-After (after OTel JS RetryingTransport: 5 attempts,
// 1 s initial, x1.5, 5 s cap by default). It never retries a permanent 'failure'.
import type { ExportResponse, Transport } from './types.js';
import { isRetryable } from './types.js';

export interface RetryOptions {
  /** Attempts per send, including the first (default 5). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  multiplier?: number;
  /** Upper bound on a Retry-After delay we agree to wait (default 60 s). */
  maxRetryAfterMs?: number;
  /** Injected for deterministic tests of the schedule; defaults to Math.random. */
  random?: () => number;
  /** Sleep function; the default is an unref'd timer that `abort()` cuts short. */
  sleep?: (ms: number) => Promise<void>;
}

export const RETRY_DEFAULTS = { maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 5000, multiplier: 1.5, maxRetryAfterMs: 60_000 };

/** The delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(attempt: number, res: ExportResponse, o: Required<Omit<RetryOptions, 'random' | 'sleep'>>, random: () => number): number {
  const cap = Math.min(o.maxBackoffMs, o.initialBackoffMs * Math.pow(o.multiplier, attempt - 1));
  const jittered = Math.round(random() * cap);
  const after = isRetryable(res) && res.retryInMs !== undefined ? Math.min(res.retryInMs, o.maxRetryAfterMs) : 0;
  // The server's Retry-After is a floor: resending earlier only earns another 429/503.
  return Math.max(jittered, after);
}

export class RetryingTransport implements Transport {
  private readonly o: Required<Omit<RetryOptions, 'random' | 'sleep'>>;
  private readonly random: () => number;
  private readonly sleepFn: (ms: number) => Promise<void>;
  private aborted = false;
  private wake: Array<() => void> = [];
  /** Resends performed (attempts after the first). */
  retries = 0;

  constructor(
    readonly inner: Transport,
    opts: RetryOptions = {},
  ) {
    this.o = {
      maxAttempts: opts.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
      initialBackoffMs: opts.initialBackoffMs ?? RETRY_DEFAULTS.initialBackoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? RETRY_DEFAULTS.maxBackoffMs,
      multiplier: opts.multiplier ?? RETRY_DEFAULTS.multiplier,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs,
    };
    this.random = opts.random ?? Math.random;
    this.sleepFn = opts.sleep ?? ((ms) => this.defaultSleep(ms));
  }

  get target(): string {
    return this.inner.target;
  }

  get lastError(): string | undefined {
    return this.inner.lastError;
  }

  async send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse> {
    let res: ExportResponse = await this.inner.send(data, timeoutMs);
    for (let attempt = 1; attempt < this.o.maxAttempts && isRetryable(res) && !this.aborted; attempt++) {
      await this.sleepFn(backoffDelay(attempt, res, this.o, this.random));
      if (this.aborted) break;
      this.retries++;
      res = await this.inner.send(data, timeoutMs);
    }
    return res;
  }

  /** Cuts pending backoff sleeps short (used at shutdown). */
  abort(): void {
    this.aborted = true;
    for (const w of this.wake.splice(0)) w();
  }

  async close(): Promise<void> {
    this.abort();
    await this.inner.close?.();
  }

  private defaultSleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = this.wake.filter((w) => w !== done);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.wake.push(done);
    });
  }
}

/** Parses an HTTP Retry-After value (delta-seconds or HTTP-date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const date = Date.parse(t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
