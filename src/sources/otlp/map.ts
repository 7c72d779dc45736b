// Maps decoded OTLP logs, spans and metric points of Claude Code, Codex CLI and Gemini
// CLI to normalized events. Each agent names things its own way (research notes
// ../shared/research/agent-telemetry.md 1.3, 2.3, 3.1): Claude `claude_code.<event>` with
// an unprefixed `event.name`, Codex `codex.<event>`, Gemini `gemini_cli.<event>`; session
// keys `session.id` / `conversation.id`; tool call keys `tool_use_id` / `call_id` /
// `gen_ai.tool.call.id` / `gen_ai.tool.call_id`. Values arrive as strings or numbers for
// the same field across versions, so they are coerced leniently. The raw attributes are
// kept under `attributes.otel`.
import { formatTimeNs, nowTime, type AgentKind, type AwEvent, type EventAgent, type EventKind } from '../../schema/index.js';
import type { Attrs, OtlpLog, OtlpPoint, OtlpSpan } from './decode.js';

const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);

function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

export function agentOf(resource: Attrs, scopeName: string | undefined, eventName: string): AgentKind {
  const svc = (s(resource['service.name']) ?? '').toLowerCase();
  if (svc.startsWith('claude-code') || scopeName?.startsWith('com.anthropic.claude_code') || eventName.startsWith('claude_code.')) return 'claude-code';
  if (svc.startsWith('codex') || eventName.startsWith('codex.')) return 'codex';
  if (svc.startsWith('gemini') || scopeName === 'gemini-cli' || eventName.startsWith('gemini_cli.')) return 'gemini-cli';
  return 'unknown';
}

/** 'claude_code.tool_result' / 'codex.tool_result' / 'gemini_cli.tool_call' -> 'tool_result' / 'tool_call'. */
export function shortName(name: string): string {
  return name.replace(/^(claude_code|codex|gemini_cli)\./, '');
}

function timeOf(ns?: bigint, fallback?: unknown): string {
  if (ns) return formatTimeNs(ns);
  const f = s(fallback);
  if (f && !Number.isNaN(Date.parse(f))) return new Date(f).toISOString();
  return nowTime();
}

function sessionOf(a: Attrs, kind: AgentKind, resource: Attrs): AwEvent['session'] | undefined {
  const id = s(a['session.id']) ?? s(a['conversation.id']) ?? s(a['gen_ai.conversation.id']) ?? s(resource['session.id']);
  if (!id) return undefined;
  const version = s(resource['service.version']) ?? s(a['app.version']);
  return { id, agent: { kind, ...(version ? { version } : {}) }, attribution: 'marker' };
}

const TOOL_EVENTS = new Set(['tool_result', 'tool_call']);

function toolFrom(a: Attrs): NonNullable<EventAgent['tool']> | undefined {
  const name = s(a.tool_name) ?? s(a.function_name) ?? s(a['gen_ai.tool.name']);
  if (!name) return undefined;
  const t: NonNullable<EventAgent['tool']> = { name };
  const id = s(a.tool_use_id) ?? s(a.call_id) ?? s(a['gen_ai.tool.call.id']) ?? s(a['gen_ai.tool.call_id']);
  if (id) t.call_id = id;
  const input = a.tool_input ?? a.arguments ?? a.function_args ?? a['gen_ai.tool.call.arguments'] ?? a.tool_parameters;
  if (input !== undefined) t.input = parseMaybeJson(input);
  const output = a.output ?? a['gen_ai.tool.call.result'];
  if (output !== undefined) t.output = parseMaybeJson(output);
  const ok = bool(a.success);
  if (ok !== undefined) t.status = ok ? 'ok' : 'error';
  const d = n(a.duration_ms);
  if (d !== undefined) t.duration_ms = d;
  const mcp = s(a.mcp_server_name) ?? s(a.mcp_server);
  if (mcp) t.mcp_server = mcp;
  return t;
}

function decisionFrom(a: Attrs): EventAgent['decision'] | undefined {
  const d = s(a.decision)?.toLowerCase();
  if (!d) return undefined;
  const action = /^(accept|approved|auto_accept|allow|modify)/.test(d) ? 'allow' : /^(reject|denied|deny|abort|user_reject|user_abort)/.test(d) ? 'deny' : 'ask';
  return { action, reason: d, ...(s(a.source) ? { by: s(a.source) } : {}) };
}

