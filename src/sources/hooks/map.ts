// Maps one hook payload (Claude Code, Codex CLI, Gemini CLI, Cursor) to the normalized
// event. The hook vocabularies differ per agent (PreToolUse / BeforeTool / preToolUse /
// beforeShellExecution ...); this file is the one place that knows them. Field names and
// event lists come from ../shared/research/agent-telemetry.md (section 1.1, 2.2, 3.3, 4.1).
// The importers' normalizer (src/transforms/normalize) was not available when this was
// written, so the hook source carries its own mapping.
import type { AgentKind, AwEvent, EventAgent, EventKind } from '../../schema/index.js';

export type HookAgent = 'claude' | 'codex' | 'gemini' | 'cursor';
export const HOOK_AGENTS: readonly HookAgent[] = ['claude', 'codex', 'gemini', 'cursor'];

type Phase = 'pre_tool' | 'post_tool' | 'prompt' | 'session_start' | 'session_end' | 'subagent_start' | 'subagent_stop' | 'response' | 'file_edit' | 'other';

const PHASES: Record<string, Phase> = {
  PreToolUse: 'pre_tool',
  BeforeTool: 'pre_tool',
  preToolUse: 'pre_tool',
  beforeShellExecution: 'pre_tool',
  beforeMCPExecution: 'pre_tool',
  beforeReadFile: 'pre_tool',
  PostToolUse: 'post_tool',
  PostToolUseFailure: 'post_tool',
  AfterTool: 'post_tool',
  postToolUse: 'post_tool',
  postToolUseFailure: 'post_tool',
  afterShellExecution: 'post_tool',
  afterMCPExecution: 'post_tool',
  UserPromptSubmit: 'prompt',
  BeforeAgent: 'prompt',
  beforeSubmitPrompt: 'prompt',
  SessionStart: 'session_start',
  sessionStart: 'session_start',
  SessionEnd: 'session_end',
  sessionEnd: 'session_end',
  SubagentStart: 'subagent_start',
  subagentStart: 'subagent_start',
  SubagentStop: 'subagent_stop',
  subagentStop: 'subagent_stop',
  Stop: 'response',
  AfterAgent: 'response',
  afterAgentResponse: 'response',
  afterFileEdit: 'file_edit',
};

const KIND_OF: Record<Phase, EventKind> = {
  pre_tool: 'agent.tool.call',
  post_tool: 'agent.tool.result',
  prompt: 'agent.prompt',
  session_start: 'agent.session.start',
  session_end: 'agent.session.end',
  subagent_start: 'agent.subagent.spawn',
  subagent_stop: 'agent.telemetry',
  response: 'agent.response',
  file_edit: 'agent.file.edit',
  other: 'agent.telemetry',
};

/** Events whose hook can block the action (exit code 2 / deny output). */
export function isBlockingEvent(eventName: string): boolean {
  const p = PHASES[eventName];
  return p === 'pre_tool' || p === 'prompt';
}

export function hookPhase(eventName: string): Phase {
  return PHASES[eventName] ?? 'other';
}

type ToolCategory = NonNullable<EventAgent['tool']>['category'];

/** Tool category from the agent's tool name (shell, file read/write, web, MCP, sub-agent). */
export function toolCategory(name: string): ToolCategory {
  if (/^mcp__|^MCP:|^mcp_/.test(name)) return 'mcp';
  const n = name.toLowerCase();
  if (['bash', 'shell', 'run_shell_command', 'exec_command', 'local_shell', 'unified_exec', 'powershell'].includes(n)) return 'shell';
  if (['read', 'read_file', 'read_many_files', 'notebookread', 'view_image'].includes(n)) return 'file_read';
  if (['write', 'edit', 'multiedit', 'write_file', 'replace', 'apply_patch', 'delete', 'notebookedit', 'edit_file'].includes(n)) return 'file_write';
  if (['webfetch', 'web_fetch'].includes(n)) return 'web_fetch';
  if (['task', 'agent', 'invoke_agent', 'spawn_agent'].includes(n)) return 'subagent';
  if (['grep', 'glob', 'grep_search', 'glob', 'search_file_content', 'websearch', 'web_search', 'google_web_search', 'list_directory', 'ls'].includes(n)) return 'search';
  return 'other';
}

