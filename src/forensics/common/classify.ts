// Shared readings of events for forensics: what kind of activity an event is on a
// timeline, whether a path holds credentials, the command line of an exec, and a
// one-line summary. Pure functions over AwEvent.
import type { AwEvent } from '../../schema/index.js';

export type Category = 'prompt' | 'response' | 'tool' | 'process' | 'file' | 'network' | 'subagent' | 'decision' | 'alert' | 'gateway' | 'session' | 'incident' | 'sensor' | 'other';

export function categoryOf(ev: AwEvent): Category {
  const k = ev.kind;
  if (k === 'agent.prompt') return 'prompt';
  if (k === 'agent.response') return 'response';
  if (k === 'agent.tool.call' || k === 'agent.tool.result') return 'tool';
  if (k === 'agent.subagent.spawn') return 'subagent';
  if (k === 'agent.decision' || k === 'gateway.approval') return 'decision';
  if (k === 'agent.session.start' || k === 'agent.session.end') return 'session';
  if (k === 'agent.file.edit') return 'file';
  if (k === 'alert') return 'alert';
  if (k === 'incident.action') return 'incident';
  if (k.startsWith('process.') || k === 'library.load') return 'process';
  if (k.startsWith('file.') || k === 'persistence.change' || k === 'registry.change') return 'file';
  if (k.startsWith('network.')) return 'network';
  if (k.startsWith('gateway.')) return 'gateway';
  if (k.startsWith('sensor.')) return 'sensor';
  return 'other';
}

/** Timesketch `timestamp_desc` vocabulary (research/forensics.md 4.4). */
export function timestampDesc(ev: AwEvent): string {
  switch (ev.kind) {
    case 'agent.prompt': return 'Prompt Received';
    case 'agent.response': return 'Model Response';
    case 'agent.tool.call': return 'Tool Invocation';
    case 'agent.tool.result': return 'Tool Result';
    case 'agent.subagent.spawn': return 'Sub-agent Spawned';
    case 'agent.decision': return ev.agent?.decision?.action === 'deny' ? 'Approval Denied' : 'Approval Granted';
    case 'agent.session.start': return 'Session Start';
    case 'agent.session.end': return 'Session End';
    case 'agent.file.edit': return 'File Write';
    case 'process.exec': return 'Process Execution';
    case 'process.exit': return 'Process Exit';
    case 'process.fork': return 'Process Fork';
    case 'network.connect': return 'Network Connection';
    case 'network.dns': return 'DNS Query';
    case 'network.tls': return 'TLS Handshake';
    case 'alert': return 'Alert';
    case 'incident.action': return 'Incident Action';
    default:
      if (ev.kind.startsWith('file.')) {
        if (ev.file && isCredentialPath(ev.file.path)) return 'Credential Access';
        if (ev.kind === 'file.delete') return 'File Deletion';
        if (ev.kind === 'file.rename') return 'File Rename';
        if (isWrite(ev)) return 'File Write';
        return 'File Read';
      }
      if (ev.kind.startsWith('gateway.')) return 'Gateway Request';
      return ev.kind;
  }
}

// Files that hold credentials or keys. Matched against the path, so an agent reading any
// of these shows up as a credential read (AW blast radius, rotation list in containment).
const CREDENTIAL_PATTERNS: Array<{ re: RegExp; what: string }> = [
  { re: /(^|\/)\.aws\/(credentials|config)$/, what: 'AWS credentials' },
  { re: /(^|\/)\.ssh\/(id_[a-z0-9_]+|identity)$/, what: 'SSH private key' },
  { re: /(^|\/)\.ssh\/[^/]+\.pem$/, what: 'SSH private key' },
  { re: /(^|\/)\.env(\.[A-Za-z0-9_-]+)?$/, what: 'dotenv secrets' },
  { re: /(^|\/)\.netrc$/, what: 'netrc credentials' },
  { re: /(^|\/)\.npmrc$/, what: 'npm token' },
  { re: /(^|\/)\.pypirc$/, what: 'PyPI token' },
  { re: /(^|\/)\.git-credentials$/, what: 'git credentials' },
  { re: /(^|\/)\.docker\/config\.json$/, what: 'Docker registry credentials' },
  { re: /(^|\/)\.kube\/config$/, what: 'Kubernetes credentials' },
  { re: /(^|\/)\.config\/gcloud\/(credentials\.db|application_default_credentials\.json|access_tokens\.db)$/, what: 'Google Cloud credentials' },
  { re: /(^|\/)\.azure\/(accessTokens\.json|msal_token_cache\.json)$/, what: 'Azure credentials' },
  { re: /(^|\/)\.config\/gh\/hosts\.yml$/, what: 'GitHub CLI token' },
  { re: /(^|\/)\.claude\/\.credentials\.json$/, what: 'Claude Code credentials' },
  { re: /(^|\/)\.codex\/auth\.json$/, what: 'Codex credentials' },
  { re: /(^|\/)\.gnupg\/(private-keys-v1\.d\/.*|secring\.gpg)$/, what: 'GPG private key' },
  { re: /\.(pem|key|p12|pfx)$/, what: 'private key or certificate' },
  { re: /^\/etc\/shadow$/, what: 'system password hashes' },
];

/** What kind of credential a path holds, or undefined. */
export function credentialKind(path: string | undefined): string | undefined {
  if (!path) return undefined;
  for (const p of CREDENTIAL_PATTERNS) if (p.re.test(path)) return p.what;
  return undefined;
}

