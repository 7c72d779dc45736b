// Joins agent tool calls with kernel events: the processes a shell tool call spawned (and
// everything they did) belong to that call. Evidence, strongest first:
//  1. a tool-call marker in the process environment (AGENTWARDEN_TOOL_CALL_ID, set by a
//     hook that rewrites the command, when one is installed);
//  2. descent: a process whose parent (or earlier image of the same pid) belongs to a call;
//  3. command text: the tool input's command appears in the process argv / decoded text
//     (Claude wraps it in `eval '...'`, Codex runs `bash -lc CMD`, Gemini a subshell script),
//     within the call's timing window and, when the process carries the agent's session
//     marker (CLAUDE_CODE_SESSION_ID, CODEX_THREAD_ID, ...), within that session.
// There is no timing-only rule on purpose: the agents run their hooks, git probes and
// snapshot shells during tool calls, and those must not be charged to the call.
import type { AwEvent } from '../../schema/index.js';
import { parseTimeNs } from '../../schema/index.js';
import { toolCommandText } from '../normalize/vocabulary.js';

export interface JoinOptions {
  /** Tolerance around a call's window for clock skew between hook/transcript and kernel (ms). */
  slackMs?: number;
  /** Window length for a call whose result was never seen (ms). */
  openWindowMs?: number;
  /** Bound on remembered processes (oldest dropped, counted). */
  maxProcesses?: number;
}

export interface ToolCallWindow {
  callId: string;
  sessionId: string;
  rootSessionId: string;
  agent: string;
  name: string;
  category?: string;
  command?: string;
  /** commandVariants(command), computed once. */
  variants?: string[];
  startNs: bigint;
  endNs?: bigint;
  call?: AwEvent;
  result?: AwEvent;
}

export type JoinVia = 'marker' | 'descent' | 'command' | 'stamped';

export interface JoinMatch {
  toolCallId: string;
  sessionId: string;
  via: JoinVia;
  /** pid whose command matched (for descent: the ancestor). */
  anchorPid?: number;
}

/** Prefix of the synthetic call id of a tool call that has no id of its own (`event:<event id>`). */
export const EVENT_CALL_PREFIX = 'event:';

/** Env marker names whose value is the agent's session id (config/agents.yaml session_env). */
export const SESSION_MARKERS = ['CLAUDE_CODE_SESSION_ID', 'CODEX_THREAD_ID', 'CODEX_SESSION_ID', 'GEMINI_SESSION_ID', 'GEMINI_CLI_SESSION_ID', 'CURSOR_SESSION_ID', 'CURSOR_CONVERSATION_ID'];
/** Env marker names whose value is a tool call id. */
export const TOOL_CALL_MARKERS = ['AGENTWARDEN_TOOL_CALL_ID', 'AW_TOOL_CALL_ID'];

const KERNEL_PREFIXES = ['process.', 'file.', 'network.', 'library.', 'persistence.', 'registry.'];

