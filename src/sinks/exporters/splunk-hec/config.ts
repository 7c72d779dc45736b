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
  /**
   * Indexer acknowledgement: a batch counts as delivered only once Splunk confirms it was
   * indexed (/services/collector/ack). Requires `channel` and ack enabled on the token.
   */
  ack?: boolean;
  /** How long to wait for the acknowledgement before resending (default 60 s). */
  ack_timeout_ms?: number;
  /** Poll interval of /services/collector/ack (default 1 s). */
  ack_poll_ms?: number;
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
    ack: { type: 'boolean' },
    ack_timeout_ms: { type: 'integer', minimum: 1 },
    ack_poll_ms: { type: 'integer', minimum: 1 },
  },
  [secretRequired('token'), { if: { properties: { ack: { const: true } }, required: ['ack'] }, then: { required: ['channel'] } }],
  ['url'],
);
