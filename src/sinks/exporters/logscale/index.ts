// CrowdStrike Falcon LogScale exporter: structured ingest with an ingest token.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { LogScaleExporterConfig } from './config.js';
import { LogScaleSerializer } from './serializer.js';
import { logScaleTransport, structuredEndpoint } from './transport.js';

export { LOGSCALE_SCHEMA } from './config.js';
export type { LogScaleExporterConfig } from './config.js';
export { LogScaleSerializer, structuredEndpoint };

export function createLogScaleExporter(cfg: LogScaleExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const token = resolveSecret(cfg as unknown as Record<string, unknown>, 'token', cfg.name);
  // LogScale asks for <= 5,000 events and <= 5 MB per request.
  const opts = sinkOptions(cfg, new LogScaleSerializer(cfg.tags, cfg.format), logScaleTransport({ url: cfg.url, token, caFile: cfg.ca_file, gzip: cfg.gzip }), ctx, { batch: 1000 });
  opts.batchSize = Math.min(opts.batchSize ?? 1000, 5000);
  return new ExporterSink(opts);
}
