// `exporters: - type: logscale`: CrowdStrike Falcon LogScale structured ingest.
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';
import { secretProps, secretRequired } from '../core/secret.js';

export interface LogScaleExporterConfig extends CommonExporterConfig {
  type: 'logscale';
  /** Base URL, e.g. https://cloud.community.humio.com (the ingest path is added). */
  url: string;
  /** Ingest token of the repository (or token_env / token_file). */
  token?: string;
  token_env?: string;
  token_file?: string;
  /** Static tags (become #tag fields; keep their cardinality low). Default {source: agentwarden}. */
  tags?: Record<string, string>;
  format?: PayloadFormat;
  ca_file?: string;
  gzip?: boolean;
}

export const LOGSCALE_SCHEMA = exporterSchema(
  'logscale',
  {
    url: { type: 'string', pattern: '^https?://' },
    ...secretProps('token'),
    tags: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 10 },
    ...FORMAT_PROP,
    ca_file: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  [secretRequired('token')],
  ['url'],
);
