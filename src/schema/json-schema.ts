// The JSON Schema (draft 2020-12) of the normalized event. docs/event.schema.json is
// written from this object by `npm run docs:schema` and a test keeps the two identical.
import { EVENT_KINDS } from './event.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nonNegInt = { type: 'integer', minimum: 0 } as const;
const strArray = { type: 'array', items: str } as const;

function obj(properties: Record<string, unknown>, required: string[] = [], additional = false, description?: string) {
  return { type: 'object', ...(description ? { description } : {}), properties, required, additionalProperties: additional };
}

export const EVENT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentwarden.dev/schema/event/v1.json',
  title: 'AgentWarden normalized event',
  description:
    'One event for everything AgentWarden sees: kernel, agent, gateway and alert activity. Unknown top-level fields are rejected; put extensions in `attributes`.',
  type: 'object',
  required: ['time', 'kind', 'source'],
  additionalProperties: false,
  properties: {
    v: { const: '1', description: 'Schema version.' },
    id: { type: 'string', maxLength: 200, description: 'Producer-assigned unique id.' },
    seq: { ...nonNegInt, description: 'Store sequence number (assigned by the store; ignored on ingest).' },
    time: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$',
      description: 'RFC 3339 timestamp with up to nanosecond precision.',
    },
    kind: { enum: [...EVENT_KINDS], description: 'What happened.' },
    host: obj({ name: str, id: str, os: str, group: str }, ['name']),
    source: obj({ type: { type: 'string', minLength: 1 }, name: str, ref: str }, ['type'], false, 'Which sensor or receiver, and a reference to the raw record.'),
    session: obj(
      {
        id: { type: 'string', minLength: 1 },
        agent: obj({ kind: { type: 'string', minLength: 1 }, version: str, name: str }, ['kind']),
        root_pid: int,
        user: str,
        attribution: { enum: ['marker', 'tree', 'late', 'hook', 'import', 'identity', 'none'] },
        tool_call_id: str,
        parent_id: str,
      },
      ['id', 'agent'],
    ),
    process: obj(
      {
        pid: int,
        ppid: int,
        tid: int,
        exe: str,
        argv: strArray,
        cwd: str,
        uid: int,
        gid: int,
        start_time: str,
        depth: nonNegInt,
        ancestry: { type: 'array', items: obj({ pid: int, exe: str, argv0: str }, ['pid']) },
        exit_code: int,
        decoded: { type: 'array', items: obj({ via: str, text: str }, ['via', 'text']) },
        env_markers: { type: 'object', additionalProperties: str },
        flags: strArray,
      },
      ['pid'],
    ),
    file: obj(
      {
        path: str,
        target_path: str,
        intent: { type: 'array', items: { enum: ['read', 'write', 'create', 'truncate', 'append', 'exec', 'delete', 'rename', 'chmod', 'chown'] } },
        flags: int,
        mode: int,
        owner_uid: int,
        owner_gid: int,
        size: nonNegInt,
        sha256: str,
        persistence: str,
      },
      ['path'],
    ),
    network: obj({
      transport: str,
      family: { enum: ['ipv4', 'ipv6', 'unix'] },
      direction: { enum: ['outbound', 'inbound'] },
      dst_ip: str,
      dst_port: int,
      src_ip: str,
      src_port: int,
      dst_host: str,
      bytes_out: nonNegInt,
      bytes_in: nonNegInt,
    }),
    dns: obj({ query: str, qtype: str, answers: strArray, server: str }, ['query']),
    tls: obj({ sni: str, version: str, alpn: strArray }),
    library: obj({ path: str }, ['path']),
    registry: obj({ key: str, value: str, data: str, operation: { enum: ['set', 'create', 'delete', 'rename'] } }, ['key']),
    agent: obj(
      {
        operation: str,
        conversation_id: str,
        agent_id: str,
        agent_name: str,
        model: str,
        provider: str,
        prompt: obj({ text: str, role: str }, [], true),
        response: obj({ text: str, finish_reason: str }, [], true),
        tool: obj(
          {
            name: str,
            call_id: str,
            category: { enum: ['shell', 'file_read', 'file_write', 'web_fetch', 'mcp', 'subagent', 'search', 'other'] },
            input: {},
            output: {},
            status: { enum: ['ok', 'error', 'denied'] },
            duration_ms: { type: 'number' },
            mcp_server: str,
          },
          ['name'],
          true,
        ),
        subagent: obj({ session_id: str, agent_id: str, parent_tool_call_id: str, description: str }, [], true),
        decision: obj({ action: { enum: ['allow', 'deny', 'ask', 'approve'] }, reason: str, by: str, rule_id: str }, ['action'], true),
        usage: obj({ input_tokens: nonNegInt, output_tokens: nonNegInt }, [], true),
        raw_type: str,
      },
      [],
      true,
      'Agent activity, aligned with the OpenTelemetry GenAI semantic conventions.',
    ),
    gateway: obj(
      {
        protocol: { enum: ['postgres', 'http'] },
        connection_id: str,
        identity: obj({ subject: str, groups: strArray, issuer: str }, ['subject'], true),
        database: str,
        upstream: str,
        statement: obj({ text: str, fingerprint: str, protocol: { enum: ['simple', 'extended', 'function_call', 'copy'] } }, ['text'], true),
        http: obj({ method: str, url: str, host: str, status: int }, [], true),
        decision: { enum: ['allow', 'block', 'approval_required', 'approved', 'denied'] },
        reason: str,
        rows: nonNegInt,
        masked: { type: 'array', items: obj({ column: str, detector: str, count: nonNegInt }, ['count'], true) },
        duration_us: { type: 'number' },
      },
      ['protocol', 'connection_id'],
      true,
    ),
    alert: obj(
      {
        rule_id: str,
        title: str,
        severity: { enum: ['info', 'low', 'medium', 'high', 'critical'] },
        ioc_id: str,
        trigger_seqs: { type: 'array', items: nonNegInt },
        trigger_ids: strArray,
        action: { enum: ['alert', 'deny', 'require_approval'] },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
        tags: strArray,
        attack: strArray,
        atlas: strArray,
        message: str,
      },
      ['rule_id', 'title', 'severity'],
      true,
    ),
    sensor: obj(
      {
        name: str,
        state: { enum: ['started', 'stopped', 'detached', 'died', 'degraded'] },
        drops: { type: 'object', additionalProperties: nonNegInt },
        message: str,
      },
      ['name'],
      true,
    ),
    attributes: { type: 'object' },
  },
} as const;
