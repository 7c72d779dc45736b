// `exporters: - type: sentinel`: Microsoft Sentinel through the Azure Monitor Logs
// Ingestion API (the HTTP Data Collector API is retired on 2026-09-14).
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';
import { secretProps, secretRequired } from '../core/secret.js';

export interface SentinelExporterConfig extends CommonExporterConfig {
  type: 'sentinel';
  /** Logs ingestion endpoint of the DCR (or of a DCE), e.g. https://my-dce-abcd.westeurope-1.ingest.monitor.azure.com */
  endpoint: string;
  /** The DCR immutable id (dcr-...). */
  dcr_immutable_id: string;
  /** The DCR stream, e.g. Custom-AgentWarden_CL. */
  stream: string;
  tenant_id: string;
  client_id: string;
  client_secret?: string;
  client_secret_env?: string;
  client_secret_file?: string;
  /** Entra token endpoint (default https://login.microsoftonline.com/<tenant_id>/oauth2/v2.0/token). */
  token_url?: string;
  /** Default https://monitor.azure.com//.default */
  scope?: string;
  /** Shape of the `Event` column (default native). */
  format?: PayloadFormat;
  ca_file?: string;
  gzip?: boolean;
}

export const SENTINEL_SCHEMA = exporterSchema(
  'sentinel',
  {
    endpoint: { type: 'string', pattern: '^https?://' },
    dcr_immutable_id: { type: 'string', pattern: '^dcr-[0-9a-fA-F]+$' },
    stream: { type: 'string', pattern: '^(Custom|Microsoft)-[A-Za-z0-9_]+$' },
    tenant_id: { type: 'string', minLength: 1 },
    client_id: { type: 'string', minLength: 1 },
    ...secretProps('client_secret'),
    token_url: { type: 'string', pattern: '^https?://' },
    scope: { type: 'string', minLength: 1 },
    ...FORMAT_PROP,
    ca_file: { type: 'string' },
    gzip: { type: 'boolean' },
  },
  [secretRequired('client_secret')],
  ['endpoint', 'dcr_immutable_id', 'stream', 'tenant_id', 'client_id'],
);
