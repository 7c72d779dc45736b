// Codex CLI rollouts: ~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<thread>.jsonl. Each line
// is {timestamp, type, payload}. Tool calls are response_item function_call /
// custom_tool_call / local_shell_call / web_search_call, results are *_output by call_id;
// exec_command_end (older) or item_completed CommandExecution (0.169) carry the exit code
// and the shell's process id, so results wait for them until the end of the read.
// Sub-agents: spawn_agent call, then collab_agent_spawn_end.new_thread_id (child rollout).
import type { AwEvent } from '../../schema/index.js';
import { exitCodeOf, fileEdits, promptEventId } from '../../transforms/normalize/hooks.js';
import { agentEvent, deterministicId, isoTime, lenientJson, toolInfo, type EventContext } from '../../transforms/normalize/vocabulary.js';
import { blockedReason } from './blocked.js';
import { bump, emitOnce, hookLogEvents, type ImportProblem, type LineReader, obj, parseObjectLine, str } from './common.js';

const AGENT = 'codex';

function findParentThread(v: unknown, depth = 0): string | undefined {
  const o = obj(v);
  if (!o || depth > 4) return undefined;
  for (const k of ['parent_thread_id', 'parent_session_id', 'parent_id']) if (str(o[k])) return o[k] as string;
  for (const x of Object.values(o)) {
    const r = findParentThread(x, depth + 1);
    if (r) return r;
  }
  return undefined;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => (obj(c) && typeof (c as Record<string, unknown>).text === 'string' ? ((c as Record<string, unknown>).text as string) : ''))
    .filter(Boolean)
    .join('\n');
}

