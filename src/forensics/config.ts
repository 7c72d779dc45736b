// Configuration of incident response, section `response:` of the YAML config.
// Tiers: 'reactive' = incidents only by hand; 'proactive' = alerts at or above
// `min_severity` open incidents automatically; 'autonomous' = proactive plus the
// containment playbook, limited to the actions listed in `autonomous.actions`.
import type { Severity } from '../schema/index.js';

export type ResponseTier = 'reactive' | 'proactive' | 'autonomous';
export type ContainAction = 'git_revert' | 'rotate_credentials' | 'quarantine' | 'rule' | 'notify';

export interface ResponseConfig {
  tier?: ResponseTier;
  /** Lowest alert severity that opens an incident in the proactive/autonomous tiers (default 'high'). */
  min_severity?: Severity;
  /** Where incident evidence (snapshots) lives (default <store dir>/incidents). */
  evidence_dir?: string;
  /** Where containment writes blocking rules (default <home>/rules). */
  rules_dir?: string;
  /** Largest file copied into an incident snapshot (bytes, default 16 MiB). */
  snapshot_max_bytes?: number;
  /** Most files snapshotted per incident (default 5000). */
  snapshot_max_files?: number;
  /** How often the daemon's response service scans for new alerts (ms, default 2000). */
  scan_interval_ms?: number;
  autonomous?: {
    /** Playbook actions the autonomous tier may run by itself (default quarantine, rule, notify). */
    actions?: ContainAction[];
    /** Most incidents contained automatically per hour (default 10). */
    max_per_hour?: number;
  };
}

export const RESPONSE_DEFAULTS = {
  tier: 'reactive' as ResponseTier,
  min_severity: 'high' as Severity,
  snapshot_max_bytes: 16 * 1024 * 1024,
  snapshot_max_files: 5000,
  scan_interval_ms: 2000,
  autonomous: { actions: ['quarantine', 'rule', 'notify'] as ContainAction[], max_per_hour: 10 },
};

const ACTIONS = ['git_revert', 'rotate_credentials', 'quarantine', 'rule', 'notify'];

export const RESPONSE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tier: { enum: ['reactive', 'proactive', 'autonomous'] },
    min_severity: { enum: ['info', 'low', 'medium', 'high', 'critical'] },
    evidence_dir: { type: 'string' },
    rules_dir: { type: 'string' },
    snapshot_max_bytes: { type: 'integer', minimum: 0 },
    snapshot_max_files: { type: 'integer', minimum: 0 },
    scan_interval_ms: { type: 'integer', minimum: 100 },
    autonomous: {
      type: 'object',
      additionalProperties: false,
      properties: {
        actions: { type: 'array', items: { enum: ACTIONS } },
        max_per_hour: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
