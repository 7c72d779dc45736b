// `exporters: - type: syslog`: RFC 5424 messages over TCP (RFC 6587 octet counting), TLS
// (RFC 5425, same framing) or UDP (RFC 5426).
import { exporterSchema, FORMAT_PROP, type CommonExporterConfig, type PayloadFormat } from '../core/common.js';

export const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'] as const;
export type Facility = (typeof FACILITIES)[number];

export interface SyslogExporterConfig extends CommonExporterConfig {
  type: 'syslog';
  host: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
  /** Default local0. */
  facility?: Facility;
  /** APP-NAME (default agentwarden). */
  app_name?: string;
  /** HOSTNAME field when the event has no host (default: this machine's name). */
  hostname?: string;
  /** Shape of the MSG part (JSON; default native). */
  format?: PayloadFormat;
  /** SD-ID enterprise number (default 32473, the IANA example number). */
  enterprise_id?: number;
  /** TLS over TCP (RFC 5425, port 6514 by default). */
  tls?: boolean;
  /** Extra trusted CA (PEM) for TLS. */
  ca_file?: string;
}

export const SYSLOG_SCHEMA = exporterSchema(
  'syslog',
  {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    protocol: { enum: ['tcp', 'udp'] },
    facility: { enum: [...FACILITIES] },
    app_name: { type: 'string', pattern: '^[!-~]{1,48}$' },
    hostname: { type: 'string', pattern: '^[!-~]{1,255}$' },
    ...FORMAT_PROP,
    enterprise_id: { type: 'integer', minimum: 1 },
    tls: { type: 'boolean' },
    ca_file: { type: 'string' },
  },
  [],
  ['host'],
);
