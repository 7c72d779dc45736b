// `exporters: - type: splunk-hec`: Splunk HTTP Event Collector, /services/collector/event.
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';
import { secretProps, secretRequired } from '../core/secret.js';

export interface SplunkHecExporterConfig extends CommonExporterConfig {
  type: 'splunk-hec';
  /** Base URL of the collector, e.g. https://splunk.example:8088 (the path is added). */
  url: string;
  token?: string;
  token_env?: string;
  token_file?: string;
  index?: string;
  source?: string;
  sourcetype?: string;
  /** Envelope `host` (default: the event's host.name). */
  host?: string;
  format?: PayloadFormat;
  /** GUID sent as X-Splunk-Request-Channel (needed when indexer acknowledgement is on). */
  channel?: string;
  ca_file?: string;
  gzip?: boolean;
}

export const SPLUNK_HEC_SCHEMA = exporterSchema(
  'splunk-hec',
  {
    url: { type: 'string', pattern: '^https?://' },
    ...secretProps('token'),
    index: { type: 'string', minLength: 1 },
    source: { type: 'string', minLength: 1 },
    sourcetype: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1 },
    ...FORMAT_PROP,
    channel: { type: 'string', pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' },
    ca_file: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  [secretRequired('token')],
  ['url'],
);
