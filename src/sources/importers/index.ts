// Public surface of the agent session-log importers.
export { ClaudeTranscriptReader } from './claude.js';
export { CodexRolloutReader } from './codex.js';
export { GeminiChatReader, readGeminiJson } from './gemini.js';
export { CursorTranscriptReader } from './cursor.js';
export { importPath, importFile, importFiles, importFileSafe, readerFor, acceptsFile } from './import.js';
export { storeImported, ensureLedger, knownIds } from './ledger.js';
export type { StoreImportResult, StoreImportOptions } from './ledger.js';
export { blockedReason } from './blocked.js';
export { formatProblem, emptyResult, mergeResult, findFiles, runReader } from './common.js';
export type { ImportProblem, ImportResult, LineReader } from './common.js';
export { AgentLogWatcher, defaultLogDirs } from './watcher.js';
export { AGENT_LOGS_CONFIG_SCHEMA } from './config.js';
export type { AgentLogsConfig } from './config.js';
