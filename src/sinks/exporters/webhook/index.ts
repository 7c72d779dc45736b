// Webhook exporter: JSON array body + HMAC-SHA256 signature headers over HTTP(S).
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { JsonArraySerializer } from '../core/json.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { WebhookExporterConfig } from './config.js';
import { webhookTransport } from './transport.js';

export { WEBHOOK_SCHEMA } from './config.js';
export type { WebhookExporterConfig } from './config.js';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './transport.js';

export function createWebhookExporter(cfg: WebhookExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const secret = resolveSecret(cfg as unknown as Record<string, unknown>, 'secret', cfg.name);
  const ser = new JsonArraySerializer(cfg.format);
  return new ExporterSink(sinkOptions(cfg, ser, webhookTransport(cfg.url, secret, ser.contentType, cfg.headers, cfg.ca_file), ctx, { batch: 100 }));
}