export function agentKindOf(agent: string, payload: Record<string, unknown>): AgentKind {
  // Cursor can run Claude Code hooks; its payloads then carry cursor_version.
  if (typeof payload.cursor_version === 'string') return 'cursor';
  switch (agent) {
    case 'claude':
      return 'claude-code';
    case 'codex':
      return 'codex';
    case 'gemini':
      return 'gemini-cli';
    case 'cursor':
      return 'cursor';
    default:
      return 'unknown';
  }
}

/** Strings that hold JSON (Cursor tool_output, MCP tool_input) are parsed leniently. */
function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface HookDecisionRecord {
  action: 'allow' | 'deny';
  reason?: string;
  rule_id?: string;
}

export interface MapMeta {
  /** Client-assigned payload id (unique; doubles as the de-duplication key). */
  id: string;
  /** RFC 3339 time the client received the payload. */
  time: string;
  host?: string;
}

/** The tool call a payload is about, in the agents' various shapes. */
export function toolOf(eventName: string, p: Record<string, unknown>): { name: string; input: unknown } | undefined {
  if (typeof p.tool_name === 'string') return { name: p.tool_name, input: maybeJson(p.tool_input) };
  if (eventName === 'beforeShellExecution' || eventName === 'afterShellExecution') return { name: 'Shell', input: { command: p.command, cwd: p.cwd } };
  if (eventName === 'beforeReadFile') return { name: 'Read', input: { file_path: p.file_path } };
  return undefined;
}

/**
 * One payload -> the events to record: the mapped event, plus an `agent.decision` event
 * when the policy denied it. Never throws on odd payloads (unknown events map to
 * agent.telemetry with the raw payload kept).
 */
