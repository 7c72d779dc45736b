// Wires one topology: sources emit into transforms (in order), whose output goes to every
// sink. Transforms are synchronous and pure where possible; a transform that throws on
// an event is counted and the event passes through unchanged (the record is never lost
// because an enrichment failed).
import type { AwEvent } from '../schema/index.js';
import type { Sink, Transform } from './component.js';

export interface PipelineCounters {
  received: number;
  emitted: number;
  transformErrors: Record<string, number>;
}

export class Pipeline {
  readonly counters: PipelineCounters = { received: 0, emitted: 0, transformErrors: {} };
  private readonly listeners: Array<(ev: AwEvent) => void> = [];

  constructor(
    private readonly transforms: Transform[],
    private readonly sinks: Sink[],
  ) {}

  /** Observers of every event after the transforms (live printing, tests). */
  onEvent(fn: (ev: AwEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Feeds one event through the transforms into the sinks. */
  emit = (event: AwEvent): void => {
    this.counters.received++;
    let batch: AwEvent[] = [event];
    for (const t of this.transforms) {
      const next: AwEvent[] = [];
      for (const ev of batch) {
        let r: AwEvent | AwEvent[] | null;
        try {
          r = t.apply(ev);
        } catch {
          this.counters.transformErrors[t.name] = (this.counters.transformErrors[t.name] ?? 0) + 1;
          r = ev;
        }
        if (r === null) continue;
        if (Array.isArray(r)) next.push(...r);
        else next.push(r);
      }
      batch = next;
    }
    for (const ev of batch) {
      this.counters.emitted++;
      for (const s of this.sinks) s.write(ev);
      for (const l of this.listeners) l(ev);
    }
  };

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
