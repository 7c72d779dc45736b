// The one normalized event. Every source (kernel sensor, hooks, OTLP, importers, gateway)
// produces it, every transform enriches it, every sink stores or exports it.
// Field names are snake_case and stable; docs/event.schema.json publishes them and
// docs/schema-mapping.md maps each to Elastic Common Schema and OCSF.

/** Schema version written into every stored record. */
export const SCHEMA_VERSION = '1' as const;

/** Kernel activity kinds. */
export const KERNEL_KINDS = [
  'process.exec',
  'process.fork',
  'process.exit',
  'file.open',
  'file.read',
  'file.write',
  'file.create',
  'file.delete',
  'file.rename',
  'file.chmod',
  'file.chown',
  'file.truncate',
  'network.connect',
  'network.dns',
  'network.tls',
  'library.load',
  'persistence.change',
  'registry.change',
] as const;

/** Agent activity kinds (what the agents themselves report). */
export const AGENT_KINDS = [
  'agent.session.start',
  'agent.session.end',
  'agent.prompt',
  'agent.response',
  'agent.tool.call',
  'agent.tool.result',
  'agent.subagent.spawn',
  'agent.file.edit',
  'agent.decision',
  'agent.telemetry',
] as const;

/** Gateway activity kinds (L7 proxy). */
export const GATEWAY_KINDS = [
  'gateway.connection',
  'gateway.statement',
  'gateway.response',
  'gateway.mask',
  'gateway.block',
  'gateway.approval',
  'gateway.http',
] as const;

/** The product's own kinds: alerts and sensor health (drops, start/stop, detach). */
export const SYSTEM_KINDS = ['alert', 'sensor.status', 'sensor.drop', 'incident.action'] as const;

export const EVENT_KINDS = [...KERNEL_KINDS, ...AGENT_KINDS, ...GATEWAY_KINDS, ...SYSTEM_KINDS] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Known agent kinds; the signature catalog may add more (any lowercase token is accepted). */
export type AgentKind =
  | 'claude-code'
  | 'codex'
  | 'gemini-cli'
  | 'cursor'
  | 'copilot'
  | 'aider'
  | 'opencode'
  | 'cline'
  | 'mcp-server'
  | 'unknown'
  | (string & {});

/** Which component produced the event, and a reference back to the raw record. */
export interface EventSource {
  /** Component type: 'linux-ebpf' | 'ptrace' | 'hook' | 'otlp' | 'import' | 'gateway' | 'rules' | 'ingest' | ... */
  type: string;
  /** Instance name (e.g. 'claude-code-hook', 'sysmon-import', 'pg-gateway-main'). */
  name?: string;
  /** Reference to the raw record: 'file:line', ring-buffer sequence, OTLP span id, ... */
  ref?: string;
}

export interface EventHost {
  name: string;
  id?: string;
  os?: string;
  group?: string;
}

/** The agent session an event is attributed to. */
export interface EventSession {
  /** The agent's own session id where its markers give it, otherwise one AgentWarden assigned. */
  id: string;
  agent: { kind: AgentKind; version?: string; name?: string };
  /** Pid of the agent's root process on this host, if known. */
  root_pid?: number;
  user?: string;
  /** How the event was tied to the session. 'late' = after a bounded wait for out-of-order data. */
  attribution?: 'marker' | 'tree' | 'late' | 'hook' | 'import' | 'identity' | 'none';
  /** Agent-level join: the tool call whose execution caused this event. */
  tool_call_id?: string;
  /** Parent session for sub-agents (delegation graph). */
  parent_id?: string;
}

/** One ancestor of the acting process, nearest first. */
export interface AncestorRef {
  pid: number;
  exe?: string;
  argv0?: string;
}

/** The acting process. */
export interface EventProcess {
  pid: number;
  ppid?: number;
  tid?: number;
  exe?: string;
  argv?: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Process start time, RFC 3339 with nanoseconds. */
  start_time?: string;
  /** Depth below the agent root process (root = 0). */
  depth?: number;
  /** Ancestry up to (and including) the agent root, nearest first. */
  ancestry?: AncestorRef[];
  exit_code?: number;
  /** Commands decoded from `sh -c`, `python -c`, base64 pipelines, PowerShell -EncodedCommand. */
  decoded?: Array<{ via: string; text: string }>;
  /** Agent markers seen in the environment (names and values of known markers only). */
  env_markers?: Record<string, string>;
  /** Flags raised while decoding the capture: 'argv_truncated', 'late_attribution', ... */
  flags?: string[];
}

export type FileIntent = 'read' | 'write' | 'create' | 'truncate' | 'append' | 'exec' | 'delete' | 'rename' | 'chmod' | 'chown';

export interface EventFile {
  path: string;
  /** For rename: the new path. */
  target_path?: string;
  intent?: FileIntent[];
  flags?: number;
  mode?: number;
  owner_uid?: number;
  owner_gid?: number;
  size?: number;
  sha256?: string;
  /** Persistence class when the path is a persistence location: 'shell_rc' | 'cron' | 'systemd_user' | ... */
  persistence?: string;
}

