// Syslog exporter: RFC 5424 over TCP (octet counting) or UDP.
import { sinkOptions, type ExporterContext } from '../core/common.js';
import { ExporterSink } from '../core/sink.js';
import type { SyslogExporterConfig } from './config.js';
import { SyslogSerializer, headerField, sdEscape, syslogTime, unframe } from './serializer.js';
import { SyslogTcpTransport, SyslogUdpTransport } from './transport.js';

export { SYSLOG_SCHEMA, FACILITIES } from './config.js';
export type { SyslogExporterConfig, Facility } from './config.js';
export { SyslogSerializer, SyslogTcpTransport, SyslogUdpTransport, headerField, sdEscape, syslogTime, unframe };

export function createSyslogExporter(cfg: SyslogExporterConfig, ctx: ExporterContext = {}): ExporterSink {
  const ser = new SyslogSerializer({ facility: cfg.facility, appName: cfg.app_name, hostname: cfg.hostname, format: cfg.format, enterpriseId: cfg.enterprise_id });
  if (cfg.tls && cfg.protocol === 'udp') throw new TypeError('tls applies to protocol tcp only');
  const port = cfg.port ?? (cfg.protocol === 'udp' ? 514 : cfg.tls ? 6514 : 601);
  const transport = cfg.protocol === 'udp' ? new SyslogUdpTransport(cfg.host, port) : new SyslogTcpTransport(cfg.host, port, cfg.tls ? { caFile: cfg.ca_file } : undefined);
  return new ExporterSink(sinkOptions(cfg, ser, transport, ctx, { batch: 200, flushMs: 200 }));
}
