// Hunting across every session: which sessions touched a file, contacted a host, ran a
// command, used an MCP server or a model, or matched an IoC. Indexed columns (path, dest,
// kind) narrow the scan; the rest is a streaming filter.
import type { EventStore, StoredEvent } from '../../sinks/store/index.js';
import { commandLine, summarize, toolInputText } from '../common/classify.js';

export interface HuntQuery {
  file?: string;
  host?: string;
  command?: string;
  mcp?: string;
  model?: string;
  ioc?: string;
}

export interface HuntHit {
  session: string;
  agent?: string;
  matches: number;
  first_time: string;
  last_time: string;
  /** Which criteria matched and one example event each. */
  criteria: Record<string, { seq: number; summary: string }>;
}

type Acc = Map<string, HuntHit>;

function hit(acc: Acc, criterion: string, ev: StoredEvent, session = ev.session?.id) {
  if (!session) return;
  let h = acc.get(session);
  if (!h) {
    h = { session, agent: ev.session?.agent?.kind, matches: 0, first_time: ev.time, last_time: ev.time, criteria: {} };
    acc.set(session, h);
  }
  h.matches++;
  h.last_time = ev.time;
  h.criteria[criterion] ??= { seq: ev.seq, summary: summarize(ev).slice(0, 300) };
}

function mcpMatch(ev: StoredEvent, server: string): boolean {
  const t = ev.agent?.tool;
  if (!t) return false;
  return t.mcp_server === server || t.name.startsWith(`mcp__${server}__`);
}

export function hunt(store: EventStore, q: HuntQuery): HuntHit[] {
  const perCriterion: Array<{ name: string; acc: Acc }> = [];
  const run = (name: string, fn: (acc: Acc) => void) => {
    const acc: Acc = new Map();
    fn(acc);
    perCriterion.push({ name, acc });
  };
  if (q.file !== undefined) {
    const f = q.file;
    run('file', (acc) => {
      const prefix = f.endsWith('*') ? f.slice(0, -1) : f.endsWith('/') ? f : undefined;
      for (const ev of store.iterate(prefix !== undefined ? { pathPrefix: prefix } : { path: f })) hit(acc, 'file', ev);
      // Agent-level references (Read/Write/Edit tool inputs) too.
      for (const ev of store.iterate({ kinds: ['agent.tool.call', 'agent.file.edit'] })) {
        const p = (ev.agent?.tool?.input as { file_path?: unknown } | undefined)?.file_path ?? ev.file?.path;
        if (typeof p === 'string' && (prefix !== undefined ? p.startsWith(prefix) : p === f)) hit(acc, 'file', ev);
      }
    });
  }
  if (q.host !== undefined) {
    // HOST:PORT (not an IPv6 literal) narrows to the port.
    const hp = /^([^:[\]]+):(\d+)$/.exec(q.host) ?? /^\[(.+)]:(\d+)$/.exec(q.host);
    const host = hp ? hp[1] : q.host;
    const port = hp ? Number(hp[2]) : undefined;
    run('host', (acc) => {
      for (const ev of store.iterate({ dest: host, destPort: port })) hit(acc, 'host', ev);
      if (host.toLowerCase() !== host) for (const ev of store.iterate({ dest: host.toLowerCase(), destPort: port })) hit(acc, 'host', ev);
    });
  }
  if (q.command !== undefined) {
    const c = q.command;
    run('command', (acc) => {
      for (const ev of store.iterate({ kinds: ['process.exec'] })) {
        const line = commandLine(ev);
        if ((line && line.includes(c)) || ev.process?.decoded?.some((d) => d.text.includes(c))) hit(acc, 'command', ev);
      }
      for (const ev of store.iterate({ kinds: ['agent.tool.call'] })) if (toolInputText(ev).includes(c)) hit(acc, 'command', ev);
    });
  }
  if (q.mcp !== undefined) {
    const s = q.mcp;
    run('mcp', (acc) => {
      for (const ev of store.iterate({ kinds: ['agent.tool.call', 'agent.tool.result'] })) if (mcpMatch(ev, s)) hit(acc, 'mcp', ev);
    });
  }
  if (q.model !== undefined) {
    const m = q.model;
    run('model', (acc) => {
      for (const ev of store.iterate({ kindPrefix: 'agent.' })) if (ev.agent?.model === m) hit(acc, 'model', ev);
    });
  }
  if (q.ioc !== undefined) {
    const id = q.ioc;
    run('ioc', (acc) => {
      for (const ev of store.iterate({ kinds: ['alert'] })) {
        if (ev.alert?.ioc_id !== id) continue;
        const sessions = new Set<string>();
        if (ev.session?.id) sessions.add(ev.session.id);
        for (const s of ev.alert.trigger_seqs ?? []) {
          const t = store.get(s);
          if (t?.session?.id) sessions.add(t.session.id);
        }
        for (const s of sessions) hit(acc, 'ioc', ev, s);
      }
    });
  }
  if (!perCriterion.length) return [];
  // Sessions matching every given criterion.
  const [first, ...rest] = perCriterion;
  const out: HuntHit[] = [];
  for (const [sid, h] of first.acc) {
    if (!rest.every((r) => r.acc.has(sid))) continue;
    const merged = { ...h, criteria: { ...h.criteria } };
    for (const r of rest) {
      const o = r.acc.get(sid)!;
      merged.matches += o.matches;
      if (o.first_time < merged.first_time) merged.first_time = o.first_time;
      if (o.last_time > merged.last_time) merged.last_time = o.last_time;
      Object.assign(merged.criteria, o.criteria);
    }
    const s = store.sessions({ session: sid })[0];
    if (s?.agent_kind) merged.agent = s.agent_kind;
    out.push(merged);
  }
  return out.sort((a, b) => (a.first_time < b.first_time ? -1 : 1));
}
