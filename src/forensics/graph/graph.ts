// The delegation graph: parent agent -> sub-agent, from session.parent_id and
// agent.subagent.spawn events, with what flowed along each edge: the context handed over
// (spawn description, the child's first prompt), the tool calls the child made, the
// credentials it read and the endpoints it contacted.
import { createHash } from 'node:crypto';
import type { EventStore, StoredEvent } from '../../sinks/store/index.js';
import { credentialKind, endpointOf, isDelete, isRead, isWrite, toolInputText } from '../common/classify.js';
import type { Scope } from '../common/scope.js';
import { escapeHtml, jsonForScript } from '../timeline/timeline.js';

export interface GraphNode {
  id: string;
  agent?: string;
  agent_id?: string;
  first_time?: string;
  last_time?: string;
  events: number;
  in_scope: boolean;
}

export interface GraphEdge {
  parent: string;
  child: string;
  spawn_seq?: number;
  spawn_time?: string;
  parent_tool_call_id?: string;
  context: { description?: string; first_prompt?: string };
  tool_calls: Array<{ name: string; call_id?: string; input: string; seq: number }>;
  credentials: Array<{ path: string; kind: string; seq: number }>;
  endpoints: string[];
  files_written: string[];
}

export interface DelegationGraph {
  scope: { kind: string; id: string };
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const MAX_CALLS_PER_EDGE = 200;

/** Builds the graph of the scope's sessions, their ancestors and their descendants. */
export function delegationGraph(store: EventStore, scope: Scope): DelegationGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const summaries = new Map(store.sessions().map((s) => [s.session_id, s]));
  // Parent of each known session from its first events (sub-agents carry parent_id).
  const parentOf = new Map<string, string>();
  for (const sid of summaries.keys()) {
    for (const ev of store.iterate({ session: sid, limit: 5 })) {
      if (ev.session?.parent_id) {
        parentOf.set(sid, ev.session.parent_id);
        break;
      }
    }
  }
  const children = new Map<string, string[]>();
  for (const [c, p] of parentOf) children.set(p, [...(children.get(p) ?? []), c]);
  const want = new Set<string>();
  const addDown = (s: string) => {
    if (want.has(s)) return;
    want.add(s);
    for (const c of children.get(s) ?? []) addDown(c);
  };
  for (const s of scope.sessions) {
    addDown(s);
    let p = parentOf.get(s);
    const guard = new Set<string>();
    while (p && !guard.has(p)) {
      guard.add(p);
      want.add(p);
      p = parentOf.get(p);
    }
  }
  const edgeOf = (parent: string, child: string): GraphEdge => {
    const k = `${parent}\u0000${child}`;
    let e = edges.get(k);
    if (!e) {
      e = { parent, child, context: {}, tool_calls: [], credentials: [], endpoints: [], files_written: [] };
      edges.set(k, e);
    }
    return e;
  };
  const node = (id: string): GraphNode => {
    let n = nodes.get(id);
    if (!n) {
      const s = summaries.get(id);
      n = { id, agent: s?.agent_kind ?? undefined, events: s?.events ?? 0, in_scope: scope.sessions.includes(id) };
      nodes.set(id, n);
    }
    return n;
  };
  for (const sid of want) {
    const n = node(sid);
    const parent = parentOf.get(sid);
    const edge = parent ? edgeOf(parent, sid) : undefined;
    if (parent) node(parent);
    for (const ev of store.iterate({ session: sid })) {
      n.first_time ??= ev.time;
      n.last_time = ev.time;
      if (ev.kind === 'agent.subagent.spawn') spawn(ev, sid, edgeOf, node);
      if (!edge) continue;
      collect(edge, ev);
    }
  }
  return { scope: { kind: scope.kind, id: scope.id }, nodes: [...nodes.values()], edges: [...edges.values()] };
}

function spawn(ev: StoredEvent, parent: string, edgeOf: (p: string, c: string) => GraphEdge, node: (id: string) => GraphNode) {
  const s = ev.agent?.subagent;
  const child = s?.session_id ?? (s?.agent_id ? `agent:${s.agent_id}` : undefined);
  if (!child) return;
  const n = node(child);
  if (s?.agent_id) n.agent_id = s.agent_id;
  const e = edgeOf(parent, child);
  e.spawn_seq = ev.seq;
  e.spawn_time = ev.time;
  e.parent_tool_call_id = s?.parent_tool_call_id ?? ev.session?.tool_call_id;
  if (s?.description) e.context.description = s.description;
}

function collect(edge: GraphEdge, ev: StoredEvent) {
  if (ev.kind === 'agent.prompt' && edge.context.first_prompt === undefined && ev.agent?.prompt?.text) edge.context.first_prompt = ev.agent.prompt.text.slice(0, 2000);
  else if (ev.kind === 'agent.tool.call' && ev.agent?.tool && edge.tool_calls.length < MAX_CALLS_PER_EDGE) {
    edge.tool_calls.push({ name: ev.agent.tool.name, call_id: ev.agent.tool.call_id, input: toolInputText(ev).slice(0, 500), seq: ev.seq });
  } else if (ev.file) {
    const ck = credentialKind(ev.file.path);
    if (ck && (isRead(ev) || ev.kind === 'file.open') && !edge.credentials.some((c) => c.path === ev.file!.path)) edge.credentials.push({ path: ev.file.path, kind: ck, seq: ev.seq });
    if ((isWrite(ev) || isDelete(ev)) && !edge.files_written.includes(ev.file.path)) edge.files_written.push(ev.file.path);
  } else if (ev.kind.startsWith('network.')) {
    const ep = endpointOf(ev);
    if (ep && !edge.endpoints.includes(ep)) edge.endpoints.push(ep);
  }
}

