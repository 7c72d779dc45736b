// Public surface of VIBES (.ai-audit/) import and export.
export { importVibes, auditDirOf, vibesAgentKind } from './read.js';
export type { VibesReport } from './read.js';
export { exportVibes, sessionTreeEvents } from './write.js';
export type { VibesExportResult } from './write.js';
export { manifestHashA, manifestHashB, manifestHashRule, annotationId, annotationIdCheck } from './hash.js';
export type { HashRule } from './hash.js';
