// `exporters: - type: otlp-logs`: OTLP/HTTP logs with the JSON encoding, to /v1/logs.
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';

export interface OtlpLogsExporterConfig extends CommonExporterConfig {
  type: 'otlp-logs';
  /** Collector base URL, e.g. http://collector:4318 (/v1/logs is added) or the full logs URL. */
  url: string;
  /** Extra headers, e.g. an authorization header for a vendor endpoint. */
  headers?: Record<string, string>;
  /** service.name resource attribute (default agentwarden). */
  service_name?: string;
  /** Shape of the log body (default native). */
  format?: PayloadFormat;
  ca_file?: string;
  gzip?: boolean;
}

export const OTLP_LOGS_SCHEMA = exporterSchema(
  'otlp-logs',
  {
    url: { type: 'string', pattern: '^https?://' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    service_name: { type: 'string', minLength: 1 },
    ...FORMAT_PROP,
    ca_file: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  [],
  ['url'],
);