// ---------------------------------------------------------------- renderers

function dotQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n').replace(/[\u0000-\u001f\u007f]/g, ' ')}"`;
}

function edgeLabel(e: GraphEdge): string {
  const parts: string[] = [];
  if (e.context.description) parts.push(`task: ${e.context.description.slice(0, 80)}`);
  if (e.tool_calls.length) parts.push(`${e.tool_calls.length} tool call(s): ${[...new Set(e.tool_calls.map((t) => t.name))].join(', ')}`);
  if (e.credentials.length) parts.push(`credentials: ${e.credentials.map((c) => c.path).join(', ')}`);
  if (e.endpoints.length) parts.push(`net: ${e.endpoints.join(', ')}`);
  return parts.join('\n');
}

function nodeLabel(n: GraphNode): string {
  return `${n.agent ?? n.agent_id ?? 'agent'}\n${n.id}\n${n.events} event(s)`;
}

export function toDot(g: DelegationGraph): string {
  const lines = ['digraph delegation {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  for (const n of g.nodes) lines.push(`  ${dotQuote(n.id)} [label=${dotQuote(nodeLabel(n))}${n.in_scope ? ', style=bold' : ''}];`);
  for (const e of g.edges) lines.push(`  ${dotQuote(e.parent)} -> ${dotQuote(e.child)} [label=${dotQuote(edgeLabel(e))}];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Mermaid text inside "..." with entity escapes (Mermaid's own #quot; style). */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&`]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\r?\n/g, '<br/>').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

export function toMermaid(g: DelegationGraph): string {
  const ids = new Map(g.nodes.map((n) => [n.id, `n${createHash('sha256').update(n.id).digest('hex').slice(0, 10)}`]));
  const lines = ['flowchart LR'];
  for (const n of g.nodes) lines.push(`  ${ids.get(n.id)}["${mermaidText(nodeLabel(n))}"]`);
  for (const e of g.edges) {
    const label = edgeLabel(e);
    lines.push(`  ${ids.get(e.parent)} -->${label ? `|"${mermaidText(label)}"|` : ''} ${ids.get(e.child)}`);
  }
  return lines.join('\n') + '\n';
}

const GRAPH_JS = `
(function () {
  'use strict';
  var g = JSON.parse(document.getElementById('aw-data').textContent);
  var root = document.getElementById('aw-graph');
  var kids = {}, hasParent = {};
  g.edges.forEach(function (e) { (kids[e.parent] = kids[e.parent] || []).push(e); hasParent[e.child] = true; });
  var byId = {};
  g.nodes.forEach(function (n) { byId[n.id] = n; });
  function el(tag, text, cls) { var x = document.createElement(tag); if (text !== undefined) x.textContent = text; if (cls) x.className = cls; return x; }
  function render(id, edge, depth, seen) {
    var n = byId[id] || { id: id, events: 0 };
    var li = el('li');
    li.appendChild(el('span', (n.agent || n.agent_id || 'agent') + '  ' + id + '  (' + n.events + ' events)', n.in_scope ? 'node scope' : 'node'));
    if (edge) {
      var d = el('div', undefined, 'edge');
      if (edge.context.description) d.appendChild(el('div', 'task: ' + edge.context.description));
      if (edge.context.first_prompt) d.appendChild(el('div', 'first prompt: ' + edge.context.first_prompt));
      edge.tool_calls.forEach(function (t) { d.appendChild(el('div', 'tool ' + t.name + ': ' + t.input, 'tool')); });
      edge.credentials.forEach(function (c) { d.appendChild(el('div', 'credential read: ' + c.path + ' (' + c.kind + ')', 'cred')); });
      edge.endpoints.forEach(function (p) { d.appendChild(el('div', 'network: ' + p, 'net')); });
      li.appendChild(d);
    }
    if (seen[id]) return li;
    seen[id] = true;
    var ul = el('ul');
    (kids[id] || []).forEach(function (e) { ul.appendChild(render(e.child, e, depth + 1, seen)); });
    if (ul.childNodes.length) li.appendChild(ul);
    return li;
  }
  var top = el('ul');
  g.nodes.filter(function (n) { return !hasParent[n.id]; }).forEach(function (n) { top.appendChild(render(n.id, null, 0, {})); });
  root.appendChild(top);
})();
`;

export function toHtml(g: DelegationGraph): string {
  const hash = createHash('sha256').update(GRAPH_JS).digest('base64');
  const title = `AgentWarden delegation graph: ${g.scope.kind} ${g.scope.id}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'">
<title>${escapeHtml(title)}</title>
<style>body{font:13px/1.5 system-ui,sans-serif;margin:16px;color:#1d232b}ul{list-style:none;padding-left:22px;border-left:1px solid #d8dee4}
.node{font-family:ui-monospace,monospace;font-weight:600}.scope{background:#fff8c5}.edge{color:#57606a;margin:2px 0 6px 8px;white-space:pre-wrap;word-break:break-word}
.cred{color:#cf222e}.net{color:#9a6700}.tool{color:#8250df}</style></head>
<body><h1 style="font-size:16px">${escapeHtml(title)}</h1><div id="aw-graph"></div>
<script type="application/json" id="aw-data">${jsonForScript(g)}</script>
<script>${GRAPH_JS}</script></body></html>
`;
}
