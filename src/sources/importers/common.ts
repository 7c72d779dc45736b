// Shared parts of the session-log importers: the result shape, line problems
// (`file:line: reason`), recursive file discovery and the per-file reader interface that
// both `agentwarden import` (whole files) and the watchers (appended lines) drive.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AwEvent } from '../../schema/index.js';
import { normalizeHookPayload } from '../../transforms/normalize/hooks.js';

export interface ImportProblem {
  file: string;
  line: number;
  reason: string;
}

/** What reading one or more files produced. */
export interface ImportResult {
  events: AwEvent[];
  problems: ImportProblem[];
  files: number;
  lines: number;
  /** Records read but not mapped to an event, by record type (progress, snapshots, ...). */
  skipped: Record<string, number>;
}

export function emptyResult(): ImportResult {
  return { events: [], problems: [], files: 0, lines: 0, skipped: {} };
}

export function mergeResult(into: ImportResult, r: ImportResult): void {
  into.events.push(...r.events);
  into.problems.push(...r.problems);
  into.files += r.files;
  into.lines += r.lines;
  for (const [k, v] of Object.entries(r.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
}

export function formatProblem(p: ImportProblem): string {
  return `${p.file}:${p.line}: ${p.reason}`;
}

/** A reader fed one file's lines in order (stateful: tool names, seen ids, session). */
export interface LineReader {
  /** Handles one line (1-based number); returns the events it completes. */
  line(text: string, lineNo: number): AwEvent[];
  /** Events held back until the end of the file (formats where the last copy wins). */
  finish(): AwEvent[];
  readonly problems: ImportProblem[];
  readonly skipped: Record<string, number>;
}

/** Parses one JSON line into an object, or records why it cannot. */
export function parseObjectLine(text: string, file: string, lineNo: number, problems: ImportProblem[]): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    problems.push({ file, line: lineNo, reason: `not JSON: ${(err as Error).message}` });
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    problems.push({ file, line: lineNo, reason: 'not a JSON object' });
    return undefined;
  }
  return v as Record<string, unknown>;
}

/** Files under `path` (itself if a file) whose names pass `accept`, sorted for determinism. */
export function findFiles(path: string, accept: (name: string, full: string) => boolean): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 12) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const full = join(dir, n);
      let s;
      try {
        s = statSync(full);
      } catch {
        continue;
      }
      if (s.isDirectory()) walk(full, depth + 1);
      else if (s.isFile() && accept(n, full)) out.push(full);
    }
  };
  walk(path, 0);
  return out;
}

/** Splits text into lines and runs a reader over them. */
export function runReader(reader: LineReader, text: string, _file: string): ImportResult {
  const events: AwEvent[] = [];
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].replace(/\r$/, '');
    if (!l.trim()) continue;
    n++;
    events.push(...reader.line(l, i + 1));
  }
  events.push(...reader.finish());
  return { events, problems: reader.problems, files: 1, lines: n, skipped: reader.skipped };
}

export function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Appends `ev` unless an event with its id was already emitted (transcripts repeat records). */
export function emitOnce(seenIds: Set<string>, out: AwEvent[], ev: AwEvent): void {
  if (ev.id && seenIds.has(ev.id)) return;
  if (ev.id) seenIds.add(ev.id);
  out.push(ev);
}

/**
 * Hook payload logs (hooks.jsonl, probe captures) share every importer: a record with
 * `hook_event_name` goes through the hook normalizer. Undefined for any other record.
 */
export function hookLogEvents(agent: string, rec: Record<string, unknown>, seenIds: Set<string>, opts: { ref: string; time?: string; sourceName: string }): AwEvent[] | undefined {
  if (!str(rec.hook_event_name)) return undefined;
  const out: AwEvent[] = [];
  for (const ev of normalizeHookPayload(agent as Parameters<typeof normalizeHookPayload>[0], rec, opts)) {
    ev.source.type = 'import';
    emitOnce(seenIds, out, ev);
  }
  return out;
}
