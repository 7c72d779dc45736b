// Analyst questions over the store, answered by running the joiner on the slice of the
// record that can matter: "which tool call ran this process" (walk the process's
// ancestry back through stored exec/fork events, then join) and "what did this tool call
// do on the machine" (every kernel event in the call's window that joins to it).
// Kernel events already stamped live (session.tool_call_id) are taken as they are.
import type { AwEvent } from '../../schema/index.js';
import { parseTimeNs } from '../../schema/index.js';
import type { EventStore, StoredEvent } from '../../sinks/store/index.js';
import { delegationEdges, type DelegationEdge } from './delegation.js';
import { EVENT_CALL_PREFIX, isKernelEvent, ToolCallJoiner, type JoinMatch, type JoinOptions } from './join.js';

const AGENT_TOOL_KINDS = ['agent.tool.call', 'agent.tool.result', 'agent.subagent.spawn', 'agent.session.start'];
const MIN = 60_000_000_000n;

export interface ToolCallContext {
  call?: StoredEvent;
  result?: StoredEvent;
  /** The user prompt the call answered (latest prompt of the session before the call). */
  prompt?: StoredEvent;
  /** Delegation chain from the call's session up to the root session. */
  chain: DelegationEdge[];
}

export interface WhyAnswer extends ToolCallContext {
  event: StoredEvent;
  match?: JoinMatch;
  /** The process lineage used (oldest first). */
  lineage: StoredEvent[];
}

export interface ToolCallActivity extends ToolCallContext {
  processes: StoredEvent[];
  files: StoredEvent[];
  network: StoredEvent[];
  other: StoredEvent[];
}

/** Agent tool events around [from, to] (widened), which define the candidate windows. */
function agentSlice(store: EventStore, fromNs: bigint, toNs: bigint): StoredEvent[] {
  return store.query({ kinds: AGENT_TOOL_KINDS, sinceNs: fromNs - 60n * MIN, untilNs: toNs + MIN });
}

/** The stored event of a tool call id (and its result), scanning agent tool events. */
export function findToolCall(store: EventStore, callId: string, session?: string): { call?: StoredEvent; result?: StoredEvent } {
  let call: StoredEvent | undefined;
  let result: StoredEvent | undefined;
  if (callId.startsWith(EVENT_CALL_PREFIX)) {
    // A call without an id of its own, named after its event; its result is the next
    // result of the same session, tool and command.
    const eventId = callId.slice(EVENT_CALL_PREFIX.length);
    for (const ev of store.iterate({ kinds: ['agent.tool.call'] })) if (ev.id === eventId) call ??= ev;
    if (call?.session) {
      const cmd = JSON.stringify(call.agent?.tool?.input ?? null);
      result = store
        .query({ session: call.session.id, kinds: ['agent.tool.result'], afterSeq: call.seq })
        .find((r) => !r.agent?.tool?.call_id && r.agent?.tool?.name === call!.agent?.tool?.name && JSON.stringify(r.agent?.tool?.input ?? null) === cmd);
    }
    return { call, result };
  }
  for (const ev of store.iterate({ kinds: ['agent.tool.call', 'agent.tool.result'], ...(session ? { session } : {}) })) {
    if (ev.agent?.tool?.call_id !== callId) continue;
    // Ids are unique per session; the first session that has the call is taken.
    session ??= ev.session?.id;
    if (session && ev.session?.id !== session) continue;
    if (ev.kind === 'agent.tool.call') call ??= ev;
    else result ??= ev;
  }
  return { call, result };
}

function context(store: EventStore, call: StoredEvent | undefined, result: StoredEvent | undefined): ToolCallContext {
  const out: ToolCallContext = { call, result, chain: [] };
  const anchor = call ?? result;
  if (!anchor?.session) return out;
  const t = parseTimeNs(anchor.time)!;
  out.prompt = store.query({ session: anchor.session.id, kinds: ['agent.prompt'], untilNs: t, desc: true, limit: 1 })[0];
  if (!out.prompt && anchor.session.parent_id) out.prompt = store.query({ session: anchor.session.parent_id, kinds: ['agent.prompt'], untilNs: t, desc: true, limit: 1 })[0];
  // Walk up the delegation graph.
  let sid: string | undefined = anchor.session.id;
  let parent = anchor.session.parent_id;
  for (let i = 0; i < 8 && sid; i++) {
    const candidates = parent ? [...store.iterate({ session: parent, kinds: ['agent.subagent.spawn'] })] : [...store.iterate({ kinds: ['agent.subagent.spawn'], untilNs: t })];
    const edge = delegationEdges(candidates).find((e) => e.child_session_id === sid);
    if (!edge && parent) {
      out.chain.push({ parent_session_id: parent, child_session_id: sid, time: anchor.time, event_ids: [] });
      sid = parent;
      parent = undefined;
      continue;
    }
    if (!edge) break;
    out.chain.push(edge);
    sid = edge.parent_session_id;
    parent = undefined;
  }
  return out;
}

/**
 * Which tool call ran this process (or caused this kernel event): the event by `seq`, or
 * the latest exec of `pid` (at or before `atNs`).
 */
