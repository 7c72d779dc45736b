// OCSF exporter: the OCSF mapper over a file or HTTP transport.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { FileTransport } from '../core/file.js';
import { HttpTransport } from '../core/http.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { OcsfExporterConfig } from './config.js';
import { OcsfJsonArraySerializer, OcsfJsonLinesSerializer } from './serializer.js';

export { OCSF_SCHEMA } from './config.js';
export type { OcsfExporterConfig } from './config.js';
export { OcsfJsonArraySerializer, OcsfJsonLinesSerializer };

export function createOcsfExporter(cfg: OcsfExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  if (cfg.path) return new ExporterSink(sinkOptions(cfg, new OcsfJsonLinesSerializer(), new FileTransport(cfg.path), ctx, { batch: 1000, flushMs: 200 }));
  const raw = cfg as unknown as Record<string, unknown>;
  const hasToken = raw.bearer_token || raw.bearer_token_env || raw.bearer_token_file;
  const headers: Record<string, string> = { ...cfg.headers };
  if (hasToken) headers.authorization = `Bearer ${resolveSecret(raw, 'bearer_token', cfg.name)}`;
  const ser = new OcsfJsonArraySerializer();
  return new ExporterSink(sinkOptions(cfg, ser, new HttpTransport({ url: cfg.url!, contentType: ser.contentType, headers, caFile: cfg.ca_file }), ctx, { batch: 500 }));
}
