// Hook payloads (what each agent writes on a hook command's stdin) to AwEvents. The hooks
// receiver calls normalizeHookPayload for every payload it records. Raw vocabularies:
// Claude Code / Codex (PascalCase, `tool_use_id`), Gemini CLI (BeforeTool/AfterTool,
// `timestamp`), Cursor (camelCase, `conversation_id`, and Claude-style names plus
// `cursor_version` when it runs Claude hooks). Unknown events become `agent.telemetry`
// with `raw_type` so nothing is dropped.
import { canonicalJson } from '../../core/canonical.js';
import type { AwEvent, EventKind } from '../../schema/index.js';
import { agentEvent, agentKindOf, deterministicId, isoTime, lenientJson, patchFiles, toolFilePaths, toolInfo, type EventContext, type SupportedAgent } from './vocabulary.js';

type Payload = Record<string, unknown>;

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export interface HookNormalizeOptions {
  /** Time to use when the payload carries none (default: now). */
  time?: string;
  /** Agent version when known from elsewhere (env `CURSOR_VERSION`, process signature). */
  version?: string;
  /** Source instance name (default `<agent>-hook`). */
  sourceName?: string;
  /** Raw record reference (spool file:line, socket sequence). */
  ref?: string;
}

/** Which agent really sent a payload: Cursor runs Claude-style hooks but adds `cursor_version`. */
export function detectHookAgent(declared: string, payload: Payload): SupportedAgent {
  if (s(payload.cursor_version)) return 'cursor';
  return agentKindOf(declared) ?? 'claude-code';
}

/** Child session id for a sub-agent: `<parent session>:agent-<agent id>` (Claude sidechains keep the parent's id). */
export function subagentSessionId(agent: string, parentSessionId: string, agentId: string): string {
  // Codex and Cursor sub-agents are threads with their own global id; Claude/Gemini agent
  // ids are short and only unique within the parent session.
  if (agent === 'codex' || agent === 'cursor') return agentId;
  return `${parentSessionId}:agent-${agentId}`;
}

const CLAUDE_LIKE: Record<string, EventKind> = {
  SessionStart: 'agent.session.start',
  SessionEnd: 'agent.session.end',
  UserPromptSubmit: 'agent.prompt',
  PreToolUse: 'agent.tool.call',
  PostToolUse: 'agent.tool.result',
  PostToolUseFailure: 'agent.tool.result',
  PermissionRequest: 'agent.decision',
  PermissionDenied: 'agent.decision',
  SubagentStart: 'agent.subagent.spawn',
  SubagentStop: 'agent.session.end',
  Stop: 'agent.response',
  StopFailure: 'agent.response',
};
const GEMINI: Record<string, EventKind> = {
  SessionStart: 'agent.session.start',
  SessionEnd: 'agent.session.end',
  BeforeAgent: 'agent.prompt',
  AfterAgent: 'agent.response',
  BeforeTool: 'agent.tool.call',
  AfterTool: 'agent.tool.result',
};
const CURSOR: Record<string, EventKind> = {
  sessionStart: 'agent.session.start',
  sessionEnd: 'agent.session.end',
  beforeSubmitPrompt: 'agent.prompt',
  preToolUse: 'agent.tool.call',
  postToolUse: 'agent.tool.result',
  postToolUseFailure: 'agent.tool.result',
  beforeShellExecution: 'agent.tool.call',
  afterShellExecution: 'agent.tool.result',
  beforeMCPExecution: 'agent.tool.call',
  afterMCPExecution: 'agent.tool.result',
  beforeReadFile: 'agent.tool.call',
  afterFileEdit: 'agent.file.edit',
  afterTabFileEdit: 'agent.file.edit',
  subagentStart: 'agent.subagent.spawn',
  subagentStop: 'agent.session.end',
  afterAgentResponse: 'agent.response',
  stop: 'agent.response',
};

/** The AwEvent kind a hook event name maps to (agent.telemetry when it has no closer kind). */
export function hookEventKind(agent: string, hookEventName: string): EventKind {
  const table = agent === 'gemini-cli' ? GEMINI : agent === 'cursor' && /^[a-z]/.test(hookEventName) ? CURSOR : CLAUDE_LIKE;
  return table[hookEventName] ?? 'agent.telemetry';
}