export function whichToolCall(store: EventStore, q: { seq?: number; pid?: number; atNs?: bigint }, opts: JoinOptions = {}): WhyAnswer | undefined {
  let ev: StoredEvent | undefined;
  if (q.seq !== undefined) ev = store.get(q.seq);
  else if (q.pid !== undefined) ev = store.query({ pid: q.pid, kinds: ['process.exec', 'process.fork'], untilNs: q.atNs, desc: true, limit: 1 })[0] ?? store.query({ pid: q.pid, untilNs: q.atNs, desc: true, limit: 1 })[0];
  if (!ev) return undefined;
  const t = parseTimeNs(ev.time)!;
  // Lineage: the event's process and its ancestors, each at its latest exec/fork before t.
  const lineage: StoredEvent[] = [];
  const seen = new Set<number>();
  let pid: number | undefined = ev.process?.pid;
  let ppidHint = ev.process?.ppid;
  const ancestry = ev.process?.ancestry?.map((a) => a.pid) ?? [];
  let k = 0;
  while (pid !== undefined && !seen.has(pid) && seen.size < 64) {
    seen.add(pid);
    const images = store.query({ pid, kinds: ['process.exec', 'process.fork'], untilNs: t, desc: true, limit: 8 });
    lineage.unshift(...images.reverse());
    const ppid: number | undefined = images.map((i) => i.process?.ppid).find((x) => x !== undefined) ?? ppidHint ?? ancestry[k];
    ppidHint = undefined;
    k++;
    pid = ppid;
  }
  if (ev.session?.tool_call_id) {
    const { call, result } = findToolCall(store, ev.session.tool_call_id);
    return { event: ev, lineage, match: { toolCallId: ev.session.tool_call_id, sessionId: ev.session.id, via: 'stamped' }, ...context(store, call, result) };
  }
  const firstNs = lineage.length ? parseTimeNs(lineage[0].time)! : t;
  const j = new ToolCallJoiner(opts);
  for (const a of agentSlice(store, firstNs, t)) j.addAgentEvent(a);
  let match: JoinMatch | undefined;
  const ordered = [...lineage.filter((e) => e.seq !== ev!.seq), ev].sort((a, b) => {
    const ta = parseTimeNs(a.time)!;
    const tb = parseTimeNs(b.time)!;
    return ta < tb ? -1 : ta > tb ? 1 : a.seq - b.seq;
  });
  for (const e of ordered) {
    const m = j.joinKernel(e);
    if (e.seq === ev.seq) match = m;
  }
  if (!match) return { event: ev, lineage, chain: [] };
  const w = j.window(match.toolCallId, match.sessionId);
  return { event: ev, lineage, match, ...context(store, w?.call as StoredEvent | undefined, w?.result as StoredEvent | undefined) };
}

/** What a tool call did on the machine: every kernel event in its window that joins to it. */
export function toolCallActivity(store: EventStore, callId: string, opts: JoinOptions & { session?: string } = {}): ToolCallActivity | undefined {
  const { call, result } = findToolCall(store, callId, opts.session);
  const anchor = call ?? result;
  if (!anchor) return undefined;
  const slack = BigInt(Math.round((opts.slackMs ?? 2000) * 1e6));
  const start = parseTimeNs((call ?? anchor).time)! - slack;
  const end = (result ? parseTimeNs(result.time)! : start + 10n * MIN) + slack;
  const j = new ToolCallJoiner(opts);
  for (const a of agentSlice(store, start, end)) j.addAgentEvent(a);
  const out: ToolCallActivity = { processes: [], files: [], network: [], other: [], ...context(store, call, result) };
  // Kernel events from a little before the window, so parents seen earlier still count.
  for (const ev of store.iterate({ sinceNs: start - MIN, untilNs: end })) {
    if (!isKernelEvent(ev)) continue;
    const m = j.joinKernel(ev);
    if (!m || m.toolCallId !== callId || (anchor.session && m.via !== 'stamped' && m.sessionId !== anchor.session.id)) continue;
    if (ev.kind.startsWith('process.')) out.processes.push(ev);
    else if (ev.kind.startsWith('file.')) out.files.push(ev);
    else if (ev.kind.startsWith('network.')) out.network.push(ev);
    else out.other.push(ev);
  }
  return out;
}

/** Delegation edges in the store (optionally only those under one root session). */
export function storedDelegationEdges(store: EventStore, rootSession?: string): DelegationEdge[] {
  const edges = delegationEdges(
    (function* () {
      for (const ev of store.iterate({ kindPrefix: 'agent.' })) if (ev.kind === 'agent.subagent.spawn' || ev.session?.parent_id) yield ev as AwEvent;
    })(),
  );
  if (!rootSession) return edges;
  const keep = new Set([rootSession]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const e of edges) {
      if (keep.has(e.parent_session_id) && !keep.has(e.child_session_id)) {
        keep.add(e.child_session_id);
        grew = true;
      }
    }
  }
  return edges.filter((e) => keep.has(e.parent_session_id));
}
