// AwEvent -> OCSF 1.8.0 event (JSON object). Each kind maps to one class and activity;
// type_uid = class_uid * 100 + activity_id. The session's agent goes in `ai_agent`
// (object and ai_operation profile from OCSF 1.9.0-dev, PR #1641), so OCSF consumers can
// group by agent session. Fields OCSF has no attribute for go in `unmapped` (never lost).
// Tests check every emitted attribute against the schema in shared/data/sensors/schemas/ocsf.
import type { AwEvent, EventKind, EventProcess } from '../../../schema/index.js';
import { SEVERITY_NUMBER } from './ecs.js';
import { basename, commandLine, isIp, put, timeMs } from './util.js';

export const OCSF_VERSION = '1.8.0';

export interface OcsfClass {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
}

const SYSTEM = { category_uid: 1, category_name: 'System Activity' };
const FINDINGS = { category_uid: 2, category_name: 'Findings' };
const NETWORK = { category_uid: 4, category_name: 'Network Activity' };
const APPLICATION = { category_uid: 6, category_name: 'Application Activity' };

function c(cat: { category_uid: number; category_name: string }, class_uid: number, class_name: string, activity_id: number, activity_name: string): OcsfClass {
  return { ...cat, class_uid, class_name, activity_id, activity_name };
}

const PROC = (a: number, n: string) => c(SYSTEM, 1007, 'Process Activity', a, n);
const FILE = (a: number, n: string) => c(SYSTEM, 1001, 'File System Activity', a, n);
const API = (a: number, n: string) => c(APPLICATION, 6003, 'API Activity', a, n);
const DATASTORE = (a: number, n: string) => c(APPLICATION, 6005, 'Datastore Activity', a, n);

/** Class and activity by our kind (registry and DNS refine it per event, see ocsfClass). */
export const OCSF_CLASS: Record<EventKind, OcsfClass> = {
  'process.exec': PROC(1, 'Launch'),
  'process.fork': PROC(1, 'Launch'),
  'process.exit': PROC(2, 'Terminate'),
  'file.open': FILE(14, 'Open'),
  'file.read': FILE(2, 'Read'),
  'file.write': FILE(3, 'Update'),
  'file.create': FILE(1, 'Create'),
  'file.delete': FILE(4, 'Delete'),
  'file.rename': FILE(5, 'Rename'),
  'file.chmod': FILE(6, 'Set Attributes'),
  'file.chown': FILE(7, 'Set Security'),
  'file.truncate': FILE(3, 'Update'),
  'network.connect': c(NETWORK, 4001, 'Network Activity', 1, 'Open'),
  'network.dns': c(NETWORK, 4003, 'DNS Activity', 1, 'Query'),
  'network.tls': c(NETWORK, 4001, 'Network Activity', 6, 'Traffic'),
  'library.load': c(SYSTEM, 1005, 'Module Activity', 1, 'Load'),
  'persistence.change': FILE(3, 'Update'),
  'registry.change': c(SYSTEM, 201002, 'Registry Value Activity', 2, 'Set'),
  'agent.session.start': API(99, 'Other'),
  'agent.session.end': API(99, 'Other'),
  'agent.prompt': API(99, 'Other'),
  'agent.response': API(99, 'Other'),
  'agent.tool.call': API(99, 'Other'),
  'agent.tool.result': API(99, 'Other'),
  'agent.subagent.spawn': API(1, 'Create'),
  'agent.file.edit': FILE(3, 'Update'),
  'agent.decision': API(99, 'Other'),
  'agent.telemetry': API(99, 'Other'),
  'gateway.connection': DATASTORE(3, 'Connect'),
  'gateway.statement': DATASTORE(4, 'Query'),
  'gateway.response': DATASTORE(99, 'Other'),
  'gateway.mask': DATASTORE(99, 'Other'),
  'gateway.block': DATASTORE(99, 'Other'),
  'gateway.approval': DATASTORE(99, 'Other'),
  'gateway.http': c(NETWORK, 4002, 'HTTP Activity', 99, 'Other'),
  alert: c(FINDINGS, 2004, 'Detection Finding', 1, 'Create'),
  'sensor.status': c(SYSTEM, 1008, 'Event Log Activity', 99, 'Other'),
  'sensor.drop': c(SYSTEM, 1008, 'Event Log Activity', 99, 'Other'),
  'incident.action': c({ category_uid: 0, category_name: 'Uncategorized' }, 0, 'Base Event', 99, 'Other'),
};

