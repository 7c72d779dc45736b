// The Logs Ingestion API body is a JSON array whose objects match the DCR's stream
// declaration. Our stream has fixed columns for filtering plus the whole event as a
// dynamic column (docs/exporters.md gives the matching streamDeclarations and table):
//   TimeGenerated (datetime), Kind, SessionId, AgentKind, HostName, Severity, RuleId (string),
//   EventId (string), Event (dynamic).
import type { AwEvent } from '../../../schema/index.js';
import { formatter, utf8, type PayloadFormat } from '../core/common.js';
import type { Serializer } from '../core/types.js';

export class SentinelSerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly fmt: (ev: AwEvent) => object;
  constructor(format?: PayloadFormat) {
    this.fmt = formatter(format);
  }
  serialize(events: readonly AwEvent[]): Uint8Array {
    return utf8(
      JSON.stringify(
        events.map((ev) => ({
          // Azure datetime columns take RFC 3339 with up to 7 fractional digits.
          TimeGenerated: ev.time.replace(/(\.\d{7})\d+/, '$1'),
          Kind: ev.kind,
          SessionId: ev.session?.id ?? '',
          AgentKind: ev.session?.agent.kind ?? '',
          HostName: ev.host?.name ?? '',
          Severity: ev.alert?.severity ?? '',
          RuleId: ev.alert?.rule_id ?? '',
          EventId: ev.id ?? '',
          Event: this.fmt(ev),
        })),
      ),
    );
  }
}
