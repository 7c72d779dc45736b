// Config section `daemon`.
export interface DaemonConfig {
  /** Run the eBPF kernel sensor service (default true). */
  kernel?: boolean;
}

export const DAEMON_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { kernel: { type: 'boolean' } },
} as const;
