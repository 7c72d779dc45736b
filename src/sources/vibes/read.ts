// VIBES .ai-audit/ import: config.json, manifest.json (content-addressed context entries)
// and annotations.jsonl (line, function, session, edge, delegation records). Annotations
// are joined to their command/prompt/reasoning/decision entries by hash. Hashes are
// verified tolerantly: every mismatch is counted and reported, nothing is rejected.
// Records written by our own exporter carry the original event in `x_agentwarden`, which
// is restored as is (the VIBES fields beside it stay valid for other readers).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_KINDS, validateEvent, type AwEvent } from '../../schema/index.js';
import { agentEvent, deterministicId, isoTime, type EventContext, type ToolCategory } from '../../transforms/normalize/vocabulary.js';
import { bump, obj, parseObjectLine, str, type ImportProblem, type ImportResult } from '../importers/common.js';
import { annotationIdCheck, manifestHashRule, sha256Hex, type HashRule } from './hash.js';

export interface VibesReport {
  dir: string;
  config?: { standard?: string; standard_version?: string; assurance_level?: string; project_name?: string };
  manifest: { entries: number; by_type: Record<string, number>; hash_rules: Record<HashRule, number>; mismatched_keys: string[] };
  annotations: { records: number; by_type: Record<string, number>; annotation_ids: Record<string, number>; unresolved_refs: number; restored_events: number; restore_rejected: number };
  attestation?: { subjects: Array<{ name: string; expected?: string; actual?: string; ok: boolean }> };
}

const COMMAND_CATEGORY: Record<string, ToolCategory> = { shell: 'shell', file_write: 'file_write', file_delete: 'file_write', file_read: 'file_read', api_call: 'web_fetch', tool_use: 'other', other: 'other' };
const ACTION_INTENT = { create: 'create', modify: 'write', delete: 'delete', review: 'read' } as const;

