// The delegation graph: parent session -> child session, carrying the parent's tool call
// (Claude Task/Agent + sidechains, Codex spawn_agent -> new thread, Gemini invoke_agent /
// delegate_to_agent, Cursor subagentStart, VIBES delegation records). Edges come from
// agent.subagent.spawn events and, where no spawn was recorded (legacy warmup agents,
// child-only imports), from child events' session.parent_id.
import type { AwEvent } from '../../schema/index.js';

export interface DelegationEdge {
  parent_session_id: string;
  child_session_id: string;
  /** The parent's tool call that started the child, when known. */
  parent_tool_call_id?: string;
  agent_kind?: string;
  child_agent_id?: string;
  child_agent_name?: string;
  description?: string;
  /** Time of the spawn (or of the first child event). */
  time: string;
  /** Ids of the events this edge was derived from. */
  event_ids: string[];
}

/** Edges of the delegation graph found in `events` (any order), oldest first. */
export function delegationEdges(events: Iterable<AwEvent>): DelegationEdge[] {
  const edges = new Map<string, DelegationEdge>();
  const add = (parent: string, child: string, ev: AwEvent, fromSpawn: boolean) => {
    if (!parent || !child || parent === child) return;
    const key = `${parent}\u0000${child}`;
    let e = edges.get(key);
    if (!e) {
      e = { parent_session_id: parent, child_session_id: child, time: ev.time, event_ids: [], agent_kind: ev.session?.agent.kind };
      edges.set(key, e);
    }
    if (ev.id && e.event_ids.length < 8) e.event_ids.push(ev.id);
    if (fromSpawn) {
      const s = ev.agent?.subagent;
      e.parent_tool_call_id ??= s?.parent_tool_call_id ?? ev.session?.tool_call_id;
      e.child_agent_id ??= s?.agent_id ?? ev.agent?.agent_id;
      e.child_agent_name ??= ev.agent?.agent_name;
      e.description ??= s?.description;
      e.time = ev.time;
    } else if (ev.time < e.time && !e.parent_tool_call_id) e.time = ev.time;
  };
  for (const ev of events) {
    if (!ev.session) continue;
    if (ev.kind === 'agent.subagent.spawn') {
      const child = ev.agent?.subagent?.session_id ?? ev.agent?.subagent?.agent_id;
      if (child) add(ev.session.id, child, ev, true);
    } else if (ev.session.parent_id && ev.kind.startsWith('agent.')) add(ev.session.parent_id, ev.session.id, ev, false);
  }
  return [...edges.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
