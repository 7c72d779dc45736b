// Gemini CLI chats: ~/.gemini/tmp/<project>/chats/session-*.json (legacy: one JSON
// ConversationRecord {sessionId, messages[]}) and session-*.jsonl (newer: a metadata line,
// then MessageRecords, `$set`/`$rewindTo` control lines; a record is rewritten with the
// same id when its tool calls complete, so the last copy wins). Sub-agent chats live in
// chats/<parentSessionId>/*.jsonl with kind "subagent". logs.json is a prompt log.
import { basename, dirname } from 'node:path';
import type { AwEvent } from '../../schema/index.js';
import { fileEdits, subagentSessionId } from '../../transforms/normalize/hooks.js';
import { agentEvent, deterministicId, isoTime, toolInfo, type EventContext } from '../../transforms/normalize/vocabulary.js';
import { blockedReason } from './blocked.js';
import { bump, emitOnce, hookLogEvents, type ImportProblem, type ImportResult, type LineReader, obj, parseObjectLine, str } from './common.js';

const AGENT = 'gemini-cli';
const UUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parts(content: unknown): Array<Record<string, unknown>> {
  if (typeof content === 'string') return [{ text: content }];
  if (Array.isArray(content)) return content.filter((c) => obj(c)) as Array<Record<string, unknown>>;
  return [];
}

export class GeminiChatReader implements LineReader {
  readonly problems: ImportProblem[] = [];
  readonly skipped: Record<string, number> = {};
  private ctx: EventContext | undefined;
  private readonly seenIds = new Set<string>();
  private readonly toolNames = new Map<string, { name: string; input: unknown }>();
  private readonly started = new Set<string>();
  private readonly promptIds = new Map<string, string>();
  private readonly textCounts = new Map<string, number>();
  /** Message records by id, first position kept, last copy wins (whole-file mode). */
  private readonly held = new Map<string, { rec: Record<string, unknown>; ref: string }>();

  /** `streaming`: emit records as they come (watchers); otherwise hold until finish(). */
  constructor(
    private readonly file: string,
    private readonly streaming = false,
  ) {}

  private context(rec?: Record<string, unknown>): EventContext {
    if (this.ctx) return this.ctx;
    const sid = str(rec?.sessionId) ?? this.sessionFromPath();
    const parentDir = basename(dirname(this.file));
    const parent = rec?.kind === 'subagent' && UUIDISH.test(parentDir) ? parentDir : undefined;
    this.ctx = { agent: AGENT, sessionId: sid, parentSessionId: parent, sourceType: 'import', sourceName: 'gemini-cli-chat' };
    return this.ctx;
  }

  private sessionFromPath(): string {
    const m = /session-[\dT-]+-([0-9a-f]{8})/.exec(basename(this.file));
    return m ? m[1] : deterministicId(this.file);
  }

  private emit(out: AwEvent[], ev: AwEvent): void {
    emitOnce(this.seenIds, out, ev);
  }

  line(text: string, lineNo: number): AwEvent[] {
    const rec = parseObjectLine(text, this.file, lineNo, this.problems);
    if (!rec) return [];
    return this.record(rec, `${this.file}:${lineNo}`);
  }

  /** Handles one parsed record (a JSONL line or one message of a legacy JSON chat). */
  record(rec: Record<string, unknown>, ref: string): AwEvent[] {
    const out: AwEvent[] = [];
    const hooked = hookLogEvents(AGENT, rec, this.seenIds, { ref, sourceName: 'gemini-cli-hook-log' });
    if (hooked) return hooked;
    if ('$set' in rec || '$rewindTo' in rec) {
      bump(this.skipped, '$set' in rec ? '$set' : '$rewindTo');
      return out;
    }
    if (str(rec.sessionId) && !str(rec.type)) {
      // Metadata line (JSONL) or the legacy record header.
      const ctx = this.context(rec);
      const time = isoTime(rec.startTime);
      if (time && !this.started.has(ctx.sessionId)) {
        this.started.add(ctx.sessionId);
        this.emit(out, agentEvent(ctx, 'agent.session.start', time, { raw_type: `chat-${String(rec.kind ?? 'main')}` }, { id: deterministicId(AGENT, ctx.sessionId, 'start'), ref, attributes: { ...(str(rec.projectHash) ? { project_hash: rec.projectHash } : {}) } }));
      }
      return out;
    }
    const id = str(rec.id);
    if (!id || !str(rec.type)) {
      bump(this.skipped, 'unrecognized');
      return out;
    }
    if (this.streaming) return this.message(rec, ref);
    if (this.held.has(id)) {
      bump(this.skipped, 'duplicate-message-id');
      const h = this.held.get(id)!;
      h.rec = rec;
      h.ref = ref;
    } else this.held.set(id, { rec, ref });
    return out;
  }

