// The field vocabulary of rule conditions: every normalized field of AwEvent by its dotted
// name, plus a few derived fields (process.name, process.cmdline, process.parent.*, file.name,
// net.dest, agent.text ...). A getter is compiled once per field reference; arrays met on the
// way are flattened, so an operator over an array field matches when any element matches
// (Falco's `proc.aname` without an index).
import type { AwEvent } from '../schema/index.js';
import type { Getter } from './types.js';

/** Every concrete field path of the normalized event (src/schema/event.ts). */
const EVENT_FIELDS = [
  'v', 'id', 'seq', 'time', 'kind',
  'host.name', 'host.id', 'host.os', 'host.group',
  'source.type', 'source.name', 'source.ref',
  'session.id', 'session.agent.kind', 'session.agent.version', 'session.agent.name', 'session.root_pid', 'session.user',
  'session.attribution', 'session.tool_call_id', 'session.parent_id',
  'process.pid', 'process.ppid', 'process.tid', 'process.exe', 'process.argv', 'process.cwd', 'process.uid', 'process.gid',
  'process.start_time', 'process.depth', 'process.ancestry.pid', 'process.ancestry.exe', 'process.ancestry.argv0',
  'process.exit_code', 'process.decoded.via', 'process.decoded.text', 'process.flags',
  'file.path', 'file.target_path', 'file.intent', 'file.flags', 'file.mode', 'file.owner_uid', 'file.owner_gid', 'file.size',
  'file.sha256', 'file.persistence',
  'network.transport', 'network.family', 'network.direction', 'network.dst_ip', 'network.dst_port', 'network.src_ip',
  'network.src_port', 'network.dst_host', 'network.bytes_out', 'network.bytes_in',
  'dns.query', 'dns.qtype', 'dns.answers', 'dns.server',
  'tls.sni', 'tls.version', 'tls.alpn',
  'library.path',
  'registry.key', 'registry.value', 'registry.data', 'registry.operation',
  'agent.operation', 'agent.conversation_id', 'agent.agent_id', 'agent.agent_name', 'agent.model', 'agent.provider',
  'agent.prompt.text', 'agent.prompt.role', 'agent.response.text', 'agent.response.finish_reason',
  'agent.tool.name', 'agent.tool.call_id', 'agent.tool.category', 'agent.tool.input', 'agent.tool.output', 'agent.tool.status',
  'agent.tool.duration_ms', 'agent.tool.mcp_server',
  'agent.subagent.session_id', 'agent.subagent.agent_id', 'agent.subagent.parent_tool_call_id', 'agent.subagent.description',
  'agent.decision.action', 'agent.decision.reason', 'agent.decision.by', 'agent.decision.rule_id',
  'agent.usage.input_tokens', 'agent.usage.output_tokens', 'agent.raw_type',
  'gateway.protocol', 'gateway.connection_id', 'gateway.identity.subject', 'gateway.identity.groups', 'gateway.identity.issuer',
  'gateway.database', 'gateway.upstream', 'gateway.statement.text', 'gateway.statement.fingerprint', 'gateway.statement.protocol',
  'gateway.http.method', 'gateway.http.url', 'gateway.http.host', 'gateway.http.status', 'gateway.decision', 'gateway.reason',
  'gateway.rows', 'gateway.masked.column', 'gateway.masked.detector', 'gateway.masked.count', 'gateway.duration_us',
  'alert.rule_id', 'alert.title', 'alert.severity', 'alert.ioc_id', 'alert.trigger_seqs', 'alert.trigger_ids', 'alert.action',
  'alert.confidence', 'alert.tags', 'alert.attack', 'alert.atlas', 'alert.message',
  'sensor.name', 'sensor.state', 'sensor.message',
] as const;

/** Prefixes under which any sub-path is accepted (free-form objects). */
const OPEN_PREFIXES = ['attributes.', 'agent.tool.input.', 'agent.tool.output.', 'process.env_markers.', 'sensor.drops.'];

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i > 0 ? p.slice(0, i) : i === 0 ? p.slice(0, 1) : '';
}

// Many rules read the same tool input as text: serialize each object once (weakly held).
const textMemo = new WeakMap<object, string | undefined>();

function textOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') return String(v);
  if (textMemo.has(v)) return textMemo.get(v);
  let t: string | undefined;
  try {
    t = JSON.stringify(v);
  } catch {
    t = undefined;
  }
  textMemo.set(v, t);
  return t;
}

function isUnder(path: string, dir: string): boolean {
  if (!dir) return false;
  const d = dir.endsWith('/') ? dir : dir + '/';
  return path === dir || path.startsWith(d);
}

function procName(ev: AwEvent): string | undefined {
  const p = ev.process;
  if (!p) return undefined;
  if (p.exe) return basename(p.exe);
  const a0 = p.argv?.[0];
  return a0 ? basename(a0) : undefined;
}

function ancestorName(a: { exe?: string; argv0?: string }): string | undefined {
  return a.exe ? basename(a.exe) : a.argv0 ? basename(a.argv0) : undefined;
}

/** Derived fields: name -> getter. */
const DERIVED: Record<string, Getter> = {
  'event.kind': (ev) => ev.kind,
  'process.name': procName,
  'process.cmdline': (ev) => ev.process?.argv?.join(' '),
  'process.args': (ev) => ev.process?.argv?.slice(1).join(' '),
  /** The command line and every decoded layer (encoded commands are matched decoded too). */
  'process.text': (ev) => {
    const p = ev.process;
    if (!p) return undefined;
    const out: string[] = [];
    if (p.argv?.length) out.push(p.argv.join(' '));
    if (p.decoded) for (const d of p.decoded) out.push(d.text);
    return out;
  },
  'process.parent.exe': (ev) => ev.process?.ancestry?.[0]?.exe,
  'process.parent.name': (ev) => {
    const a = ev.process?.ancestry?.[0];
    return a ? ancestorName(a) : undefined;
  },
  'process.parent.pid': (ev) => ev.process?.ancestry?.[0]?.pid ?? ev.process?.ppid,
  'process.ancestors.exe': (ev) => ev.process?.ancestry?.map((a) => a.exe).filter((x) => x !== undefined),
  'process.ancestors.name': (ev) => ev.process?.ancestry?.map(ancestorName).filter((x) => x !== undefined),
  'process.ancestors.pid': (ev) => ev.process?.ancestry?.map((a) => a.pid),
  'process.ancestors.count': (ev) => ev.process?.ancestry?.length ?? 0,
  'file.name': (ev) => (ev.file ? basename(ev.file.path) : undefined),
  'file.dir': (ev) => (ev.file ? dirname(ev.file.path) : undefined),
  'file.ext': (ev) => {
    if (!ev.file) return undefined;
    const b = basename(ev.file.path);
    const i = b.lastIndexOf('.');
    return i > 0 ? b.slice(i + 1) : '';
  },
  /** Both paths of the event (rename source and target). */
  'file.paths': (ev) => (ev.file ? (ev.file.target_path ? [ev.file.path, ev.file.target_path] : ev.file.path) : undefined),
  'file.outside_workspace': (ev, cx) => {
    if (!ev.file) return undefined;
    const ws = cx.workspaceOf(ev);
    if (!ws) return undefined;
    if (!isUnder(ev.file.path, ws)) return true;
    return ev.file.target_path !== undefined && !isUnder(ev.file.target_path, ws);
  },
  'session.workspace': (ev, cx) => cx.workspaceOf(ev),
  'process.cwd_outside_workspace': (ev, cx) => {
    const ws = cx.workspaceOf(ev);
    const cwd = ev.process?.cwd;
    return ws && cwd ? !isUnder(cwd, ws) : undefined;
  },
  /** Every destination name or address the event names. */
  'net.dest': (ev) => {
    const out: string[] = [];
    if (ev.network?.dst_host) out.push(ev.network.dst_host);
    if (ev.network?.dst_ip) out.push(ev.network.dst_ip);
    if (ev.dns?.query) out.push(ev.dns.query);
    if (ev.tls?.sni) out.push(ev.tls.sni);
    if (ev.gateway?.http?.host) out.push(ev.gateway.http.host);
    return out;
  },
  'net.dest_host': (ev) => ev.network?.dst_host ?? ev.tls?.sni ?? ev.dns?.query ?? ev.gateway?.http?.host,
  'agent.tool.input_text': (ev) => textOf(ev.agent?.tool?.input),
  'agent.tool.output_text': (ev) => textOf(ev.agent?.tool?.output),
  /** Content the model reads or writes: prompt, response, tool output. */
  'agent.text': (ev) => {
    const a = ev.agent;
    if (!a) return undefined;
    const out: string[] = [];
    if (a.prompt?.text) out.push(a.prompt.text);
    if (a.response?.text) out.push(a.response.text);
    const o = textOf(a.tool?.output);
    if (o) out.push(o);
    return out;
  },
  /** For a spawn event: the depth of the session being created (root session = 0). */
  'agent.subagent.depth': (ev, cx) => (ev.kind === 'agent.subagent.spawn' && ev.session ? cx.depthOf(ev.session.id) + 1 : undefined),
  'session.depth': (ev, cx) => (ev.session ? cx.depthOf(ev.session.id) : undefined),
  /** The file a file tool names (Claude file_path, Gemini absolute_path, generic path). */
  'agent.tool.path': (ev) => toolPath(ev),
  'agent.tool.path_outside_workspace': (ev, cx) => {
    const p = toolPath(ev);
    const ws = cx.workspaceOf(ev);
    return p && ws && p.startsWith('/') ? !isUnder(p, ws) : undefined;
  },
  'library.in_workspace': (ev, cx) => {
    const ws = cx.workspaceOf(ev);
    return ev.library && ws ? isUnder(ev.library.path, ws) : undefined;
  },
};

