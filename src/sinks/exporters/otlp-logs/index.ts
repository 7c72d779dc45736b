// OTLP logs exporter: events as OpenTelemetry log records over OTLP/HTTP JSON.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { ExporterSink } from '../core/sink.js';
import type { OtlpLogsExporterConfig } from './config.js';
import { OtlpLogsSerializer, anyValue, anyValueJson } from './serializer.js';
import { otlpLogsTransport, logsEndpoint } from './transport.js';

export { OTLP_LOGS_SCHEMA } from './config.js';
export type { OtlpLogsExporterConfig } from './config.js';
export { OtlpLogsSerializer, anyValue, anyValueJson, logsEndpoint };

export function createOtlpLogsExporter(cfg: OtlpLogsExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  return new ExporterSink(sinkOptions(cfg, new OtlpLogsSerializer(cfg.service_name, cfg.format), otlpLogsTransport({ url: cfg.url, headers: cfg.headers, caFile: cfg.ca_file, gzip: cfg.gzip }), ctx, { batch: 512 }));
}