  private message(rec: Record<string, unknown>, ref: string): AwEvent[] {
    const out: AwEvent[] = [];
    const ctx = this.context();
    const time = isoTime(rec.timestamp);
    if (!time) {
      const [file, line] = splitRef(ref);
      this.problems.push({ file, line, reason: 'message has no valid timestamp' });
      return out;
    }
    if (!this.started.has(ctx.sessionId)) {
      this.started.add(ctx.sessionId);
      this.emit(out, agentEvent(ctx, 'agent.session.start', time, { raw_type: 'chat' }, { id: deterministicId(AGENT, ctx.sessionId, 'start'), ref }));
    }
    const mid = rec.id as string;
    const model = str(rec.model);
    const mctx: EventContext = model ? { ...ctx, model } : ctx;
    const type = rec.type as string;
    if (type === 'user') {
      const texts: string[] = [];
      for (const part of parts(rec.content)) {
        if (typeof part.text === 'string') {
          if (!part.text.startsWith('<session_context>')) texts.push(part.text);
        } else if (obj(part.functionResponse)) {
          const fr = part.functionResponse as Record<string, unknown>;
          this.result(out, mctx, str(fr.id) ?? `${mid}#fr`, str(fr.name), fr.response, undefined, time, ref);
        }
      }
      if (texts.length) {
        const text = texts.join('\n');
        this.emit(out, agentEvent(mctx, 'agent.prompt', time, { raw_type: 'user', prompt: { text, role: 'user' } }, { id: this.promptId(ctx.sessionId, mid, text), ref }));
      }
      return out;
    }
    if (type === 'gemini') {
      const text = parts(rec.content)
        .map((p) => (typeof p.text === 'string' ? p.text : ''))
        .join('');
      const tokens = obj(rec.tokens);
      if (text) this.emit(out, agentEvent(mctx, 'agent.response', time, { raw_type: 'gemini', response: { text }, ...(tokens ? { usage: { input_tokens: nn(tokens.input), output_tokens: nn(tokens.output) } } : {}) }, { id: deterministicId(AGENT, ctx.sessionId, mid, 'response'), ref }));
      if (Array.isArray(rec.toolCalls)) {
        for (const [i, t] of rec.toolCalls.entries()) {
          const tc = obj(t);
          if (!tc) continue;
          const callId = str(tc.id) ?? `${mid}#${i}`;
          const name = str(tc.name) ?? 'unknown';
          const tctx: EventContext = { ...mctx };
          const ttime = isoTime(tc.timestamp) ?? time;
          const tool = toolInfo(AGENT, name, callId, tc.args);
          this.toolNames.set(callId, { name, input: tc.args });
          const cid = deterministicId(AGENT, ctx.sessionId, 'call', callId);
          this.emit(out, agentEvent(tctx, 'agent.tool.call', time, { raw_type: 'toolCall', tool }, { id: cid, ref, toolCallId: callId }));
          for (const e of fileEdits(tctx, time, name, tool.category, callId, tc.args, undefined, cid, ref)) this.emit(out, e);
          if (tool.category === 'subagent') {
            const args = obj(tc.args);
            const agentId = str(tc.agentId) ?? callId;
            this.emit(out, agentEvent(tctx, 'agent.subagent.spawn', time, { raw_type: name, agent_id: agentId, ...(str(args?.agent_name) ? { agent_name: args!.agent_name as string } : {}), subagent: { session_id: subagentSessionId(AGENT, ctx.sessionId, agentId), agent_id: agentId, parent_tool_call_id: callId, ...(str(args?.objective) ? { description: (args!.objective as string).slice(0, 500) } : {}) } }, { id: deterministicId(AGENT, ctx.sessionId, 'spawn', agentId), ref, toolCallId: callId }));
          }
          if (tc.result !== undefined || str(tc.status)) {
            let response: unknown = tc.result;
            if (Array.isArray(tc.result) && tc.result.length === 1 && obj(obj(tc.result[0])?.functionResponse)) response = (obj(tc.result[0])!.functionResponse as Record<string, unknown>).response;
            this.result(out, tctx, callId, name, response, str(tc.status), ttime, ref);
          }
        }
      }
      return out;
    }
    // info / error / warning records.
    this.emit(out, agentEvent(mctx, 'agent.telemetry', time, { raw_type: `chat-${type}` }, { id: deterministicId(AGENT, ctx.sessionId, mid, type), ref, attributes: { content: rec.content } }));
    return out;
  }

  /**
   * The n-th prompt with a given text in a session has the same id in the chat and in
   * logs.json (which logs every prompt again, under its own numbering).
   */
  private promptId(sessionId: string, messageId: string, text: string): string {
    let id = this.promptIds.get(messageId);
    if (!id) {
      const n = (this.textCounts.get(text) ?? 0) + 1;
      this.textCounts.set(text, n);
      id = geminiPromptId(sessionId, text, n);
      this.promptIds.set(messageId, id);
    }
    return id;
  }

