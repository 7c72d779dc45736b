// Blast radius of a session or incident: every file read / written / deleted, credential
// read, endpoint contacted, process run, sub-agent spawned, tool used, and git commit made
// or pushed. This is the input of the containment playbooks.
import { formatTimeNs, type AwEvent } from '../../schema/index.js';
import type { EventStore } from '../../sinks/store/index.js';
import { commandLine, credentialKind, endpointOf, isDelete, isRead, isWrite } from '../common/classify.js';
import { scopeEvents, type Scope, type TimedEvent } from '../common/scope.js';
import { commitsInWindow, workspacesOf } from '../evidence/diff.js';

export interface Touch {
  path: string;
  count: number;
  first_time: string;
  first_seq: number;
  credential?: string;
}

export interface CredentialRead {
  path: string;
  kind: string;
  time: string;
  seq: number;
  session?: string;
  pid?: number;
  process?: string;
  tool_call_id?: string;
}

export interface Endpoint {
  endpoint: string;
  host?: string;
  ip?: string;
  port?: number;
  count: number;
  first_time: string;
  first_seq: number;
  processes: string[];
  after_credential_read: boolean;
}

export interface ProcessRun {
  pid: number;
  ppid?: number;
  command: string;
  exe?: string;
  time: string;
  seq: number;
  session?: string;
  ancestry?: string[];
}

export interface GitActivity {
  kind: 'commit' | 'push';
  command?: string;
  repo?: string;
  sha?: string;
  subject?: string;
  time: string;
  seq?: number;
}

export interface BlastRadius {
  scope: { kind: string; id: string; sessions: string[] };
  window: { start?: string; end?: string };
  events: number;
  files: { read: Touch[]; written: Touch[]; deleted: Touch[] };
  credentials: CredentialRead[];
  endpoints: Endpoint[];
  processes: ProcessRun[];
  subagents: Array<{ session_id?: string; agent_id?: string; description?: string; time: string; seq: number; parent_session?: string }>;
  tools: Array<{ name: string; calls: number; mcp_server?: string }>;
  models: string[];
  git: GitActivity[];
  workspaces: string[];
  alerts: Array<{ seq: number; severity: string; rule_id: string; ioc_id?: string; title: string }>;
}

function touch(map: Map<string, Touch>, path: string, ev: AwEvent & { seq: number }) {
  const t = map.get(path);
  if (t) t.count++;
  else map.set(path, { path, count: 1, first_time: ev.time, first_seq: ev.seq, credential: credentialKind(path) });
}

const GIT_SUB = /^(?:.*\/)?git$/;

