// JSON lines in the configured format (native AgentWarden events, ECS or OCSF).
export { JsonLinesSerializer } from '../core/json.js';