  private result(out: AwEvent[], ctx: EventContext, callId: string, name: string | undefined, response: unknown, status: string | undefined, time: string, ref: string): void {
    const known = this.toolNames.get(callId);
    const tool = toolInfo(AGENT, name ?? known?.name ?? 'unknown', callId);
    tool.output = response;
    const err = obj(response)?.error;
    const reason = blockedReason(err ?? (typeof response === 'string' ? response : undefined));
    tool.status = reason ? 'denied' : status === 'error' || status === 'cancelled' || err !== undefined ? 'error' : 'ok';
    this.emit(out, agentEvent(ctx, 'agent.tool.result', time, { raw_type: 'functionResponse', tool }, { id: deterministicId(AGENT, ctx.sessionId, 'result', callId), ref, toolCallId: callId }));
    if (reason) this.emit(out, agentEvent(ctx, 'agent.decision', time, { raw_type: 'hook_block', tool: toolInfo(AGENT, tool.name, callId, known?.input), decision: { action: 'deny', reason, by: 'hook' } }, { id: deterministicId(AGENT, ctx.sessionId, 'decision', callId), ref, toolCallId: callId }));
  }

  finish(): AwEvent[] {
    const out: AwEvent[] = [];
    for (const { rec, ref } of this.held.values()) out.push(...this.message(rec, ref));
    this.held.clear();
    return out;
  }
}

export function geminiPromptId(sessionId: string, text: string, occurrence: number): string {
  return deterministicId(AGENT, sessionId, 'prompt-text', text, occurrence);
}

function nn(v: unknown): number | undefined {
  return typeof v === 'number' && v >= 0 ? Math.floor(v) : undefined;
}

function splitRef(ref: string): [string, number] {
  const i = ref.lastIndexOf(':');
  return [ref.slice(0, i), Number(ref.slice(i + 1)) || 0];
}

/** Line number (1-based) of a character offset in text. */
function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Reads a whole-document Gemini file: legacy chat JSON {sessionId, messages[]} or logs.json [...]. */
export function readGeminiJson(text: string, file: string): ImportResult {
  const reader = new GeminiChatReader(file);
  const result: ImportResult = { events: [], problems: reader.problems, files: 1, lines: 0, skipped: reader.skipped };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    reader.problems.push({ file, line: m ? lineAt(text, Number(m[1])) : 1, reason: `not JSON: ${(err as Error).message}` });
    return result;
  }
  if (Array.isArray(doc)) {
    // logs.json: the prompt log.
    const counts = new Map<string, number>();
    const ordered = doc
      .map((e, i) => ({ e, i }))
      .sort((a, b) => {
        const x = obj(a.e);
        const y = obj(b.e);
        return typeof x?.messageId === 'number' && typeof y?.messageId === 'number' && x.sessionId === y.sessionId ? x.messageId - y.messageId : a.i - b.i;
      });
    for (const { e, i } of ordered) {
      const r = obj(e);
      const time = isoTime(r?.timestamp);
      if (!r || !str(r.sessionId) || !time) {
        reader.problems.push({ file, line: 0, reason: `entry ${i}: missing sessionId or timestamp` });
        continue;
      }
      result.lines++;
      const ctx: EventContext = { agent: AGENT, sessionId: r.sessionId as string, sourceType: 'import', sourceName: 'gemini-cli-logs' };
      if (r.type === 'user' && typeof r.message === 'string') {
        const key = `${ctx.sessionId}\u0000${r.message}`;
        const n = (counts.get(key) ?? 0) + 1;
        counts.set(key, n);
        result.events.push(agentEvent(ctx, 'agent.prompt', time, { raw_type: 'logs.json', prompt: { text: r.message, role: 'user' } }, { id: geminiPromptId(ctx.sessionId, r.message, n), ref: `${file}#${i}` }));
      } else bump(reader.skipped, `log-${String(r.type)}`);
    }
    return result;
  }
  const d = obj(doc);
  if (!d || !str(d.sessionId)) {
    reader.problems.push({ file, line: 1, reason: 'not a Gemini chat record (no sessionId)' });
    return result;
  }
  const { messages, ...header } = d;
  result.events.push(...reader.record(header, `${file}#header`));
  if (Array.isArray(messages)) {
    for (const [i, m] of messages.entries()) {
      const r = obj(m);
      result.lines++;
      if (!r) {
        reader.problems.push({ file, line: 0, reason: `messages[${i}]: not an object` });
        continue;
      }
      result.events.push(...reader.record(r, `${file}#messages[${i}]`));
    }
  }
  result.events.push(...reader.finish());
  return result;
}
