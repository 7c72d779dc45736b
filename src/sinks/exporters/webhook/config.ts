// `exporters: - type: webhook`: POST a JSON array of events, body signed with HMAC-SHA256.
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';
import { secretProps, secretRequired } from '../core/secret.js';

export interface WebhookExporterConfig extends CommonExporterConfig {
  type: 'webhook';
  url: string;
  /** HMAC key (or secret_env / secret_file). */
  secret?: string;
  secret_env?: string;
  secret_file?: string;
  format?: PayloadFormat;
  /** Extra request headers (no secrets: these are printed by `config show`). */
  headers?: Record<string, string>;
  ca_file?: string;
}

export const WEBHOOK_SCHEMA = exporterSchema(
  'webhook',
  {
    url: { type: 'string', pattern: '^https?://' },
    ...secretProps('secret'),
    ...FORMAT_PROP,
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    ca_file: { type: 'string' },
  },
  [secretRequired('secret')],
  ['url'],
);
