// Configuration of the L7 gateway, section `gateway:` of the YAML config.
import type { PolicyConfig } from './policy/policy.js';

export type MaskStrategy = 'redact' | 'partial' | 'null' | 'hash';
export type DetectorName = 'email' | 'card' | 'api_key' | 'national_id';

export interface GatewayPostgresConfig {
  /** host:port for agents (default 127.0.0.1:6432). */
  listen?: string;
  /** PEM files; without them a self-signed certificate is generated under <home>/gateway/tls. */
  tls?: { cert?: string; key?: string };
  upstream: {
    host: string;
    port?: number;
    user: string;
    password?: string;
    password_file?: string;
    /** Database to use when the agent names none (default: the agent's requested database). */
    database?: string;
    /** Pin the database: agents cannot choose another one. */
    pin_database?: boolean;
    ssl?: 'disable' | 'require';
  };
  max_statement_bytes?: number;
  /** The legacy FunctionCall ('F') message carries no SQL: blocked unless allowed. */
  function_call?: 'block' | 'allow';
  /**
   * Gateway worker processes sharing the listener; connections are spread across them and
   * the main process keeps events/store work. Unset or 0: the gateway runs in the main
   * process. 1 is the best setting on a 2-CPU host (see docs/gateway.md, Benchmark).
   */
  workers?: number;
}

export interface GatewayIdentityConfig {
  /** Our own issuer name (tokens from `agentwarden token issue`). */
  issuer?: string;
  audience?: string;
  /** Longest TTL `token issue` grants (default 24h). */
  max_ttl?: string;
  oidc?: { discovery_url: string; audience?: string; groups_claim?: string; subject_claim?: string };
  /** Accept our own issuer's tokens (default true). */
  own_issuer?: boolean;
}

export interface GatewayMaskingConfig {
  /** Column rules: `table.column` or `schema.table.column`. */
  columns?: Array<{ column: string; strategy?: MaskStrategy; keep?: number }>;
  detectors?: DetectorName[];
  strategy?: MaskStrategy;
}

export interface GatewayApprovalsConfig {
  /** How long a statement is held waiting for approval before "pending, retry" (default 20s). */
  hold_ms?: number;
  /** Longest time-boxed approval (default 8h). */
  max_duration?: string;
  /** How long an unanswered request stays pending (default 1h). */
  request_ttl?: string;
  webhook?: string;
  /** Approver names (token subjects) or groups allowed to approve (any when absent). */
  approvers?: string[];
  /** Approvers must prove who they are with an AgentWarden/OIDC token (--token or AGENTWARDEN_TOKEN). */
  require_token?: boolean;
}

export interface GatewayRecordingConfig {
  enabled?: boolean;
  dir?: string;
  /** 32-byte key, base64 or hex. */
  key?: string;
  key_file?: string;
  /** Old keys kept for reading (rotation): id -> key file. */
  old_key_files?: string[];
  max_rows_per_result?: number;
}

export interface GatewayHttpConfig {
  forward?: {
    listen?: string;
    /** Agent subject or group -> allowed hosts (`example.com`, `*.example.com`, `host:port`). */
    allow: Record<string, string[]>;
    /** Agents identify with Proxy-Authorization: Bearer <jwt> (or Basic with the token as password). */
  };
  reverse?: Array<{
    name: string;
    listen: string;
    upstream: string;
    rules?: Array<{ methods?: string[]; path: string; action: 'allow' | 'block' | 'require_approval'; groups?: string[] }>;
    default?: 'allow' | 'block' | 'require_approval';
    mask_fields?: string[];
    /** Header and value injected towards the upstream (the real credential the agent never sees). */
    inject_header?: { name: string; value?: string; value_file?: string };
  }>;
}

export interface GatewayConfig {
  postgres?: GatewayPostgresConfig;
  identity?: GatewayIdentityConfig;
  default_policy?: string;
  /** Group -> policy name(s). */
  groups?: Record<string, string | string[]>;
  policies?: Record<string, PolicyConfig>;
  functions?: { allow?: string[]; deny?: string[] };
  masking?: GatewayMaskingConfig;
  approvals?: GatewayApprovalsConfig;
  recording?: GatewayRecordingConfig;
  http?: GatewayHttpConfig;
}

