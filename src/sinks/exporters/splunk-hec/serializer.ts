// HEC event envelopes, concatenated (HEC batches are JSON objects back to back, not an
// array): {"time": <epoch seconds.ms>, "host", "source", "sourcetype", "index", "event", "fields"}.
// `fields` carries low-cardinality index-time fields for fast filtering (kind, session, severity).
import type { AwEvent } from '../../../schema/index.js';
import { formatter, utf8, type PayloadFormat } from '../core/common.js';
import type { Serializer } from '../core/types.js';
import { timeMs } from '../mapping/util.js';

export interface HecEnvelopeOptions {
  index?: string;
  source?: string;
  sourcetype?: string;
  host?: string;
  format?: PayloadFormat;
}

export class SplunkHecSerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly fmt: (ev: AwEvent) => object;
  constructor(private readonly o: HecEnvelopeOptions = {}) {
    this.fmt = formatter(o.format);
  }

  serialize(events: readonly AwEvent[]): Uint8Array {
    let out = '';
    for (const ev of events) {
      const ms = timeMs(ev.time);
      const fields: Record<string, string> = { kind: ev.kind };
      if (ev.session) fields.session_id = ev.session.id;
      if (ev.session?.agent.kind) fields.agent_kind = ev.session.agent.kind;
      if (ev.alert) fields.severity = ev.alert.severity;
      const env: Record<string, unknown> = {
        time: ms === undefined ? undefined : ms / 1000,
        host: this.o.host ?? ev.host?.name,
        source: this.o.source ?? 'agentwarden',
        sourcetype: this.o.sourcetype ?? (this.o.format === 'ecs' ? 'agentwarden:ecs' : this.o.format === 'ocsf' ? 'agentwarden:ocsf' : 'agentwarden:event'),
        index: this.o.index,
        event: this.fmt(ev),
        fields,
      };
      out += JSON.stringify(env) + '\n';
    }
    return utf8(out);
  }
}
