// The daemon's watchers: tail the agents' session logs in their default locations and
// emit normalized events as lines are appended. Polling (stat + read from the last
// offset) rather than fs.watch: recursive inotify watches miss files created in new
// subdirectories (Codex writes sessions/YYYY/MM/DD/), and a poll per second is cheap for
// the few hundred files these directories hold. Only complete lines are read; a partial
// last line waits for the next poll. Whole-document files (Gemini legacy .json) are
// re-read when they change; deterministic ids plus a per-file seen set keep re-reads from
// emitting anything twice.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DaemonContext, DaemonService } from '../../daemon/service.js';
import type { AwEvent } from '../../schema/index.js';
import type { SupportedAgent } from '../../transforms/normalize/vocabulary.js';
import type { LineReader } from './common.js';
import { findFiles } from './common.js';
import type { AgentLogsConfig } from './config.js';
import { readGeminiJson } from './gemini.js';
import { acceptsFile, readerFor } from './import.js';

export function defaultLogDirs(home = homedir()): Record<SupportedAgent, string[]> {
  return {
    'claude-code': [join(home, '.claude', 'projects')],
    codex: [join(process.env.CODEX_HOME ?? join(home, '.codex'), 'sessions')],
    'gemini-cli': [join(home, '.gemini', 'tmp')],
    cursor: [join(home, '.cursor', 'projects')],
  };
}

interface Tail {
  agent: SupportedAgent;
  offset: number;
  /** Where reading started, and how many lines precede it (counted only when a problem needs a line number). */
  baseOffset: number;
  baseLines?: number;
  partial: string;
  lineNo: number;
  reader?: LineReader;
  mtimeMs: number;
  size: number;
  idlePolls: number;
  seen: Set<string>;
}

export class AgentLogWatcher implements DaemonService {
  readonly name = 'agent-log-watcher';
  private ctx: DaemonContext | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly tails = new Map<string, Tail>();
  private readonly dirs: Record<SupportedAgent, string[]>;
  private first = true;
  private busy = false;
  readonly counters = { files: 0, lines: 0, events: 0, malformed: 0, polls: 0, read_errors: 0 };

  constructor(
    private readonly cfg: AgentLogsConfig = {},
    home?: string,
  ) {
    const d = defaultLogDirs(home);
    this.dirs = {
      'claude-code': cfg.claude ?? d['claude-code'],
      codex: cfg.codex ?? d.codex,
      'gemini-cli': cfg.gemini ?? d['gemini-cli'],
      cursor: cfg.cursor ?? d.cursor,
    };
  }

  async start(ctx: DaemonContext): Promise<void> {
    this.ctx = ctx;
    this.poll();
    this.timer = setInterval(() => this.poll(), this.cfg.poll_ms ?? 1000);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Flush what readers held back (Codex results waiting for their exit code).
    for (const [file, t] of this.tails) if (t.reader) this.emitAll(file, t, t.reader.finish());
  }

  status(): Record<string, unknown> {
    return { watched_dirs: this.dirs, ...this.counters };
  }

  /** One scan over every directory; public so tests and `agentwarden run` can drive it. */
  poll(): void {
    if (this.busy) return;
    this.busy = true;
    try {
      this.counters.polls++;
      for (const agent of Object.keys(this.dirs) as SupportedAgent[]) {
        for (const dir of this.dirs[agent]) {
          let files: string[];
          try {
            // ~/.cursor/projects holds other JSONL (tool logs); only agent transcripts are read.
            files = findFiles(dir, (n, full) => acceptsFile(agent, n) && (agent !== 'cursor' || full.includes('/agent-transcripts/')));
          } catch {
            continue; // directory not there (yet)
          }
          for (const f of files) this.visit(agent, f);
        }
      }
      this.first = false;
    } finally {
      this.busy = false;
    }
  }

  private emitAll(file: string, t: Tail, events: AwEvent[]): void {
    for (const ev of events) {
      if (ev.id) {
        if (t.seen.has(ev.id)) continue;
        t.seen.add(ev.id);
      }
      this.counters.events++;
      this.ctx?.emit(ev);
    }
    const problems = t.reader?.problems;
    if (problems?.length) {
      // Line numbers are relative to where tailing began; count the lines before it once.
      t.baseLines ??= countLines(file, t.baseOffset);
      for (const p of problems.splice(0)) {
        this.counters.malformed++;
        this.ctx?.log(`${file}:${p.line + t.baseLines}: ${p.reason}`);
      }
    }
  }

  private visit(agent: SupportedAgent, file: string): void {
    let st;
    try {
      st = statSync(file);
    } catch {
      return;
    }
    let t = this.tails.get(file);
    if (!t) {
      const skipExisting = this.first && (this.cfg.existing ?? 'end') === 'end';
      const start = skipExisting ? st.size : 0;
      t = { agent, offset: start, baseOffset: start, baseLines: start === 0 ? 0 : undefined, partial: '', lineNo: 0, mtimeMs: skipExisting ? st.mtimeMs : 0, size: skipExisting ? st.size : -1, idlePolls: 0, seen: new Set() };
      this.tails.set(file, t);
      this.counters.files++;
    }
    if (file.endsWith('.json')) {
      // Whole-document format: re-read on change.
      if (st.mtimeMs === t.mtimeMs && st.size === t.size) return;
      t.mtimeMs = st.mtimeMs;
      t.size = st.size;
      try {
        const r = readGeminiJson(readFileSync(file, 'utf8'), file);
        if (r.problems.length === 0) this.emitAll(file, t, r.events);
      } catch {
        this.counters.read_errors++;
      }
      return;
    }
    if (st.size < t.offset) {
      // Truncated or replaced: start over (ids keep this from duplicating).
      t.offset = 0;
      t.baseOffset = 0;
      t.baseLines = 0;
      t.partial = '';
      t.lineNo = 0;
      t.reader = undefined;
    }
    if (st.size === t.offset) {
      if (t.reader && ++t.idlePolls === 5) this.emitAll(file, t, t.reader.finish());
      return;
    }
    t.idlePolls = 0;
    let text: string;
    try {
      const fd = openSync(file, 'r');
      try {
        const len = st.size - t.offset;
        const buf = Buffer.alloc(len);
        const n = readSync(fd, buf, 0, len, t.offset);
        text = buf.subarray(0, n).toString('utf8');
        t.offset += n;
      } finally {
        closeSync(fd);
      }
    } catch {
      this.counters.read_errors++;
      return;
    }
    const chunk = t.partial + text;
    const lines = chunk.split('\n');
    t.partial = lines.pop() ?? '';
    t.reader ??= readerFor(agent, file, true);
    const out: AwEvent[] = [];
    for (const l of lines) {
      t.lineNo++;
      const line = l.replace(/\r$/, '');
      if (!line.trim()) continue;
      this.counters.lines++;
      out.push(...t.reader.line(line, t.lineNo));
    }
    this.emitAll(file, t, out);
  }
}

function countLines(file: string, size: number): number {
  try {
    const buf = readFileSync(file).subarray(0, size);
    let n = 0;
    for (const b of buf) if (b === 10) n++;
    return n;
  } catch {
    return 0;
  }
}
