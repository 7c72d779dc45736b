// Configuration of the detect transform, section `detect:` of the YAML config.

export interface DetectConfig {
  /** Evaluate rules at all (default true). */
  enabled?: boolean;
  /** Load the default pack shipped in <package>/rules (default true). */
  default_pack?: boolean;
  /** Extra rule directories or files, in order (our YAML rules and Sigma rules, told apart by content). */
  rules?: string[];
  /** Per-agent allowlist additions: allowlist name -> agent kind ('*' = all) -> items. */
  allowlists?: Record<string, Record<string, string[]>>;
  /** Declared workspaces: session id, agent kind or '*' -> directory. */
  workspaces?: Record<string, string>;
  /** Suppress a repeat of the same alert (rule, session, evidence key) within this window (default 60s). */
  dedup_window?: string;
  /** Sessions tracked per stateful rule (default 10000; least recent evicted and counted). */
  max_sessions?: number;
  /** Partial sequences kept per session and rule (default 16). */
  max_pending?: number;
}

export const DETECT_DEFAULTS = {
  enabled: true,
  default_pack: true,
  dedup_window: '60s',
  max_sessions: 10_000,
  max_pending: 16,
};

export const DETECT_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    default_pack: { type: 'boolean' },
    rules: { type: 'array', items: { type: 'string' } },
    allowlists: {
      type: 'object',
      additionalProperties: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    },
    workspaces: { type: 'object', additionalProperties: { type: 'string' } },
    dedup_window: { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' },
    max_sessions: { type: 'integer', minimum: 1 },
    max_pending: { type: 'integer', minimum: 1 },
  },
} as const;
