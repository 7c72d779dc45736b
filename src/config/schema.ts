// JSON Schema of the YAML configuration. Each component owns its section's schema in its
// own `config.ts` and is listed here; unknown keys are errors (a typo must not be ignored).
import { STORE_CONFIG_SCHEMA } from '../sinks/store/config.js';
import { ATTRIBUTE_CONFIG_SCHEMA } from '../transforms/attribute/config.js';
import { DAEMON_CONFIG_SCHEMA } from '../daemon/config.js';
import { RESPONSE_CONFIG_SCHEMA } from '../forensics/config.js';
import { EXPORTERS_CONFIG_SCHEMA } from '../sinks/exporters/config.js';
import { HOOKS_CONFIG_SCHEMA } from '../sources/hooks/config.js';
import { REDACTION_CONFIG_SCHEMA } from '../transforms/redact/config.js';
import { OTLP_CONFIG_SCHEMA } from '../sources/otlp/config.js';
import { GATEWAY_CONFIG_SCHEMA } from '../gateway/config.js';
import { AGENT_LOGS_CONFIG_SCHEMA } from '../sources/importers/config.js';
import { DETECT_CONFIG_SCHEMA } from '../transforms/detect/config.js';

export const CONFIG_SECTIONS: Record<string, object> = {
  store: STORE_CONFIG_SCHEMA,
  attribute: ATTRIBUTE_CONFIG_SCHEMA,
  daemon: DAEMON_CONFIG_SCHEMA,
  response: RESPONSE_CONFIG_SCHEMA,
  exporters: EXPORTERS_CONFIG_SCHEMA,
  hooks: HOOKS_CONFIG_SCHEMA,
  redaction: REDACTION_CONFIG_SCHEMA,
  otlp: OTLP_CONFIG_SCHEMA,
  gateway: GATEWAY_CONFIG_SCHEMA,
  agent_logs: AGENT_LOGS_CONFIG_SCHEMA,
  detect: DETECT_CONFIG_SCHEMA,
};

export function configJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'AgentWarden configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      host: {
        type: 'object',
        additionalProperties: false,
        properties: { name: { type: 'string' }, group: { type: 'string' } },
      },
      ...CONFIG_SECTIONS,
    },
  };
}
