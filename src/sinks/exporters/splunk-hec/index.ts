// Splunk HEC exporter: concatenated event envelopes + Splunk token auth.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { resolveSecret } from '../core/secret.js';
import { ExporterSink } from '../core/sink.js';
import type { SplunkHecExporterConfig } from './config.js';
import { SplunkHecSerializer } from './serializer.js';
import { splunkHecTransport } from './transport.js';

export { SPLUNK_HEC_SCHEMA } from './config.js';
export type { SplunkHecExporterConfig } from './config.js';
export { SplunkHecSerializer, hecEndpoint, HecAckTransport };
import { hecEndpoint, HecAckTransport } from './transport.js';

export function createSplunkHecExporter(cfg: SplunkHecExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const token = resolveSecret(cfg as unknown as Record<string, unknown>, 'token', cfg.name);
  const ser = new SplunkHecSerializer({ index: cfg.index, source: cfg.source, sourcetype: cfg.sourcetype, host: cfg.host, format: cfg.format });
  const transport = splunkHecTransport({ url: cfg.url, token, channel: cfg.channel, caFile: cfg.ca_file, gzip: cfg.gzip, ack: cfg.ack, ackTimeoutMs: cfg.ack_timeout_ms, ackPollMs: cfg.ack_poll_ms });
  return new ExporterSink(sinkOptions(cfg, ser, transport, ctx, { batch: 500 }));
}