export function isCredentialPath(path: string | undefined): boolean {
  return credentialKind(path) !== undefined;
}

const WRITE_INTENTS = new Set(['write', 'create', 'truncate', 'append']);

export function isWrite(ev: AwEvent): boolean {
  if (ev.kind === 'file.write' || ev.kind === 'file.create' || ev.kind === 'file.truncate' || ev.kind === 'agent.file.edit') return true;
  return Boolean(ev.file?.intent?.some((i) => WRITE_INTENTS.has(i)));
}

export function isDelete(ev: AwEvent): boolean {
  return ev.kind === 'file.delete' || Boolean(ev.file?.intent?.includes('delete'));
}

export function isRead(ev: AwEvent): boolean {
  if (ev.kind === 'file.read') return true;
  if (ev.kind === 'file.open') return !ev.file?.intent || ev.file.intent.includes('read') || ev.file.intent.length === 0;
  return false;
}

export function commandLine(ev: AwEvent): string | undefined {
  const argv = ev.process?.argv;
  if (argv?.length) return argv.join(' ');
  return ev.process?.exe;
}

/** Text of a tool call input (shell command, file path or the JSON). */
export function toolInputText(ev: AwEvent): string {
  const input = ev.agent?.tool?.input;
  if (input === undefined) return '';
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    if (typeof o.command === 'string') return o.command;
    if (typeof o.file_path === 'string') return o.file_path;
    if (typeof o.path === 'string') return o.path;
    if (typeof o.url === 'string') return o.url;
  }
  return JSON.stringify(input);
}

export function endpointOf(ev: AwEvent): string | undefined {
  const n = ev.network;
  if (n) {
    const host = n.dst_host ?? n.dst_ip;
    if (!host) return undefined;
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return n.dst_port !== undefined ? `${h}:${n.dst_port}` : h;
  }
  if (ev.dns) return ev.dns.query;
  if (ev.tls?.sni) return ev.tls.sni;
  if (ev.gateway?.http?.url) return ev.gateway.http.url;
  return undefined;
}

/** One-line human summary of an event (unescaped: callers escape for their medium). */
export function summarize(ev: AwEvent): string {
  const a = ev.agent;
  switch (categoryOf(ev)) {
    case 'prompt':
      return `prompt: ${a?.prompt?.text ?? ''}`;
    case 'response':
      return `response: ${a?.response?.text ?? ''}`;
    case 'tool':
      return `${ev.kind === 'agent.tool.result' ? 'tool result' : 'tool call'} ${a?.tool?.name ?? '?'}${a?.tool?.mcp_server ? ` (mcp ${a.tool.mcp_server})` : ''}: ${ev.kind === 'agent.tool.result' ? `${a?.tool?.status ?? ''} ${a?.tool?.output !== undefined ? JSON.stringify(a.tool.output) : ''}` : toolInputText(ev)}`;
    case 'subagent':
      return `sub-agent spawned ${a?.subagent?.session_id ?? a?.subagent?.agent_id ?? ''}${a?.subagent?.description ? `: ${a.subagent.description}` : ''}`;
    case 'decision':
      return `decision ${a?.decision?.action ?? ev.gateway?.decision ?? ''}${a?.decision?.reason ? `: ${a.decision.reason}` : ''}`;
    case 'alert':
      return `ALERT [${ev.alert?.severity ?? '?'}] ${ev.alert?.ioc_id ? ev.alert.ioc_id + ' ' : ''}${ev.alert?.title ?? ''}`;
    case 'incident': {
      const at = ev.attributes ?? {};
      return `incident ${String(at.incident_id ?? '')} ${String(at.action ?? '')}${at.detail ? `: ${String(at.detail)}` : ''}`;
    }
    case 'process':
      if (ev.kind === 'process.exit') return `exit ${ev.process?.pid ?? ''} code ${ev.process?.exit_code ?? ''}`;
      if (ev.kind === 'library.load') return `load ${ev.library?.path ?? ''}`;
      return `${ev.kind === 'process.fork' ? 'fork' : 'exec'} ${commandLine(ev) ?? ''} (pid ${ev.process?.pid ?? '?'}${ev.process?.ppid !== undefined ? ` ppid ${ev.process.ppid}` : ''})`;
    case 'file': {
      const f = ev.file;
      const verb = isDelete(ev) ? 'delete' : ev.kind === 'file.rename' ? 'rename' : isWrite(ev) ? 'write' : 'read';
      const cred = credentialKind(f?.path);
      return `${verb} ${f?.path ?? ev.registry?.key ?? ''}${f?.target_path ? ` -> ${f.target_path}` : ''}${cred ? ` [credential: ${cred}]` : ''}`;
    }
    case 'network':
      return `${ev.kind.slice(8)} ${endpointOf(ev) ?? ''}${ev.network?.bytes_out ? ` out ${ev.network.bytes_out}B` : ''}`;
    case 'gateway':
      return `${ev.kind} ${ev.gateway?.statement?.text ?? ev.gateway?.http?.url ?? ''}${ev.gateway?.decision ? ` [${ev.gateway.decision}]` : ''}`;
    case 'session':
      return `${ev.kind === 'agent.session.start' ? 'session start' : 'session end'} ${ev.session?.agent.kind ?? ''} ${ev.session?.agent.version ?? ''}`;
    case 'sensor':
      return `${ev.sensor?.name ?? ''} ${ev.sensor?.state ?? ''} ${ev.sensor?.drops ? JSON.stringify(ev.sensor.drops) : ''}`;
    default:
      return ev.kind;
  }
}
