// The exporter contract, after OpenTelemetry JS's otlp-exporter-base: a serializer turns a
// batch of events into bytes, a transport moves the bytes, decorators (RetryingTransport)
// wrap a transport. Results are values, never exceptions: a transport must not throw.
import type { AwEvent } from '../../../schema/index.js';

/** Turns one batch into the bytes of one request (or one framed stream). Pure. */
export interface Serializer {
  /** MIME type of the bytes (Content-Type for HTTP transports). */
  readonly contentType: string;
  serialize(events: readonly AwEvent[]): Uint8Array;
}

/** What happened to one send. */
export type ExportResponse =
  | 'success'
  /** Permanent: the receiver refused the batch (bad request, bad credentials). Do not resend. */
  | 'failure'
  /** Transient: resend later, not before `retryInMs` when the receiver said so (Retry-After). */
  | { retryable: true; retryInMs?: number; reason?: string }
  /** The request was too large (HTTP 413): the sink splits the batch and sends the halves. */
  | { tooLarge: true }
  /** Delivered, except `rejected` events the receiver refused permanently (bulk APIs). */
  | { partial: true; rejected: number; reason?: string };

export interface Transport {
  /** Human-readable destination (no secrets), for status output. */
  readonly target: string;
  send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse>;
  /** Releases sockets, files and timers. */
  close?(): Promise<void>;
  /** The reason of the last non-success, for status and errors. */
  lastError?: string;
}

export function isRetryable(r: ExportResponse): r is { retryable: true; retryInMs?: number; reason?: string } {
  return typeof r === 'object' && 'retryable' in r;
}
