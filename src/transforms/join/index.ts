// Public surface of the agent <-> kernel join and the delegation graph data.
export { ToolCallJoiner, ToolCallJoinTransform, joinEvents, annotateToolCalls, stamp, commandMatches, commandVariants, processTexts, isKernelEvent, SESSION_MARKERS, TOOL_CALL_MARKERS, EVENT_CALL_PREFIX } from './join.js';
export type { JoinOptions, JoinMatch, JoinVia, ToolCallWindow } from './join.js';
export { delegationEdges } from './delegation.js';
export type { DelegationEdge } from './delegation.js';
export { whichToolCall, toolCallActivity, findToolCall, storedDelegationEdges } from './query.js';
export type { WhyAnswer, ToolCallActivity, ToolCallContext } from './query.js';