/**
 * Normalizes one hook payload. Returns the main event first, plus `agent.file.edit`
 * events for file-writing tools. Never throws on odd input: missing fields are left out.
 */
export function normalizeHookPayload(agentName: string, payload: unknown, opts: HookNormalizeOptions = {}): AwEvent[] {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return [];
  const p = payload as Payload;
  const agent = detectHookAgent(agentName, p);
  const hookName = s(p.hook_event_name) ?? s(p.hookEventName) ?? 'unknown';
  const kind = hookEventKind(agent, hookName);
  const parentSession = s(p.session_id) ?? s(p.conversation_id) ?? 'unknown';
  const agentId = s(p.agent_id);
  let sessionId = parentSession;
  let parentId: string | undefined;
  // Claude tool events fired inside a sub-agent carry agent_id: they belong to the child.
  if (agentId && kind !== 'agent.subagent.spawn' && agent !== 'codex') {
    sessionId = subagentSessionId(agent, parentSession, agentId);
    parentId = parentSession;
  }
  if (agent === 'codex' && hookName === 'SubagentStop' && agentId) {
    sessionId = agentId;
    parentId = parentSession;
  }
  if (agent === 'cursor' && hookName === 'subagentStop') {
    sessionId = s(p.subagent_id) ?? sessionId;
    parentId = s(p.parent_conversation_id) ?? parentSession;
  }
  const ctx: EventContext = {
    agent,
    version: opts.version ?? s(p.cursor_version),
    sessionId,
    parentSessionId: parentId,
    sourceType: 'hook',
    sourceName: opts.sourceName ?? `${agent}-hook`,
    model: s(p.model) ?? s(p.model_id),
    conversationId: s(p.conversation_id) ?? parentSession,
    attribution: 'hook',
  };
  const time = isoTime(p.timestamp) ?? opts.time ?? new Date().toISOString();
  // Tool events share their id with the transcript/rollout record of the same call
  // (agent, session, call id): the research notes show the ids agree across channels, so a
  // call seen by the hook and later in the transcript is stored once (see ledger.ts).
  const callKey = s(p.tool_use_id)?.trim() ?? s(p.tool_call_id) ?? s(p.call_id);
  const id =
    callKey && (kind === 'agent.tool.call' || kind === 'agent.tool.result')
      ? deterministicId(agent, sessionId, kind === 'agent.tool.call' ? 'call' : 'result', callKey)
      : deterministicId('hook', agent, canonicalJson(p));
  const attributes: Record<string, unknown> = {};
  const cwd = s(p.cwd) ?? (Array.isArray(p.workspace_roots) ? s(p.workspace_roots[0]) : undefined);
  if (cwd) attributes.cwd = cwd;
  if (s(p.transcript_path)) attributes.transcript_path = p.transcript_path;
  if (s(p.permission_mode)) attributes.permission_mode = p.permission_mode;
  if (s(p.prompt_id)) attributes.prompt_id = p.prompt_id;
  if (s(p.turn_id)) attributes.turn_id = p.turn_id;
  if (s(p.generation_id)) attributes.generation_id = p.generation_id;
  const extra = { id, ref: opts.ref, attributes };

  // Tool identity across hook dialects.
  let toolName = s(p.tool_name);
  let input: unknown = p.tool_input !== undefined ? lenientJson(p.tool_input) : undefined;
  if (agent === 'cursor') {
    if (hookName === 'beforeShellExecution' || hookName === 'afterShellExecution') {
      toolName = 'Shell';
      input = { command: p.command, ...(s(p.cwd) ? { cwd: p.cwd } : {}) };
    } else if (hookName === 'beforeReadFile') {
      toolName = 'Read';
      input = { file_path: p.file_path };
    } else if ((hookName === 'beforeMCPExecution' || hookName === 'afterMCPExecution') && toolName && !toolName.startsWith('MCP:')) toolName = `MCP:${toolName}`;
  }
  const callId = s(p.tool_use_id)?.trim() ?? s(p.tool_call_id) ?? s(p.call_id);
  const out: AwEvent[] = [];
  const raw_type = hookName;

  switch (kind) {
    case 'agent.session.start':
      out.push(agentEvent(ctx, kind, time, { raw_type }, { ...extra, attributes: { ...attributes, ...(s(p.source) ? { source: p.source } : {}) } }));
      break;
    case 'agent.session.end': {
      const a: Record<string, unknown> = { ...attributes };
      if (s(p.reason)) a.reason = p.reason;
      if (s(p.agent_type) || s(p.subagent_type)) a.agent_type = p.agent_type ?? p.subagent_type;
      if (s(p.agent_transcript_path)) a.agent_transcript_path = p.agent_transcript_path;
      out.push(agentEvent(ctx, kind, time, { raw_type, agent_id: agentId ?? s(p.subagent_id), ...(s(p.last_assistant_message) ? { response: { text: p.last_assistant_message as string } } : {}) }, { ...extra, attributes: a }));
      break;
    }
    case 'agent.prompt': {
      // Claude's prompt_id (= transcript promptId) and Codex's turn_id identify the prompt in
      // every channel, so the hook and transcript records of one prompt share an id.
      const pid = agent === 'claude-code' ? s(p.prompt_id) : agent === 'codex' ? s(p.turn_id) : undefined;
      out.push(agentEvent(ctx, kind, time, { raw_type, prompt: { text: s(p.prompt) ?? '', role: 'user' } }, pid ? { ...extra, id: promptEventId(agent, sessionId, pid) } : extra));
      break;
    }
    case 'agent.response': {
      const text = s(p.last_assistant_message) ?? s(p.prompt_response) ?? s(p.text) ?? s(p.response);
      const finish = hookName === 'StopFailure' ? s(p.error) ?? 'error' : s(p.status);
      out.push(agentEvent(ctx, kind, time, { raw_type, response: { ...(text !== undefined ? { text } : {}), ...(finish ? { finish_reason: finish } : {}) } }, extra));
      break;
    }
    case 'agent.tool.call': {
      const tool = toolInfo(agent, toolName ?? 'unknown', callId, input);
      out.push(agentEvent(ctx, kind, time, { raw_type, tool }, { ...extra, toolCallId: callId }));
      out.push(...fileEdits(ctx, time, tool.name, tool.category, callId, input, cwd, id, opts.ref));
      break;
    }
    case 'agent.tool.result': {
      const tool = toolInfo(agent, toolName ?? 'unknown', callId, input);
      const failed = hookName === 'PostToolUseFailure' || hookName === 'postToolUseFailure';
      const response = p.tool_response !== undefined ? p.tool_response : p.tool_output !== undefined ? lenientJson(p.tool_output) : p.output ?? p.result_json;
      if (response !== undefined) tool.output = response;
      if (failed) {
        tool.status = 'error';
        if (s(p.error)) tool.output = tool.output ?? p.error;
      } else tool.status = 'ok';
      const exit = exitCodeOf(response);
      if (exit !== undefined) {
        tool.exit_code = exit;
        if (exit !== 0) tool.status = 'error';
      }
      const dur = typeof p.duration_ms === 'number' ? p.duration_ms : typeof p.duration === 'number' ? p.duration : undefined;
      if (dur !== undefined) tool.duration_ms = dur;
      out.push(agentEvent(ctx, kind, time, { raw_type, tool }, { ...extra, toolCallId: callId }));
      break;
    }
    case 'agent.decision': {
      const action = hookName === 'PermissionDenied' ? 'deny' : 'ask';
      out.push(agentEvent(ctx, kind, time, { raw_type, tool: toolInfo(agent, toolName ?? 'unknown', callId, input), decision: { action, by: 'agent', ...(s(p.reason) ? { reason: p.reason as string } : {}) } }, { ...extra, toolCallId: callId }));
      break;
    }
    case 'agent.subagent.spawn': {
      const childAgentId = agentId ?? s(p.subagent_id);
      const child = childAgentId ? subagentSessionId(agent, parentSession, childAgentId) : undefined;
      const parentTool = s(p.tool_call_id) ?? s(p.parent_tool_use_id);
      out.push(
        agentEvent(
          { ...ctx, sessionId: agent === 'cursor' ? s(p.parent_conversation_id) ?? parentSession : parentSession, parentSessionId: undefined },
          kind,
          time,
          {
            raw_type,
            agent_id: childAgentId,
            agent_name: s(p.agent_type) ?? s(p.subagent_type),
            subagent: { ...(child ? { session_id: child } : {}), ...(childAgentId ? { agent_id: childAgentId } : {}), ...(parentTool ? { parent_tool_call_id: parentTool } : {}), ...(s(p.task) ? { description: p.task as string } : {}) },
          },
          extra,
        ),
      );
      break;
    }
    case 'agent.file.edit': {
      const path = s(p.file_path) ?? '';
      out.push(agentEvent(ctx, kind, time, { raw_type, tool: toolInfo(agent, 'Edit', callId, p.edits !== undefined ? { edits: p.edits } : undefined) }, { ...extra, file: { path, intent: ['write'] } }));
      break;
    }
    default:
      out.push(agentEvent(ctx, 'agent.telemetry', time, { raw_type, ...(toolName ? { tool: toolInfo(agent, toolName, callId, input) } : {}) }, { ...extra, attributes: { ...attributes, payload: p } }));
  }
  return out;
}

