// Config section `agent_logs:` — the daemon's watchers of the agents' own session logs.
export interface AgentLogsConfig {
  /** Watch the default locations (default true when the section is present). */
  enabled?: boolean;
  /** Directories per agent (defaults: ~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, ~/.cursor/projects). */
  claude?: string[];
  codex?: string[];
  gemini?: string[];
  cursor?: string[];
  /** Poll interval in ms (default 1000). */
  poll_ms?: number;
  /** Files already present at start: read from the 'end' (default, only new lines) or the 'start'. */
  existing?: 'start' | 'end';
}

const dirs = { type: 'array', items: { type: 'string' } };

export const AGENT_LOGS_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    claude: dirs,
    codex: dirs,
    gemini: dirs,
    cursor: dirs,
    poll_ms: { type: 'integer', minimum: 50 },
    existing: { enum: ['start', 'end'] },
  },
};
