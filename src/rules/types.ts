// Types of the rule engine: compiled rules, their metadata, matches and load results.
import type { AwEvent, EventKind, Severity } from '../schema/index.js';

export type RuleAction = 'alert' | 'deny' | 'require_approval';

/** What a compiled predicate may consult besides the event (per-agent allowlists, workspaces). */
export interface EvalContext {
  /** Items of allowlist `name` for the event's agent kind (default items plus the agent's own). */
  allowlist(name: string, agentKind: string | undefined): AllowlistMatcher | undefined;
  /** The declared workspace of the event's session, if known. */
  workspaceOf(ev: AwEvent): string | undefined;
  /** Delegation depth of a session (0 = a root session; sub-agents count up). */
  depthOf(sessionId: string): number;
}

/** A compiled allowlist: host globs and CIDR blocks. */
export interface AllowlistMatcher {
  has(value: string): boolean;
}

export type Pred = (ev: AwEvent, cx: EvalContext) => boolean;
export type Getter = (ev: AwEvent, cx: EvalContext) => unknown;

/** Where a rule came from. */
export interface RuleOrigin {
  file: string;
  line: number;
  column: number;
}

export interface RuleMeta {
  id: string;
  title: string;
  desc?: string;
  severity: Severity;
  action: RuleAction;
  tags: string[];
  attack: string[];
  atlas: string[];
  ioc?: string;
  /** 0..1: how likely a match is malicious (shown by scan). */
  confidence: number;
  falsepositives?: string[];
  /** Falco-style output template with %field references. */
  output?: string;
  /** What an analyst should do next. */
  next_step?: string;
  source: 'agentwarden' | 'sigma';
  origin: RuleOrigin;
}

/** Scope filters evaluated before the condition. */
export interface RuleScope {
  agents?: ReadonlySet<string>;
  hostGroups?: ReadonlySet<string>;
}

export interface SequenceSpec {
  /** Steps in order; each is a predicate plus the kinds it can match (null = any kind). */
  steps: Array<{ pred: Pred; kinds: ReadonlySet<EventKind> | null; explain: string; why?: (ev: AwEvent, cx: EvalContext) => string[] }>;
  withinMs: number;
  /** Correlation key: the session (default) or the acting process. */
  by: 'session' | 'process';
}

export interface ThresholdSpec {
  /** Count distinct values of this field (or events, when absent). */
  field?: Getter;
  fieldName?: string;
  /** Fires when the count is strictly greater than this. */
  over: number;
  withinMs: number;
  by: 'session' | 'process';
}

export interface NoveltySpec {
  field: Getter;
  fieldName: string;
  /** Baseline key: the agent kind (default) or the agent name. */
  key: 'agent_kind' | 'session';
  /** Events of the key to learn from before novelty counts. */
  learn: number;
  /** Most distinct values remembered per key (bounded state). */
  maxValues: number;
}

export interface CompiledRule {
  meta: RuleMeta;
  /** Kinds this rule can match (null = every kind). For sequences: kinds of every step. */
  kinds: ReadonlySet<EventKind> | null;
  scope: RuleScope;
  /** The stateless condition (for sequences: unused, always true). */
  pred: Pred;
  /** Human-readable condition (after macro expansion) for `rules test`. */
  explain: string;
  sequence?: SequenceSpec;
  threshold?: ThresholdSpec;
  novelty?: NoveltySpec;
  /** Fields whose values form the de-duplication key (default: rule + session + tool call). */
  dedupFields?: Getter[];
  /** The comparisons of the condition that hold for an event (for `rules test`). */
  why?: (ev: AwEvent, cx: EvalContext) => string[];
}

/** A rule match: the rule and the events that triggered it (in order). */
export interface RuleMatch {
  rule: CompiledRule;
  events: AwEvent[];
  /** Rendered output template. */
  message: string;
}

/** A load problem, located. */
export interface RuleProblem {
  code: RuleErrorCode;
  file: string;
  line: number;
  column: number;
  message: string;
}

export type RuleErrorCode =
  | 'RULE_PARSE'
  | 'RULE_SHAPE'
  | 'RULE_KEY_UNKNOWN'
  | 'RULE_DUPLICATE'
  | 'RULE_FIELD_UNKNOWN'
  | 'RULE_CONDITION_SYNTAX'
  | 'RULE_OPERATOR'
  | 'RULE_VALUE'
  | 'RULE_LIST_UNKNOWN'
  | 'RULE_MACRO_UNKNOWN'
  | 'RULE_MACRO_CYCLE'
  | 'RULE_OVERRIDE_TARGET'
  | 'RULE_REGEX'
  | 'RULE_CIDR'
  | 'RULE_SIGMA_UNSUPPORTED';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
