// Configuration of the OTLP/HTTP receiver, section `otlp:` of the YAML config.

export interface OtlpConfig {
  /** Address to bind (default 127.0.0.1: agent telemetry stays on this machine). */
  host?: string;
  /** Port (default 4318, the OTLP/HTTP default). */
  port?: number;
  /** Largest accepted request body after decompression (default 16 MiB). */
  max_body_bytes?: number;
}

export const OTLP_DEFAULTS = { host: '127.0.0.1', port: 4318, max_body_bytes: 16 * 1024 * 1024 };

export const OTLP_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    max_body_bytes: { type: 'integer', minimum: 1024 },
  },
} as const;
