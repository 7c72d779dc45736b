// Session attribution for kernel events. Keeps the process table of the tracked trees
// (parent at fork time, so daemonized children keep their ancestry), recognises agent
// processes with the signature catalog, learns each agent's own session id (environment
// marker, argv option, or the transcript file it creates), and stamps every event with its
// session, depth below the agent root and ancestry.
//
// Two bounded waits, both counted and marked:
//  - an event whose process is unknown yet (it arrived before its fork/exec) waits up to
//    `lateWaitMs`; when the process shows up it is attributed and flagged 'late_attribution';
//  - events of an agent session whose own id is not known yet are held up to `holdMs` /
//    `holdMax` so they carry the agent's id; on timeout they go out with AgentWarden's id
//    (flag 'session_id_generated').
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import type { AncestorRef, AwEvent } from '../../schema/index.js';
import { decodeArgv } from '../decode/index.js';
import type { AgentCatalog, CompiledSignature } from './catalog.js';

export interface AttributorOptions {
  catalog: AgentCatalog;
  holdMs?: number;
  holdMax?: number;
  lateWaitMs?: number;
  lateMax?: number;
  /** Maximum ancestors listed per event. */
  ancestryMax?: number;
  user?: string;
  now?: () => number;
  /** Called when a session starts, learns its id, or ends (live registry). */
  onSession?: (s: SessionInfo, what: 'start' | 'id' | 'end') => void;
}

export interface SessionInfo {
  key: string;
  id: string;
  id_source: 'marker' | 'argv' | 'path' | 'generated';
  agent: { kind: string; version?: string; name?: string };
  root_pid: number;
  parent_id?: string;
  started: string;
  ended?: string;
  events: number;
  processes: number;
  live_pids: number;
}

interface Proc {
  pid: number;
  parent?: number;
  exe?: string;
  argv?: string[];
  cwd?: string;
  uid?: number;
  markers?: Record<string, string>;
  session: string;
  exited: boolean;
}

interface Session {
  info: SessionInfo;
  sig?: CompiledSignature;
  idKnown: boolean;
  held: AwEvent[];
  heldSince: number;
  livePids: Set<number>;
  fileCheck?: { path: string; prefix: string; key: string };
}

export interface AttributorCounters {
  late_attributed: number;
  late_unresolved: number;
  held_released_generated: number;
  sessions: number;
}

export class Attributor {
  readonly counters: AttributorCounters = { late_attributed: 0, late_unresolved: 0, held_released_generated: 0, sessions: 0 };
  private procs = new Map<number, Proc>();
  private sessions = new Map<string, Session>();
  private late = new Map<number, { since: number; events: AwEvent[] }>();
  private lateCount = 0;
  private exitedOrder: number[] = [];
  private readonly o: Required<Omit<AttributorOptions, 'onSession' | 'user'>> & Pick<AttributorOptions, 'onSession' | 'user'>;

  constructor(opts: AttributorOptions) {
    this.o = { holdMs: 5000, holdMax: 50000, lateWaitMs: 500, lateMax: 20000, ancestryMax: 16, now: Date.now, ...opts };
  }

  /** Registers a tracked root (run's child, or an agent the daemon detected). Returns the session key. */
  addRoot(pid: number, info: { exe?: string; argv?: string[]; cwd?: string; uid?: number; parentPid?: number } = {}): string {
    const m = info.exe || info.argv ? this.o.catalog.match(info.exe, info.argv ?? []) : undefined;
    const key = this.newSession(pid, m?.sig, m ? this.o.catalog.version(m.sig, m.path, info.cwd) : undefined, undefined);
    this.procs.set(pid, { pid, parent: info.parentPid, exe: info.exe, argv: info.argv, cwd: info.cwd, uid: info.uid, session: key, exited: false });
    this.sessions.get(key)!.livePids.add(pid);
    if (m) this.idFromArgv(this.sessions.get(key)!, info.argv ?? []);
    return key;
  }

