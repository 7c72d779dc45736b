// OTLP/HTTP receiver for the agents' native OpenTelemetry.
export { OtlpReceiver } from './server.js';
export type { OtlpCounters } from './server.js';
export { decodeJson, decodeProtobuf, encodeRequestProtobuf, flatten } from './decode.js';
export type { Signal, OtlpLog, OtlpSpan, OtlpPoint } from './decode.js';
export { mapLog, mapSpan, mapPoint, agentOf } from './map.js';
export { otlpCommand } from './commands.js';
export { OTLP_CONFIG_SCHEMA, OTLP_DEFAULTS } from './config.js';
export type { OtlpConfig } from './config.js';
