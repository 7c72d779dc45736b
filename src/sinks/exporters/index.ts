// Public surface of the SIEM exporters: the core (serializer + transport + retrying,
// bounded ExporterSink), the mappers (ECS, OCSF), each exporter, config and the factory.
export { ExporterSink } from './core/sink.js';
export type { ExporterSinkOptions, ExporterCounters, ExporterWhenFull, WriteOutcome } from './core/sink.js';
export { ExportersService } from './service.js';
export type { ExportersServiceOptions } from './service.js';
export type { Serializer, Transport, ExportResponse } from './core/types.js';
export { RetryingTransport, parseRetryAfter, backoffDelay, RETRY_DEFAULTS } from './core/retrying.js';
export type { RetryOptions } from './core/retrying.js';
export { HttpTransport, defaultClassify } from './core/http.js';
export type { HttpTransportOptions } from './core/http.js';
export { FileTransport } from './core/file.js';
export { compileFilter } from './core/filter.js';
export type { FilterConfig } from './core/filter.js';
export type { ExporterContext, PayloadFormat } from './core/common.js';
export { toEcs, ECS_CLASS, ECS_VERSION } from './mapping/ecs.js';
export { toOcsf, ocsfClass, OCSF_CLASS, OCSF_VERSION } from './mapping/ocsf.js';
export { EXPORTERS_CONFIG_SCHEMA, EXPORTER_SCHEMAS } from './config.js';
export type { ExporterConfig, ExportersConfig } from './config.js';
export { createExporters, EXPORTER_FACTORIES } from './factory.js';
export { createJsonlFileExporter, JsonLinesSerializer } from './jsonl-file/index.js';
export { createWebhookExporter, signWebhook, verifyWebhook } from './webhook/index.js';
export { createSplunkHecExporter, SplunkHecSerializer } from './splunk-hec/index.js';
export { createElasticExporter, ElasticBulkSerializer } from './elastic/index.js';
export { createSentinelExporter, SentinelSerializer, ClientCredentialsToken } from './sentinel/index.js';
export { createLogScaleExporter, LogScaleSerializer } from './logscale/index.js';
export { createOcsfExporter, OcsfJsonArraySerializer, OcsfJsonLinesSerializer } from './ocsf/index.js';
export { createOtlpLogsExporter, OtlpLogsSerializer } from './otlp-logs/index.js';
export { createSyslogExporter, SyslogSerializer } from './syslog/index.js';
