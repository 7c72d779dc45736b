// Incident reports: a TRACE-IR-style JSON document (our own design: the TRACE-IR schema is
// not public, see research/vibes-trace.md; marked 0.1-draft-compatible, unverified) and a
// STIX 2.1 bundle. Custom content (agent sessions, tool calls, incident properties) is
// declared through extension-definition objects, not legacy x- objects.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../../core/canonical.js';
import { parseTimeNs, formatTimeNs, nowNs } from '../../schema/index.js';
import type { EventStore, StoredEvent } from '../../sinks/store/index.js';
import { blastRadiusOf, type BlastRadius } from '../blast/blast.js';
import { summarize } from '../common/classify.js';
import { scopeEvents, type Scope } from '../common/scope.js';
import { toolVersion } from '../common/version.js';
import { iocClass } from '../contain/contain.js';
import { IncidentDb, type Incident, type IncidentLogEntry } from '../incident/db.js';
import { inferTechniques, type Technique } from './techniques.js';

// Fixed ids: the same definitions in every report (UUIDv4 form, generated once).
export const AW_IDENTITY_ID = 'identity--6f6a2c8e-4c1b-4d2e-9a51-3c0f2b7d9e41';
export const EXT_SESSION = 'extension-definition--2b9c6f0e-7d4a-4e51-8c3f-5a1d9e7b2c60';
export const EXT_TOOL_CALL = 'extension-definition--8e4f1a2b-3c5d-4e6f-9a7b-1c2d3e4f5a6b';
export const EXT_INCIDENT = 'extension-definition--c5d7e9f1-2a4b-4c6d-8e0f-1a3b5c7d9e2f';
const DEF_TIME = '2026-12-01T00:00:00.000Z';
// STIX 2.1 namespace for deterministic SCO ids (UUIDv5).
const SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

export interface ReportInput {
  incident: Incident;
  log: IncidentLogEntry[];
  events: StoredEvent[];
  br: BlastRadius;
  techniques: Technique[];
  sessions: Array<{ id: string; agent?: string; version?: string; parent?: string; first: string; last: string; events: number }>;
}

export function gatherReport(store: EventStore, incidentId: string): ReportInput {
  const db = IncidentDb.open(store.dir);
  let incident: Incident;
  let log: IncidentLogEntry[];
  try {
    incident = db.require(incidentId);
    log = db.logOf(incidentId);
  } finally {
    db.close();
  }
  const scope: Scope = { kind: 'incident', id: incident.id, sessions: incident.sessions, incident };
  const timed = scopeEvents(store, scope);
  const br = blastRadiusOf(timed, scope);
  const events = timed.map((t) => t.ev);
  const alertEvents = events.filter((e) => e.kind === 'alert');
  const techniques = inferTechniques(br, iocClass(incident.ioc_ids), {
    attack: [...new Set(alertEvents.flatMap((a) => a.alert?.attack ?? []))],
    atlas: [...new Set(alertEvents.flatMap((a) => a.alert?.atlas ?? []))],
  });
  const sessions = incident.sessions.map((sid) => {
    const s = store.sessions({ session: sid })[0];
    const parent = events.find((e) => e.session?.id === sid && e.session.parent_id)?.session?.parent_id;
    return { id: sid, agent: s?.agent_kind ?? undefined, version: s?.agent_version ?? undefined, parent, first: s ? formatTimeNs(s.first_time_ns) : incident.window.start, last: s ? formatTimeNs(s.last_time_ns) : incident.window.end, events: s?.events ?? 0 };
  });
  return { incident, log, events, br, techniques, sessions };
}

// ---------------------------------------------------------------- TRACE-IR