const action = { enum: ['allow', 'block', 'require_approval'] } as const;
const strategy = { enum: ['redact', 'partial', 'null', 'hash'] } as const;
const strArr = { type: 'array', items: { type: 'string' } } as const;
const ops = { type: 'array', items: { enum: ['read', 'write', 'ddl', 'session', 'admin', 'unknown'] } } as const;

export const GATEWAY_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    postgres: {
      type: 'object',
      additionalProperties: false,
      required: ['upstream'],
      properties: {
        listen: { type: 'string' },
        tls: { type: 'object', additionalProperties: false, properties: { cert: { type: 'string' }, key: { type: 'string' } } },
        upstream: {
          type: 'object',
          additionalProperties: false,
          required: ['host', 'user'],
          properties: {
            host: { type: 'string' },
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            user: { type: 'string' },
            password: { type: 'string' },
            password_file: { type: 'string' },
            database: { type: 'string' },
            pin_database: { type: 'boolean' },
            ssl: { enum: ['disable', 'require'] },
          },
        },
        max_statement_bytes: { type: 'integer', minimum: 1 },
        function_call: { enum: ['block', 'allow'] },
        workers: { type: 'integer', minimum: 0, maximum: 64 },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      properties: {
        issuer: { type: 'string' },
        audience: { type: 'string' },
        max_ttl: { type: 'string' },
        own_issuer: { type: 'boolean' },
        oidc: {
          type: 'object',
          additionalProperties: false,
          required: ['discovery_url'],
          properties: { discovery_url: { type: 'string' }, audience: { type: 'string' }, groups_claim: { type: 'string' }, subject_claim: { type: 'string' } },
        },
      },
    },
    default_policy: { type: 'string' },
    groups: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, strArr] } },
    policies: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          default: action,
          rules: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['action'],
              properties: { action, ops, tables: strArr, what: strArr, reason: { type: 'string' } },
            },
          },
        },
      },
    },
    functions: { type: 'object', additionalProperties: false, properties: { allow: strArr, deny: strArr } },
    masking: {
      type: 'object',
      additionalProperties: false,
      properties: {
        columns: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['column'],
            properties: { column: { type: 'string', pattern: '^[^.]+\\.[^.]+(\\.[^.]+)?$' }, strategy, keep: { type: 'integer', minimum: 0 } },
          },
        },
        detectors: { type: 'array', items: { enum: ['email', 'card', 'api_key', 'national_id'] } },
        strategy,
      },
    },
    approvals: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hold_ms: { type: 'integer', minimum: 0 },
        max_duration: { type: 'string' },
        request_ttl: { type: 'string' },
        webhook: { type: 'string' },
        approvers: strArr,
        require_token: { type: 'boolean' },
      },
    },
    recording: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        dir: { type: 'string' },
        key: { type: 'string' },
        key_file: { type: 'string' },
        old_key_files: strArr,
        max_rows_per_result: { type: 'integer', minimum: 0 },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        forward: {
          type: 'object',
          additionalProperties: false,
          required: ['allow'],
          properties: { listen: { type: 'string' }, allow: { type: 'object', additionalProperties: strArr } },
        },
        reverse: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'listen', 'upstream'],
            properties: {
              name: { type: 'string' },
              listen: { type: 'string' },
              upstream: { type: 'string' },
              default: action,
              mask_fields: strArr,
              rules: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['path', 'action'],
                  properties: { methods: strArr, path: { type: 'string' }, action, groups: strArr },
                },
              },
              inject_header: {
                type: 'object',
                additionalProperties: false,
                required: ['name'],
                properties: { name: { type: 'string' }, value: { type: 'string' }, value_file: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const GATEWAY_DEFAULTS = {
  listen: '127.0.0.1:6432',
  maxStatementBytes: 1024 * 1024,
  holdMs: 20_000,
  issuer: 'agentwarden',
  audience: 'agentwarden-gateway',
  maxTtl: '24h',
  maxApproval: '8h',
  requestTtl: '1h',
  maxRowsPerResult: 1000,
  defaultPolicy: 'readonly',
};

/** Parses '15m', '2h', '30s', '1d', '500ms' to milliseconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`bad duration '${text}' (use e.g. 30s, 15m, 2h, 1d)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * mult);
}

export function splitHostPort(text: string, defPort: number): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(text);
  if (m) return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
  return { host: text || '127.0.0.1', port: defPort };
}