  /** Sessions known so far (live and ended). */
  list(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => ({ ...s.info, live_pids: s.livePids.size }));
  }

  private newSession(rootPid: number, sig: CompiledSignature | undefined, version: string | undefined, parent: Session | undefined): string {
    const key = `s${this.sessions.size + 1}:${rootPid}`;
    const info: SessionInfo = {
      key,
      id: randomUUID(),
      id_source: 'generated',
      agent: { kind: sig?.kind ?? 'unknown', ...(version ? { version } : {}), ...(sig?.name ? { name: sig.name } : {}) },
      root_pid: rootPid,
      ...(parent ? { parent_id: parent.info.id } : {}),
      started: new Date(this.o.now()).toISOString(),
      events: 0,
      processes: 1,
      live_pids: 1,
    };
    // Only agent sessions wait for the agent's own id; a plain tracked tree has none to learn.
    const hasIdSource = Boolean(sig && (sig.session_env?.length || sig.session_argv?.length || sig.session_path?.length));
    this.sessions.set(key, { info, sig, idKnown: !hasIdSource, held: [], heldSince: 0, livePids: new Set([rootPid]) });
    this.counters.sessions++;
    this.o.onSession?.(info, 'start');
    return key;
  }

  private setId(s: Session, id: string, source: SessionInfo['id_source'], out: (e: AwEvent) => void): void {
    if (s.idKnown || !id) return;
    s.info.id = id.slice(0, 200);
    s.info.id_source = source;
    s.idKnown = true;
    this.o.onSession?.(s.info, 'id');
    this.release(s, out, false);
  }

  private idFromArgv(s: Session, argv: string[]): void {
    for (const opt of s.sig?.session_argv ?? []) {
      const i = argv.indexOf(opt);
      if (i >= 0 && argv[i + 1] && !argv[i + 1].startsWith('-')) {
        s.info.id = argv[i + 1].slice(0, 200);
        s.info.id_source = 'argv';
        s.idKnown = true;
        return;
      }
      const eq = argv.find((a) => a.startsWith(`${opt}=`));
      if (eq) {
        s.info.id = eq.slice(opt.length + 1, opt.length + 201);
        s.info.id_source = 'argv';
        s.idKnown = true;
        return;
      }
    }
  }

  private release(s: Session, out: (e: AwEvent) => void, generated: boolean): void {
    const held = s.held;
    s.held = [];
    for (const e of held) {
      e.session!.id = s.info.id;
      if (generated) {
        this.counters.held_released_generated++;
        (e.process!.flags ??= []).push('session_id_generated');
      }
      out(e);
    }
  }

  private ancestry(p: Proc, rootPid: number): { depth: number; ancestry: AncestorRef[] } {
    const anc: AncestorRef[] = [];
    let depth = 0;
    let cur: Proc | undefined = p;
    const seen = new Set<number>();
    while (cur && cur.pid !== rootPid && cur.parent !== undefined && !seen.has(cur.pid)) {
      seen.add(cur.pid);
      depth++;
      const par = this.procs.get(cur.parent);
      if (anc.length < this.o.ancestryMax) anc.push({ pid: cur.parent, ...(par?.exe ? { exe: par.exe } : {}), ...(par?.argv?.[0] ? { argv0: par.argv[0] } : {}) });
      cur = par;
    }
    return { depth, ancestry: anc };
  }

  private stamp(e: AwEvent, p: Proc, late: boolean, out: (e: AwEvent) => void): void {
    const s = this.sessions.get(p.session)!;
    const proc = e.process!;
    if (e.kind !== 'process.exec') {
      if (p.exe && !proc.exe) proc.exe = p.exe;
      // the full argv is on the exec event; later events carry an abbreviation (an xargs
      // command line can be megabytes, repeated on each of its thousands of opens)
      if (p.argv && !proc.argv) {
        const short = abbreviate(p.argv);
        proc.argv = short;
        if (short !== p.argv) (proc.flags ??= []).push('argv_abbreviated');
      }
      if (p.cwd && !proc.cwd) proc.cwd = p.cwd;
      if (p.markers && !proc.env_markers) proc.env_markers = p.markers;
    }
    // the agent's transcript file names its session id
    if (!s.idKnown && e.file && s.sig?.pathRes.length) {
      for (const re of s.sig.pathRes) {
        const m = re.exec(e.file.path) ?? (e.file.target_path ? re.exec(e.file.target_path) : null);
        if (m?.[1]) {
          const file = m.input;
          if (s.sig.session_file_key) {
            // the name holds a prefix only: the full id is inside, once the agent wrote it
            s.fileCheck = { path: file, prefix: m[1], key: s.sig.session_file_key };
            this.checkFile(s, out);
          } else this.setId(s, m[1], 'path', out);
          break;
        }
      }
    }
    if (e.kind !== 'process.fork' && p.parent !== undefined) proc.ppid = p.parent;
    const { depth, ancestry } = this.ancestry(p, s.info.root_pid);
    proc.depth = depth;
    if (ancestry.length) proc.ancestry = ancestry;
    if (late) (proc.flags ??= []).push('late_attribution');
    // built by assignment: object spreads are a slow path in V8 (see records.ts)
    const agent: NonNullable<AwEvent['session']>['agent'] = { kind: s.info.agent.kind };
    if (s.info.agent.version) agent.version = s.info.agent.version;
    if (s.info.agent.name) agent.name = s.info.agent.name;
    const session: NonNullable<AwEvent['session']> = { id: s.info.id, agent, root_pid: s.info.root_pid, attribution: late ? 'late' : 'tree' };
    if (this.o.user) session.user = this.o.user;
    if (s.info.parent_id) session.parent_id = s.info.parent_id;
    e.session = session;
    s.info.events++;
    if (!s.idKnown) {
      if (!s.held.length) s.heldSince = this.o.now();
      s.held.push(e);
      if (s.held.length >= this.o.holdMax) {
        this.release(s, out, true);
        s.idKnown = true; // stop holding: the id stays ours
      }
      return;
    }
    out(e);
  }

  /** Attributes one event; emits zero or more events (held ones may come out later). */
  apply(e: AwEvent, out: (e: AwEvent) => void): void {
    const pid = e.process?.pid;
    if (pid === undefined) {
      out(e);
      return;
    }
    if (e.kind === 'process.fork') {
      const parentPid = e.process!.ppid!;
      const parent = this.procs.get(parentPid);
      if (!parent) {
        this.defer(parentPid, e);
        return;
      }
      const child: Proc = { pid, parent: parentPid, exe: parent.exe, argv: parent.argv, cwd: parent.cwd, uid: parent.uid, markers: parent.markers, session: parent.session, exited: false };
      this.procs.set(pid, child);
      const s = this.sessions.get(parent.session)!;
      s.livePids.add(pid);
      s.info.processes++;
      this.stamp(e, child, false, out);
      this.flushLate(pid, out);
      return;
    }
    let p = this.procs.get(pid);
    if (!p) {
      this.defer(pid, e);
      return;
    }
    if (e.kind === 'process.exec') p = this.exec(p, e, out);
    this.stamp(e, p, false, out);
    if (e.kind === 'process.exit') this.exit(p, out);
  }

  private exec(p: Proc, e: AwEvent, out: (e: AwEvent) => void): Proc {
    const proc = e.process!;
    p.exe = proc.exe;
    p.argv = proc.argv;
    p.cwd = proc.cwd;
    p.uid = proc.uid;
    if (proc.env_markers) p.markers = proc.env_markers;
    const decoded = decodeArgv(proc.argv ?? []);
    if (decoded.length) proc.decoded = decoded;
    const cur = this.sessions.get(p.session)!;
    const m = this.o.catalog.match(proc.exe, proc.argv ?? []);
    if (m && m.sig.kind !== cur.info.agent.kind && !(m.sig.nested === 'inherit' && cur.sig)) {
      const version = this.o.catalog.version(m.sig, m.path, proc.cwd);
      if (!cur.sig && cur.info.root_pid === p.pid) {
        // the tracked root itself turned out to be the agent (`run -- claude`, env node gemini)
        cur.sig = m.sig;
        cur.info.agent = { kind: m.sig.kind, ...(version ? { version } : {}), ...(m.sig.name ? { name: m.sig.name } : {}) };
        cur.idKnown = !(m.sig.session_env?.length || m.sig.session_argv?.length || m.sig.session_path?.length);
        this.idFromArgv(cur, proc.argv ?? []);
        this.o.onSession?.(cur.info, 'start');
      } else {
        cur.livePids.delete(p.pid);
        const key = this.newSession(p.pid, m.sig, version, cur);
        p.session = key;
        this.idFromArgv(this.sessions.get(key)!, proc.argv ?? []);
      }
    } else if (m && m.sig.kind === cur.info.agent.kind && !cur.info.agent.version) {
      const version = this.o.catalog.version(m.sig, m.path, proc.cwd);
      if (version) cur.info.agent.version = version;
    }
    // the agent exports its session id to its children
    const s = this.sessions.get(p.session)!;
    if (!s.idKnown && proc.env_markers) {
      for (const name of s.sig?.session_env ?? []) {
        const v = proc.env_markers[name];
        if (v) {
          this.setId(s, v, 'marker', out);
          break;
        }
      }
    }
    return p;
  }

  private exit(p: Proc, out: (e: AwEvent) => void): void {
    p.exited = true;
    const s = this.sessions.get(p.session);
    if (s) {
      s.livePids.delete(p.pid);
      if (p.pid === s.info.root_pid || s.livePids.size === 0) {
        if (!s.info.ended && s.livePids.size === 0) {
          s.info.ended = new Date(this.o.now()).toISOString();
          if (!s.idKnown) this.release(s, out, true);
          this.o.onSession?.(s.info, 'end');
        }
      }
    }
    this.exitedOrder.push(p.pid);
    // keep exited processes for ancestry of late events and descendants; bounded
    while (this.exitedOrder.length > 20000) {
      const old = this.exitedOrder.shift()!;
      const q = this.procs.get(old);
      if (q?.exited) this.procs.delete(old);
    }
  }

  private defer(pid: number, e: AwEvent): void {
    let l = this.late.get(pid);
    if (!l) {
      l = { since: this.o.now(), events: [] };
      this.late.set(pid, l);
    }
    l.events.push(e);
    this.lateCount++;
  }

  private flushLate(pid: number, out: (e: AwEvent) => void): void {
    const l = this.late.get(pid);
    if (!l) return;
    this.late.delete(pid);
    this.lateCount -= l.events.length;
    for (const e of l.events) {
      this.counters.late_attributed++;
      const p = this.procs.get(pid)!;
      this.stamp(e, p, true, out);
    }
  }

  private checkFile(s: Session, out: (e: AwEvent) => void, last = false): void {
    const fc = s.fileCheck;
    if (!fc || s.idKnown) return;
    try {
      const fd = openSync(fc.path, 'r');
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, 0);
      closeSync(fd);
      const first = buf.toString('utf8', 0, n).split('\n')[0];
      const v = (JSON.parse(first) as Record<string, unknown>)[fc.key];
      if (typeof v === 'string' && v.startsWith(fc.prefix)) {
        s.fileCheck = undefined;
        this.setId(s, v, 'path', out);
        return;
      }
    } catch {
      /* not written yet */
    }
    if (last) {
      s.fileCheck = undefined;
      this.setId(s, fc.prefix, 'path', out);
    }
  }

  /** Releases what waited too long. Call periodically (and with force at the end). */
  tick(out: (e: AwEvent) => void, force = false): void {
    const now = this.o.now();
    for (const [pid, l] of this.late) {
      if (!force && now - l.since < this.o.lateWaitMs && this.lateCount < this.o.lateMax) continue;
      this.late.delete(pid);
      this.lateCount -= l.events.length;
      // last resort: the parent from /proc, if it is a process we know
      const ppid = procParent(pid);
      const parent = ppid !== undefined ? this.procs.get(ppid) : undefined;
      const fallback = parent ?? this.procs.get(l.events.find((e) => e.process?.ppid !== undefined)?.process?.ppid ?? -1);
      if (fallback) {
        const p: Proc = { pid, parent: fallback.pid, exe: fallback.exe, argv: fallback.argv, cwd: fallback.cwd, session: fallback.session, exited: false };
        this.procs.set(pid, p);
        for (const e of l.events) {
          this.counters.late_attributed++;
          this.stamp(e, p, true, out);
        }
      } else {
        for (const e of l.events) {
          this.counters.late_unresolved++;
          (e.process!.flags ??= []).push('unattributed');
          e.session = undefined;
          out(e);
        }
      }
    }
    for (const s of this.sessions.values()) {
      if (s.fileCheck) this.checkFile(s, out, force || now - s.heldSince >= this.o.holdMs);
      if (!s.idKnown && s.held.length && (force || now - s.heldSince >= this.o.holdMs)) {
        this.release(s, out, true);
        s.idKnown = true; // the id stays ours from here on: one session, one id
      }
    }
  }
}

const ARGV_ABBREV_BYTES = 2048;

/** argv as is when short, else its first arguments within ARGV_ABBREV_BYTES and a count of the rest. */
function abbreviate(argv: string[]): string[] {
  let total = 0;
  for (const a of argv) total += a.length + 1;
  if (total <= ARGV_ABBREV_BYTES) return argv;
  const out: string[] = [];
  let used = 0;
  for (const a of argv) {
    if (used + a.length > ARGV_ABBREV_BYTES) break;
    out.push(a);
    used += a.length + 1;
  }
  if (!out.length) out.push(argv[0].slice(0, ARGV_ABBREV_BYTES));
  out.push(`... (${argv.length - out.length} more arguments; full argv on the process.exec event)`);
  return out;
}

function procParent(pid: number): number | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Basename helper for summaries. */
export function exeName(p: string | undefined): string {
  return p ? posix.basename(p) : '?';
}