export interface MapContext {
  host?: string;
  /** Index of the item in its request, for source.ref. */
  ref: string;
}

/** Token usage from whichever counts the signal carried. */
function usageOf(inTok: number | undefined, outTok: number | undefined): EventAgent['usage'] | undefined {
  if (inTok === undefined && outTok === undefined) return undefined;
  return { ...(inTok !== undefined ? { input_tokens: inTok } : {}), ...(outTok !== undefined ? { output_tokens: outTok } : {}) };
}

/** The event every OTLP signal becomes: source, host and session, the agent facts, and the signal kept whole under attributes.otel. */
function otlpEvent(time: string, evKind: EventKind, kind: AgentKind, ctx: MapContext, session: AwEvent['session'] | undefined, ag: EventAgent, otel: Record<string, unknown>): AwEvent {
  return {
    time,
    kind: evKind,
    source: { type: 'otlp', name: `${kind}-otlp`, ref: ctx.ref },
    ...(ctx.host ? { host: { name: ctx.host } } : {}),
    ...(session ? { session } : {}),
    agent: ag,
    attributes: { otel },
  };
}

export function mapLog(l: OtlpLog, ctx: MapContext): AwEvent {
  const a = l.attributes;
  // Claude puts the prefixed name in the body and the bare one in event.name; Codex and
  // Gemini put the prefixed one in event.name. Prefer the prefixed form.
  const names = [l.eventName, s(a['event.name']), s(l.body)].filter((x): x is string => Boolean(x));
  const full = names.find((x) => /^(claude_code|codex|gemini_cli|gen_ai)\./.test(x)) ?? names[0] ?? '';
  const kind = agentOf(l.resource, l.scope.name, full);
  const name = shortName(full);
  const ag: EventAgent = { raw_type: full };
  let evKind: EventKind = 'agent.telemetry';
  const model = s(a.model) ?? s(a['gen_ai.request.model']);
  if (model) ag.model = model;
  if (name === 'user_prompt') {
    evKind = 'agent.prompt';
    ag.operation = 'chat';
    ag.prompt = { role: 'user', ...(s(a.prompt) ? { text: s(a.prompt) } : {}) };
  } else if (name === 'assistant_response' || name === 'api_response') {
    const text = s(a.response) ?? s(a.response_text);
    if (name === 'assistant_response' || text) evKind = 'agent.response';
    if (text) ag.response = { text };
  } else if (TOOL_EVENTS.has(name)) {
    evKind = 'agent.tool.result';
    ag.operation = 'execute_tool';
    ag.tool = toolFrom(a);
    const dec = name === 'tool_call' ? decisionFrom(a) : undefined;
    if (dec) ag.decision = dec;
  } else if (name === 'tool_decision') {
    evKind = 'agent.decision';
    ag.tool = toolFrom(a);
    ag.decision = decisionFrom(a);
  } else if (name === 'conversation_starts' || name === 'session_start') {
    evKind = 'agent.session.start';
  } else if (name === 'agent.start' || name === 'subagent_started') {
    evKind = 'agent.subagent.spawn';
    ag.operation = 'invoke_agent';
    ag.subagent = { ...(s(a.agent_id) ? { agent_id: s(a.agent_id) } : {}), ...(s(a.agent_name) ? { description: s(a.agent_name) } : {}) };
  }
  if (ag.tool && !ag.tool.name) delete ag.tool;
  const usage = usageOf(n(a.input_tokens) ?? n(a.input_token_count) ?? n(a['gen_ai.usage.input_tokens']), n(a.output_tokens) ?? n(a.output_token_count) ?? n(a['gen_ai.usage.output_tokens']));
  if (usage) ag.usage = usage;
  const session = sessionOf(a, kind, l.resource);
  if (session) ag.conversation_id = session.id;
  if (ag.tool?.call_id && session) session.tool_call_id = ag.tool.call_id;
  return otlpEvent(timeOf(l.timeNs, a['event.timestamp']), evKind, kind, ctx, session, ag, {
    signal: 'logs',
    event: full,
    ...(l.body !== undefined ? { body: l.body } : {}),
    ...(l.severity ? { severity: l.severity } : {}),
    scope: l.scope,
    resource: l.resource,
    attributes: a,
    ...(l.traceId ? { trace_id: l.traceId } : {}),
    ...(l.spanId ? { span_id: l.spanId } : {}),
  });
}

