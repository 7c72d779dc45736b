// Settings every exporter shares (`exporters[i].filter/buffer/batch/retry/...`) and the
// payload formats an exporter may choose between.
import type { AwEvent, Severity } from '../../../schema/index.js';
import { compileFilter } from './filter.js';
import type { ExporterSinkOptions, ExporterWhenFull } from './sink.js';
import type { Serializer, Transport } from './types.js';
import { toEcs } from '../mapping/ecs.js';
import { toOcsf } from '../mapping/ocsf.js';

export type PayloadFormat = 'native' | 'ecs' | 'ocsf';

export interface CommonExporterConfig {
  type: string;
  name: string;
  filter?: { kinds?: string[]; min_severity?: Severity };
  buffer?: { capacity?: number; when_full?: ExporterWhenFull };
  batch?: { max_events?: number; flush_ms?: number };
  retry?: { max_attempts?: number; initial_backoff_ms?: number; max_backoff_ms?: number; max_retry_after_ms?: number };
  timeout_ms?: number;
  close_timeout_ms?: number;
  /** Daemon only: where a new exporter starts reading the store (default 'end': new events only). */
  start_at?: 'end' | 'beginning';
}

const posInt = { type: 'integer', minimum: 1 } as const;

export const COMMON_PROPS: Record<string, object> = {
  type: { type: 'string' },
  name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' },
  filter: {
    type: 'object',
    additionalProperties: false,
    properties: {
      kinds: { type: 'array', items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9_.]*(\\.\\*)?)$' } },
      min_severity: { enum: ['info', 'low', 'medium', 'high', 'critical'] },
    },
  },
  buffer: {
    type: 'object',
    additionalProperties: false,
    properties: { capacity: posInt, when_full: { enum: ['drop_newest', 'drop_oldest'] } },
  },
  batch: {
    type: 'object',
    additionalProperties: false,
    properties: { max_events: posInt, flush_ms: { type: 'integer', minimum: 0 } },
  },
  retry: {
    type: 'object',
    additionalProperties: false,
    properties: {
      max_attempts: posInt,
      initial_backoff_ms: { type: 'integer', minimum: 0 },
      max_backoff_ms: { type: 'integer', minimum: 0 },
      max_retry_after_ms: { type: 'integer', minimum: 0 },
    },
  },
  timeout_ms: posInt,
  close_timeout_ms: { type: 'integer', minimum: 0 },
  start_at: { enum: ['end', 'beginning'] },
};

export const FORMAT_PROP = { format: { enum: ['native', 'ecs', 'ocsf'] } };

/** Builds an exporter's JSON Schema: common settings plus its own, unknown keys rejected. */
export function exporterSchema(type: string, props: Record<string, object>, extra: object[] = [], required: string[] = []): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'name', ...required],
    properties: { ...COMMON_PROPS, type: { const: type }, ...props },
    ...(extra.length ? { allOf: extra } : {}),
  };
}

export interface ExporterContext {
  /** Where delivery problems are reported (the daemon logs them). */
  onError?: (message: string) => void;
  host?: AwEvent['host'];
}

/** The ExporterSink options from the common settings. */
export function sinkOptions(
  cfg: CommonExporterConfig,
  serializer: Serializer,
  transport: Transport,
  ctx: ExporterContext,
  defaults: { batch?: number; flushMs?: number } = {},
): ExporterSinkOptions {
  return {
    name: cfg.name,
    serializer,
    transport,
    filter: compileFilter(cfg.filter),
    capacity: cfg.buffer?.capacity ?? 10_000,
    whenFull: cfg.buffer?.when_full ?? 'drop_newest',
    batchSize: cfg.batch?.max_events ?? defaults.batch ?? 500,
    flushMs: cfg.batch?.flush_ms ?? defaults.flushMs ?? 1000,
    timeoutMs: cfg.timeout_ms ?? 10_000,
    closeTimeoutMs: cfg.close_timeout_ms ?? 30_000,
    retry: {
      maxAttempts: cfg.retry?.max_attempts,
      initialBackoffMs: cfg.retry?.initial_backoff_ms,
      maxBackoffMs: cfg.retry?.max_backoff_ms,
      maxRetryAfterMs: cfg.retry?.max_retry_after_ms,
    },
    outageBackoffMs: cfg.retry?.max_backoff_ms !== undefined ? { initial: Math.max(1, cfg.retry.initial_backoff_ms ?? 1000), max: Math.max(cfg.retry.max_backoff_ms, 1) } : undefined,
    onError: ctx.onError,
  };
}

/** The JSON object for one event in the chosen format. */
export function formatter(format: PayloadFormat | undefined): (ev: AwEvent) => object {
  switch (format ?? 'native') {
    case 'ecs':
      return toEcs;
    case 'ocsf':
      return toOcsf;
    default:
      return (ev) => ev;
  }
}

const encoder = new TextEncoder();
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** JSON lines: one object per line, '\n' terminated. */
export function jsonLines(objects: Iterable<object>): Uint8Array {
  let out = '';
  for (const o of objects) out += JSON.stringify(o) + '\n';
  return utf8(out);
}
