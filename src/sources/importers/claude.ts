// Claude Code transcripts: ~/.claude/projects/<cwd-slug>/<session>.jsonl, sub-agent
// sidechains in <session>/subagents/agent-<id>.jsonl (2.1.x) or agent-<id>.jsonl beside
// the session file (2.0.x). One line per content block; lines link tool results to calls
// by tool_use_id and sub-agents to the parent Task/Agent call through agent_progress
// (parentToolUseID + agentId) or the Task result's agentId.
import type { AwEvent } from '../../schema/index.js';
import { fileEdits } from '../../transforms/normalize/hooks.js';
import { promptEventId, subagentSessionId } from '../../transforms/normalize/hooks.js';
import { agentEvent, deterministicId, isoTime, toolInfo, type EventContext } from '../../transforms/normalize/vocabulary.js';
import { blockedReason } from './blocked.js';
import { bump, emitOnce, hookLogEvents, type ImportProblem, type LineReader, obj, parseObjectLine, str } from './common.js';

const AGENT = 'claude-code';
const SKIP_TYPES = new Set(['file-history-snapshot', 'queue-operation', 'summary', 'last-prompt', 'attachment', 'custom-title', 'pr-link', 'agent-name']);

export class ClaudeTranscriptReader implements LineReader {
  readonly problems: ImportProblem[] = [];
  readonly skipped: Record<string, number> = {};
  private readonly seenUuids = new Set<string>();
  private readonly seenIds = new Set<string>();
  private readonly toolNames = new Map<string, string>();
  private readonly toolInputs = new Map<string, unknown>();
  private readonly sessionsStarted = new Set<string>();
  private readonly promptIds = new Set<string>();
  private lastTime: string | undefined;

  /** `fallbackTime`: time for hook-log lines that carry none (import: the file's mtime; live: now). */
  constructor(
    private readonly file: string,
    private readonly fallbackTime?: string,
  ) {}

  private emit(out: AwEvent[], ev: AwEvent): void {
    emitOnce(this.seenIds, out, ev);
  }

