// The index template for the agentwarden data stream. Our free-form values (tool arguments
// and results, attributes, drop counters) change shape from event to event; with dynamic
// mapping the first shape wins and later documents are refused (mapper_parsing_exception).
// Mapping them `flattened` (as ECS does for gen_ai.tool.call.*) accepts any shape.
// Install once: PUT _index_template/agentwarden with this body.
import { DEFAULT_INDEX } from './serializer.js';

/** Fields mapped `flattened` (ECS fields keep their ECS type; ours are custom). */
export const FLATTENED_FIELDS = [
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'agentwarden.attributes',
  'agentwarden.sensor.drops',
  'agentwarden.agent.subagent',
  'agentwarden.agent.decision',
  'agentwarden.gateway.statement',
] as const;

function nest(paths: readonly string[], leaf: object): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const p of paths) {
    const parts = p.split('.');
    let o = root;
    for (let i = 0; i < parts.length - 1; i++) {
      o[parts[i]] ??= { properties: {} };
      o = o[parts[i]].properties;
    }
    o[parts[parts.length - 1]] = leaf;
  }
  return root;
}

/** Composable index template body for the data stream family of `index`. */
export function elasticIndexTemplate(index = DEFAULT_INDEX): Record<string, unknown> {
  const m = /^logs-([^-]+)-/.exec(index);
  const pattern = m ? `logs-${m[1]}-*` : index;
  return {
    index_patterns: [pattern],
    data_stream: {},
    priority: 200,
    // Elasticsearch's built-in component templates: ECS dynamic mappings and logs settings.
    composed_of: ['logs@mappings', 'logs@settings', 'ecs@mappings'],
    template: {
      mappings: {
        properties: {
          '@timestamp': { type: 'date_nanos' },
          ...nest(FLATTENED_FIELDS, { type: 'flattened' }),
        },
      },
    },
    _meta: { description: 'AgentWarden events (ECS), installed from docs/exporters.md' },
  };
}
