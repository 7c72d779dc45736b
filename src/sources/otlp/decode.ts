// Decodes OTLP/HTTP request bodies (JSON or protobuf, optionally gzip) into one plain
// shape per signal. Both encodings end up the same: camelCase keys, ids as lowercase hex,
// times as bigint nanoseconds, attribute values as plain JSON values.
import protobuf from 'protobufjs';
import { OTLP_PROTO } from './proto/otlp-proto.js';

export type Signal = 'logs' | 'traces' | 'metrics';
export type Attrs = Record<string, unknown>;

export interface Scope {
  name?: string;
  version?: string;
}

export interface OtlpLog {
  resource: Attrs;
  scope: Scope;
  timeNs?: bigint;
  severity?: string;
  body?: unknown;
  eventName?: string;
  attributes: Attrs;
  traceId?: string;
  spanId?: string;
}

export interface OtlpSpan {
  resource: Attrs;
  scope: Scope;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startNs?: bigint;
  endNs?: bigint;
  attributes: Attrs;
  events: Array<{ timeNs?: bigint; name: string; attributes: Attrs }>;
  status?: { code?: number; message?: string };
}

export interface OtlpPoint {
  resource: Attrs;
  scope: Scope;
  metric: { name: string; unit?: string; type: 'gauge' | 'sum' | 'histogram' | 'summary' };
  timeNs?: bigint;
  value?: number;
  count?: number;
  sum?: number;
  attributes: Attrs;
}

export type Decoded = { signal: 'logs'; items: OtlpLog[] } | { signal: 'traces'; items: OtlpSpan[] } | { signal: 'metrics'; items: OtlpPoint[] };

const REQUEST_TYPE: Record<Signal, string> = {
  logs: 'opentelemetry.proto.ExportLogsServiceRequest',
  traces: 'opentelemetry.proto.ExportTraceServiceRequest',
  metrics: 'opentelemetry.proto.ExportMetricsServiceRequest',
};
const RESPONSE_TYPE: Record<Signal, string> = {
  logs: 'opentelemetry.proto.ExportLogsServiceResponse',
  traces: 'opentelemetry.proto.ExportTraceServiceResponse',
  metrics: 'opentelemetry.proto.ExportMetricsServiceResponse',
};

let root: protobuf.Root | undefined;
export function otlpRoot(): protobuf.Root {
  if (!root) {
    root = protobuf.parse(OTLP_PROTO).root;
    root.resolveAll();
  }
  return root;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** OTLP/JSON must use lowerCamelCase, but proto3 JSON readers accept the proto names too. */
const get = (o: Obj, camel: string): unknown => o[camel] ?? o[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];

function ns(v: unknown): bigint | undefined {
  if (v === undefined || v === null || v === '' || v === 0 || v === '0') return undefined;
  try {
    if (typeof v === 'object' && v !== null && 'low' in v) {
      const l = v as { low: number; high: number };
      return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    }
    const b = BigInt(v as string | number);
    return b > 0n ? b : undefined;
  } catch {
    return undefined;
  }
}

function hexId(v: unknown): string | undefined {
  if (v instanceof Uint8Array) return v.length ? Buffer.from(v).toString('hex') : undefined;
  if (typeof v === 'string' && v) return /^[0-9a-fA-F]+$/.test(v) ? v.toLowerCase() : Buffer.from(v, 'base64').toString('hex');
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  if (typeof v === 'object' && v !== null && 'low' in v) return Number(ns(v) ?? 0n);
  return undefined;
}

/** AnyValue -> plain JSON value (int64 beyond 2^53 stays a string). */
export function anyValue(v: unknown): unknown {
  const o = obj(v);
  if ('stringValue' in o || 'string_value' in o) return get(o, 'stringValue');
  if ('boolValue' in o || 'bool_value' in o) return Boolean(get(o, 'boolValue'));
  if ('intValue' in o || 'int_value' in o) {
    const raw = get(o, 'intValue');
    const s = typeof raw === 'object' && raw !== null ? String(ns(raw) ?? 0n) : String(raw);
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : s;
  }
  if ('doubleValue' in o || 'double_value' in o) return num(get(o, 'doubleValue'));
  if ('arrayValue' in o || 'array_value' in o) return arr(obj(get(o, 'arrayValue')).values).map(anyValue);
  if ('kvlistValue' in o || 'kvlist_value' in o) return attrs(obj(get(o, 'kvlistValue')).values);
  if ('bytesValue' in o || 'bytes_value' in o) {
    const b = get(o, 'bytesValue');
    return b instanceof Uint8Array ? Buffer.from(b).toString('base64') : b;
  }
  return null;
}

export function attrs(list: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of arr(list)) {
    const o = obj(kv);
    if (typeof o.key === 'string') out[o.key] = anyValue(o.value);
  }
  return out;
}

