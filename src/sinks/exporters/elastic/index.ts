// Elastic exporter: ECS documents over the bulk API with API key auth.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { ElasticExporterConfig } from './config.js';
import { ElasticBulkSerializer, DEFAULT_INDEX } from './serializer.js';
import { elasticTransport, bulkEndpoint, classifyBulk } from './transport.js';

export { ELASTIC_SCHEMA } from './config.js';
export type { ElasticExporterConfig } from './config.js';
export { ElasticBulkSerializer, DEFAULT_INDEX, bulkEndpoint, classifyBulk };
export { elasticIndexTemplate, FLATTENED_FIELDS } from './template.js';

export function createElasticExporter(cfg: ElasticExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const apiKey = resolveSecret(cfg as unknown as Record<string, unknown>, 'api_key', cfg.name);
  return new ExporterSink(sinkOptions(cfg, new ElasticBulkSerializer(cfg.index), elasticTransport({ url: cfg.url, apiKey, caFile: cfg.ca_file, gzip: cfg.gzip }), ctx, { batch: 1000 }));
}
