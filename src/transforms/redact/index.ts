// Redaction and retention: gitleaks-style secret rules plus PII, as a Transform.
export { createRedactor, redactorFromConfig, sealingSink } from './redactor.js';
export type { Redactor, RedactorOptions, RedactionCounters } from './redactor.js';
export { SecretScanner, gitleaksConfigFromToml, shannonEntropy } from './gitleaks.js';
export type { Finding, GitleaksConfig, GitleaksRule, GitleaksAllowlist } from './gitleaks.js';
export { GITLEAKS_DEFAULT } from './gitleaks-rules.js';
export { scanPii } from './pii.js';
export { luhnValid } from '../../core/luhn.js';
export { re2ToJs, compileRe2 } from './re2js.js';
export { REDACTION_CONFIG_SCHEMA, REDACTION_DEFAULTS } from './config.js';
export type { RedactionConfig, RetentionMode } from './config.js';
