// Bulk API NDJSON: `{"create":{"_index":..., "_id":...}}` then the ECS document, per event.
// `create` is the only op data streams accept. The _id is the event id (or a SHA-256 of the
// document when the event has none), so a resent batch is idempotent: documents already
// indexed come back 409 and count as delivered.
import { createHash } from 'node:crypto';
import type { AwEvent } from '../../../schema/index.js';
import { utf8 } from '../core/common.js';
import type { Serializer } from '../core/types.js';
import { toEcs } from '../mapping/ecs.js';

export const DEFAULT_INDEX = 'logs-agentwarden.events-default';

export class ElasticBulkSerializer implements Serializer {
  readonly contentType = 'application/x-ndjson';
  constructor(private readonly index = DEFAULT_INDEX) {}

  serialize(events: readonly AwEvent[]): Uint8Array {
    let out = '';
    for (const ev of events) {
      const doc = JSON.stringify(toEcs(ev));
      const id = ev.id ?? createHash('sha256').update(doc).digest('hex').slice(0, 40);
      out += JSON.stringify({ create: { _index: this.index, _id: id } }) + '\n' + doc + '\n';
    }
    return utf8(out);
  }
}
