// Configuration of redaction and retention, section `redaction:` of the YAML config.

export type RetentionMode = 'full' | 'redacted' | 'metadata';

export interface RedactionConfig {
  /**
   * full: content is stored as received. redacted (default): secrets and PII are masked
   * before anything is stored or exported. metadata: no content at all (prompts, tool
   * inputs and outputs, raw payloads are dropped) and the rest is redacted.
   */
  mode?: RetentionMode;
  /** Keep masked originals as salted commitments in the store (purgeable, disclosable). */
  seal?: boolean;
  /** A gitleaks TOML config to use instead of the shipped gitleaks default rules. */
  gitleaks_config?: string;
  /** PII detection (emails, phones, cards, SSNs, IBANs); default true. */
  pii?: boolean;
}

export const REDACTION_DEFAULTS = { mode: 'redacted' as RetentionMode, pii: true, seal: false };

export const REDACTION_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { enum: ['full', 'redacted', 'metadata'] },
    seal: { type: 'boolean' },
    gitleaks_config: { type: 'string', minLength: 1 },
    pii: { type: 'boolean' },
  },
} as const;