function scopeOf(v: unknown): Scope {
  const o = obj(v);
  return { ...(typeof o.name === 'string' && o.name ? { name: o.name } : {}), ...(typeof o.version === 'string' && o.version ? { version: o.version } : {}) };
}

function spanKind(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const names = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
  return typeof v === 'string' ? (names.indexOf(v) >= 0 ? names.indexOf(v) : undefined) : undefined;
}

function statusCode(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'].indexOf(v) : undefined;
}

/** Walks an ExportXServiceRequest (already a plain object) into the flat shape. */
export function flatten(signal: Signal, req: unknown): Decoded {
  const r = obj(req);
  if (signal === 'logs') {
    const items: OtlpLog[] = [];
    for (const rl of arr(get(r, 'resourceLogs'))) {
      const resource = attrs(obj(get(obj(rl), 'resource')).attributes);
      // Pre-1.0 exporters used instrumentationLibraryLogs.
      for (const sl of [...arr(get(obj(rl), 'scopeLogs')), ...arr(get(obj(rl), 'instrumentationLibraryLogs'))]) {
        const scope = scopeOf(get(obj(sl), 'scope') ?? get(obj(sl), 'instrumentationLibrary'));
        for (const lr of arr(get(obj(sl), 'logRecords'))) {
          const o = obj(lr);
          const body = o.body === undefined ? undefined : anyValue(o.body);
          const ev = get(o, 'eventName');
          items.push({
            resource,
            scope,
            timeNs: ns(get(o, 'timeUnixNano')) ?? ns(get(o, 'observedTimeUnixNano')),
            ...(typeof get(o, 'severityText') === 'string' && get(o, 'severityText') ? { severity: get(o, 'severityText') as string } : {}),
            ...(body !== undefined && body !== null ? { body } : {}),
            ...(typeof ev === 'string' && ev ? { eventName: ev } : {}),
            attributes: attrs(o.attributes),
            traceId: hexId(get(o, 'traceId')),
            spanId: hexId(get(o, 'spanId')),
          });
        }
      }
    }
    return { signal, items };
  }
  if (signal === 'traces') {
    const items: OtlpSpan[] = [];
    for (const rs of arr(get(r, 'resourceSpans'))) {
      const resource = attrs(obj(get(obj(rs), 'resource')).attributes);
      for (const ss of [...arr(get(obj(rs), 'scopeSpans')), ...arr(get(obj(rs), 'instrumentationLibrarySpans'))]) {
        const scope = scopeOf(get(obj(ss), 'scope') ?? get(obj(ss), 'instrumentationLibrary'));
        for (const sp of arr(get(obj(ss), 'spans'))) {
          const o = obj(sp);
          const st = obj(o.status);
          items.push({
            resource,
            scope,
            traceId: hexId(get(o, 'traceId')),
            spanId: hexId(get(o, 'spanId')),
            parentSpanId: hexId(get(o, 'parentSpanId')),
            name: typeof o.name === 'string' ? o.name : '',
            kind: spanKind(o.kind),
            startNs: ns(get(o, 'startTimeUnixNano')),
            endNs: ns(get(o, 'endTimeUnixNano')),
            attributes: attrs(o.attributes),
            events: arr(o.events).map((e) => ({ timeNs: ns(get(obj(e), 'timeUnixNano')), name: String(obj(e).name ?? ''), attributes: attrs(obj(e).attributes) })),
            ...(o.status ? { status: { code: statusCode(st.code), ...(typeof st.message === 'string' && st.message ? { message: st.message } : {}) } } : {}),
          });
        }
      }
    }
    return { signal, items };
  }
  const items: OtlpPoint[] = [];
  for (const rm of arr(get(r, 'resourceMetrics'))) {
    const resource = attrs(obj(get(obj(rm), 'resource')).attributes);
    for (const sm of [...arr(get(obj(rm), 'scopeMetrics')), ...arr(get(obj(rm), 'instrumentationLibraryMetrics'))]) {
      const scope = scopeOf(get(obj(sm), 'scope') ?? get(obj(sm), 'instrumentationLibrary'));
      for (const m of arr(obj(sm).metrics)) {
        const mo = obj(m);
        const name = String(mo.name ?? '');
        const unit = typeof mo.unit === 'string' && mo.unit ? mo.unit : undefined;
        for (const type of ['gauge', 'sum', 'histogram', 'summary'] as const) {
          if (!mo[type]) continue;
          for (const dp of arr(get(obj(mo[type]), 'dataPoints'))) {
            const d = obj(dp);
            const value = num(get(d, 'asDouble')) ?? num(get(d, 'asInt'));
            items.push({
              resource,
              scope,
              metric: { name, ...(unit ? { unit } : {}), type },
              timeNs: ns(get(d, 'timeUnixNano')),
              ...(value !== undefined ? { value } : {}),
              ...(num(d.count) !== undefined ? { count: num(d.count) } : {}),
              ...(num(d.sum) !== undefined ? { sum: num(d.sum) } : {}),
              attributes: attrs(d.attributes),
            });
          }
        }
      }
    }
  }
  return { signal: 'metrics', items };
}

