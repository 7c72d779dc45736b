// Configuration of the agent hook receiver, section `hooks:` of the YAML config.

export interface HookDenyRule {
  /** Rule id recorded with the decision (default deny-<index>). */
  id?: string;
  /** A path to protect; `~/` matches any home directory (and literal ~ and $HOME). */
  path?: string;
  /** A JavaScript regular expression matched against the tool input (or the prompt). */
  pattern?: string;
  /** Only for these tool names (case-insensitive; default all tools). */
  tools?: string[];
  /** The reason shown to the model (default names the rule). */
  reason?: string;
}

export interface HooksConfig {
  /** Unix socket of the hook server (default <home>/run/hook.sock). */
  socket?: string;
  /** Spool directory used by the client when the server is down (default <home>/run/hook-spool). */
  spool_dir?: string;
  /** What the client does when the server is unreachable: allow (open, default) or block (closed). */
  fail?: 'open' | 'closed';
  /** How long the client waits for the server's answer (default 5000 ms). */
  timeout_ms?: number;
  /** Minimal policy until the rule engine plugs its decider in. */
  deny?: HookDenyRule[];
  /** Re-scan the spool while running (ms; 0 = only at start). Default 2000. */
  spool_scan_ms?: number;
}

export const HOOKS_DEFAULTS = {
  fail: 'open' as const,
  timeout_ms: 5000,
  spool_scan_ms: 2000,
};

export const HOOKS_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    socket: { type: 'string', minLength: 1 },
    spool_dir: { type: 'string', minLength: 1 },
    fail: { enum: ['open', 'closed'] },
    timeout_ms: { type: 'integer', minimum: 1 },
    spool_scan_ms: { type: 'integer', minimum: 0 },
    deny: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1 },
          path: { type: 'string', minLength: 1 },
          pattern: { type: 'string', minLength: 1 },
          tools: { type: 'array', items: { type: 'string' } },
          reason: { type: 'string' },
        },
        anyOf: [{ required: ['path'] }, { required: ['pattern'] }],
      },
    },
  },
} as const;