// Context the CLI injects as user/developer messages, not typed by the user.
const INJECTED = /^\s*(?:# AGENTS\.md instructions|<(?:environment_context|user_instructions|skills_instructions|permissions instructions|user_shell_command|turn_aborted|apps_instructions|collaboration_mode|personality))/;

export class CodexRolloutReader implements LineReader {
  readonly problems: ImportProblem[] = [];
  readonly skipped: Record<string, number> = {};
  private ctx: EventContext | undefined;
  private readonly seenIds = new Set<string>();
  private readonly calls = new Map<string, { name: string; input: unknown; eventId: string; edits: number }>();
  private readonly pending = new Map<string, AwEvent>();
  private readonly execInfo = new Map<string, { exit?: number; pid?: string; command?: unknown }>();
  private readonly turnTexts = new Set<string>();
  private turnId: string | undefined;
  private turnPrompted = false;
  private lastTime: string | undefined;
  private cwd: string | undefined;

  /** `fallbackTime`: time for hook-log lines that carry none (import: the file's mtime; live: now). */
  constructor(
    private readonly file: string,
    private readonly fallbackTime?: string,
  ) {}

  private emit(out: AwEvent[], ev: AwEvent): void {
    emitOnce(this.seenIds, out, ev);
  }

  private context(): EventContext {
    if (this.ctx) return this.ctx;
    // A rollout without session_meta: use the thread id in the file name.
    const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(this.file);
    this.ctx = { agent: AGENT, sessionId: m ? m[1] : deterministicId(this.file), sourceType: 'import', sourceName: 'codex-rollout' };
    return this.ctx;
  }

  line(text: string, lineNo: number): AwEvent[] {
    const rec = parseObjectLine(text, this.file, lineNo, this.problems);
    if (!rec) return [];
    const out: AwEvent[] = [];
    const ref = `${this.file}:${lineNo}`;
    const hooked = hookLogEvents(AGENT, rec, this.seenIds, { ref, time: this.lastTime ?? this.fallbackTime, sourceName: 'codex-hook-log' });
    if (hooked) return hooked;
    const type = str(rec.type);
    const p = obj(rec.payload);
    const time = isoTime(rec.timestamp) ?? this.lastTime;
    if (!type || !p) {
      bump(this.skipped, type ?? 'untyped');
      return out;
    }
    if (!time) {
      this.problems.push({ file: this.file, line: lineNo, reason: 'record has no timestamp' });
      return out;
    }
    this.lastTime = time;
    const pt = str(p.type);
    if (type === 'session_meta') {
      const sid = str(p.id) ?? str(p.session_id) ?? this.context().sessionId;
      this.cwd = str(p.cwd);
      this.ctx = { agent: AGENT, version: str(p.cli_version), sessionId: sid, parentSessionId: findParentThread(p.source) ?? str(p.forked_from_id), sourceType: 'import', sourceName: 'codex-rollout' };
      const attributes: Record<string, unknown> = {};
      if (this.cwd) attributes.cwd = this.cwd;
      if (str(p.originator)) attributes.originator = p.originator;
      if (p.source !== undefined) attributes.codex_source = p.source;
      const git = obj(p.git);
      if (git) attributes.git = git;
      this.emit(out, agentEvent(this.ctx, 'agent.session.start', time, { raw_type: 'session_meta', ...(str(p.model_provider) ? { provider: p.model_provider as string } : {}) }, { id: deterministicId(AGENT, sid, 'start'), ref, attributes }));
      return out;
    }
    const ctx = this.context();
    if (type === 'turn_context') {
      if (str(p.model)) ctx.model = p.model as string;
      this.newTurn(str(p.turn_id));
      if (str(p.cwd)) this.cwd = p.cwd as string;
      this.turnTexts.clear();
      bump(this.skipped, 'turn_context');
      return out;
    }
    const attrs: Record<string, unknown> = this.cwd ? { cwd: this.cwd } : {};
    if (type === 'response_item') {
      const rid = str(p.id) ?? `${lineNo}`;
      if (pt === 'message') {
        const t = textOf(p.content);
        if (p.role === 'user' && t && !INJECTED.test(t)) this.prompt(out, ctx, t, time, ref, rid);
        else if (p.role === 'assistant' && t) this.response(out, ctx, t, time, ref, rid);
        else bump(this.skipped, `message-${String(p.role)}`);
        return out;
      }
      if (pt === 'function_call' || pt === 'custom_tool_call' || pt === 'local_shell_call' || pt === 'tool_search_call') {
        const callId = str(p.call_id) ?? str(p.id) ?? `${this.file}:${lineNo}`;
        const ns = str(p.namespace);
        let name = str(p.name) ?? (pt === 'local_shell_call' ? 'local_shell_call' : 'unknown');
        if (ns) name = ns.endsWith('__') ? `${ns}${name}` : `${ns}__${name}`;
        const input = pt === 'function_call' ? lenientJson(p.arguments) : pt === 'local_shell_call' ? obj(p.action) ?? p.action : p.input;
        const tool = toolInfo(AGENT, name, callId, input);
        const id = deterministicId(AGENT, ctx.sessionId, 'call', callId);
        this.calls.set(callId, { name, input, eventId: id, edits: 0 });
        this.emit(out, agentEvent(ctx, 'agent.tool.call', time, { raw_type: pt, tool }, { id, ref, toolCallId: callId, attributes: attrs }));
        const edits = fileEdits(ctx, time, name, tool.category, callId, input, this.cwd, id, ref);
        this.calls.get(callId)!.edits = edits.length;
        for (const e of edits) this.emit(out, e);
        return out;
      }
      if (pt === 'function_call_output' || pt === 'custom_tool_call_output' || pt === 'tool_search_output') {
        const callId = str(p.call_id) ?? `${this.file}:${lineNo}`;
        const call = this.calls.get(callId);
        const tool = toolInfo(AGENT, call?.name ?? 'unknown', callId);
        const output = pt === 'custom_tool_call_output' ? lenientJson(p.output) : p.output;
        tool.output = output;
        const reason = blockedReason(output);
        const exit = exitCodeOf(output);
        if (exit !== undefined) tool.exit_code = exit;
        tool.status = reason ? 'denied' : exit !== undefined && exit !== 0 ? 'error' : 'ok';
        const ev = agentEvent(ctx, 'agent.tool.result', time, { raw_type: pt, tool }, { id: deterministicId(AGENT, ctx.sessionId, 'result', callId), ref, toolCallId: callId, attributes: attrs });
        if (reason) this.emit(out, agentEvent(ctx, 'agent.decision', time, { raw_type: 'hook_block', tool: toolInfo(AGENT, call?.name ?? 'unknown', callId, call?.input), decision: { action: 'deny', reason, by: 'hook' } }, { id: deterministicId(AGENT, ctx.sessionId, 'decision', callId), ref, toolCallId: callId }));
        const info = this.execInfo.get(callId);
        if (info) {
          this.applyExec(ev, info);
          this.emit(out, ev);
        } else if (tool.category === 'shell' && /session ID \d+/.test(typeof output === 'string' ? output : '')) this.pending.set(callId, ev);
        else this.emit(out, ev);
        return out;
      }
      if (pt === 'web_search_call') {
        const callId = str(p.id) ?? str(p.call_id) ?? deterministicId(this.file, lineNo);
        const action = obj(p.action);
        const tool = toolInfo(AGENT, 'web_search', callId, action ?? {});
        this.emit(out, agentEvent(ctx, 'agent.tool.call', time, { raw_type: pt, tool }, { id: deterministicId(AGENT, ctx.sessionId, 'call', callId), ref, toolCallId: callId }));
        return out;
      }
      bump(this.skipped, `response_item-${String(pt)}`);
      return out;
    }
    if (type === 'event_msg') {
      if (pt === 'user_message' && str(p.message) && !INJECTED.test(p.message as string)) {
        this.prompt(out, ctx, p.message as string, time, ref, `${lineNo}`);
        return out;
      }
      if (pt === 'agent_message' && str(p.message)) {
        this.response(out, ctx, p.message as string, time, ref, `${lineNo}`);
        return out;
      }
      if (pt === 'task_started') {
        this.turnTexts.clear();
        this.newTurn(str(p.turn_id));
        bump(this.skipped, 'task_started');
        return out;
      }
      if (pt === 'exec_command_end' && str(p.call_id)) {
        this.exec(out, p.call_id as string, { exit: typeof p.exit_code === 'number' ? p.exit_code : undefined, pid: str(p.process_id), command: p.command });
        return out;
      }
      if (pt === 'item_completed') {
        const item = obj(p.item);
        if (item?.type === 'CommandExecution' && str(item.id)) {
          this.exec(out, item.id as string, { exit: typeof item.exit_code === 'number' ? item.exit_code : typeof item.exitCode === 'number' ? item.exitCode : undefined, pid: str(item.process_id), command: item.command });
          return out;
        }
        if (item?.type === 'FileChange' && str(item.id)) {
          this.changes(out, ctx, item.id as string, obj(item.changes), time, ref);
          return out;
        }
        bump(this.skipped, `item_completed-${String(item?.type)}`);
        return out;
      }
      if (pt === 'patch_apply_end' && str(p.call_id)) {
        this.changes(out, ctx, p.call_id as string, obj(p.changes), time, ref);
        return out;
      }
      if (pt === 'collab_agent_spawn_end' && str(p.new_thread_id)) {
        const callId = str(p.call_id);
        const child = p.new_thread_id as string;
        this.emit(out, agentEvent(ctx, 'agent.subagent.spawn', time, { raw_type: pt, agent_id: child, ...(str(p.new_agent_role) ? { agent_name: p.new_agent_role as string } : {}), subagent: { session_id: child, agent_id: child, ...(callId ? { parent_tool_call_id: callId } : {}) } }, { id: deterministicId(AGENT, ctx.sessionId, 'spawn', child), ref, toolCallId: callId }));
        return out;
      }
      bump(this.skipped, `event_msg-${String(pt)}`);
      return out;
    }
    if (type === 'compacted') {
      this.emit(out, agentEvent(ctx, 'agent.telemetry', time, { raw_type: 'compacted' }, { id: deterministicId(AGENT, ctx.sessionId, 'compacted', lineNo), ref }));
      return out;
    }
    bump(this.skipped, type);
    return out;
  }

  private newTurn(turnId: string | undefined): void {
    if (turnId && turnId !== this.turnId) {
      this.turnId = turnId;
      this.turnPrompted = false;
    }
  }

  private prompt(out: AwEvent[], ctx: EventContext, text: string, time: string, ref: string, rid: string): void {
    const key = `p\u0000${text}`;
    if (this.turnTexts.has(key)) return;
    this.turnTexts.add(key);
    // The turn's first prompt shares its id with the UserPromptSubmit hook record (turn_id).
    const id = this.turnId && !this.turnPrompted ? promptEventId(AGENT, ctx.sessionId, this.turnId) : deterministicId(AGENT, ctx.sessionId, 'prompt', rid, text);
    this.turnPrompted = true;
    this.emit(out, agentEvent(ctx, 'agent.prompt', time, { raw_type: 'user_message', prompt: { text, role: 'user' } }, { id, ref, ...(this.turnId ? { attributes: { turn_id: this.turnId } } : {}) }));
  }

  private response(out: AwEvent[], ctx: EventContext, text: string, time: string, ref: string, rid: string): void {
    const key = `r\u0000${text}`;
    if (this.turnTexts.has(key)) return;
    this.turnTexts.add(key);
    this.emit(out, agentEvent(ctx, 'agent.response', time, { raw_type: 'agent_message', response: { text } }, { id: deterministicId(AGENT, ctx.sessionId, 'response', rid, text), ref }));
  }

  private applyExec(ev: AwEvent, info: { exit?: number; pid?: string; command?: unknown }): void {
    const tool = ev.agent!.tool!;
    if (info.exit !== undefined) {
      tool.exit_code = info.exit;
      if (tool.status === 'ok' && info.exit !== 0) tool.status = 'error';
    }
    ev.attributes = { ...(ev.attributes ?? {}), ...(info.pid ? { 'codex.process_id': info.pid } : {}), ...(info.command !== undefined ? { 'codex.command': info.command } : {}) };
  }

  private exec(out: AwEvent[], callId: string, info: { exit?: number; pid?: string; command?: unknown }): void {
    this.execInfo.set(callId, info);
    const ev = this.pending.get(callId);
    if (ev) {
      this.pending.delete(callId);
      this.applyExec(ev, info);
      this.emit(out, ev);
    }
  }

  private changes(out: AwEvent[], ctx: EventContext, callId: string, changes: Record<string, unknown> | undefined, time: string, ref: string): void {
    const call = this.calls.get(callId);
    if (!changes || (call && call.edits > 0)) return;
    for (const [path, ch] of Object.entries(changes)) {
      const c = obj(ch);
      const t = str(c?.type);
      const intent = t === 'add' ? 'create' : t === 'delete' ? 'delete' : 'write';
      const movePath = str(c?.move_path);
      this.emit(out, agentEvent(ctx, 'agent.file.edit', time, { raw_type: 'patch_apply', tool: toolInfo(AGENT, call?.name ?? 'apply_patch', callId) }, { id: deterministicId(call?.eventId ?? callId, 'edit', path), ref, toolCallId: callId, file: { path, intent: [movePath ? 'rename' : intent], ...(movePath ? { target_path: movePath } : {}) } }));
    }
  }

  finish(): AwEvent[] {
    const out: AwEvent[] = [];
    for (const ev of this.pending.values()) this.emit(out, ev);
    this.pending.clear();
    return out;
  }
}
