// The typed shape of the YAML configuration (validated by config/schema.ts).
import type { StoreConfig } from '../sinks/store/config.js';
import type { AttributeConfig } from '../transforms/attribute/config.js';
import type { DaemonConfig } from '../daemon/config.js';
import type { ResponseConfig } from '../forensics/config.js';
import type { ExportersConfig } from '../sinks/exporters/config.js';
import type { HooksConfig } from '../sources/hooks/config.js';
import type { RedactionConfig } from '../transforms/redact/config.js';
import type { OtlpConfig } from '../sources/otlp/config.js';
import type { GatewayConfig } from '../gateway/config.js';
import type { AgentLogsConfig } from '../sources/importers/config.js';
import type { DetectConfig } from '../transforms/detect/config.js';

export interface AwConfig {
  host?: { name?: string; group?: string };
  store?: StoreConfig;
  attribute?: AttributeConfig;
  daemon?: DaemonConfig;
  response?: ResponseConfig;
  exporters?: ExportersConfig;
  hooks?: HooksConfig;
  redaction?: RedactionConfig;
  otlp?: OtlpConfig;
  gateway?: GatewayConfig;
  agent_logs?: AgentLogsConfig;
  detect?: DetectConfig;
  [section: string]: unknown;
}