/** VIBES tool/agent names to our agent kinds. */
export function vibesAgentKind(name: string | undefined): string {
  const n = (name ?? '').toLowerCase();
  if (n.includes('claude')) return 'claude-code';
  if (n.includes('codex')) return 'codex';
  if (n.includes('gemini')) return 'gemini-cli';
  if (n.includes('cursor')) return 'cursor';
  return n.replace(/[^a-z0-9-]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
}

/** The .ai-audit directory for PATH (PATH itself, or PATH/.ai-audit). */
export function auditDirOf(path: string): string {
  if (existsSync(join(path, 'manifest.json')) || existsSync(join(path, 'annotations.jsonl'))) return path;
  if (existsSync(join(path, '.ai-audit'))) return join(path, '.ai-audit');
  return path;
}

function readJson(file: string, problems: ImportProblem[]): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const o = obj(v);
    if (!o) problems.push({ file, line: 1, reason: 'not a JSON object' });
    return o;
  } catch (err) {
    problems.push({ file, line: 1, reason: `not JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * The event our exporter embedded, if the record has a schema-valid one. A VIBES directory
 * is attacker-controlled (it sits in a repository), so: agent.* events are restored
 * exactly; kernel and gateway events are restored but relabelled as imported from VIBES
 * (the claimed source moves to attributes['vibes.claimed_source']), so they can never pass
 * for sensor records; alerts, sensor health and incident actions (the product's own
 * judgements) are never restored, and such records fall back to the native VIBES mapping.
 */
function restoredEvent(rec: Record<string, unknown>, ref: string): AwEvent | 'rejected' | undefined {
  const x = obj(rec.x_agentwarden);
  if (!x) return undefined;
  const ev = obj(x.event);
  if (!ev || typeof ev.kind !== 'string' || (SYSTEM_KINDS as readonly string[]).includes(ev.kind)) return 'rejected';
  const { seq: _seq, ...rest } = ev;
  const v = validateEvent(rest);
  if (!v.ok) return 'rejected';
  if (v.event.kind.startsWith('agent.')) return v.event;
  return { ...v.event, source: { type: 'import', name: 'vibes', ref }, attributes: { ...(v.event.attributes ?? {}), 'vibes.claimed_source': v.event.source } };
}

/** Reads a VIBES directory into events plus a verification report. */
export function importVibes(path: string): { result: ImportResult; report: VibesReport } {
  const dir = auditDirOf(path);
  const problems: ImportProblem[] = [];
  const skipped: Record<string, number> = {};
  const events: AwEvent[] = [];
  const report: VibesReport = {
    dir,
    manifest: { entries: 0, by_type: {}, hash_rules: { with_type: 0, without_type: 0, neither: 0 }, mismatched_keys: [] },
    annotations: { records: 0, by_type: {}, annotation_ids: {}, unresolved_refs: 0, restored_events: 0, restore_rejected: 0 },
  };
  let lines = 0;
  let files = 0;
  const config = readJson(join(dir, 'config.json'), problems);
  if (config) {
    files++;
    report.config = { standard: str(config.standard), standard_version: str(config.standard_version), assurance_level: str(config.assurance_level), project_name: str(config.project_name) };
  }
  const manifestFile = join(dir, 'manifest.json');
  const manifest = readJson(manifestFile, problems);
  const entries = new Map<string, Record<string, unknown>>();
  if (manifest) {
    files++;
    const e = obj(manifest.entries) ?? {};
    for (const [key, v] of Object.entries(e)) {
      const entry = obj(v);
      if (!entry) {
        problems.push({ file: manifestFile, line: 0, reason: `entry ${key}: not an object` });
        continue;
      }
      entries.set(key, entry);
      report.manifest.entries++;
      bump(report.manifest.by_type, str(entry.type) ?? 'untyped');
      const rule = manifestHashRule(key, entry);
      report.manifest.hash_rules[rule]++;
      if (rule === 'neither' && report.manifest.mismatched_keys.length < 20) report.manifest.mismatched_keys.push(key);
    }
  }
  // Annotations first: they give manifest entries their session and the environment.
  const annFile = join(dir, 'annotations.jsonl');
  const records: Array<{ rec: Record<string, unknown>; ref: string }> = [];
  if (existsSync(annFile)) {
    files++;
    const text = readFileSync(annFile, 'utf8');
    const ls = text.split('\n');
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i].replace(/\r$/, '');
      if (!l.trim()) continue;
      lines++;
      const rec = parseObjectLine(l, annFile, i + 1, problems);
      if (rec) records.push({ rec, ref: `${annFile}:${i + 1}` });
    }
  }
  const sessionOfEntry = new Map<string, string>();
  const envOfSession = new Map<string, string>();
  const parentOf = new Map<string, string>();
  for (const { rec } of records) {
    const sid = str(rec.session_id);
    if (sid) {
      for (const k of ['environment_hash', 'command_hash', 'prompt_hash', 'reasoning_hash', 'decision_hash']) {
        const h = str(rec[k]);
        if (h && !sessionOfEntry.has(h)) sessionOfEntry.set(h, sid);
      }
      if (str(rec.environment_hash) && !envOfSession.has(sid)) envOfSession.set(sid, rec.environment_hash as string);
      if (rec.type === 'session' && str(rec.parent_session_id)) parentOf.set(sid, rec.parent_session_id as string);
    }
    if (rec.type === 'edge' && rec.target_type === 'context' && str(rec.target_ref) && sid && !sessionOfEntry.has(rec.target_ref as string)) sessionOfEntry.set(rec.target_ref as string, sid);
  }
  const ctxFor = (sid: string | undefined, envHash?: string): EventContext | undefined => {
    if (!sid) return undefined;
    const env = entries.get(envHash ?? envOfSession.get(sid) ?? '');
    return {
      agent: vibesAgentKind(str(env?.tool_name)),
      version: str(env?.tool_version) && env?.tool_version !== 'unknown' ? (env!.tool_version as string) : undefined,
      sessionId: sid,
      parentSessionId: parentOf.get(sid),
      sourceType: 'import',
      sourceName: 'vibes',
      model: str(env?.model_name) && env?.model_name !== 'unknown' ? (env!.model_name as string) : undefined,
    };
  };
  const noSession = (kind: AwEvent['kind'], time: string, agent: NonNullable<AwEvent['agent']>, id: string, ref: string, attributes: Record<string, unknown>): AwEvent => ({
    id,
    time,
    kind,
    source: { type: 'import', name: 'vibes', ref },
    agent,
    attributes,
  });
  const fallbackTime = isoTime(records.find((r) => isoTime(r.rec.timestamp))?.rec.timestamp) ?? (existsSync(dir) ? statSync(dir).mtime.toISOString() : new Date(0).toISOString());
  // Entries restored from our own export are not emitted twice.
  const restoredHashes = new Set<string>();
  for (const { rec } of records) {
    const x = obj(rec.x_agentwarden);
    if (x && Array.isArray(x.entries) && typeof restoredEvent(rec, '') === 'object') for (const h of x.entries) if (typeof h === 'string') restoredHashes.add(h);
  }
  const make = (kind: AwEvent['kind'], ctx: EventContext | undefined, time: string, agent: NonNullable<AwEvent['agent']>, id: string, ref: string, attributes: Record<string, unknown>, file?: AwEvent['file']): AwEvent => {
    if (ctx) return agentEvent(ctx, kind, time, agent, { id, ref, attributes, file });
    const ev = noSession(kind, time, agent, id, ref, attributes);
    if (file) ev.file = file;
    return ev;
  };
  // Manifest entries: every context entry becomes one event (nothing is dropped).
  for (const [key, e] of entries) {
    if (restoredHashes.has(key)) continue;
    const time = isoTime(e.created_at) ?? fallbackTime;
    const sid = sessionOfEntry.get(key);
    const ctx = ctxFor(sid);
    const ref = `${manifestFile}#${key}`;
    const id = deterministicId('vibes', 'entry', key);
    const attributes = { vibes: { hash: key, entry: e } };
    switch (e.type) {
      case 'command': {
        const ct = str(e.command_type) ?? 'other';
        const tool = { name: ct, category: COMMAND_CATEGORY[ct] ?? 'other', call_id: key, input: { command: e.command_text, ...(str(e.working_directory) ? { cwd: e.working_directory } : {}) }, ...(e.command_output_summary != null ? { output: e.command_output_summary } : {}), ...(typeof e.command_exit_code === 'number' ? { exit_code: e.command_exit_code, status: e.command_exit_code === 0 ? ('ok' as const) : ('error' as const) } : {}) };
        events.push(make('agent.tool.call', ctx, time, { operation: 'execute_tool', raw_type: 'vibes.command', tool }, id, ref, attributes));
        break;
      }
      case 'prompt':
        events.push(make('agent.prompt', ctx, time, { operation: 'chat', raw_type: 'vibes.prompt', prompt: { text: str(e.prompt_text) ?? '', role: 'user' } }, id, ref, attributes));
        break;
      case 'decision':
        events.push(make('agent.decision', ctx, time, { operation: 'execute_tool', raw_type: 'vibes.decision', decision: { action: 'approve', reason: str(e.rationale), by: 'agent' } }, id, ref, attributes));
        break;
      default:
        events.push(make('agent.telemetry', ctx, time, { raw_type: `vibes.${str(e.type) ?? 'entry'}` }, id, ref, attributes));
    }
  }
  for (const { rec, ref } of records) {
    report.annotations.records++;
    const type = str(rec.type) ?? 'untyped';
    bump(report.annotations.by_type, type);
    bump(report.annotations.annotation_ids, annotationIdCheck(rec));
    const restored = restoredEvent(rec, ref);
    if (restored === 'rejected') report.annotations.restore_rejected++;
    else if (restored) {
      report.annotations.restored_events++;
      events.push(restored);
      continue;
    }
    const time = isoTime(rec.timestamp) ?? fallbackTime;
    const sid = str(rec.session_id) ?? (type === 'delegation' ? str(rec.parent_session_id) : undefined);
    const ctx = ctxFor(sid, str(rec.environment_hash));
    const id = deterministicId('vibes', 'annotation', str(rec.annotation_id) ?? ref.slice(ref.lastIndexOf(':')), JSON.stringify(rec));
    const joined: Record<string, unknown> = {};
    for (const k of ['command_hash', 'prompt_hash', 'reasoning_hash', 'decision_hash', 'environment_hash']) {
      const h = str(rec[k]);
      if (!h) continue;
      const e = entries.get(h);
      if (e) joined[k.replace('_hash', '')] = e;
      else report.annotations.unresolved_refs++;
    }
    const attributes: Record<string, unknown> = { vibes: { record: rec, ...(Object.keys(joined).length ? { joined } : {}) } };
    if (type === 'line' || type === 'function') {
      const cmd = joined.command as Record<string, unknown> | undefined;
      const prompt = joined.prompt as Record<string, unknown> | undefined;
      const action = str(rec.action) as keyof typeof ACTION_INTENT | undefined;
      const agent: NonNullable<AwEvent['agent']> = { operation: 'execute_tool', raw_type: `vibes.${type}` };
      if (cmd) agent.tool = { name: str(cmd.command_type) ?? 'other', category: COMMAND_CATEGORY[str(cmd.command_type) ?? 'other'] ?? 'other', call_id: str(rec.command_hash), input: { command: cmd.command_text } };
      if (prompt) agent.prompt = { text: str(prompt.prompt_text) ?? '', role: 'user' };
      events.push(make('agent.file.edit', ctx, time, agent, id, ref, attributes, { path: str(rec.file_path) ?? '', intent: [action && ACTION_INTENT[action] ? ACTION_INTENT[action] : 'write'] }));
    } else if (type === 'session') {
      const kind = rec.event === 'end' ? 'agent.session.end' : 'agent.session.start';
      const c = ctx && rec.agent_name ? { ...ctx, agent: vibesAgentKind(str(rec.agent_name)) } : ctx;
      events.push(make(kind, c, time, { operation: 'invoke_agent', raw_type: 'vibes.session', ...(str(rec.agent_name) ? { agent_name: rec.agent_name as string } : {}) }, id, ref, attributes));
    } else if (type === 'delegation') {
      const child = str(rec.child_session_id);
      events.push(make('agent.subagent.spawn', ctx, time, { operation: 'create_agent', raw_type: 'vibes.delegation', subagent: { ...(child ? { session_id: child } : {}), ...(str(rec.task_description) ? { description: rec.task_description as string } : {}) } }, id, ref, attributes));
    } else if (type === 'edge') {
      events.push(make('agent.telemetry', ctx, time, { raw_type: 'vibes.edge' }, id, ref, attributes));
    } else bump(skipped, `annotation-${type}`);
  }
  if (!config && !manifest && !existsSync(annFile)) problems.push({ file: dir, line: 0, reason: 'not a VIBES directory (no config.json, manifest.json or annotations.jsonl)' });
  // Attestation (VERIFY DSSE): check subject digests against the files beside it.
  const att = readJson(join(dir, 'attestation.json'), problems);
  if (att && typeof att.payload === 'string') {
    files++;
    try {
      const stmt = JSON.parse(Buffer.from(att.payload, 'base64url').toString('utf8')) as { subject?: Array<{ name: string; digest?: { sha256?: string } }> };
      report.attestation = {
        subjects: (stmt.subject ?? []).map((s) => {
          const f = join(dir, s.name.replace(/^\.ai-audit\//, ''));
          const actual = existsSync(f) ? sha256Hex(readFileSync(f)) : undefined;
          return { name: s.name, expected: s.digest?.sha256, actual, ok: actual !== undefined && actual === s.digest?.sha256 };
        }),
      };
    } catch (err) {
      problems.push({ file: join(dir, 'attestation.json'), line: 1, reason: `attestation payload unreadable: ${(err as Error).message}` });
    }
  }
  return { result: { events, problems, files, lines, skipped }, report };
}
