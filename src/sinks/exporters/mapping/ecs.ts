// AwEvent -> Elastic Common Schema document (nested objects, ECS field names).
// Everything ECS has a field for goes there; the rest of our record goes under the custom
// namespace `agentwarden.*` (ECS reserves no such name; custom fields are allowed outside
// the ECS field sets), so nothing is lost. Tests check every non-custom leaf against the
// ECS catalogue (ecs_flat.yml): name, type and allowed values.
import type { AwEvent, EventKind, Severity } from '../../../schema/index.js';
import { asObject, basename, commandLine, dirname, extension, isIp, put } from './util.js';

/** The ECS release of the catalogue the mapping is tested against. */
export const ECS_VERSION = '9.5.0-dev';

export interface EcsClass {
  kind: 'event' | 'alert' | 'metric' | 'state';
  category: string[];
  type: string[];
}

/** event.kind / category / type by our kind (values from the ECS allowed sets per category). */
export const ECS_CLASS: Record<EventKind, EcsClass> = {
  'process.exec': { kind: 'event', category: ['process'], type: ['start'] },
  'process.fork': { kind: 'event', category: ['process'], type: ['start'] },
  'process.exit': { kind: 'event', category: ['process'], type: ['end'] },
  'file.open': { kind: 'event', category: ['file'], type: ['access'] },
  'file.read': { kind: 'event', category: ['file'], type: ['access'] },
  'file.write': { kind: 'event', category: ['file'], type: ['change'] },
  'file.create': { kind: 'event', category: ['file'], type: ['creation'] },
  'file.delete': { kind: 'event', category: ['file'], type: ['deletion'] },
  'file.rename': { kind: 'event', category: ['file'], type: ['change'] },
  'file.chmod': { kind: 'event', category: ['file'], type: ['change'] },
  'file.chown': { kind: 'event', category: ['file'], type: ['change'] },
  'file.truncate': { kind: 'event', category: ['file'], type: ['change'] },
  'network.connect': { kind: 'event', category: ['network'], type: ['connection', 'start'] },
  'network.dns': { kind: 'event', category: ['network'], type: ['protocol'] },
  'network.tls': { kind: 'event', category: ['network'], type: ['protocol'] },
  'library.load': { kind: 'event', category: ['library'], type: ['start'] },
  'persistence.change': { kind: 'event', category: ['configuration', 'file'], type: ['change'] },
  'registry.change': { kind: 'event', category: ['registry'], type: ['change'] },
  'agent.session.start': { kind: 'event', category: ['session'], type: ['start'] },
  'agent.session.end': { kind: 'event', category: ['session'], type: ['end'] },
  'agent.prompt': { kind: 'event', category: ['api'], type: ['info'] },
  'agent.response': { kind: 'event', category: ['api'], type: ['info'] },
  'agent.tool.call': { kind: 'event', category: ['api'], type: ['start'] },
  'agent.tool.result': { kind: 'event', category: ['api'], type: ['end'] },
  'agent.subagent.spawn': { kind: 'event', category: ['api', 'process'], type: ['start'] },
  'agent.file.edit': { kind: 'event', category: ['file'], type: ['change'] },
  'agent.decision': { kind: 'event', category: ['api'], type: ['info'] },
  'agent.telemetry': { kind: 'metric', category: ['api'], type: ['info'] },
  'gateway.connection': { kind: 'event', category: ['network', 'database'], type: ['connection', 'start'] },
  'gateway.statement': { kind: 'event', category: ['database'], type: ['access'] },
  'gateway.response': { kind: 'event', category: ['database'], type: ['info'] },
  'gateway.mask': { kind: 'event', category: ['database'], type: ['change'] },
  'gateway.block': { kind: 'event', category: ['database', 'intrusion_detection'], type: ['denied'] },
  'gateway.approval': { kind: 'event', category: ['database'], type: ['info'] },
  'gateway.http': { kind: 'event', category: ['web'], type: ['access'] },
  alert: { kind: 'alert', category: ['intrusion_detection'], type: ['info'] },
  'sensor.status': { kind: 'state', category: ['host'], type: ['info'] },
  'sensor.drop': { kind: 'metric', category: ['host'], type: ['info'] },
  'incident.action': { kind: 'event', category: ['host'], type: ['change'] },
};

/** Numeric severity shared by ECS event.severity and OCSF severity_id. */
export const SEVERITY_NUMBER: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

