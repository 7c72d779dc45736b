// Public surface of the gateway's SQL policy.
export { analyze, loadParser, exactFingerprint, shapeFingerprint, AnalysisCache } from './analyze.js';
export type { Analysis, Effect, EffectOp, StatementInfo, SessionSqlState, AnalyzeOptions } from './analyze.js';
export { compilePolicy, combinePolicies, BUILTIN_POLICIES, OPS } from './policy.js';
export type { Action, Decision, PolicyConfig, PolicyRule, CompiledPolicy } from './policy.js';
