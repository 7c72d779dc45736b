// Microsoft Sentinel exporter: Logs Ingestion API + Entra client-credentials token.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { SentinelExporterConfig } from './config.js';
import { SentinelSerializer } from './serializer.js';
import { ClientCredentialsToken, ingestionUrl, sentinelTransport, LOGS_INGESTION_API_VERSION } from './transport.js';

export { SENTINEL_SCHEMA } from './config.js';
export type { SentinelExporterConfig } from './config.js';
export { SentinelSerializer, ClientCredentialsToken, ingestionUrl, LOGS_INGESTION_API_VERSION };

export function createSentinelExporter(cfg: SentinelExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const secret = resolveSecret(cfg as unknown as Record<string, unknown>, 'client_secret', cfg.name);
  const token = new ClientCredentialsToken({
    tokenUrl: cfg.token_url ?? `https://login.microsoftonline.com/${encodeURIComponent(cfg.tenant_id)}/oauth2/v2.0/token`,
    clientId: cfg.client_id,
    clientSecret: secret,
    scope: cfg.scope ?? 'https://monitor.azure.com//.default',
  });
  const url = ingestionUrl(cfg.endpoint, cfg.dcr_immutable_id, cfg.stream);
  // 1 MB per call is the documented limit; 200 events stays well under it, and a 413 splits.
  return new ExporterSink(sinkOptions(cfg, new SentinelSerializer(cfg.format), sentinelTransport({ url, token, caFile: cfg.ca_file, gzip: cfg.gzip }), ctx, { batch: 200 }));
}
