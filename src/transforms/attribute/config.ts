// Config section `attribute` (kernel sensor attribution and the agent catalog).
import type { AwConfig } from '../../config/types.js';

export interface AttributeConfig {
  /** Extra signature catalogs (YAML, same format as config/agents.yaml). */
  catalogs?: string[];
  /** How long events of a new agent session wait for the agent's own session id (ms). */
  hold_ms?: number;
  /** How long an event whose process is not known yet waits for its fork/exec (ms). */
  late_wait_ms?: number;
  /** Kernel ring buffer size (MiB, power of two). */
  ring_mb?: number;
}

export const ATTRIBUTE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    catalogs: { type: 'array', items: { type: 'string' } },
    hold_ms: { type: 'integer', minimum: 0, maximum: 600000 },
    late_wait_ms: { type: 'integer', minimum: 0, maximum: 60000 },
    ring_mb: { type: 'integer', enum: [1, 2, 4, 8, 16, 32, 64, 128, 256] },
  },
} as const;

export function attributeConfig(cfg: AwConfig): AttributeConfig {
  return (cfg.attribute as AttributeConfig | undefined) ?? {};
}