/** Git subcommand of an exec (skipping global options like -C dir, -c k=v). */
function gitSub(argv: string[] | undefined): string | undefined {
  if (!argv?.length || !GIT_SUB.test(argv[0])) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-C' || a === '-c' || a === '--git-dir' || a === '--work-tree') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

export function blastRadiusOf(timed: TimedEvent[], scope: Scope, opts: { git?: boolean } = {}): BlastRadius {
  const read = new Map<string, Touch>();
  const written = new Map<string, Touch>();
  const deleted = new Map<string, Touch>();
  const creds: CredentialRead[] = [];
  const credSeen = new Set<string>();
  const endpoints = new Map<string, Endpoint>();
  const procs: ProcessRun[] = [];
  const subagents: BlastRadius['subagents'] = [];
  const tools = new Map<string, { name: string; calls: number; mcp_server?: string }>();
  const models = new Set<string>();
  const git: GitActivity[] = [];
  const alerts: BlastRadius['alerts'] = [];
  const exeOfPid = new Map<number, string>();
  let firstCredSeq = Infinity;
  for (const { ev } of timed) {
    const k = ev.kind;
    if (ev.agent?.model) models.add(ev.agent.model);
    if (k === 'alert' && ev.alert) {
      alerts.push({ seq: ev.seq, severity: ev.alert.severity, rule_id: ev.alert.rule_id, ioc_id: ev.alert.ioc_id, title: ev.alert.title });
      continue;
    }
    if (k === 'process.exec') {
      const p = ev.process;
      if (!p) continue;
      const command = commandLine(ev) ?? '';
      exeOfPid.set(p.pid, command);
      procs.push({ pid: p.pid, ppid: p.ppid, command, exe: p.exe, time: ev.time, seq: ev.seq, session: ev.session?.id, ancestry: p.ancestry?.map((a) => `${a.pid}:${a.argv0 ?? a.exe ?? ''}`) });
      const sub = gitSub(p.argv);
      if (sub === 'commit' || sub === 'push') git.push({ kind: sub, command, repo: p.cwd, time: ev.time, seq: ev.seq });
      continue;
    }
    if (ev.file && (k.startsWith('file.') || k === 'agent.file.edit')) {
      const path = ev.file.path;
      if (isDelete(ev)) touch(deleted, path, ev);
      else if (isWrite(ev)) touch(written, path, ev);
      else if (isRead(ev) || k === 'file.open') touch(read, path, ev);
      if (ev.kind === 'file.rename' && ev.file.target_path) touch(written, ev.file.target_path, ev);
      const ck = credentialKind(path);
      if (ck && !isWrite(ev) && !isDelete(ev)) {
        firstCredSeq = Math.min(firstCredSeq, ev.seq);
        const key = `${path}\u0000${ev.process?.pid ?? ''}`;
        if (!credSeen.has(key)) {
          credSeen.add(key);
          creds.push({ path, kind: ck, time: ev.time, seq: ev.seq, session: ev.session?.id, pid: ev.process?.pid, process: ev.process?.argv?.join(' ') ?? ev.process?.exe ?? (ev.process ? exeOfPid.get(ev.process.pid) : undefined), tool_call_id: ev.session?.tool_call_id });
        }
      }
      continue;
    }
    if (k.startsWith('network.') || (k.startsWith('gateway.') && ev.gateway?.http)) {
      const e = endpointOf(ev);
      if (!e) continue;
      const cur = endpoints.get(e);
      const proc = ev.process ? `${ev.process.pid}:${ev.process.argv?.[0] ?? ev.process.exe ?? exeOfPid.get(ev.process.pid) ?? ''}` : undefined;
      if (cur) {
        cur.count++;
        if (proc && !cur.processes.includes(proc)) cur.processes.push(proc);
        if (ev.seq > firstCredSeq) cur.after_credential_read = true;
      } else {
        endpoints.set(e, { endpoint: e, host: ev.network?.dst_host ?? ev.dns?.query ?? ev.tls?.sni ?? ev.gateway?.http?.host, ip: ev.network?.dst_ip, port: ev.network?.dst_port, count: 1, first_time: ev.time, first_seq: ev.seq, processes: proc ? [proc] : [], after_credential_read: ev.seq > firstCredSeq });
      }
      continue;
    }
    if (k === 'agent.tool.call' && ev.agent?.tool) {
      const t = ev.agent.tool;
      const key = `${t.name}\u0000${t.mcp_server ?? ''}`;
      const cur = tools.get(key);
      if (cur) cur.calls++;
      else tools.set(key, { name: t.name, calls: 1, mcp_server: t.mcp_server });
      continue;
    }
    if (k === 'agent.subagent.spawn') {
      const s = ev.agent?.subagent;
      subagents.push({ session_id: s?.session_id, agent_id: s?.agent_id, description: s?.description, time: ev.time, seq: ev.seq, parent_session: ev.session?.id });
    }
  }
  // Sessions that are children of the scope's sessions count as spawned sub-agents too.
  const seenSub = new Set(subagents.map((s) => s.session_id));
  for (const { ev } of timed) {
    const pid = ev.session?.parent_id;
    if (pid && ev.session && !seenSub.has(ev.session.id) && scope.sessions.includes(ev.session.id)) {
      seenSub.add(ev.session.id);
      subagents.push({ session_id: ev.session.id, agent_id: ev.session.agent.name, time: ev.time, seq: ev.seq, parent_session: pid });
    }
  }
  const events = timed.map((t) => t.ev);
  const workspaces = opts.git === false ? [] : workspacesOf(events);
  const start = timed.length ? formatTimeNs(timed[0].ns) : undefined;
  if (opts.git !== false && start) {
    const known = new Set<string>();
    for (const repo of workspaces) {
      for (const c of commitsInWindow(repo, start)) {
        if (known.has(c.sha)) continue;
        known.add(c.sha);
        git.push({ kind: 'commit', repo, sha: c.sha, subject: c.subject, time: c.time });
      }
    }
  }
  return {
    scope: { kind: scope.kind, id: scope.id, sessions: scope.sessions },
    window: { start, end: timed.length ? formatTimeNs(timed[timed.length - 1].ns) : undefined },
    events: timed.length,
    files: { read: [...read.values()], written: [...written.values()], deleted: [...deleted.values()] },
    credentials: creds,
    endpoints: [...endpoints.values()],
    processes: procs,
    subagents,
    tools: [...tools.values()].sort((a, b) => b.calls - a.calls),
    models: [...models].sort(),
    git,
    workspaces,
    alerts,
  };
}

export function blastRadius(store: EventStore, scope: Scope, opts: { git?: boolean } = {}): BlastRadius {
  return blastRadiusOf(scopeEvents(store, scope), scope, opts);
}
