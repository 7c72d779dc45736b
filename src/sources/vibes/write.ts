// VIBES export: writes a .ai-audit/ directory (config.json, manifest.json,
// annotations.jsonl) for a session from our records. Native VIBES fields carry what VIBES
// can express (environment, prompts, commands, reasoning as the agent's text, decisions,
// session/line/delegation/edge records); each annotation also carries `x_agentwarden`
// with the original event so our own importer restores it exactly (other readers ignore
// unknown fields). Manifest keys use rule B (type included, recursive key sort).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwEvent } from '../../schema/index.js';
import { toolCommandText } from '../../transforms/normalize/vocabulary.js';
import { annotationId, manifestHashB } from './hash.js';

const COMMAND_TYPE: Record<string, string> = { shell: 'shell', file_write: 'file_write', file_read: 'file_read', web_fetch: 'api_call', mcp: 'tool_use', subagent: 'tool_use', search: 'tool_use', other: 'other' };

function summary(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 200 ? s.slice(0, 200) : s;
}

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

export interface VibesExportResult {
  dir: string;
  annotations: number;
  entries: number;
}

/** Writes `events` (one session and its sub-sessions) as a VIBES directory at `outDir`. */
export function exportVibes(events: readonly AwEvent[], outDir: string, opts: { projectName?: string } = {}): VibesExportResult {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const entries: Record<string, Record<string, unknown>> = {};
  const put = (e: Record<string, unknown>): string => {
    const k = manifestHashB(e);
    if (!entries[k]) entries[k] = e;
    return k;
  };
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : (a.seq ?? 0) - (b.seq ?? 0)));
  const envOf = new Map<string, string>();
  const results = new Map<string, AwEvent>();
  for (const ev of sorted) if (ev.kind === 'agent.tool.result' && ev.agent?.tool?.call_id) results.set(ev.agent.tool.call_id, ev);
  const commandOf = new Map<string, string>();
  const lastPrompt = new Map<string, string>();
  const lines: string[] = [];
  for (const ev of sorted) {
    const { seq: _seq, ...event } = ev as AwEvent & { seq?: number };
    // Sealed originals (cleartext behind redaction commitments) never leave the store.
    if (event.attributes && 'aw_sealed' in event.attributes) {
      const { aw_sealed: _sealed, ...attrs } = event.attributes;
      event.attributes = attrs;
    }
    const sid = ev.session?.id ?? null;
    let envHash: string | null = null;
    if (ev.session) {
      const ek = `${ev.session.agent.kind}\u0000${ev.session.agent.version ?? ''}\u0000${ev.agent?.model ?? ''}`;
      envHash = envOf.get(ek) ?? null;
      if (!envHash) {
        envHash = put({ type: 'environment', tool_name: ev.session.agent.kind, tool_version: ev.session.agent.version ?? 'unknown', model_name: ev.agent?.model ?? 'unknown', model_version: ev.agent?.model ?? 'unknown', model_parameters: null, tool_extensions: null, created_at: ev.time });
        envOf.set(ek, envHash);
      }
    }
    // Entries named here are restored from x_agentwarden and not re-emitted on import.
    const used: string[] = envHash ? [envHash] : [];
    let rec: Record<string, unknown>;
    const a = ev.agent;
    if (ev.kind === 'agent.session.start' || ev.kind === 'agent.session.end') {
      rec = { type: 'session', event: ev.kind === 'agent.session.end' ? 'end' : 'start', session_id: sid, timestamp: ev.time, environment_hash: envHash, assurance_level: 'high', description: `${ev.session?.agent.kind ?? 'agent'} session`, parent_session_id: ev.session?.parent_id ?? null, agent_name: ev.session?.agent.kind ?? 'unknown', agent_type: ev.session?.parent_id ? 'worker' : 'orchestrator' };
    } else if (ev.kind === 'agent.subagent.spawn') {
      rec = { type: 'delegation', parent_session_id: sid, child_session_id: a?.subagent?.session_id ?? a?.subagent?.agent_id ?? null, timestamp: ev.time, task_description: a?.subagent?.description ?? null, delegation_type: 'task', parent_environment_hash: envHash };
    } else if (ev.kind === 'agent.file.edit') {
      const cmd = a?.tool?.call_id ? commandOf.get(a.tool.call_id) ?? null : null;
      const intent = ev.file?.intent?.[0];
      rec = { type: 'line', file_path: ev.file?.path ?? '', line_start: 1, line_end: 1, environment_hash: envHash, command_hash: cmd, prompt_hash: sid ? lastPrompt.get(sid) ?? null : null, reasoning_hash: null, decision_hash: null, action: intent === 'create' ? 'create' : intent === 'delete' ? 'delete' : 'modify', timestamp: ev.time, commit_hash: null, session_id: sid, assurance_level: 'high' };
    } else {
      let target: string | null = null;
      if (ev.kind === 'agent.prompt') {
        target = put({ type: 'prompt', prompt_text: a?.prompt?.text ?? '', prompt_type: 'user_instruction', prompt_context_files: null, created_at: ev.time });
        if (sid) lastPrompt.set(sid, target);
      } else if (ev.kind === 'agent.tool.call' && a?.tool) {
        const r = a.tool.call_id ? results.get(a.tool.call_id) : undefined;
        target = put({ type: 'command', command_text: toolCommandText(a.tool.input) ?? `${a.tool.name} ${JSON.stringify(a.tool.input ?? {})}`, command_type: COMMAND_TYPE[a.tool.category ?? 'other'] ?? 'other', command_exit_code: r?.agent?.tool?.exit_code ?? null, command_output_summary: summary(r?.agent?.tool?.output), working_directory: typeof ev.attributes?.cwd === 'string' ? ev.attributes.cwd : null, created_at: ev.time });
        if (a.tool.call_id) commandOf.set(a.tool.call_id, target);
      } else if (ev.kind === 'agent.response') {
        target = put({ type: 'reasoning', reasoning_text: a?.response?.text ?? null, reasoning_text_compressed: null, compressed: null, external: null, blob_path: null, reasoning_token_count: null, reasoning_model: a?.model ?? null, created_at: ev.time });
      } else if (ev.kind === 'agent.decision' && a?.decision) {
        target = put({ type: 'decision', decision_point: a.tool?.name ?? a.raw_type ?? 'decision', options: [{ id: a.decision.action, description: a.decision.reason ?? a.decision.action }], selected: a.decision.action, rationale: a.decision.reason ?? '', created_at: ev.time });
      }
      if (target) used.push(target);
      rec = { type: 'edge', edge_type: 'informed_by', source_ref: sid ?? '', source_type: 'session', target_ref: target ?? ev.id ?? '', target_type: target ? 'context' : 'annotation', timestamp: ev.time, ...(sid ? { session_id: sid } : {}), metadata: { kind: ev.kind, ...(a?.tool?.call_id ? { tool_call_id: a.tool.call_id } : {}) } };
    }
    rec.x_agentwarden = { event, ...(used.length ? { entries: used } : {}) };
    rec.annotation_id = annotationId(rec);
    lines.push(JSON.stringify(rec));
  }
  const config = { standard: 'VIBES', standard_version: '1.0', assurance_level: 'high', project_name: opts.projectName ?? 'agentwarden-export', tracked_extensions: [], exclude_patterns: [], compress_reasoning_threshold_bytes: 10240, external_blob_threshold_bytes: 102400 };
  writeAtomic(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeAtomic(join(outDir, 'manifest.json'), `${JSON.stringify({ standard: 'VIBES', version: '1.0', entries }, null, 2)}\n`);
  writeAtomic(join(outDir, 'annotations.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
  writeAtomic(join(outDir, '.gitignore'), 'audit.db\n');
  return { dir: outDir, annotations: lines.length, entries: Object.keys(entries).length };
}

/** The agent events of a session and of every sub-agent session below it. */
export function sessionTreeEvents(iter: Iterable<AwEvent>, root: string): AwEvent[] {
  const all: AwEvent[] = [];
  const parentOf = new Map<string, string>();
  for (const ev of iter) {
    if (!ev.session) continue;
    all.push(ev);
    if (ev.session.parent_id) parentOf.set(ev.session.id, ev.session.parent_id);
    if (ev.kind === 'agent.subagent.spawn' && ev.agent?.subagent?.session_id) parentOf.set(ev.agent.subagent.session_id, ev.session.id);
  }
  const inTree = (sid: string): boolean => {
    for (let s: string | undefined = sid, n = 0; s && n < 32; s = parentOf.get(s), n++) if (s === root) return true;
    return false;
  };
  return all.filter((e) => inTree(e.session!.id));
}