  line(text: string, lineNo: number): AwEvent[] {
    const rec = parseObjectLine(text, this.file, lineNo, this.problems);
    if (!rec) return [];
    const out: AwEvent[] = [];
    const ref = `${this.file}:${lineNo}`;
    // Hook payload logs (hooks.jsonl, probe captures) share the importer.
    const hooked = hookLogEvents(AGENT, rec, this.seenIds, { ref, time: this.lastTime ?? this.fallbackTime, sourceName: 'claude-code-hook-log' });
    if (hooked) return hooked;
    const type = str(rec.type);
    const time = isoTime(rec.timestamp) ?? this.lastTime;
    if (time) this.lastTime = time;
    if (!type || SKIP_TYPES.has(type) || !str(rec.sessionId)) {
      bump(this.skipped, type ?? 'untyped');
      return out;
    }
    if (!time) {
      this.problems.push({ file: this.file, line: lineNo, reason: 'record has no timestamp and none came before it' });
      return out;
    }
    const uuid = str(rec.uuid);
    if (uuid) {
      if (this.seenUuids.has(uuid)) {
        bump(this.skipped, 'duplicate-uuid');
        return out;
      }
      this.seenUuids.add(uuid);
    }
    const parent = rec.sessionId as string;
    const agentId = rec.isSidechain === true ? str(rec.agentId) : undefined;
    const sessionId = agentId ? subagentSessionId(AGENT, parent, agentId) : parent;
    const msg = obj(rec.message);
    const ctx: EventContext = {
      agent: AGENT,
      version: str(rec.version),
      sessionId,
      parentSessionId: agentId ? parent : undefined,
      sourceType: 'import',
      sourceName: 'claude-code-transcript',
      model: str(msg?.model),
    };
    const attrs: Record<string, unknown> = {};
    if (str(rec.cwd)) attrs.cwd = rec.cwd;
    if (str(rec.gitBranch)) attrs.git_branch = rec.gitBranch;
    if (str(rec.promptId)) attrs.prompt_id = rec.promptId;
    if (!this.sessionsStarted.has(sessionId)) {
      this.sessionsStarted.add(sessionId);
      this.emit(out, agentEvent(ctx, 'agent.session.start', time, { raw_type: 'transcript', ...(agentId ? { agent_id: agentId } : {}) }, { id: deterministicId(AGENT, sessionId, 'start'), ref, attributes: { ...attrs } }));
    }
    const baseId = uuid ?? `${this.file}:${lineNo}`;
    if (type === 'user' && msg) {
      const content = msg.content;
      if (rec.isMeta === true || rec.isCompactSummary === true) {
        bump(this.skipped, rec.isMeta === true ? 'user-meta' : 'compact-summary');
        return out;
      }
      if (typeof content === 'string') {
        this.emit(out, agentEvent(ctx, 'agent.prompt', time, { raw_type: 'user', prompt: { text: content, role: 'user' } }, { id: this.promptId(sessionId, baseId, rec.promptId), ref, attributes: attrs }));
        return out;
      }
      if (Array.isArray(content)) {
        const texts: string[] = [];
        for (const [i, b] of content.entries()) {
          const blk = obj(b);
          if (!blk) continue;
          if (blk.type === 'text' && typeof blk.text === 'string') texts.push(blk.text);
          else if (blk.type === 'tool_result') {
            const callId = str(blk.tool_use_id) ?? `${baseId}#${i}`;
            const name = this.toolNames.get(callId) ?? 'unknown';
            const tool = toolInfo(AGENT, name, callId);
            const structured = rec.toolUseResult;
            tool.output = structured !== undefined && content.length === 1 ? structured : blk.content;
            const reason = blk.is_error === true ? blockedReason(blk.content) : undefined;
            tool.status = reason ? 'denied' : blk.is_error === true ? 'error' : 'ok';
            this.emit(out, agentEvent(ctx, 'agent.tool.result', time, { raw_type: 'tool_result', tool }, { id: deterministicId(AGENT, sessionId, 'result', callId), ref, toolCallId: callId, attributes: attrs }));
            if (reason) this.emit(out, agentEvent(ctx, 'agent.decision', time, { raw_type: 'hook_block', tool: toolInfo(AGENT, name, callId, this.toolInputs.get(callId)), decision: { action: 'deny', reason, by: 'hook' } }, { id: deterministicId(AGENT, sessionId, 'decision', callId), ref, toolCallId: callId }));
            // Task/Agent result names the sub-agent it ran.
            const sr = obj(structured);
            if (tool.category === 'subagent' && sr && str(sr.agentId)) this.spawn(out, ctx, parent, sr.agentId as string, callId, time, ref);
          }
        }
        if (texts.length) this.emit(out, agentEvent(ctx, 'agent.prompt', time, { raw_type: 'user', prompt: { text: texts.join('\n'), role: 'user' } }, { id: this.promptId(sessionId, baseId, rec.promptId), ref, attributes: attrs }));
        return out;
      }
      bump(this.skipped, 'user-empty');
      return out;
    }
    if (type === 'assistant' && msg && Array.isArray(msg.content)) {
      const usage = obj(msg.usage);
      for (const [i, b] of msg.content.entries()) {
        const blk = obj(b);
        if (!blk) continue;
        if (blk.type === 'text' && typeof blk.text === 'string') {
          this.emit(out, agentEvent(ctx, 'agent.response', time, { raw_type: 'assistant', response: { text: blk.text, ...(str(msg.stop_reason) ? { finish_reason: msg.stop_reason as string } : {}) }, ...(usage ? { usage: { input_tokens: num(usage.input_tokens), output_tokens: num(usage.output_tokens) } } : {}) }, { id: deterministicId(AGENT, sessionId, baseId, i, 'response'), ref }));
        } else if (blk.type === 'tool_use') {
          const callId = str(blk.id) ?? `${baseId}#${i}`;
          const name = str(blk.name) ?? 'unknown';
          this.toolNames.set(callId, name);
          this.toolInputs.set(callId, blk.input);
          const tool = toolInfo(AGENT, name, callId, blk.input);
          const id = deterministicId(AGENT, sessionId, 'call', callId);
          this.emit(out, agentEvent(ctx, 'agent.tool.call', time, { raw_type: 'tool_use', tool }, { id, ref, toolCallId: callId, attributes: attrs }));
          for (const e of fileEdits(ctx, time, name, tool.category, callId, blk.input, str(rec.cwd), id, ref)) this.emit(out, e);
        } else bump(this.skipped, `assistant-${String(blk.type)}`);
      }
      return out;
    }
    if (type === 'progress') {
      const data = obj(rec.data);
      if (data?.type === 'agent_progress' && str(data.agentId) && str(rec.parentToolUseID)) {
        this.spawn(out, ctx, parent, data.agentId as string, rec.parentToolUseID as string, time, ref);
        return out;
      }
      bump(this.skipped, `progress-${String(data?.type)}`);
      return out;
    }
    if (type === 'system') {
      if (rec.subtype === 'compact_boundary') {
        this.emit(out, agentEvent(ctx, 'agent.telemetry', time, { raw_type: 'compact_boundary' }, { id: deterministicId(AGENT, sessionId, baseId, 'compact'), ref, attributes: { compact: rec.compactMetadata } }));
        return out;
      }
      bump(this.skipped, `system-${String(rec.subtype)}`);
      return out;
    }
    bump(this.skipped, type);
    return out;
  }

  /** The first prompt line of a promptId shares its id with the UserPromptSubmit hook record. */
  private promptId(sessionId: string, baseId: string, promptId: unknown): string {
    const p = str(promptId);
    if (p && !this.promptIds.has(p)) {
      this.promptIds.add(p);
      return promptEventId(AGENT, sessionId, p);
    }
    return deterministicId(AGENT, sessionId, baseId, 'prompt');
  }

  private spawn(out: AwEvent[], ctx: EventContext, parent: string, agentId: string, callId: string, time: string, ref: string): void {
    const input = this.toolInputs.get(callId) as Record<string, unknown> | undefined;
    const pctx: EventContext = { ...ctx, sessionId: parent, parentSessionId: undefined };
    this.emit(
      out,
      agentEvent(
        pctx,
        'agent.subagent.spawn',
        time,
        {
          raw_type: 'agent_progress',
          agent_id: agentId,
          ...(str(input?.subagent_type) ? { agent_name: input!.subagent_type as string } : {}),
          subagent: { session_id: subagentSessionId(AGENT, parent, agentId), agent_id: agentId, parent_tool_call_id: callId, ...(str(input?.description) ? { description: input!.description as string } : {}) },
        },
        { id: deterministicId(AGENT, parent, 'spawn', agentId), ref, toolCallId: callId },
      ),
    );
  }

  finish(): AwEvent[] {
    return [];
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && v >= 0 ? Math.floor(v) : undefined;
}

/** Transcript files under a Claude projects directory (main sessions and both sidechain layouts). */
export function isClaudeFile(name: string): boolean {
  return name.endsWith('.jsonl');
}