export function isKernelEvent(ev: AwEvent): boolean {
  return KERNEL_PREFIXES.some((p) => ev.kind.startsWith(p));
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Texts of a process that a tool command may appear in. */
export function processTexts(ev: AwEvent): string[] {
  const p = ev.process;
  if (!p) return [];
  const out: string[] = [];
  if (p.argv?.length) {
    out.push(norm(p.argv.join(' ')));
    for (const a of p.argv) if (a.length > 2) out.push(norm(a));
  }
  for (const d of p.decoded ?? []) out.push(norm(d.text));
  return out;
}

/** The normalized forms a command can take on a process command line. */
export function commandVariants(command: string): string[] {
  const c = norm(command);
  if (!c) return [];
  // Claude runs `eval '<cmd>'`: single quotes inside come out as '\''.
  const q = norm(command.replace(/'/g, "'\\''"));
  return q === c ? [c] : [c, q];
}

/** Whether the process texts show the tool command: exact for short commands, containment otherwise. */
export function commandMatches(command: string | string[], texts: string[]): boolean {
  const variants = typeof command === 'string' ? commandVariants(command) : command;
  if (!variants.length) return false;
  for (const t of texts) {
    for (const v of variants) {
      if (v.length >= 8 ? t.includes(v) : t === v || t.endsWith(` ${v}`) || t.includes(`\n${v}\n`)) return true;
    }
  }
  return false;
}

interface ProcState {
  ppid?: number;
  match?: JoinMatch;
  lastNs: bigint;
}

/** Streaming joiner: feed agent events and kernel events (in time order for kernel events). */
export class ToolCallJoiner {
  readonly windows = new Map<string, ToolCallWindow>();
  private readonly procs = new Map<number, ProcState>();
  private readonly parentOf = new Map<string, string>();
  private readonly slackNs: bigint;
  private readonly openNs: bigint;
  private readonly maxProcs: number;
  readonly counters = { windows_opened: 0, matched: 0, unmatched: 0, processes_dropped: 0 };

  constructor(opts: JoinOptions = {}) {
    this.slackNs = BigInt(Math.round((opts.slackMs ?? 2000) * 1e6));
    this.openNs = BigInt(Math.round((opts.openWindowMs ?? 10 * 60_000) * 1e6));
    this.maxProcs = opts.maxProcesses ?? 200_000;
  }

  private root(sid: string): string {
    let s = sid;
    for (let i = 0; i < 16; i++) {
      const p = this.parentOf.get(s);
      if (!p) break;
      s = p;
    }
    return s;
  }

  /** Records tool calls/results and sub-agent links; other agent events are ignored. */
  addAgentEvent(ev: AwEvent): void {
    const sid = ev.session?.id;
    if (!sid) return;
    if (ev.session?.parent_id) this.parentOf.set(sid, ev.session.parent_id);
    if (ev.kind === 'agent.subagent.spawn' && ev.agent?.subagent?.session_id) this.parentOf.set(ev.agent.subagent.session_id, sid);
    const tool = ev.agent?.tool;
    if (!tool || (ev.kind !== 'agent.tool.call' && ev.kind !== 'agent.tool.result')) return;
    const t = parseTimeNs(ev.time);
    if (t === undefined) return;
    if (!tool.call_id) {
      this.addUnidentified(ev, sid, tool, t);
      return;
    }
    const key = `${sid}\u0000${tool.call_id}`;
    let w = this.windows.get(key);
    if (!w) {
      w = { callId: tool.call_id, sessionId: sid, rootSessionId: sid, agent: ev.session!.agent.kind, name: tool.name, category: tool.category, startNs: t };
      this.windows.set(key, w);
      this.counters.windows_opened++;
    }
    if (ev.kind === 'agent.tool.call') {
      w.call = ev;
      if (t < w.startNs) w.startNs = t;
      w.name = tool.name;
      w.category = tool.category ?? w.category;
      w.command = toolCommandText(tool.input) ?? w.command;
      w.variants = w.command ? commandVariants(w.command) : undefined;
    } else {
      w.result = ev;
      if (w.endNs === undefined || t > w.endNs) w.endNs = t;
      if (!w.call && t < w.startNs) w.startNs = t;
    }
  }

  /**
   * Calls that carry no id (Gemini CLI hook payloads): the window is named after the call
   * event (`event:<id>`), and a result closes the latest open window of the same session,
   * tool and command.
   */
  private addUnidentified(ev: AwEvent, sid: string, tool: NonNullable<NonNullable<AwEvent['agent']>['tool']>, t: bigint): void {
    const command = toolCommandText(tool.input);
    if (ev.kind === 'agent.tool.call') {
      if (!ev.id) return;
      const callId = `${EVENT_CALL_PREFIX}${ev.id}`;
      this.windows.set(`${sid}\u0000${callId}`, { callId, sessionId: sid, rootSessionId: sid, agent: ev.session!.agent.kind, name: tool.name, category: tool.category, command, variants: command ? commandVariants(command) : undefined, startNs: t, call: ev });
      this.counters.windows_opened++;
      return;
    }
    let best: ToolCallWindow | undefined;
    for (const w of this.windows.values()) {
      if (w.sessionId !== sid || w.endNs !== undefined || !w.callId.startsWith(EVENT_CALL_PREFIX) || w.name !== tool.name || w.command !== command || w.startNs > t) continue;
      if (!best || w.startNs > best.startNs) best = w;
    }
    if (best) {
      best.endNs = t;
      best.result = ev;
    }
  }

  private candidates(ev: AwEvent, t: bigint): ToolCallWindow[] {
    const sessionHints = new Set<string>();
    for (const m of SESSION_MARKERS) {
      const v = ev.process?.env_markers?.[m];
      if (v) sessionHints.add(v);
    }
    if (ev.session?.id) sessionHints.add(ev.session.id);
    const inTime: ToolCallWindow[] = [];
    for (const w of this.windows.values()) {
      if (w.category !== undefined && w.category !== 'shell') continue;
      if (!w.command) continue;
      const end = w.endNs ?? w.startNs + this.openNs;
      if (t < w.startNs - this.slackNs || t > end + this.slackNs) continue;
      inTime.push(w);
    }
    if (sessionHints.size) {
      const scoped = inTime.filter((w) => sessionHints.has(w.sessionId) || sessionHints.has(this.root(w.sessionId)));
      if (scoped.length) return scoped;
    }
    return inTime;
  }

  private inherited(pid: number | undefined, ppid: number | undefined): JoinMatch | undefined {
    const seen = new Set<number>();
    let p = pid !== undefined ? this.procs.get(pid) : undefined;
    if (p?.match) return p.match;
    let cur = ppid ?? p?.ppid;
    while (cur !== undefined && !seen.has(cur) && seen.size < 64) {
      seen.add(cur);
      p = this.procs.get(cur);
      if (!p) return undefined;
      if (p.match) return { ...p.match, via: 'descent', anchorPid: p.match.anchorPid ?? cur };
      cur = p.ppid;
    }
    return undefined;
  }

  private remember(pid: number, st: ProcState): void {
    if (!this.procs.has(pid) && this.procs.size >= this.maxProcs) {
      const oldest = this.procs.keys().next().value;
      if (oldest !== undefined) this.procs.delete(oldest);
      this.counters.processes_dropped++;
    }
    this.procs.set(pid, st);
  }

  /** Joins one kernel event; returns the tool call it belongs to, if any. */
  joinKernel(ev: AwEvent): JoinMatch | undefined {
    const p = ev.process;
    const t = parseTimeNs(ev.time);
    if (!p || t === undefined) return undefined;
    const pid = p.pid;
    let match: JoinMatch | undefined;
    if (ev.session?.tool_call_id) match = { toolCallId: ev.session.tool_call_id, sessionId: ev.session.id, via: 'stamped' };
    for (const m of TOOL_CALL_MARKERS) {
      const v = p.env_markers?.[m];
      if (!match && v) {
        const w = [...this.windows.values()].find((x) => x.callId === v);
        match = { toolCallId: v, sessionId: w?.sessionId ?? ev.session?.id ?? '', via: 'marker', anchorPid: pid };
      }
    }
    const prev = this.procs.get(pid);
    if (ev.kind === 'process.fork') {
      const parentMatch = match ?? this.inherited(undefined, p.ppid);
      this.remember(pid, { ppid: p.ppid, match: parentMatch, lastNs: t });
      if (parentMatch) this.counters.matched++;
      return parentMatch;
    }
    if (!match) match = this.inherited(pid, p.ppid ?? prev?.ppid);
    if (!match && ev.kind === 'process.exec') {
      const texts = processTexts(ev);
      let best: ToolCallWindow | undefined;
      for (const w of this.candidates(ev, t)) {
        if (!commandMatches(w.variants ?? w.command!, texts)) continue;
        if (!best || w.startNs > best.startNs) best = w;
      }
      if (best) match = { toolCallId: best.callId, sessionId: best.sessionId, via: 'command', anchorPid: pid };
    }
    if (ev.kind === 'process.exec' || !prev) this.remember(pid, { ppid: p.ppid ?? prev?.ppid, match: match ?? prev?.match, lastNs: t });
    if (ev.kind === 'process.exit') this.procs.delete(pid);
    if (match) this.counters.matched++;
    else if (ev.kind === 'process.exec') this.counters.unmatched++;
    return match;
  }

  /** The window of a call id (first session that has it). */
  window(callId: string, sessionId?: string): ToolCallWindow | undefined {
    if (sessionId) return this.windows.get(`${sessionId}\u0000${callId}`);
    for (const w of this.windows.values()) if (w.callId === callId) return w;
    return undefined;
  }
}

function byTime(a: AwEvent, b: AwEvent): number {
  const ta = parseTimeNs(a.time) ?? 0n;
  const tb = parseTimeNs(b.time) ?? 0n;
  return ta < tb ? -1 : ta > tb ? 1 : (a.seq ?? 0) - (b.seq ?? 0);
}

/** Batch join: all agent events first, then kernel events in time order. Returns matches by event. */
export function joinEvents(events: readonly AwEvent[], opts: JoinOptions = {}): { matches: Map<AwEvent, JoinMatch>; joiner: ToolCallJoiner } {
  const j = new ToolCallJoiner(opts);
  for (const ev of events) if (ev.kind.startsWith('agent.')) j.addAgentEvent(ev);
  const kernel = events.filter(isKernelEvent).sort(byTime);
  const matches = new Map<AwEvent, JoinMatch>();
  for (const ev of kernel) {
    const m = j.joinKernel(ev);
    if (m) matches.set(ev, m);
  }
  return { matches, joiner: j };
}

/** Copies of the events with `session.tool_call_id` set on the kernel events that joined. */
export function annotateToolCalls(events: readonly AwEvent[], opts: JoinOptions = {}): AwEvent[] {
  const { matches, joiner } = joinEvents(events, opts);
  return events.map((ev) => {
    const m = matches.get(ev);
    return m ? stamp(ev, m, joiner) : ev;
  });
}

/** A copy of a kernel event carrying the tool call it joined (session.tool_call_id, attributes['join.via']). */
export function stamp(ev: AwEvent, m: JoinMatch, joiner?: ToolCallJoiner): AwEvent {
  if (ev.session?.tool_call_id === m.toolCallId) return ev;
  const w = joiner?.window(m.toolCallId, m.sessionId);
  const session = ev.session ? { ...ev.session, tool_call_id: m.toolCallId } : { id: m.sessionId, agent: { kind: w?.agent ?? 'unknown' }, tool_call_id: m.toolCallId, attribution: 'tree' as const };
  return { ...ev, session, attributes: { ...(ev.attributes ?? {}), 'join.via': m.via } };
}

/**
 * The live form for the daemon pipeline: agent events (hooks, OTLP) open tool-call
 * windows, kernel events that join get session.tool_call_id before they are stored.
 * Windows are dropped an hour after they close; remembered processes are bounded.
 */
export class ToolCallJoinTransform {
  readonly name = 'join-tool-calls';
  readonly joiner: ToolCallJoiner;
  private n = 0;
  private latest = 0n;

  constructor(opts: JoinOptions = {}) {
    this.joiner = new ToolCallJoiner(opts);
  }

  apply(ev: AwEvent): AwEvent {
    const t = parseTimeNs(ev.time);
    if (t !== undefined && t > this.latest) this.latest = t;
    if (++this.n % 1024 === 0) this.prune();
    if (ev.kind.startsWith('agent.')) {
      this.joiner.addAgentEvent(ev);
      return ev;
    }
    if (!isKernelEvent(ev)) return ev;
    const m = this.joiner.joinKernel(ev);
    return m ? stamp(ev, m, this.joiner) : ev;
  }

  private prune(): void {
    const horizon = this.latest - 3_600_000_000_000n;
    for (const [k, w] of this.joiner.windows) if ((w.endNs ?? w.startNs) < horizon) this.joiner.windows.delete(k);
  }

  status(): Record<string, unknown> {
    return { windows: this.joiner.windows.size, ...this.joiner.counters };
  }
}