export function mapSpan(sp: OtlpSpan, ctx: MapContext): AwEvent {
  const a = sp.attributes;
  const op = s(a['gen_ai.operation.name']);
  const kind = agentOf(sp.resource, sp.scope.name, sp.name);
  const ag: EventAgent = { raw_type: sp.name };
  let evKind: EventKind = 'agent.telemetry';
  const tool = toolFrom(a);
  const model = s(a['gen_ai.request.model']) ?? s(a.model);
  if (model) ag.model = model;
  if (sp.name === 'claude_code.tool' || op === 'execute_tool' || op === 'tool_call' || /^execute_tool\b/.test(sp.name)) {
    evKind = 'agent.tool.call';
    ag.operation = 'execute_tool';
    if (tool) {
      if (sp.startNs && sp.endNs && tool.duration_ms === undefined) tool.duration_ms = Number(sp.endNs - sp.startNs) / 1e6;
      if (tool.status === undefined && sp.status?.code) tool.status = sp.status.code === 2 ? 'error' : 'ok';
      ag.tool = tool;
    }
  } else if (op === 'invoke_agent' || op === 'agent_call' || /^invoke_agent\b/.test(sp.name)) {
    evKind = 'agent.subagent.spawn';
    ag.operation = 'invoke_agent';
    ag.subagent = { ...(s(a['gen_ai.agent.id']) ?? s(a.agent_id) ? { agent_id: s(a['gen_ai.agent.id']) ?? s(a.agent_id) } : {}), ...(s(a['gen_ai.agent.name']) ? { description: s(a['gen_ai.agent.name']) } : {}) };
  } else if (sp.name === 'claude_code.llm_request' || op === 'chat' || op === 'llm_call' || op === 'generate_content') {
    ag.operation = 'chat';
  }
  const usage = usageOf(n(a['gen_ai.usage.input_tokens']) ?? n(a.input_tokens), n(a['gen_ai.usage.output_tokens']) ?? n(a.output_tokens));
  if (usage) ag.usage = usage;
  if (s(a.agent_id)) ag.agent_id = s(a.agent_id);
  const session = sessionOf(a, kind, sp.resource);
  if (session) {
    ag.conversation_id = session.id;
    if (tool?.call_id) session.tool_call_id = tool.call_id;
  }
  return otlpEvent(timeOf(sp.startNs), evKind, kind, ctx, session, ag, {
    signal: 'traces',
    span: sp.name,
    trace_id: sp.traceId,
    span_id: sp.spanId,
    ...(sp.parentSpanId ? { parent_span_id: sp.parentSpanId } : {}),
    ...(sp.endNs ? { end_time: formatTimeNs(sp.endNs) } : {}),
    ...(sp.status ? { status: sp.status } : {}),
    ...(sp.events.length ? { events: sp.events.map((e) => ({ name: e.name, ...(e.timeNs ? { time: formatTimeNs(e.timeNs) } : {}), attributes: e.attributes })) } : {}),
    scope: sp.scope,
    resource: sp.resource,
    attributes: a,
  });
}

/** Token metrics of each agent -> usage; every point is kept as agent.telemetry. */
export function mapPoint(p: OtlpPoint, ctx: MapContext): AwEvent {
  const a = p.attributes;
  const kind = agentOf(p.resource, p.scope.name, p.metric.name);
  const ag: EventAgent = { raw_type: p.metric.name };
  const model = s(a.model) ?? s(a['gen_ai.request.model']);
  if (model) ag.model = model;
  const tokType = s(a.type) ?? s(a.token_type) ?? s(a['gen_ai.token.type']);
  if (/token/.test(p.metric.name) && tokType && p.value !== undefined) {
    if (tokType === 'input') ag.usage = { input_tokens: p.value };
    else if (tokType === 'output') ag.usage = { output_tokens: p.value };
  }
  const session = sessionOf(a, kind, p.resource);
  if (session) ag.conversation_id = session.id;
  return otlpEvent(timeOf(p.timeNs), 'agent.telemetry', kind, ctx, session, ag, {
    signal: 'metrics',
    metric: p.metric,
    ...(p.value !== undefined ? { value: p.value } : {}),
    ...(p.count !== undefined ? { count: p.count } : {}),
    ...(p.sum !== undefined ? { sum: p.sum } : {}),
    scope: p.scope,
    resource: p.resource,
    attributes: a,
  });
}