const HTTP_ACTIVITY: Record<string, [number, string]> = {
  CONNECT: [1, 'Connect'],
  DELETE: [2, 'Delete'],
  GET: [3, 'Get'],
  HEAD: [4, 'Head'],
  OPTIONS: [5, 'Options'],
  POST: [6, 'Post'],
  PUT: [7, 'Put'],
  TRACE: [8, 'Trace'],
  PATCH: [9, 'Patch'],
};

/** The class of one event (registry and DNS depend on the event's content). */
export function ocsfClass(ev: AwEvent): OcsfClass {
  const base = OCSF_CLASS[ev.kind] ?? OCSF_CLASS['incident.action'];
  if (ev.kind === 'registry.change' && ev.registry) {
    const op = ev.registry.operation;
    if (ev.registry.value === undefined) {
      const [a, n] = op === 'create' ? [1, 'Create'] : op === 'delete' ? [4, 'Delete'] : op === 'rename' ? [5, 'Rename'] : [3, 'Modify'];
      return c(SYSTEM, 201001, 'Registry Key Activity', a, n);
    }
    const [a, n] = op === 'delete' ? [4, 'Delete'] : [2, 'Set'];
    return c(SYSTEM, 201002, 'Registry Value Activity', a, n);
  }
  if (ev.kind === 'network.dns' && ev.dns?.answers?.length) return { ...base, activity_id: 2, activity_name: 'Response' };
  if (ev.kind === 'gateway.http') {
    const m = HTTP_ACTIVITY[(ev.gateway?.http?.method ?? '').toUpperCase()];
    if (m) return { ...base, activity_id: m[0], activity_name: m[1] };
  }
  if (ev.kind === 'sensor.status') {
    const st = ev.sensor?.state;
    if (st === 'started') return { ...base, activity_id: 6, activity_name: 'Start' };
    if (st === 'stopped' || st === 'detached' || st === 'died') return { ...base, activity_id: 7, activity_name: 'Stop' };
  }
  return base;
}

function processEntity(pid: number | undefined, exe: string | undefined, argv0?: string): Record<string, unknown> | undefined {
  if (pid === undefined && !exe) return undefined;
  const o: Record<string, unknown> = {};
  put(o, 'pid', pid);
  put(o, 'path', exe);
  put(o, 'name', basename(exe) ?? basename(argv0));
  return o;
}

function fileObject(path: string, extra: { size?: number; sha256?: string; mode?: number; owner_uid?: number } = {}): Record<string, unknown> {
  const o: Record<string, unknown> = { name: basename(path) ?? path, path, type_id: 1, type: 'Regular File' };
  put(o, 'size', extra.size);
  if (extra.sha256) o.hashes = [{ algorithm_id: 3, algorithm: 'SHA-256', value: extra.sha256 }];
  if (extra.owner_uid !== undefined) o.owner = { uid: String(extra.owner_uid) };
  if (extra.mode !== undefined) o.attributes = extra.mode;
  return o;
}

function aiAgent(ev: AwEvent): Record<string, unknown> | undefined {
  const s = ev.session;
  if (!s) return undefined;
  const o: Record<string, unknown> = {
    // A stable logical id for the agent (its own id when it reports one), and the session as the instance.
    uid: ev.agent?.agent_id ?? s.agent.kind,
    instance_uid: s.id,
    name: ev.agent?.agent_name ?? s.agent.name ?? s.agent.kind,
    type_id: 99,
    type: s.agent.kind,
  };
  put(o, 'version', s.agent.version);
  if (ev.agent?.model) o.ai_model = { name: ev.agent.model, ...(ev.agent.provider ? { ai_provider: ev.agent.provider } : {}) };
  return o;
}