export function mapHookPayload(agent: string, payload: unknown, meta: MapMeta, decision?: HookDecisionRecord): AwEvent[] {
  const p: Record<string, unknown> = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : { value: payload };
  const eventName = str(p.hook_event_name) ?? 'unknown';
  const phase = hookPhase(eventName);
  const kind = agentKindOf(agent, p);
  const sessionId = str(p.session_id) ?? str(p.conversation_id) ?? `${kind}-unknown-session`;
  const version = str(p.cursor_version) ?? str(p.version);
  const tool = toolOf(eventName, p);
  const toolCallId = str(p.tool_use_id) ?? str(p.tool_call_id);
  const ag: EventAgent = { raw_type: eventName, conversation_id: sessionId };
  const model = str(p.model) ?? str((p.llm_request as Record<string, unknown> | undefined)?.model);
  if (model) ag.model = model;
  if (str(p.agent_id)) ag.agent_id = str(p.agent_id);
  if (str(p.agent_type)) ag.agent_name = str(p.agent_type);
  const consumed = new Set(['hook_event_name', 'session_id', 'tool_name', 'tool_input', 'tool_use_id', 'model']);

  if (tool && (phase === 'pre_tool' || phase === 'post_tool' || phase === 'other')) {
    ag.operation = 'execute_tool';
    const t: NonNullable<EventAgent['tool']> = { name: tool.name, category: toolCategory(tool.name) };
    if (toolCallId) t.call_id = toolCallId;
    if (tool.input !== undefined) t.input = tool.input;
    if (tool.name.startsWith('mcp__')) t.mcp_server = tool.name.split('__')[1];
    if (phase === 'post_tool') {
      const out = p.tool_response ?? p.tool_output ?? p.output ?? p.result_json ?? p.error;
      if (out !== undefined) t.output = maybeJson(out);
      for (const k of ['tool_response', 'tool_output', 'output', 'result_json']) consumed.add(k);
      const failed = /Failure$/.test(eventName) || p.error !== undefined;
      t.status = failed ? 'error' : 'ok';
      const d = typeof p.duration_ms === 'number' ? p.duration_ms : typeof p.duration === 'number' ? p.duration : undefined;
      if (d !== undefined) t.duration_ms = d;
    }
    if (decision?.action === 'deny') t.status = 'denied';
    ag.tool = t;
  }
  if (phase === 'prompt') {
    ag.operation = 'chat';
    const text = str(p.prompt);
    ag.prompt = { role: 'user', ...(text !== undefined ? { text } : {}) };
    consumed.add('prompt');
  }
  if (phase === 'response') {
    const text = str(p.last_assistant_message) ?? str(p.prompt_response) ?? str(p.text);
    if (text !== undefined) ag.response = { text };
    consumed.add('last_assistant_message');
    consumed.add('prompt_response');
  }
  if (phase === 'subagent_start' || phase === 'subagent_stop') {
    ag.operation = 'invoke_agent';
    ag.subagent = {
      ...(str(p.agent_id) ?? str(p.subagent_id) ? { agent_id: str(p.agent_id) ?? str(p.subagent_id) } : {}),
      ...(str(p.tool_call_id) ? { parent_tool_call_id: str(p.tool_call_id) } : {}),
      ...(str(p.task) ?? str(p.agent_type) ?? str(p.subagent_type) ? { description: str(p.task) ?? str(p.agent_type) ?? str(p.subagent_type) } : {}),
    };
  }
  if (decision?.action === 'deny') ag.decision = { action: 'deny', reason: decision.reason, by: 'agentwarden-hooks', rule_id: decision.rule_id };

  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!consumed.has(k)) rest[k] = v;
  const base: AwEvent = {
    id: `hook-${meta.id}`,
    time: meta.time,
    kind: KIND_OF[phase],
    source: { type: 'hook', name: `${agent}-hook`, ref: meta.id },
    session: {
      id: sessionId,
      agent: { kind, ...(version ? { version } : {}) },
      attribution: 'hook',
      ...(toolCallId ? { tool_call_id: toolCallId } : {}),
    },
    agent: ag,
    attributes: { hook_event: eventName, payload: rest },
  };
  if (meta.host) base.host = { name: meta.host };
  if (phase === 'file_edit' && typeof p.file_path === 'string') base.file = { path: p.file_path, intent: ['write'] };
  const out = [base];
  if (decision?.action === 'deny') {
    out.push({
      id: `hook-${meta.id}-decision`,
      time: meta.time,
      kind: 'agent.decision',
      source: { type: 'hook', name: `${agent}-hook`, ref: meta.id },
      session: base.session,
      agent: {
        raw_type: eventName,
        conversation_id: sessionId,
        decision: ag.decision,
        ...(ag.tool ? { tool: { name: ag.tool.name, call_id: ag.tool.call_id, category: ag.tool.category, input: ag.tool.input, status: 'denied' as const } } : {}),
        ...(ag.prompt ? { prompt: ag.prompt } : {}),
      },
      ...(meta.host ? { host: { name: meta.host } } : {}),
    });
  }
  return out;
}

/**
 * Marks the first (tool call or prompt) event as denied and adds the `agent.decision`
 * event that records the block.
 */
export function withDecision(events: AwEvent[], decision: HookDecisionRecord, payloadId: string): AwEvent[] {
  const [first, ...rest] = events;
  const d = { action: 'deny' as const, by: 'agentwarden-hooks', ...(decision.reason ? { reason: decision.reason } : {}), ...(decision.rule_id ? { rule_id: decision.rule_id } : {}) };
  const ag: EventAgent = { ...(first.agent ?? {}), decision: d };
  if (ag.tool) ag.tool = { ...ag.tool, status: 'denied' };
  const marked: AwEvent = { ...first, agent: ag };
  const rec: AwEvent = {
    id: `${first.id ?? `hook-${payloadId}`}-decision`,
    time: first.time,
    kind: 'agent.decision',
    source: first.source,
    ...(first.host ? { host: first.host } : {}),
    ...(first.session ? { session: first.session } : {}),
    agent: {
      ...(ag.raw_type ? { raw_type: ag.raw_type } : {}),
      ...(ag.operation ? { operation: ag.operation } : {}),
      ...(ag.conversation_id ? { conversation_id: ag.conversation_id } : {}),
      decision: d,
      ...(ag.tool ? { tool: { ...ag.tool, status: 'denied' as const } } : {}),
      ...(ag.prompt ? { prompt: ag.prompt } : {}),
    },
    attributes: { hook_payload_id: payloadId },
  };
  return [marked, rec, ...rest];
}
