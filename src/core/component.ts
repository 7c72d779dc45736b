// The roles of the topology (after Vector): sources produce events, transforms turn one
// event into zero or more, sinks consume them. Each role has one verb.
import type { AwEvent } from '../schema/index.js';

/** Receives events from a source. */
export type Emit = (event: AwEvent) => void;

/** A Source produces events until stopped. */
export interface Source {
  readonly name: string;
  start(emit: Emit): Promise<void>;
  stop(): Promise<void>;
}

/** A Transform maps one event to zero, one or more events (pure where possible). */
export interface Transform {
  readonly name: string;
  apply(event: AwEvent): AwEvent | AwEvent[] | null;
}

/** A Sink accepts events; `write` may queue, `flush` settles when everything written is delivered. */
export interface Sink {
  readonly name: string;
  write(event: AwEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Counters every component exposes (events_received / events_dropped / events_sent). */
export interface ComponentCounters {
  received: number;
  dropped: number;
  sent: number;
}

/** A Sink that discards everything (for tests and for a disabled sink). */
export class NoopSink implements Sink {
  readonly name = 'noop';
  write(_event: AwEvent): void {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
