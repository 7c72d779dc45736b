// Serializers for the plain JSON shapes: JSON lines and a JSON array.
import type { AwEvent } from '../../../schema/index.js';
import { formatter, jsonLines, utf8, type PayloadFormat } from './common.js';
import type { Serializer } from './types.js';

export class JsonLinesSerializer implements Serializer {
  readonly contentType = 'application/x-ndjson';
  private readonly fmt: (ev: AwEvent) => object;
  constructor(format?: PayloadFormat) {
    this.fmt = formatter(format);
  }
  serialize(events: readonly AwEvent[]): Uint8Array {
    return jsonLines(events.map(this.fmt));
  }
}

export class JsonArraySerializer implements Serializer {
  readonly contentType = 'application/json';
  private readonly fmt: (ev: AwEvent) => object;
  constructor(format?: PayloadFormat) {
    this.fmt = formatter(format);
  }
  serialize(events: readonly AwEvent[]): Uint8Array {
    return utf8(JSON.stringify(events.map(this.fmt)));
  }
}