function toolPath(ev: AwEvent): string | undefined {
  const i = ev.agent?.tool?.input;
  if (!i || typeof i !== 'object') return undefined;
  const o = i as Record<string, unknown>;
  const v = o.file_path ?? o.absolute_path ?? o.notebook_path ?? o.path ?? o.filename;
  return typeof v === 'string' ? v : undefined;
}

const KNOWN = new Set<string>([...EVENT_FIELDS, ...Object.keys(DERIVED)]);

/** Every field name a condition may use (for docs and `rules list --fields`). */
export function fieldNames(): string[] {
  return [...KNOWN].sort();
}

export function isKnownField(name: string): boolean {
  if (KNOWN.has(name)) return true;
  if (/^process\.ancestor\[\d+\]\.(exe|name|pid|argv0)$/.test(name)) return true;
  return OPEN_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

function pushFlat(out: unknown[], v: unknown): void {
  if (Array.isArray(v)) for (const x of v) pushFlat(out, x);
  else if (v !== undefined && v !== null) out.push(v);
}

/** Compiles a getter for a known field name (call isKnownField first). */
export function compileGetter(name: string): Getter {
  const derived = DERIVED[name];
  if (derived) return derived;
  const anc = /^process\.ancestor\[(\d+)\]\.(exe|name|pid|argv0)$/.exec(name);
  if (anc) {
    // 1-based like Falco's proc.aname[1] = parent.
    const i = Number(anc[1]) - 1;
    const f = anc[2];
    return (ev) => {
      const a = ev.process?.ancestry?.[i];
      if (!a) return undefined;
      return f === 'name' ? ancestorName(a) : a[f as 'exe' | 'pid' | 'argv0'];
    };
  }
  const parts = name.split('.');
  // Fast paths for the common depths (measured: a generic loop costs ~2x on the bench).
  if (parts.length === 1) {
    const [a] = parts;
    return (ev) => (ev as unknown as Record<string, unknown>)[a];
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    return (ev) => {
      const o = (ev as unknown as Record<string, unknown>)[a];
      if (o === undefined || o === null) return undefined;
      if (Array.isArray(o)) return walk(o, parts, 1);
      return (o as Record<string, unknown>)[b];
    };
  }
  return (ev) => walk(ev, parts, 0);
}

function walk(root: unknown, parts: string[], from: number): unknown {
  let cur: unknown = root;
  for (let i = from; i < parts.length; i++) {
    if (cur === undefined || cur === null) return undefined;
    if (Array.isArray(cur)) {
      const out: unknown[] = [];
      for (const el of cur) pushFlat(out, walk(el, parts, i));
      return out;
    }
    if (typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  return cur;
}
