// `exporters: - type: ocsf`: OCSF 1.8 events, as JSON lines to a file or a JSON array
// POSTed to an HTTP endpoint (a data lake ingest, Amazon Security Lake via a collector...).
import { exporterSchema, type CommonExporterConfig } from '../core/common.js';
import { secretProps } from '../core/secret.js';

export interface OcsfExporterConfig extends CommonExporterConfig {
  type: 'ocsf';
  /** Write JSON lines here ... */
  path?: string;
  /** ... or POST a JSON array here. */
  url?: string;
  /** Optional bearer token for `url` (or bearer_token_env / bearer_token_file). */
  bearer_token?: string;
  bearer_token_env?: string;
  bearer_token_file?: string;
  headers?: Record<string, string>;
  ca_file?: string;
}

export const OCSF_SCHEMA = exporterSchema(
  'ocsf',
  {
    path: { type: 'string', minLength: 1 },
    url: { type: 'string', pattern: '^https?://' },
    ...secretProps('bearer_token'),
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    ca_file: { type: 'string' },
  },
  [{ oneOf: [{ required: ['path'] }, { required: ['url'] }] }],
);