export interface EventNetwork {
  transport?: 'tcp' | 'udp' | 'unix' | (string & {});
  family?: 'ipv4' | 'ipv6' | 'unix';
  direction?: 'outbound' | 'inbound';
  dst_ip?: string;
  dst_port?: number;
  src_ip?: string;
  src_port?: number;
  /** Destination host name when known (DNS, SNI, HTTP Host, URL). */
  dst_host?: string;
  bytes_out?: number;
  bytes_in?: number;
}

export interface EventDns {
  query: string;
  qtype?: string;
  answers?: string[];
  server?: string;
}

export interface EventTls {
  sni?: string;
  version?: string;
  alpn?: string[];
}

export interface EventLibrary {
  path: string;
}

export interface EventRegistry {
  key: string;
  value?: string;
  data?: string;
  operation?: 'set' | 'create' | 'delete' | 'rename';
}

/** Agent activity, aligned with the OpenTelemetry GenAI semantic conventions. */
export interface EventAgent {
  /** gen_ai.operation.name: 'chat' | 'execute_tool' | 'invoke_agent' | 'create_agent' ... */
  operation?: string;
  /** gen_ai.conversation.id */
  conversation_id?: string;
  /** gen_ai.agent.id / name */
  agent_id?: string;
  agent_name?: string;
  model?: string;
  provider?: string;
  prompt?: { text?: string; role?: string };
  response?: { text?: string; finish_reason?: string };
  tool?: {
    /** gen_ai.tool.name */
    name: string;
    /** gen_ai.tool.call.id */
    call_id?: string;
    category?: 'shell' | 'file_read' | 'file_write' | 'web_fetch' | 'mcp' | 'subagent' | 'search' | 'other';
    input?: unknown;
    output?: unknown;
    status?: 'ok' | 'error' | 'denied';
    duration_ms?: number;
    mcp_server?: string;
    /** Exit code of a shell tool, when the agent reports one (Codex, Cursor; Claude does not). */
    exit_code?: number;
  };
  subagent?: { session_id?: string; agent_id?: string; parent_tool_call_id?: string; description?: string };
  decision?: { action: 'allow' | 'deny' | 'ask' | 'approve'; reason?: string; by?: string; rule_id?: string };
  usage?: { input_tokens?: number; output_tokens?: number };
  /** Hook event name, OTLP event name, transcript record type: the raw vocabulary. */
  raw_type?: string;
}

export interface EventGateway {
  protocol: 'postgres' | 'http';
  connection_id: string;
  /** The authenticated agent identity (token subject) and its groups. */
  identity?: { subject: string; groups?: string[]; issuer?: string };
  database?: string;
  upstream?: string;
  statement?: { text: string; fingerprint?: string; protocol?: 'simple' | 'extended' | 'function_call' | 'copy' };
  http?: { method?: string; url?: string; host?: string; status?: number };
  decision?: 'allow' | 'block' | 'approval_required' | 'approved' | 'denied';
  reason?: string;
  rows?: number;
  masked?: Array<{ column?: string; detector?: string; count: number }>;
  duration_us?: number;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface EventAlert {
  rule_id: string;
  title: string;
  severity: Severity;
  /** IoC catalog id such as AW-IOC-CRED-001. */
  ioc_id?: string;
  /** Store sequence numbers (or event ids) of the events that triggered it. */
  trigger_seqs?: number[];
  trigger_ids?: string[];
  action?: 'alert' | 'deny' | 'require_approval';
  confidence?: number;
  tags?: string[];
  attack?: string[];
  atlas?: string[];
  message?: string;
}

/** Sensor health and loss accounting. */
export interface EventSensor {
  name: string;
  state?: 'started' | 'stopped' | 'detached' | 'died' | 'degraded';
  /** Loss counters by reason (ring_full, string_truncated, probe_error, queue_full...). */
  drops?: Record<string, number>;
  message?: string;
}

/**
 * A value replaced by a salted commitment before hashing. The store keeps the cleartext
 * and salt beside the record (so it can be disclosed, checked or purged) while the chain
 * covers only the commitment.
 */
export interface Commitment {
  $commit: string; // 'sha256:<hex of SHA-256(salt || canonical(value))>'
}

/** The normalized event. */
export interface AwEvent {
  /** Schema version. */
  v?: typeof SCHEMA_VERSION;
  /** Producer-assigned unique id (UUID or similar), used for de-duplication and cross references. */
  id?: string;
  /** Store sequence number: assigned by the store, ignored on ingest. */
  seq?: number;
  /** RFC 3339 UTC timestamp with up to nanosecond precision, e.g. 2026-12-03T15:43:41.123456789Z. */
  time: string;
  kind: EventKind;
  host?: EventHost;
  source: EventSource;
  session?: EventSession;
  process?: EventProcess;
  file?: EventFile;
  network?: EventNetwork;
  dns?: EventDns;
  tls?: EventTls;
  library?: EventLibrary;
  registry?: EventRegistry;
  agent?: EventAgent;
  gateway?: EventGateway;
  alert?: EventAlert;
  sensor?: EventSensor;
  /** Free-form extra attributes (string keys, JSON values). */
  attributes?: Record<string, unknown>;
}
