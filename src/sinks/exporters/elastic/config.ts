// `exporters: - type: elastic`: Elasticsearch bulk API, ECS documents into a data stream.
import { exporterSchema, type CommonExporterConfig } from '../core/common.js';
import { secretProps, secretRequired } from '../core/secret.js';

export interface ElasticExporterConfig extends CommonExporterConfig {
  type: 'elastic';
  /** Base URL of the cluster, e.g. https://es.example:9200 (`/_bulk` is added). */
  url: string;
  /** The encoded API key (base64 of id:key, as Elasticsearch returns it in `encoded`). */
  api_key?: string;
  api_key_env?: string;
  api_key_file?: string;
  /** Target data stream or index (default logs-agentwarden.events-default). */
  index?: string;
  ca_file?: string;
  gzip?: boolean;
}

export const ELASTIC_SCHEMA = exporterSchema(
  'elastic',
  {
    url: { type: 'string', pattern: '^https?://' },
    ...secretProps('api_key'),
    index: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
    ca_file: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  [secretRequired('api_key')],
  ['url'],
);