/** Decodes a protobuf request body into the flat shape. */
export function decodeProtobuf(signal: Signal, body: Uint8Array): Decoded {
  const t = otlpRoot().lookupType(REQUEST_TYPE[signal]);
  const msg = t.decode(body);
  // longs as strings (ns timestamps exceed 2^53), bytes kept as Buffers (ids -> hex).
  return flatten(signal, t.toObject(msg, { longs: String, enums: Number, defaults: false }));
}

export function decodeJson(signal: Signal, body: Buffer): Decoded {
  return flatten(signal, JSON.parse(body.toString('utf8')) as unknown);
}

/** The success response: an empty ExportXServiceResponse, or one with partial_success. */
export function encodeResponse(signal: Signal, json: boolean, rejected = 0, message = ''): Buffer {
  const field = signal === 'logs' ? 'rejectedLogRecords' : signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  const payload = rejected ? { partialSuccess: { [field]: rejected, errorMessage: message } } : {};
  if (json) return Buffer.from(JSON.stringify(rejected ? { partialSuccess: { [field]: String(rejected), errorMessage: message } } : {}));
  const t = otlpRoot().lookupType(RESPONSE_TYPE[signal]);
  return Buffer.from(t.encode(t.fromObject(payload)).finish());
}

export function encodeStatus(json: boolean, code: number, message: string): Buffer {
  if (json) return Buffer.from(JSON.stringify({ code, message }));
  const t = otlpRoot().lookupType('opentelemetry.proto.RpcStatus');
  return Buffer.from(t.encode(t.fromObject({ code, message })).finish());
}

/** Encodes a request from the flat OTLP/JSON shape (tests and the sample replayer use it). */
export function encodeRequestProtobuf(signal: Signal, jsonRequest: unknown): Buffer {
  const t = otlpRoot().lookupType(REQUEST_TYPE[signal]);
  // OTLP/JSON ids are hex; protobufjs' fromObject expects base64 for bytes fields.
  const fixIds = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fixIds);
    if (v && typeof v === 'object') {
      const o: Obj = {};
      for (const [k, x] of Object.entries(v)) o[k] = /^(traceId|spanId|parentSpanId)$/.test(k) && typeof x === 'string' ? Buffer.from(x, 'hex').toString('base64') : fixIds(x);
      return o;
    }
    return v;
  };
  // fromObject (not verify) accepts int64 values as decimal strings, as OTLP/JSON writes them.
  return Buffer.from(t.encode(t.fromObject(fixIds(jsonRequest) as Obj)).finish());
}
