// `exporters: - type: jsonl-file`: one JSON object per line appended to a local file.
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';

export interface JsonlFileExporterConfig extends CommonExporterConfig {
  type: 'jsonl-file';
  path: string;
  format?: PayloadFormat;
  /** fsync after every batch (default false). */
  fsync?: boolean;
}

export const JSONL_FILE_SCHEMA = exporterSchema('jsonl-file', { path: { type: 'string', minLength: 1 }, ...FORMAT_PROP, fsync: { type: 'boolean' } }, [], ['path']);