/** Id of the prompt event of a turn (Claude prompt_id / promptId, Codex turn_id) in every channel. */
export function promptEventId(agent: string, sessionId: string, promptOrTurnId: string): string {
  return deterministicId(agent, sessionId, 'prompt-of', promptOrTurnId);
}

/** Exit code from a tool response: Cursor `{exitCode}`, Codex `exit_code`, "Exit code: N" / "Process exited with code N" text. */
export function exitCodeOf(response: unknown): number | undefined {
  if (response && typeof response === 'object') {
    const o = response as Record<string, unknown>;
    for (const k of ['exitCode', 'exit_code', 'returnCode', 'code']) if (typeof o[k] === 'number' && k !== 'code') return o[k] as number;
    const md = o.metadata as Record<string, unknown> | undefined;
    if (md && typeof md.exit_code === 'number') return md.exit_code;
    return undefined;
  }
  if (typeof response === 'string') {
    const m = /(?:^|\n)(?:Exit code:|Process exited with code)\s*(-?\d+)/.exec(response);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** `agent.file.edit` events for a file-writing tool call (paths from its input or patch text). */
export function fileEdits(ctx: EventContext, time: string, toolName: string, category: string | undefined, callId: string | undefined, input: unknown, cwd: string | undefined, baseId: string, ref?: string): AwEvent[] {
  if (category !== 'file_write') return [];
  const out: AwEvent[] = [];
  const abs = (p: string) => (p.startsWith('/') || !cwd ? p : `${cwd.replace(/\/$/, '')}/${p}`);
  const patch = typeof input === 'string' ? input : input && typeof input === 'object' ? s((input as Payload).command) ?? s((input as Payload).input) ?? s((input as Payload).patch) : undefined;
  if (patch && patch.includes('*** Begin Patch')) {
    for (const f of patchFiles(patch)) {
      const intent = f.action === 'create' ? ['create' as const] : f.action === 'delete' ? ['delete' as const] : f.action === 'rename' ? ['rename' as const] : ['write' as const];
      out.push(agentEvent(ctx, 'agent.file.edit', time, { raw_type: 'apply_patch', tool: toolInfo(ctx.agent, toolName, callId) }, { id: deterministicId(baseId, 'edit', f.path), ref, toolCallId: callId, file: { path: abs(f.path), intent, ...(f.target ? { target_path: abs(f.target) } : {}) } }));
    }
    return out;
  }
  for (const p of toolFilePaths(input)) {
    const create = /^(write|write_file|create_file)$/i.test(toolName);
    out.push(agentEvent(ctx, 'agent.file.edit', time, { raw_type: toolName, tool: toolInfo(ctx.agent, toolName, callId) }, { id: deterministicId(baseId, 'edit', p), ref, toolCallId: callId, file: { path: abs(p), intent: [create ? 'create' : 'write'] } }));
  }
  return out;
}
