// JSON lines file exporter: JsonLinesSerializer + FileTransport.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { FileTransport } from '../core/file.js';
import { JsonLinesSerializer } from '../core/json.js';
import { ExporterSink } from '../core/sink.js';
import type { JsonlFileExporterConfig } from './config.js';

export { JSONL_FILE_SCHEMA } from './config.js';
export type { JsonlFileExporterConfig } from './config.js';
export { JsonLinesSerializer };

export function createJsonlFileExporter(cfg: JsonlFileExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  return new ExporterSink(sinkOptions(cfg, new JsonLinesSerializer(cfg.format), new FileTransport(cfg.path, cfg.fsync), ctx, { batch: 1000, flushMs: 200 }));
}
