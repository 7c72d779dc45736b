// Public surface of the event model: types, kinds, JSON Schema, validation and time helpers.
export type {
  AwEvent,
  EventKind,
  AgentKind,
  EventSource,
  EventHost,
  EventSession,
  EventProcess,
  AncestorRef,
  EventFile,
  FileIntent,
  EventNetwork,
  EventDns,
  EventTls,
  EventLibrary,
  EventRegistry,
  EventAgent,
  EventGateway,
  EventAlert,
  EventSensor,
  Severity,
  Commitment,
} from './event.js';
export { SCHEMA_VERSION, EVENT_KINDS, KERNEL_KINDS, AGENT_KINDS, GATEWAY_KINDS, SYSTEM_KINDS } from './event.js';
export { EVENT_JSON_SCHEMA } from './json-schema.js';
export { validateEvent, parseEventLine } from './validate.js';
export type { ValidationResult } from './validate.js';
export { parseTimeNs, formatTimeNs, nowNs, nowTime, parseTimeBound, parseDurationMs } from './time.js';