function processObject(p: EventProcess, ev: AwEvent): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  put(o, 'pid', p.pid);
  put(o, 'tid', p.tid);
  put(o, 'path', p.exe);
  put(o, 'name', basename(p.exe) ?? basename(p.argv?.[0]));
  put(o, 'cmd_line', commandLine(p.argv));
  put(o, 'working_directory', p.cwd);
  put(o, 'created_time', timeMs(p.start_time));
  if (p.exe) o.file = fileObject(p.exe);
  if (p.uid !== undefined || ev.session?.user) {
    const u: Record<string, unknown> = {};
    put(u, 'uid', p.uid === undefined ? undefined : String(p.uid));
    put(u, 'name', ev.session?.user);
    o.user = u;
  }
  const parent = p.ancestry?.[0];
  const pp = processEntity(p.ppid ?? parent?.pid, parent?.exe, parent?.argv0);
  if (pp) o.parent_process = pp;
  if (p.ancestry?.length) o.ancestry = p.ancestry.map((a) => processEntity(a.pid, a.exe, a.argv0));
  if (p.env_markers) o.environment_variables = Object.entries(p.env_markers).map(([name, value]) => ({ name, value }));
  if (ev.session) o.session = { uid: ev.session.id };
  return o;
}

export function toOcsf(ev: AwEvent): Record<string, any> {
  const cls = ocsfClass(ev);
  const o: Record<string, any> = {
    class_uid: cls.class_uid,
    class_name: cls.class_name,
    category_uid: cls.category_uid,
    category_name: cls.category_name,
    activity_id: cls.activity_id,
    activity_name: cls.activity_name,
    type_uid: cls.class_uid * 100 + cls.activity_id,
    type_name: `${cls.class_name}: ${cls.activity_name}`,
    time: timeMs(ev.time) ?? 0,
    severity_id: ev.alert ? SEVERITY_NUMBER[ev.alert.severity] : 1,
    severity: ev.alert ? ev.alert.severity[0].toUpperCase() + ev.alert.severity.slice(1) : 'Informational',
  };
  const um: Record<string, any> = { kind: ev.kind };
  const meta: Record<string, unknown> = {
    version: OCSF_VERSION,
    product: { name: 'AgentWarden', vendor_name: 'AgentWarden' },
    log_provider: ev.source.type,
  };
  put(meta, 'uid', ev.id);
  put(meta, 'sequence', ev.seq);
  put(meta, 'log_name', ev.source.name);
  put(meta, 'correlation_uid', ev.session?.id);
  put(meta, 'original_time', ev.time);
  const ai = aiAgent(ev);
  if (ai) meta.profiles = ['ai_operation'];
  o.metadata = meta;
  put(um, 'source.ref', ev.source.ref);
  put(um, 'v', ev.v);

  if (ev.host) {
    const dev: Record<string, unknown> = { hostname: ev.host.name, type_id: 0 };
    put(dev, 'uid', ev.host.id);
    if (ev.host.os) dev.os = { name: ev.host.os, type_id: osTypeId(ev.host.os) };
    if (ev.host.group) dev.groups = [{ name: ev.host.group }];
    o.device = dev;
  } else if (cls.category_uid === 1) {
    o.device = { type_id: 0 };
  }

  // The actor: the acting process and the agent session it belongs to.
  const actor: Record<string, any> = {};
  const s = ev.session;
  if (s) {
    actor.session = { uid: s.id };
    actor.app_name = s.agent.name ?? s.agent.kind;
    if (s.user) actor.user = { name: s.user };
    put(um, 'session.root_pid', s.root_pid);
    put(um, 'session.attribution', s.attribution);
    put(um, 'session.tool_call_id', s.tool_call_id);
    put(um, 'session.parent_id', s.parent_id);
    put(um, 'session.agent.kind', s.agent.kind);
  }
  if (ai) o.ai_agent = ai;

  const p = ev.process;
  if (p) {
    put(um, 'process.depth', p.depth);
    put(um, 'process.decoded', p.decoded);
    put(um, 'process.flags', p.flags);
    // process_entity has no argv[0] (for node-based agents it names the agent: 'claude').
    if (p.ancestry?.some((a) => a.argv0 !== undefined)) um.process.ancestry_argv0 = p.ancestry.map((a) => a.argv0 ?? null);
    put(um, 'process.gid', p.gid);
    put(um, 'process.exit_code', cls.class_uid === 1007 ? undefined : p.exit_code);
    if (cls.class_uid === 1007) {
      // Process Activity: `process` is the launched/terminated process, the actor its parent.
      o.process = processObject(p, ev);
      const parent = p.ancestry?.[0];
      const pp = processEntity(p.ppid ?? parent?.pid, parent?.exe, parent?.argv0);
      if (pp) actor.process = pp;
      put(o, 'exit_code', p.exit_code);
    } else {
      actor.process = processObject(p, ev);
    }
  }
  if (cls.class_uid === 1007 && !o.process) o.process = {};

  const f = ev.file;
  if (f) {
    o.file = fileObject(f.path, f);
    if (f.target_path) o.file_result = fileObject(f.target_path);
    put(um, 'file.intent', f.intent);
    put(um, 'file.flags', f.flags);
    put(um, 'file.owner_gid', f.owner_gid);
    put(um, 'file.persistence', f.persistence);
  }

  const n = ev.network;
  if (n) {
    const src: Record<string, unknown> = {};
    put(src, 'ip', n.src_ip);
    put(src, 'port', n.src_port);
    const dst: Record<string, unknown> = {};
    put(dst, 'ip', n.dst_ip);
    put(dst, 'port', n.dst_port);
    put(dst, 'hostname', n.dst_host);
    if (Object.keys(src).length) o.src_endpoint = src;
    if (Object.keys(dst).length) o.dst_endpoint = dst;
    const ci: Record<string, unknown> = {};
    put(ci, 'protocol_name', n.transport);
    if (n.direction) {
      ci.direction_id = n.direction === 'inbound' ? 1 : 2;
      ci.direction = n.direction === 'inbound' ? 'Inbound' : 'Outbound';
    }
    if (n.family === 'ipv4' || n.family === 'ipv6') ci.protocol_ver_id = n.family === 'ipv4' ? 4 : 6;
    if (Object.keys(ci).length) o.connection_info = ci;
    if (n.bytes_in !== undefined || n.bytes_out !== undefined) {
      const tr: Record<string, unknown> = {};
      put(tr, 'bytes_in', n.bytes_in);
      put(tr, 'bytes_out', n.bytes_out);
      o.traffic = tr;
    }
    if (n.family === 'unix') um['network.family'] = 'unix';
  }

  if (ev.dns) {
    const q: Record<string, unknown> = { hostname: ev.dns.query };
    put(q, 'type', ev.dns.qtype);
    o.query = q;
    if (ev.dns.answers?.length) o.answers = ev.dns.answers.map((a) => ({ rdata: a }));
    if (ev.dns.server) {
      o.dst_endpoint = { ...(o.dst_endpoint ?? {}), ...(isIp(ev.dns.server) ? { ip: ev.dns.server } : { hostname: ev.dns.server }) };
    }
  }

  if (ev.tls) {
    const t: Record<string, unknown> = { version: ev.tls.version ?? 'unknown' };
    put(t, 'sni', ev.tls.sni);
    o.tls = t;
    put(um, 'tls.alpn', ev.tls.alpn);
  }

  if (ev.library) {
    o.module = { file: fileObject(ev.library.path), type: 'Shared Library' };
  }

  if (ev.registry) {
    const r = ev.registry;
    if (cls.class_uid === 201001) o.reg_key = { path: r.key };
    else {
      const v: Record<string, unknown> = { path: `${r.key}\\${r.value ?? ''}`, name: r.value ?? '' };
      put(v, 'reg_string_data', r.data);
      o.reg_value = v;
    }
    put(um, 'registry.operation', r.operation);
  }

  const a = ev.agent;
  if (a) {
    const api: Record<string, unknown> = { operation: a.tool?.name ?? a.operation ?? a.raw_type ?? ev.kind };
    put(api, 'service', a.provider ? { name: a.provider } : undefined);
    if (cls.class_uid === 6003) {
      o.api = api;
      o.src_endpoint = o.src_endpoint ?? { hostname: ev.host?.name ?? 'localhost' };
    }
    if (a.tool?.status) {
      o.status_id = a.tool.status === 'ok' ? 1 : 2;
      o.status = a.tool.status === 'ok' ? 'Success' : 'Failure';
      put(o, 'status_detail', a.tool.status === 'denied' ? 'denied' : undefined);
    }
    put(o, 'duration', a.tool?.duration_ms === undefined ? undefined : Math.round(a.tool.duration_ms));
    // The rest of the agent record has no OCSF 1.8 attribute yet: keep it whole.
    const rest: Record<string, unknown> = { ...a };
    um.agent = rest;
    if (a.prompt?.text) o.message = a.prompt.text;
    else if (a.response?.text) o.message = a.response.text;
  }

  const g = ev.gateway;
  if (g) {
    um.gateway = { ...g };
    if (g.statement?.text && !o.message) o.message = g.statement.text;
    if (g.http) {
      const req: Record<string, unknown> = {};
      put(req, 'http_method', g.http.method);
      if (g.http.url) req.url = urlObject(g.http.url, g.http.host);
      o.http_request = req;
      if (g.http.status !== undefined) o.http_response = { code: g.http.status };
    }
    if (g.decision === 'block' || g.decision === 'denied') {
      o.status_id = 2;
      o.status = 'Failure';
    }
    put(o, 'status_detail', g.reason);
    put(o, 'duration', g.duration_us === undefined ? undefined : Math.round(g.duration_us / 1000));
    if (g.identity) actor.user = { ...(actor.user ?? {}), name: g.identity.subject };
  }

  const al = ev.alert;
  if (al) {
    const fi: Record<string, unknown> = {
      uid: ev.id ?? `${al.rule_id}:${ev.time}`,
      title: al.title,
      analytic: { uid: al.rule_id, name: al.title, type_id: 1, type: 'Rule' },
    };
    put(fi, 'desc', al.message);
    if (al.tags?.length) fi.types = al.tags;
    const attacks = [...(al.attack ?? []).map((t) => ({ technique: { uid: t }, version: 'ATT&CK' })), ...(al.atlas ?? []).map((t) => ({ technique: { uid: t }, version: 'ATLAS' }))];
    if (attacks.length) fi.attacks = attacks;
    if (al.trigger_ids?.length) fi.related_events = al.trigger_ids.map((uid) => ({ uid }));
    o.finding_info = fi;
    put(o, 'message', al.message ?? al.title);
    if (al.confidence !== undefined) o.confidence_score = Math.round(al.confidence <= 1 ? al.confidence * 100 : al.confidence);
    put(um, 'alert.ioc_id', al.ioc_id);
    put(um, 'alert.trigger_seqs', al.trigger_seqs);
    put(um, 'alert.action', al.action);
    if (al.action === 'deny') {
      o.action_id = 2;
      o.action = 'Denied';
    } else {
      o.action_id = 1;
      o.action = 'Allowed';
    }
    o.is_alert = true;
  }

  if (ev.sensor) {
    put(o, 'message', ev.sensor.message);
    um.sensor = { ...ev.sensor };
  }

  if (Object.keys(actor).length) o.actor = actor;
  else if (cls.category_uid === 1 && cls.class_uid !== 1008) o.actor = {};
  if (cls.class_uid === 1008 || cls.class_uid === 0) {
    if (!o.actor && cls.class_uid === 1008) o.actor = { app_name: 'agentwarden' };
  }
  put(um, 'attributes', ev.attributes);
  o.unmapped = um;
  return o;
}

function osTypeId(os: string): number {
  const s = os.toLowerCase();
  if (s.startsWith('win')) return 100;
  if (s === 'linux') return 200;
  if (s === 'darwin' || s === 'macos') return 300;
  return 99;
}

function urlObject(url: string, host?: string): Record<string, unknown> {
  const o: Record<string, unknown> = { url_string: url };
  try {
    const u = new URL(url);
    o.scheme = u.protocol.replace(/:$/, '');
    o.hostname = u.hostname;
    o.path = u.pathname;
    if (u.port) o.port = Number(u.port);
    if (u.search) o.query_string = u.search.slice(1);
  } catch {
    if (host) o.hostname = host;
  }
  return o;
}
