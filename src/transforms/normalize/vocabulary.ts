// The one agent-activity vocabulary. Every agent channel (hooks, transcripts, rollouts,
// chats, VIBES) is mapped onto the AwEvent agent kinds with the OpenTelemetry GenAI
// semantic-convention names (gen_ai.operation.name, gen_ai.tool.name, gen_ai.tool.call.id,
// gen_ai.conversation.id, gen_ai.agent.id). Each agent's own tool names are mapped to one
// small set of categories so rules and the kernel join never need per-agent tables.
import { createHash } from 'node:crypto';
import type { AwEvent, EventAgent, EventKind, EventSession } from '../../schema/index.js';

/** Agents this module knows how to read. */
export type SupportedAgent = 'claude-code' | 'codex' | 'gemini-cli' | 'cursor';
export const SUPPORTED_AGENTS: readonly SupportedAgent[] = ['claude-code', 'codex', 'gemini-cli', 'cursor'];

export type ToolCategory = NonNullable<NonNullable<EventAgent['tool']>['category']>;
export type ToolInfo = NonNullable<EventAgent['tool']>;

/** CLI spellings (`claude`, `gemini`) to agent kinds. */
export function agentKindOf(name: string): SupportedAgent | undefined {
  const n = name.toLowerCase();
  if (n === 'claude' || n === 'claude-code' || n === 'claudecode') return 'claude-code';
  if (n === 'codex' || n === 'codex-cli') return 'codex';
  if (n === 'gemini' || n === 'gemini-cli') return 'gemini-cli';
  if (n === 'cursor' || n === 'cursor-agent') return 'cursor';
  return undefined;
}

/** gen_ai.operation.name for each agent kind (semconv values where one exists). */
export const OPERATION_OF: Partial<Record<EventKind, string>> = {
  'agent.session.start': 'invoke_agent',
  'agent.session.end': 'invoke_agent',
  'agent.prompt': 'chat',
  'agent.response': 'chat',
  'agent.tool.call': 'execute_tool',
  'agent.tool.result': 'execute_tool',
  'agent.subagent.spawn': 'create_agent',
  'agent.file.edit': 'execute_tool',
  'agent.decision': 'execute_tool',
};

// Lower-cased tool name -> category, per agent. Names come from each agent's docs and the
// samples in ../shared/data/agents (see docs/agent-telemetry.md for the table).
const CLAUDE: Record<string, ToolCategory> = {
  bash: 'shell', bashoutput: 'shell', killshell: 'shell', killbash: 'shell', powershell: 'shell',
  read: 'file_read', notebookread: 'file_read',
  write: 'file_write', edit: 'file_write', multiedit: 'file_write', notebookedit: 'file_write',
  glob: 'search', grep: 'search', ls: 'file_read', toolsearch: 'search',
  webfetch: 'web_fetch', websearch: 'search',
  task: 'subagent', agent: 'subagent',
};
const CODEX: Record<string, ToolCategory> = {
  exec_command: 'shell', shell: 'shell', local_shell_call: 'shell', local_shell: 'shell', container_shell: 'shell',
  'container.exec': 'shell', write_stdin: 'shell', bash: 'shell', unified_exec: 'shell',
  apply_patch: 'file_write', write_file: 'file_write', create_file: 'file_write', edit: 'file_write', write: 'file_write',
  read_file: 'file_read', list_directory: 'file_read', view_image: 'file_read', list_dir: 'file_read',
  file_search: 'search', grep_search: 'search', codebase_search: 'search', grep_files: 'search',
  web_search: 'search', web_search_call: 'search', web_fetch: 'web_fetch',
  spawn_agent: 'subagent', wait_agent: 'subagent', send_input: 'subagent', close_agent: 'subagent', resume_agent: 'subagent',
};
const GEMINI: Record<string, ToolCategory> = {
  run_shell_command: 'shell', shell: 'shell',
  read_file: 'file_read', read_many_files: 'file_read', list_directory: 'file_read', ls: 'file_read',
  write_file: 'file_write', replace: 'file_write', edit: 'file_write',
  glob: 'search', grep_search: 'search', search_file_content: 'search', grep: 'search',
  web_fetch: 'web_fetch', google_web_search: 'search',
  invoke_agent: 'subagent', delegate_to_agent: 'subagent', codebase_investigator: 'subagent',
};
const CURSOR: Record<string, ToolCategory> = {
  shell: 'shell', terminal: 'shell', run_terminal_cmd: 'shell', bash: 'shell',
  read: 'file_read', read_file: 'file_read', list_dir: 'file_read', ls: 'file_read',
  write: 'file_write', edit: 'file_write', strreplace: 'file_write', delete: 'file_write', multiedit: 'file_write',
  edit_file: 'file_write', search_replace: 'file_write', delete_file: 'file_write',
  grep: 'search', glob: 'search', codebase_search: 'search', file_search: 'search', grep_search: 'search', web_search: 'search',
  webfetch: 'web_fetch', web_fetch: 'web_fetch',
  task: 'subagent', agent: 'subagent',
};
const TABLES: Record<SupportedAgent, Record<string, ToolCategory>> = { 'claude-code': CLAUDE, codex: CODEX, 'gemini-cli': GEMINI, cursor: CURSOR };

