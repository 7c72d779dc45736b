// Public surface of the agent-activity vocabulary (used by hooks, OTLP, importers, VIBES).
export {
  SUPPORTED_AGENTS,
  OPERATION_OF,
  agentKindOf,
  categorizeTool,
  mcpServerOf,
  isMcpTool,
  toolCommandText,
  toolFilePaths,
  patchFiles,
  deterministicId,
  isoTime,
  agentEvent,
  toolInfo,
  lenientJson,
} from './vocabulary.js';
export type { SupportedAgent, ToolCategory, ToolInfo, EventContext } from './vocabulary.js';
export { normalizeHookPayload, hookEventKind, detectHookAgent, subagentSessionId, exitCodeOf, fileEdits, promptEventId } from './hooks.js';
export type { HookNormalizeOptions } from './hooks.js';
export { createIdDedupe } from './dedupe.js';
export type { IdDedupe } from './dedupe.js';
