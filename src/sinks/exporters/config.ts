// The `exporters:` section of the YAML config: a list of exporters, each
// {type, name, ...its settings, filter: {kinds, min_severity}, buffer, batch, retry}.
// Each exporter folder owns its schema; this file lists them. The JSON Schema picks the
// exporter's schema by `type` (if/then), so an unknown or misspelt key is reported by the
// config loader at its file:line:col.
import type { CommonExporterConfig } from './core/common.js';
import { JSONL_FILE_SCHEMA, type JsonlFileExporterConfig } from './jsonl-file/config.js';
import { WEBHOOK_SCHEMA, type WebhookExporterConfig } from './webhook/config.js';
import { SPLUNK_HEC_SCHEMA, type SplunkHecExporterConfig } from './splunk-hec/config.js';
import { ELASTIC_SCHEMA, type ElasticExporterConfig } from './elastic/config.js';
import { SENTINEL_SCHEMA, type SentinelExporterConfig } from './sentinel/config.js';
import { LOGSCALE_SCHEMA, type LogScaleExporterConfig } from './logscale/config.js';
import { OCSF_SCHEMA, type OcsfExporterConfig } from './ocsf/config.js';
import { OTLP_LOGS_SCHEMA, type OtlpLogsExporterConfig } from './otlp-logs/config.js';
import { SYSLOG_SCHEMA, type SyslogExporterConfig } from './syslog/config.js';

export const EXPORTER_SCHEMAS: Record<string, object> = {
  'jsonl-file': JSONL_FILE_SCHEMA,
  webhook: WEBHOOK_SCHEMA,
  'splunk-hec': SPLUNK_HEC_SCHEMA,
  elastic: ELASTIC_SCHEMA,
  sentinel: SENTINEL_SCHEMA,
  logscale: LOGSCALE_SCHEMA,
  ocsf: OCSF_SCHEMA,
  'otlp-logs': OTLP_LOGS_SCHEMA,
  syslog: SYSLOG_SCHEMA,
};

export type ExporterConfig =
  | JsonlFileExporterConfig
  | WebhookExporterConfig
  | SplunkHecExporterConfig
  | ElasticExporterConfig
  | SentinelExporterConfig
  | LogScaleExporterConfig
  | OcsfExporterConfig
  | OtlpLogsExporterConfig
  | SyslogExporterConfig;

export type ExportersConfig = ExporterConfig[];

export type { CommonExporterConfig };

export const EXPORTERS_CONFIG_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'name'],
    properties: { type: { enum: Object.keys(EXPORTER_SCHEMAS) }, name: { type: 'string' } },
    allOf: Object.entries(EXPORTER_SCHEMAS).map(([type, schema]) => ({ if: { properties: { type: { const: type } }, required: ['type'] }, then: schema })),
  },
} as const;
