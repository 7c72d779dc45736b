// OCSF serializers: JSON lines (files) or one JSON array (HTTP), each object from toOcsf.
import type { AwEvent } from '../../../schema/index.js';
import { jsonLines, utf8 } from '../core/common.js';
import type { Serializer } from '../core/types.js';
import { toOcsf } from '../mapping/ocsf.js';

export class OcsfJsonLinesSerializer implements Serializer {
  readonly contentType = 'application/x-ndjson';
  serialize(events: readonly AwEvent[]): Uint8Array {
    return jsonLines(events.map(toOcsf));
  }
}

export class OcsfJsonArraySerializer implements Serializer {
  readonly contentType = 'application/json';
  serialize(events: readonly AwEvent[]): Uint8Array {
    return utf8(JSON.stringify(events.map(toOcsf)));
  }
}