export function traceIr(input: ReportInput, opts: { stixBundleId?: string } = {}): Record<string, unknown> {
  const { incident, log, events, br, techniques, sessions } = input;
  const key = events.filter((e) => ['agent.prompt', 'agent.tool.call', 'agent.subagent.spawn', 'agent.decision', 'alert', 'network.connect', 'incident.action'].includes(e.kind) || (e.kind.startsWith('file.') && br.credentials.some((c) => c.seq === e.seq)));
  const bundles = log.filter((l) => l.action === 'seal').map((l) => ({ bundle_id: l.detail.bundle_id, path: l.detail.bundle, sealed_at: l.time, records: l.detail.records, checkpoint_size: l.detail.checkpoint_size }));
  return {
    trace_ir_version: '0.1-draft-compatible',
    conformance: 'unverified: the TRACE-IR schema is not public; field names are AgentWarden\'s',
    generator: { name: 'agentwarden', version: toolVersion() },
    generated_at: formatTimeNs(nowNs()),
    incident: {
      id: incident.id,
      title: incident.title,
      status: incident.status,
      severity: incident.severity,
      reason: incident.reason,
      opened_at: incident.opened_at,
      opened_by: incident.opened_by,
      closed_at: incident.closed_at,
      resolution: incident.resolution,
      window: incident.window,
      ioc_ids: incident.ioc_ids,
      ioc_class: iocClass(incident.ioc_ids),
      alerts: incident.alerts,
    },
    summary: summaryText(input),
    sessions,
    delegation: sessions.filter((s) => s.parent).map((s) => ({ parent: s.parent, child: s.id })),
    key_events: key.slice(0, 2000).map((e) => ({ seq: e.seq, time: e.time, kind: e.kind, session: e.session?.id, tool_call_id: e.session?.tool_call_id ?? e.agent?.tool?.call_id, summary: summarize(e) })),
    blast_radius: br,
    techniques: {
      attack: techniques.filter((t) => t.framework === 'mitre-attack').map(({ id, name, url, evidence }) => ({ id, name, url, evidence })),
      atlas: techniques.filter((t) => t.framework === 'mitre-atlas').map(({ id, name, url, evidence }) => ({ id, name, url, evidence })),
    },
    evidence: { bundles, store_records: events.length },
    containment: log.filter((l) => l.action === 'contain').map((l) => ({ time: l.time, actor: l.actor, ...l.detail })),
    action_log: log,
    stix_bundle_ref: opts.stixBundleId,
  };
}

function summaryText({ incident, br }: ReportInput): string {
  const parts = [`${incident.title} (${incident.severity}).`];
  if (br.credentials.length) parts.push(`Credentials read: ${br.credentials.map((c) => `${c.path} by ${c.process ?? 'pid ' + c.pid}`).join('; ')}.`);
  const eg = br.endpoints.filter((e) => e.after_credential_read);
  if (eg.length) parts.push(`Then contacted: ${eg.map((e) => e.endpoint).join(', ')}.`);
  if (br.subagents.length) parts.push(`Sub-agents: ${br.subagents.map((s) => s.session_id ?? s.agent_id).join(', ')}.`);
  if (br.git.length) parts.push(`Git: ${br.git.filter((g) => g.sha).length} commit(s) in the window${br.git.some((g) => g.kind === 'push') ? ', pushed' : ''}.`);
  return parts.join(' ');
}

// ---------------------------------------------------------------- STIX 2.1

function stixTime(t: string | bigint | undefined): string {
  const ns = typeof t === 'bigint' ? t : t ? parseTimeNs(t) ?? nowNs() : nowNs();
  return `${formatTimeNs(ns).slice(0, 23)}Z`;
}

