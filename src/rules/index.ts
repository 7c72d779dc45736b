// Public surface of the rule engine (pure: YAML text in, closures out; no I/O).
export { loadRules, loadRuleSet } from './load.js';
export type { RuleSource, RuleLoadResult } from './load.js';
export { RuleSet, RuleContext, compileAllowlist } from './ruleset.js';
export type { AllowlistSpec, ContextOptions } from './ruleset.js';
export { Evaluator, eventMs } from './evaluator.js';
export type { EvaluatorOptions, EvaluatorCounters } from './evaluator.js';
export { parseCondition, OPERATORS } from './condition.js';
export type { CondNode, CmpOp } from './condition.js';
export { compileCondition, globToRegExp, cidrSet } from './compile.js';
export { fieldNames, isKnownField, compileGetter } from './fields.js';
export { SEVERITIES } from './types.js';
export type {
  RuleAction,
  RuleMeta,
  RuleScope,
  CompiledRule,
  RuleMatch,
  RuleProblem,
  RuleErrorCode,
  EvalContext,
  Pred,
  Getter,
  SequenceSpec,
  ThresholdSpec,
  NoveltySpec,
} from './types.js';
export { parseIocCatalog } from './ioc.js';
export type { IocEntry } from './ioc.js';
