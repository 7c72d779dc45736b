// Cursor: agent transcripts ~/.cursor/projects/<ws-slug>/agent-transcripts/<id>/<id>.jsonl
// and hook payload logs. No licensed real transcript exists (see the research notes), so
// this reader accepts the message shapes Cursor's transcripts are documented to use:
// {role, message:{content:[text|tool_use|tool_result]}} or {role, content}, plus
// `hook_event_name` lines (hook logs) which go through the hook normalizer. The
// conversation id is the transcript's file stem.
import { basename } from 'node:path';
import type { AwEvent } from '../../schema/index.js';
import { fileEdits } from '../../transforms/normalize/hooks.js';
import { agentEvent, deterministicId, isoTime, lenientJson, toolInfo, type EventContext } from '../../transforms/normalize/vocabulary.js';
import { blockedReason } from './blocked.js';
import { bump, emitOnce, hookLogEvents, type ImportProblem, type LineReader, obj, parseObjectLine, str } from './common.js';

const AGENT = 'cursor';

export class CursorTranscriptReader implements LineReader {
  readonly problems: ImportProblem[] = [];
  readonly skipped: Record<string, number> = {};
  private readonly seenIds = new Set<string>();
  private readonly toolNames = new Map<string, { name: string; input: unknown }>();
  private started = false;
  private lastTime: string;
  private readonly ctx: EventContext;

  constructor(
    private readonly file: string,
    fileTime?: string,
  ) {
    this.ctx = { agent: AGENT, sessionId: basename(file).replace(/\.jsonl?$/, ''), sourceType: 'import', sourceName: 'cursor-transcript' };
    this.lastTime = fileTime ?? new Date(0).toISOString();
  }

  private emit(out: AwEvent[], ev: AwEvent): void {
    emitOnce(this.seenIds, out, ev);
  }

  line(text: string, lineNo: number): AwEvent[] {
    const rec = parseObjectLine(text, this.file, lineNo, this.problems);
    if (!rec) return [];
    const out: AwEvent[] = [];
    const ref = `${this.file}:${lineNo}`;
    const hooked = hookLogEvents(AGENT, rec, this.seenIds, { ref, time: this.lastTime, sourceName: 'cursor-hook-log' });
    if (hooked) return hooked;
    const time = isoTime(rec.timestamp) ?? isoTime(rec.createdAt) ?? this.lastTime;
    this.lastTime = time;
    const ctx: EventContext = { ...this.ctx, version: str(rec.cursor_version) ?? this.ctx.version, model: str(rec.model) ?? this.ctx.model };
    const role = str(rec.role) ?? str(obj(rec.message)?.role) ?? str(rec.type);
    const content = obj(rec.message)?.content ?? rec.content ?? rec.text;
    if (role !== 'user' && role !== 'assistant') {
      bump(this.skipped, role ?? 'untyped');
      return out;
    }
    if (!this.started) {
      this.started = true;
      this.emit(out, agentEvent(ctx, 'agent.session.start', time, { raw_type: 'transcript' }, { id: deterministicId(AGENT, ctx.sessionId, 'start'), ref }));
    }
    const blocks: Array<Record<string, unknown>> = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? (content.filter((b) => obj(b)) as Array<Record<string, unknown>>) : [];
    const texts: string[] = [];
    for (const [i, b] of blocks.entries()) {
      if ((b.type === 'text' || b.type === undefined) && typeof b.text === 'string') texts.push(b.text);
      else if (b.type === 'tool_use' || b.type === 'tool_call') {
        const callId = str(b.id) ?? str(b.tool_call_id) ?? `${lineNo}#${i}`;
        const name = str(b.name) ?? str(b.tool_name) ?? 'unknown';
        const input = lenientJson(b.input ?? b.arguments ?? b.args);
        this.toolNames.set(callId, { name, input });
        const tool = toolInfo(AGENT, name, callId, input);
        const id = deterministicId(AGENT, ctx.sessionId, 'call', callId);
        this.emit(out, agentEvent(ctx, 'agent.tool.call', time, { raw_type: String(b.type), tool }, { id, ref, toolCallId: callId }));
        for (const e of fileEdits(ctx, time, name, tool.category, callId, input, undefined, id, ref)) this.emit(out, e);
      } else if (b.type === 'tool_result') {
        const callId = str(b.tool_use_id) ?? str(b.tool_call_id) ?? `${lineNo}#${i}`;
        const known = this.toolNames.get(callId);
        const tool = toolInfo(AGENT, known?.name ?? 'unknown', callId);
        tool.output = lenientJson(b.content ?? b.output);
        const reason = b.is_error === true ? blockedReason(b.content) : undefined;
        tool.status = reason ? 'denied' : b.is_error === true ? 'error' : 'ok';
        const ex = obj(tool.output)?.exitCode;
        if (typeof ex === 'number') {
          tool.exit_code = ex;
          if (ex !== 0 && tool.status === 'ok') tool.status = 'error';
        }
        this.emit(out, agentEvent(ctx, 'agent.tool.result', time, { raw_type: 'tool_result', tool }, { id: deterministicId(AGENT, ctx.sessionId, 'result', callId), ref, toolCallId: callId }));
      } else bump(this.skipped, `block-${String(b.type)}`);
    }
    if (texts.length) {
      const text = texts.join('\n');
      if (role === 'user') this.emit(out, agentEvent(ctx, 'agent.prompt', time, { raw_type: 'user', prompt: { text, role: 'user' } }, { id: deterministicId(AGENT, ctx.sessionId, lineNo, 'prompt', text), ref }));
      else this.emit(out, agentEvent(ctx, 'agent.response', time, { raw_type: 'assistant', response: { text } }, { id: deterministicId(AGENT, ctx.sessionId, lineNo, 'response', text), ref }));
    }
    return out;
  }

  finish(): AwEvent[] {
    return [];
  }
}