function uuidv5(name: string, namespace = SCO_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function scoId(type: string, idProps: Record<string, unknown>): string {
  return `${type}--${uuidv5(canonicalJson(idProps))}`;
}

function patternString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export type StixObject = Record<string, unknown> & { type: string; id: string };

export function stixBundle(input: ReportInput): { type: 'bundle'; id: string; objects: StixObject[] } {
  const { incident, log, br, techniques, sessions, events } = input;
  const objects: StixObject[] = [];
  const now = stixTime(undefined);
  const sdo = (type: string, props: Record<string, unknown>, id = `${type}--${randomUUID()}`): StixObject => {
    const o = { type, spec_version: '2.1', id, created: props.created ?? now, modified: props.modified ?? props.created ?? now, created_by_ref: AW_IDENTITY_ID, ...props } as StixObject;
    objects.push(o);
    return o;
  };
  const sco = (type: string, idProps: Record<string, unknown>, props: Record<string, unknown> = {}, id = scoId(type, idProps)): StixObject => {
    const existing = objects.find((o) => o.id === id);
    if (existing) return existing;
    const o = { type, spec_version: '2.1', id, ...idProps, ...props } as StixObject;
    objects.push(o);
    return o;
  };
  objects.push({ type: 'identity', spec_version: '2.1', id: AW_IDENTITY_ID, created: DEF_TIME, modified: DEF_TIME, name: 'AgentWarden', identity_class: 'system', description: 'AgentWarden flight recorder and forensics kit for AI coding agents' });
  const extDef = (id: string, name: string, schema: string, types: string[], description: string) =>
    objects.push({ type: 'extension-definition', spec_version: '2.1', id, created: DEF_TIME, modified: DEF_TIME, created_by_ref: AW_IDENTITY_ID, name, description, schema, version: '1.0.0', extension_types: types });
  extDef(EXT_SESSION, 'AgentWarden agent session', 'https://agentwarden.dev/stix/agent-session/v1', ['new-sdo'], 'An AI coding agent session (agentwarden-agent-session), with its parent for delegation.');
  extDef(EXT_TOOL_CALL, 'AgentWarden tool call', 'https://agentwarden.dev/stix/tool-call/v1', ['new-sdo'], 'One tool invocation by an agent (agentwarden-tool-call).');
  extDef(EXT_INCIDENT, 'AgentWarden incident properties', 'https://agentwarden.dev/stix/incident/v1', ['property-extension'], 'Severity, status, IoC ids, window and evidence of an AgentWarden incident.');

  const start = stixTime(incident.window.start);
  const end = stixTime(events.length ? events[events.length - 1].time : incident.window.end);
  const bundles = log.filter((l) => l.action === 'seal');
  const inc = sdo('incident', {
    name: incident.title,
    description: summaryText(input),
    created: stixTime(incident.opened_at),
    extensions: {
      [EXT_INCIDENT]: {
        extension_type: 'property-extension',
        incident_id: incident.id,
        severity_level: incident.severity,
        status: incident.status,
        ioc_ids: incident.ioc_ids,
        window_start: start,
        window_end: stixTime(incident.window.end),
        ...(bundles.length ? { evidence_bundle: String(bundles[bundles.length - 1].detail.bundle_id) } : {}),
      },
    },
  });

  // Agents (tool SDOs), sessions and tool calls (extension-defined SDOs).
  const toolByAgent = new Map<string, StixObject>();
  const sessionObj = new Map<string, StixObject>();
  for (const s of sessions) {
    const agentKey = `${s.agent ?? 'unknown'}@${s.version ?? ''}`;
    if (!toolByAgent.has(agentKey)) toolByAgent.set(agentKey, sdo('tool', { name: s.agent ?? 'unknown agent', ...(s.version ? { tool_version: s.version } : {}), description: 'AI coding agent' }));
  }
  for (const s of sessions) {
    sessionObj.set(s.id, sdo('agentwarden-agent-session', {
      name: `${s.agent ?? 'agent'} session ${s.id}`,
      session_id: s.id,
      agent_kind: s.agent ?? 'unknown',
      first_seen: stixTime(s.first),
      last_seen: stixTime(s.last),
      event_count: s.events,
      extensions: { [EXT_SESSION]: { extension_type: 'new-sdo' } },
    }));
  }
  for (const s of sessions) {
    const o = sessionObj.get(s.id)!;
    const agentKey = `${s.agent ?? 'unknown'}@${s.version ?? ''}`;
    sdo('relationship', { relationship_type: 'related-to', source_ref: o.id, target_ref: toolByAgent.get(agentKey)!.id, description: 'session of this agent' });
    sdo('relationship', { relationship_type: 'related-to', source_ref: inc.id, target_ref: o.id });
    if (s.parent && sessionObj.has(s.parent)) {
      o.parent_session_ref = sessionObj.get(s.parent)!.id;
      sdo('relationship', { relationship_type: 'delegated-to', source_ref: sessionObj.get(s.parent)!.id, target_ref: o.id });
    }
  }
  const calls = events.filter((e) => e.kind === 'agent.tool.call' && e.agent?.tool).slice(0, 500);
  for (const e of calls) {
    const t = e.agent!.tool!;
    const input = t.input === undefined ? undefined : typeof t.input === 'string' ? t.input : JSON.stringify(t.input);
    const call = sdo('agentwarden-tool-call', {
      name: t.name,
      tool_name: t.name,
      ...(t.call_id ? { call_id: t.call_id } : {}),
      ...(t.mcp_server ? { mcp_server: t.mcp_server } : {}),
      ...(input ? { tool_input: input.slice(0, 4000) } : {}),
      invoked_at: stixTime(e.time),
      store_seq: e.seq,
      ...(e.session && sessionObj.has(e.session.id) ? { session_ref: sessionObj.get(e.session.id)!.id } : {}),
      extensions: { [EXT_TOOL_CALL]: { extension_type: 'new-sdo' } },
    });
    if (e.session && sessionObj.has(e.session.id)) sdo('relationship', { relationship_type: 'related-to', source_ref: call.id, target_ref: sessionObj.get(e.session.id)!.id, description: 'tool call made in this session' });
  }

  // Observables: credential files, endpoints, processes.
  const observed: string[] = [];
  const fileObj = (path: string) => {
    const i = path.lastIndexOf('/');
    const dirPath = i > 0 ? path.slice(0, i) : '/';
    const dir = sco('directory', { path: dirPath });
    return sco('file', { name: path.slice(i + 1), parent_directory_ref: dir.id });
  };
  for (const c of br.credentials) observed.push(fileObj(c.path).id);
  for (const e of br.endpoints) {
    let dst: StixObject | undefined;
    if (e.ip) dst = e.ip.includes(':') ? sco('ipv6-addr', { value: e.ip }) : sco('ipv4-addr', { value: e.ip });
    else if (e.host) dst = sco('domain-name', { value: e.host });
    if (!dst) continue;
    observed.push(dst.id);
    const nt = sco('network-traffic', { dst_ref: dst.id, ...(e.port !== undefined ? { dst_port: e.port } : {}), protocols: ['tcp'] });
    observed.push(nt.id);
  }
  for (const p of br.processes.slice(0, 200)) {
    const o = sco('process', {}, { pid: p.pid, command_line: p.command, created_time: stixTime(p.time) }, `process--${randomUUID()}`);
    observed.push(o.id);
  }
  let od: StixObject | undefined;
  if (observed.length) {
    od = sdo('observed-data', { first_observed: start, last_observed: end, number_observed: 1, object_refs: [...new Set(observed)] });
  }

  // Indicators with STIX patterns, sightings, techniques.
  const indicators: StixObject[] = [];
  const credParts = [...new Set(br.credentials.map((c) => c.path))].map((p) => {
    const i = p.lastIndexOf('/');
    return `[file:name = ${patternString(p.slice(i + 1))} AND file:parent_directory_ref.path = ${patternString(i > 0 ? p.slice(0, i) : '/')}]`;
  });
  const egress = br.endpoints.filter((e) => e.after_credential_read && (e.ip || e.host));
  const netParts = egress.map((e) => (e.ip ? `[network-traffic:dst_ref.value = ${patternString(e.ip)}${e.port !== undefined ? ` AND network-traffic:dst_port = ${e.port}` : ''}]` : `[domain-name:value = ${patternString(e.host!)}]`));
  if (credParts.length && netParts.length) {
    indicators.push(sdo('indicator', { name: 'Credential file read followed by network egress', indicator_types: ['malicious-activity'], pattern: `(${credParts.join(' OR ')}) FOLLOWEDBY (${netParts.join(' OR ')})`, pattern_type: 'stix', pattern_version: '2.1', valid_from: start }));
  } else if (credParts.length) {
    indicators.push(sdo('indicator', { name: 'Agent read of credential files', indicator_types: ['anomalous-activity'], pattern: credParts.join(' OR '), pattern_type: 'stix', pattern_version: '2.1', valid_from: start }));
  }
  for (const e of egress) {
    indicators.push(sdo('indicator', { name: `Egress endpoint ${e.endpoint}`, indicator_types: ['malicious-activity'], pattern: e.ip ? `[ipv4-addr:value = ${patternString(e.ip)}]` : `[domain-name:value = ${patternString(e.host!)}]`, pattern_type: 'stix', pattern_version: '2.1', valid_from: start }));
  }
  for (const ind of indicators) {
    sdo('relationship', { relationship_type: 'related-to', source_ref: ind.id, target_ref: inc.id });
    sdo('sighting', { sighting_of_ref: ind.id, ...(od ? { observed_data_refs: [od.id] } : {}), where_sighted_refs: [AW_IDENTITY_ID], first_seen: start, last_seen: end, count: 1, summary: false });
  }
  for (const t of techniques) {
    const ap = sdo('attack-pattern', { name: t.name, description: t.evidence.join('; '), external_references: [{ source_name: t.framework, external_id: t.id, url: t.url }] });
    sdo('relationship', { relationship_type: 'uses', source_ref: inc.id, target_ref: ap.id, description: t.evidence.join('; ') });
    for (const ind of indicators) sdo('relationship', { relationship_type: 'indicates', source_ref: ind.id, target_ref: ap.id });
  }
  if (od) sdo('relationship', { relationship_type: 'related-to', source_ref: inc.id, target_ref: od.id });
  const noteLines = [`AgentWarden incident ${incident.id}: ${summaryText(input)}`];
  for (const b of bundles) noteLines.push(`Evidence bundle ${String(b.detail.bundle_id)} sealed ${b.time} (${String(b.detail.records)} records, DSSE/in-toto, verify with 'agentwarden evidence verify').`);
  sdo('note', { abstract: 'Incident summary and evidence', content: noteLines.join('\n'), authors: ['AgentWarden'], object_refs: [inc.id, ...(od ? [od.id] : [])] });
  return { type: 'bundle', id: `bundle--${randomUUID()}`, objects };
}