/** The MCP server named in a tool name (`mcp__server__tool`, `mcp_server_tool`, `MCP:tool`), if any. */
export function mcpServerOf(toolName: string): string | undefined {
  let m = /^mcp__([^_].*?)__(.+)$/.exec(toolName);
  if (m) return m[1];
  m = /^mcp_([A-Za-z0-9-]+)_(.+)$/.exec(toolName);
  if (m) return m[1];
  return undefined;
}

/** Whether the tool name denotes an MCP tool in that agent's naming. */
export function isMcpTool(agent: string, toolName: string): boolean {
  if (toolName.startsWith('mcp__') || toolName.startsWith('MCP:')) return true;
  if (agent === 'gemini-cli' && /^mcp_[A-Za-z0-9-]+_/.test(toolName)) return true;
  return false;
}

/** Maps one agent's raw tool name to a category (shell, file_read, file_write, web_fetch, mcp, subagent, search, other). */
export function categorizeTool(agentKind: string, toolName: string): ToolCategory {
  if (!toolName) return 'other';
  if (isMcpTool(agentKind, toolName)) return 'mcp';
  const table = TABLES[(agentKindOf(agentKind) ?? agentKind) as SupportedAgent];
  const key = toolName.toLowerCase();
  if (table) {
    const c = table[key];
    if (c) return c;
  }
  // Unknown agent or new tool: try every table (names are mostly self-describing).
  for (const t of Object.values(TABLES)) if (t[key]) return t[key];
  return 'other';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * The shell command text a tool call asked for, if it is a shell call: Claude Bash
 * `command`, Codex `cmd` / `command` (string or argv), Gemini `command`, Cursor `command`.
 * Used by the kernel join to match process command lines.
 */
export function toolCommandText(input: unknown): string | undefined {
  if (typeof input === 'string') return str(input);
  if (!input || typeof input !== 'object') return undefined;
  const o = input as Record<string, unknown>;
  for (const k of ['command', 'cmd', 'commandLine', 'script']) {
    const v = o[k];
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
      const a = v as string[];
      // ["bash","-lc","<script>"]: the script is what the model asked for.
      if (a.length >= 3 && /(^|\/)(ba|z|da)?sh$/.test(a[0]) && /^-[a-z]*c$/.test(a[1])) return a.slice(2).join(' ');
      return a.join(' ');
    }
  }
  return undefined;
}

/** Paths a file tool touches, from its input (`file_path`, `path`, `notebook_path`, `filename`, `target_file`). */
export function toolFilePaths(input: unknown): string[] {
  if (!input || typeof input !== 'object') return [];
  const o = input as Record<string, unknown>;
  const out: string[] = [];
  for (const k of ['file_path', 'notebook_path', 'path', 'filename', 'target_file', 'absolute_path']) {
    const v = o[k];
    if (typeof v === 'string' && v) {
      out.push(v);
      break;
    }
  }
  if (Array.isArray(o.paths)) for (const p of o.paths) if (typeof p === 'string') out.push(p);
  return out;
}