const OS_TYPE: Record<string, string> = { linux: 'linux', darwin: 'macos', macos: 'macos', windows: 'windows', win32: 'windows', ios: 'ios', android: 'android', unix: 'unix' };

export function toEcs(ev: AwEvent): Record<string, any> {
  const d: Record<string, any> = {};
  const cls = ECS_CLASS[ev.kind] ?? { kind: 'event', category: ['host'], type: ['info'] };
  const types = [...cls.type];
  put(d, '@timestamp', ev.time);
  put(d, 'ecs.version', ECS_VERSION);
  put(d, 'event.kind', cls.kind);
  put(d, 'event.category', cls.category);
  put(d, 'event.action', ev.kind);
  put(d, 'event.id', ev.id);
  put(d, 'event.sequence', ev.seq);
  put(d, 'event.module', 'agentwarden');
  put(d, 'event.dataset', 'agentwarden.events');
  put(d, 'event.provider', ev.source.type);
  put(d, 'agent.type', 'agentwarden');
  put(d, 'agent.name', ev.source.name);
  put(d, 'agentwarden.source.ref', ev.source.ref);
  put(d, 'agentwarden.v', ev.v);

  if (ev.host) {
    put(d, 'host.name', ev.host.name);
    put(d, 'host.hostname', ev.host.name);
    put(d, 'host.id', ev.host.id);
    if (ev.host.os) {
      const t = OS_TYPE[ev.host.os.toLowerCase()];
      put(d, t ? 'host.os.type' : 'host.os.name', t ?? ev.host.os);
    }
    put(d, 'agentwarden.host.group', ev.host.group);
  }

  const s = ev.session;
  if (s) {
    put(d, 'agentwarden.session.id', s.id);
    put(d, 'agentwarden.session.agent.kind', s.agent.kind);
    put(d, 'agentwarden.session.agent.version', s.agent.version);
    put(d, 'gen_ai.agent.name', s.agent.name ?? s.agent.kind);
    put(d, 'process.entry_leader.pid', s.root_pid);
    // The agent session is the entry leader's session in ECS process terms.
    put(d, 'process.entry_leader.entity_id', s.id);
    put(d, 'user.name', s.user);
    put(d, 'agentwarden.session.attribution', s.attribution);
    put(d, 'gen_ai.tool.call.id', s.tool_call_id);
    put(d, 'agentwarden.session.parent_id', s.parent_id);
  }

  const p = ev.process;
  if (p) {
    put(d, 'process.pid', p.pid);
    put(d, 'process.parent.pid', p.ppid ?? p.ancestry?.[0]?.pid);
    put(d, 'process.thread.id', p.tid);
    put(d, 'process.executable', p.exe);
    put(d, 'process.name', basename(p.exe) ?? basename(p.argv?.[0]));
    put(d, 'process.args', p.argv);
    put(d, 'process.args_count', p.argv?.length);
    put(d, 'process.command_line', commandLine(p.argv));
    put(d, 'process.working_directory', p.cwd);
    if (p.uid !== undefined) put(d, 'process.user.id', String(p.uid));
    if (p.gid !== undefined) put(d, 'process.group.id', String(p.gid));
    put(d, 'process.start', p.start_time);
    put(d, 'process.exit_code', p.exit_code);
    const parent = p.ancestry?.[0];
    if (parent) {
      put(d, 'process.parent.executable', parent.exe);
      put(d, 'process.parent.name', basename(parent.exe) ?? basename(parent.argv0));
    }
    put(d, 'agentwarden.process.depth', p.depth);
    put(d, 'agentwarden.process.ancestry', p.ancestry);
    put(d, 'agentwarden.process.decoded', p.decoded);
    if (p.env_markers) put(d, 'process.env_vars', Object.entries(p.env_markers).map(([k, v]) => `${k}=${v}`));
    put(d, 'agentwarden.process.flags', p.flags);
  }

  const f = ev.file;
  if (f) {
    put(d, 'file.path', f.path);
    put(d, 'file.name', basename(f.path));
    put(d, 'file.directory', dirname(f.path));
    put(d, 'file.extension', extension(f.path));
    // ECS has no rename target; keep ours (Elastic Defend uses the non-ECS file.Ext.original.path).
    put(d, 'agentwarden.file.target_path', f.target_path);
    put(d, 'agentwarden.file.intent', f.intent);
    put(d, 'agentwarden.file.flags', f.flags);
    if (f.mode !== undefined) put(d, 'file.mode', (f.mode & 0o7777).toString(8).padStart(4, '0'));
    if (f.owner_uid !== undefined) put(d, 'file.uid', String(f.owner_uid));
    if (f.owner_gid !== undefined) put(d, 'file.gid', String(f.owner_gid));
    put(d, 'file.size', f.size);
    put(d, 'file.hash.sha256', f.sha256);
    put(d, 'agentwarden.file.persistence', f.persistence);
  }

  const n = ev.network;
  if (n) {
    put(d, 'network.transport', n.transport);
    if (n.family === 'ipv4' || n.family === 'ipv6') put(d, 'network.type', n.family);
    put(d, 'network.direction', n.direction);
    put(d, 'destination.ip', n.dst_ip);
    put(d, 'destination.port', n.dst_port);
    put(d, 'destination.domain', n.dst_host);
    put(d, 'source.ip', n.src_ip);
    put(d, 'source.port', n.src_port);
    put(d, 'source.bytes', n.bytes_out);
    put(d, 'destination.bytes', n.bytes_in);
    if (n.bytes_out !== undefined || n.bytes_in !== undefined) put(d, 'network.bytes', (n.bytes_out ?? 0) + (n.bytes_in ?? 0));
    if (n.family === 'unix') put(d, 'agentwarden.network.family', n.family);
  }

  if (ev.dns) {
    put(d, 'dns.type', ev.dns.answers?.length ? 'answer' : 'query');
    put(d, 'dns.question.name', ev.dns.query);
    put(d, 'dns.question.type', ev.dns.qtype);
    put(
      d,
      'dns.answers',
      ev.dns.answers?.map((a) => ({ data: a })),
    );
    put(
      d,
      'dns.resolved_ip',
      ev.dns.answers?.filter((a) => isIp(a)),
    );
    put(d, 'network.protocol', 'dns');
    if (ev.dns.server) {
      if (isIp(ev.dns.server) && !ev.network?.dst_ip) put(d, 'destination.ip', ev.dns.server);
      else put(d, 'agentwarden.dns.server', ev.dns.server);
    }
  }

  if (ev.tls) {
    put(d, 'tls.client.server_name', ev.tls.sni);
    if (ev.tls.version) {
      const m = /^(tls|ssl)v?\s*([\d.]+)$/i.exec(ev.tls.version.trim());
      put(d, 'tls.version', m ? m[2] : ev.tls.version);
      put(d, 'tls.version_protocol', m ? m[1].toLowerCase() : 'tls');
    }
    put(d, 'tls.next_protocol', ev.tls.alpn?.[0]);
    put(d, 'agentwarden.tls.alpn', ev.tls.alpn);
  }

  if (ev.library) {
    put(d, 'dll.path', ev.library.path);
    put(d, 'dll.name', basename(ev.library.path));
  }

  if (ev.registry) {
    const r = ev.registry;
    put(d, 'registry.path', r.value ? `${r.key}\\${r.value}` : r.key);
    const m = /^(HK[A-Z_]+|HKEY_[A-Z_]+)\\(.*)$/i.exec(r.key);
    put(d, 'registry.hive', m?.[1]);
    put(d, 'registry.key', m ? m[2] : r.key);
    put(d, 'registry.value', r.value);
    if (r.data !== undefined) put(d, 'registry.data.strings', [r.data]);
    put(d, 'agentwarden.registry.operation', r.operation);
    if (ev.kind === 'registry.change') {
      types.length = 0;
      types.push(r.operation === 'create' ? 'creation' : r.operation === 'delete' ? 'deletion' : 'change');
    }
  }

  const a = ev.agent;
  if (a) {
    put(d, 'gen_ai.operation.name', a.operation);
    put(d, 'agentwarden.agent.conversation_id', a.conversation_id);
    put(d, 'gen_ai.agent.id', a.agent_id);
    put(d, 'gen_ai.agent.name', a.agent_name);
    put(d, 'gen_ai.request.model', a.model);
    put(d, 'gen_ai.provider.name', a.provider);
    if (a.prompt) put(d, 'gen_ai.input.messages', { role: a.prompt.role ?? 'user', content: a.prompt.text });
    if (a.response) {
      put(d, 'gen_ai.output.messages', { role: 'assistant', content: a.response.text });
      if (a.response.finish_reason) put(d, 'gen_ai.response.finish_reasons', [a.response.finish_reason]);
    }
    const t = a.tool;
    if (t) {
      put(d, 'gen_ai.tool.name', t.name);
      put(d, 'gen_ai.tool.call.id', t.call_id);
      put(d, 'agentwarden.agent.tool.category', t.category);
      put(d, 'gen_ai.tool.call.arguments', asObject(t.input));
      put(d, 'gen_ai.tool.call.result', asObject(t.output));
      if (t.status) put(d, 'event.outcome', t.status === 'ok' ? 'success' : 'failure');
      put(d, 'agentwarden.agent.tool.status', t.status);
      if (t.duration_ms !== undefined) put(d, 'event.duration', Math.round(t.duration_ms * 1e6));
      put(d, 'agentwarden.agent.tool.mcp_server', t.mcp_server);
      put(d, 'agentwarden.agent.tool.exit_code', t.exit_code);
    }
    put(d, 'agentwarden.agent.subagent', a.subagent);
    if (a.decision) {
      put(d, 'agentwarden.agent.decision', a.decision);
      if (ev.kind === 'agent.decision') {
        types.length = 0;
        types.push(a.decision.action === 'deny' ? 'denied' : a.decision.action === 'ask' ? 'info' : 'allowed');
      }
      put(d, 'event.reason', a.decision.reason);
      put(d, 'rule.id', a.decision.rule_id);
    }
    put(d, 'gen_ai.usage.input_tokens', a.usage?.input_tokens);
    put(d, 'gen_ai.usage.output_tokens', a.usage?.output_tokens);
    put(d, 'event.code', a.raw_type);
  }

  const g = ev.gateway;
  if (g) {
    put(d, 'network.protocol', g.protocol === 'postgres' ? 'postgresql' : g.protocol);
    put(d, 'agentwarden.gateway.connection_id', g.connection_id);
    if (g.identity) {
      put(d, 'user.name', g.identity.subject);
      put(d, 'user.roles', g.identity.groups);
      put(d, 'agentwarden.gateway.identity.issuer', g.identity.issuer);
    }
    put(d, 'agentwarden.gateway.database', g.database);
    put(d, 'destination.address', g.upstream);
    put(d, 'agentwarden.gateway.statement', g.statement);
    if (g.http) {
      put(d, 'http.request.method', g.http.method);
      put(d, 'url.full', g.http.url);
      put(d, 'url.domain', g.http.host);
      put(d, 'http.response.status_code', g.http.status);
    }
    put(d, 'agentwarden.gateway.decision', g.decision);
    if (g.decision === 'block' || g.decision === 'denied') put(d, 'event.outcome', 'failure');
    put(d, 'event.reason', g.reason);
    put(d, 'agentwarden.gateway.rows', g.rows);
    put(d, 'agentwarden.gateway.masked', g.masked);
    if (g.duration_us !== undefined) put(d, 'event.duration', g.duration_us * 1000);
  }

  const al = ev.alert;
  if (al) {
    put(d, 'rule.id', al.rule_id);
    put(d, 'rule.name', al.title);
    put(d, 'rule.ruleset', 'agentwarden');
    put(d, 'event.severity', SEVERITY_NUMBER[al.severity]);
    put(d, 'log.level', al.severity);
    put(d, 'rule.uuid', al.ioc_id);
    put(d, 'agentwarden.alert.trigger_seqs', al.trigger_seqs);
    put(d, 'agentwarden.alert.trigger_ids', al.trigger_ids);
    put(d, 'agentwarden.alert.action', al.action);
    if (al.action === 'deny') {
      types.length = 0;
      types.push('denied');
    }
    if (al.confidence !== undefined) put(d, 'event.risk_score', al.confidence);
    put(d, 'tags', al.tags);
    if (al.attack?.length) {
      put(d, 'threat.framework', 'MITRE ATT&CK');
      put(d, 'threat.technique.id', al.attack);
    }
    put(d, 'agentwarden.alert.atlas', al.atlas);
    put(d, 'message', al.message ?? al.title);
  }

  if (ev.sensor) {
    put(d, 'observer.name', ev.sensor.name);
    put(d, 'agentwarden.sensor.state', ev.sensor.state);
    put(d, 'agentwarden.sensor.drops', ev.sensor.drops);
    put(d, 'message', ev.sensor.message);
  }

  put(d, 'agentwarden.attributes', ev.attributes);
  put(d, 'event.type', types);
  return d;
}
