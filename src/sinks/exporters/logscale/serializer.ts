// humio-structured body: [{"tags": {...}, "events": [{"timestamp", "attributes"}]}].
// The timestamp is RFC 3339 with millisecond precision (the full-precision time stays in
// the attributes); the host goes in a tag only as the static one the operator chose, to
// keep tag cardinality low as LogScale asks.
import type { AwEvent } from '../../../schema/index.js';
import { formatter, utf8, type PayloadFormat } from '../core/common.js';
import type { Serializer } from '../core/types.js';
import { timeMs } from '../mapping/util.js';

export class LogScaleSerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly fmt: (ev: AwEvent) => object;
  constructor(
    private readonly tags: Record<string, string> = { source: 'agentwarden' },
    format?: PayloadFormat,
  ) {
    this.fmt = formatter(format);
  }
  serialize(events: readonly AwEvent[]): Uint8Array {
    const out = events.map((ev) => {
      const ms = timeMs(ev.time);
      return { timestamp: ms === undefined ? ev.time : new Date(ms).toISOString(), attributes: this.fmt(ev) };
    });
    return utf8(JSON.stringify([{ tags: this.tags, events: out }]));
  }
}