/** Files named by a Codex/OpenAI `apply_patch` text (`*** Add File: x`, `*** Update File: x`, `*** Delete File: x`, `*** Move to: y`). */
export function patchFiles(patch: string): Array<{ path: string; action: 'create' | 'write' | 'delete' | 'rename'; target?: string }> {
  const out: Array<{ path: string; action: 'create' | 'write' | 'delete' | 'rename'; target?: string }> = [];
  for (const line of patch.split('\n')) {
    let m = /^\*\*\* (Add|Update|Delete) File: (.+)$/.exec(line.trimEnd());
    if (m) {
      out.push({ path: m[2], action: m[1] === 'Add' ? 'create' : m[1] === 'Delete' ? 'delete' : 'write' });
      continue;
    }
    m = /^\*\*\* Move to: (.+)$/.exec(line.trimEnd());
    if (m && out.length) {
      out[out.length - 1].action = 'rename';
      out[out.length - 1].target = m[1];
    }
  }
  return out;
}

/**
 * A deterministic event id (UUID-shaped, version nibble 8) from the parts that identify
 * a record, so importing the same record twice yields the same id.
 */
export function deterministicId(...parts: Array<string | number | undefined>): string {
  const h = createHash('sha256').update(parts.map((p) => (p === undefined ? '' : String(p))).join('\u001f')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Normalizes a timestamp (ISO string, epoch seconds or ms) to RFC 3339 UTC, or undefined. */
export function isoTime(v: unknown): string | undefined {
  if (typeof v === 'string' && v) {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
      if (v.endsWith('Z')) return v;
      const d = new Date(v);
      return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
    }
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof v === 'number' && Number.isFinite(v)) {
    const ms = v < 1e11 ? v * 1000 : v;
    return new Date(ms).toISOString();
  }
  return undefined;
}

/** Fields shared by every event made by one reader. */
export interface EventContext {
  agent: string;
  version?: string;
  sessionId: string;
  parentSessionId?: string;
  sourceType: string;
  sourceName?: string;
  conversationId?: string;
  model?: string;
  user?: string;
  attribution?: EventSession['attribution'];
}

/** Builds one agent event with session, source and operation filled in. */
export function agentEvent(
  ctx: EventContext,
  kind: EventKind,
  time: string,
  agent: Omit<EventAgent, 'operation'> & { operation?: string },
  extra: { id?: string; ref?: string; attributes?: Record<string, unknown>; file?: AwEvent['file']; toolCallId?: string } = {},
): AwEvent {
  const session: EventSession = { id: ctx.sessionId, agent: { kind: ctx.agent, ...(ctx.version ? { version: ctx.version } : {}) }, attribution: ctx.attribution ?? 'import' };
  if (ctx.parentSessionId) session.parent_id = ctx.parentSessionId;
  if (ctx.user) session.user = ctx.user;
  if (extra.toolCallId) session.tool_call_id = extra.toolCallId;
  const a: EventAgent = { operation: agent.operation ?? OPERATION_OF[kind], conversation_id: ctx.conversationId ?? ctx.sessionId, ...agent };
  if (!a.model && ctx.model) a.model = ctx.model;
  for (const k of Object.keys(a) as Array<keyof EventAgent>) if (a[k] === undefined) delete a[k];
  const ev: AwEvent = {
    time,
    kind,
    source: { type: ctx.sourceType, ...(ctx.sourceName ? { name: ctx.sourceName } : {}), ...(extra.ref ? { ref: extra.ref } : {}) },
    session,
    agent: a,
  };
  if (extra.id) ev.id = extra.id;
  if (extra.file) ev.file = extra.file;
  if (extra.attributes && Object.keys(extra.attributes).length) ev.attributes = extra.attributes;
  return ev;
}

/** A tool description (name, id, category, MCP server) for an agent's raw tool name. */
export function toolInfo(agentKind: string, name: string, callId?: string, input?: unknown): ToolInfo {
  const t: ToolInfo = { name, category: categorizeTool(agentKind, name) };
  if (callId) t.call_id = callId;
  if (input !== undefined) t.input = input;
  const server = mcpServerOf(name);
  if (server) t.mcp_server = server;
  return t;
}

/** Parses a JSON string leniently (Codex `arguments`, Cursor `tool_output`); returns the text when it is not JSON. */
export function lenientJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}
