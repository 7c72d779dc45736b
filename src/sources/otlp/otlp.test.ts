import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { repoRoot, sharedDir, spawnCli, tempHome } from '../../testing/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { AwEvent } from '../../schema/index.js';
import { decodeProtobuf, encodeRequestProtobuf } from './decode.js';
import { OTLP_PROTO } from './proto/otlp-proto.js';

interface SampleFile {
  version: string;
  records: Array<{ name: string; body: string; attributes: Record<string, unknown> }>;
}

/** Wraps the flattened sample records (Agent Beacon fixtures) into a real OTLP/JSON logs request. */
function logsRequest(f: SampleFile, t0 = 1796313602000000000n): unknown {
  const resKeys = ['service.name', 'service.version'];
  const first = f.records[0].attributes;
  const kv = (k: string, v: unknown) => ({ key: k, value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : typeof v === 'boolean' ? { boolValue: v } : { stringValue: String(v) } });
  return {
    resourceLogs: [
      {
        resource: { attributes: resKeys.filter((k) => first[k] !== undefined).map((k) => kv(k, first[k])) },
        scopeLogs: [
          {
            scope: { name: 'agent-events', version: f.version },
            logRecords: f.records.map((r, i) => ({
              timeUnixNano: String(t0 + BigInt(i) * 1000000n),
              body: { stringValue: r.body },
              attributes: Object.entries(r.attributes).filter(([k]) => !resKeys.includes(k)).map(([k, v]) => kv(k, v)),
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
            })),
          },
        ],
      },
    ],
  };
}

const sample = (agent: string, file: string): SampleFile => JSON.parse(readFileSync(sharedDir('data', 'agents', agent, 'otel', file), 'utf8')) as SampleFile;

async function startOtlp(home: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawnCli(['--store', home, 'otlp', 'serve', '--port', '0']);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`otlp serve did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function events(home: string): AwEvent[] {
  const st = openStoreReadonly(resolvePaths(home));
  try {
    return (st.query({ limit: 100000 }) as AwEvent[]).filter((e) => e.source.type === 'otlp' && e.kind !== 'sensor.status');
  } finally {
    st.close();
  }
}

async function post(url: string, path: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: Buffer; type: string | null }> {
  const r = await fetch(url + path, { method: 'POST', body, headers });
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type') };
}

test('the embedded proto text is the vendored otlp.proto', () => {
  assert.equal(OTLP_PROTO, readFileSync(join(repoRoot(), 'src', 'sources', 'otlp', 'proto', 'otlp.proto'), 'utf8'));
});

test('OTLP logs from Claude Code and Codex samples, as JSON, protobuf and gzip, become agent events', async () => {
  const home = tempHome('aw-otlp-');
  const srv = await startOtlp(home);
  try {
    const claudeTools = logsRequest(sample('claude-code', 'beacon-testdata-claude-code-2.1.220.json'));
    const claudeLife = logsRequest(sample('claude-code', 'beacon-testdata-claude-code-lifecycle-2.1.220.json'), 1796313603000000000n);
    const codex = logsRequest(sample('codex', 'beacon-testdata-codex-0.142.4.json'), 1796313604000000000n);
    let r = await post(srv.url, '/v1/logs', JSON.stringify(claudeTools), { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body.toString()), {});
    r = await post(srv.url, '/v1/logs', encodeRequestProtobuf('logs', claudeLife), { 'content-type': 'application/x-protobuf' });
    assert.equal(r.status, 200);
    assert.equal(r.type, 'application/x-protobuf');
    r = await post(srv.url, '/v1/logs', gzipSync(encodeRequestProtobuf('logs', codex)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    assert.equal(r.status, 200);
  } finally {
    await srv.stop();
  }
  const evs = events(home);
  const n = sample('claude-code', 'beacon-testdata-claude-code-2.1.220.json').records.length + sample('claude-code', 'beacon-testdata-claude-code-lifecycle-2.1.220.json').records.length + sample('codex', 'beacon-testdata-codex-0.142.4.json').records.length;
  assert.equal(evs.length, n, 'one event per log record');
  const bash = evs.find((e) => e.kind === 'agent.tool.result' && e.agent?.tool?.call_id === 'toolu_fixture_bash')!;
  assert.equal(bash.session?.agent.kind, 'claude-code');
  assert.equal(bash.session?.id, 'claude-session');
  assert.equal(bash.session?.agent.version, '2.1.220');
  assert.equal(bash.agent?.tool?.name, 'Bash');
  assert.deepEqual(bash.agent?.tool?.input, { command: 'echo CLAUDE_MARKER', description: 'Echo a marker string' });
  assert.equal(bash.agent?.tool?.status, 'ok');
  assert.equal(bash.agent?.tool?.duration_ms, 94);
  assert.equal(bash.time, '2026-12-03T16:00:02.002000000Z', 'the record time (third record: t0 + 2 ms)');
  const decision = evs.find((e) => e.kind === 'agent.decision' && e.session?.agent.kind === 'claude-code')!;
  assert.equal(decision.agent?.decision?.action, 'allow');
  assert.equal(decision.agent?.tool?.call_id, 'toolu_fixture_bash');
  const prompt = evs.find((e) => e.kind === 'agent.prompt')!;
  assert.equal(prompt.agent?.prompt?.text, 'CLAUDE_LIFECYCLE_MARKER');
  assert.equal(evs.find((e) => e.kind === 'agent.response')?.agent?.response?.text, 'CLAUDE_RESPONSE_MARKER');
  const api = evs.find((e) => e.agent?.raw_type === 'claude_code.api_request' && e.session?.id === 'claude-lifecycle-session')!;
  assert.deepEqual(api.agent?.usage, { input_tokens: 10, output_tokens: 4 });
  assert.equal(api.agent?.model, 'claude-opus-5');
  const cx = evs.find((e) => e.kind === 'agent.tool.result' && e.session?.agent.kind === 'codex')!;
  assert.equal(cx.session?.id, 'codex-session');
  assert.equal(cx.agent?.tool?.name, 'exec_command');
  assert.equal(cx.agent?.tool?.call_id, 'call_fixture');
  assert.equal((cx.agent?.tool?.input as { cmd: string }).cmd, 'echo CODEX_MARKER');
  assert.equal((cx.attributes?.otel as { trace_id: string }).trace_id, '5b8efff798038103d269b633813fc60c');
});

test('OTLP traces and metrics (protobuf and JSON): tool spans, sub-agent spans, token usage', async () => {
  const home = tempHome('aw-otlp-');
  const srv = await startOtlp(home);
  const traces = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gemini-cli' } }, { key: 'service.version', value: { stringValue: '0.61.0' } }] },
        scopeSpans: [
          {
            scope: { name: 'gemini-cli' },
            spans: [
              { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: '1111111111111111', name: 'agent_call', kind: 1, startTimeUnixNano: '1796313602000000000', endTimeUnixNano: '1796313609000000000', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'agent_call' } }, { key: 'gen_ai.agent.name', value: { stringValue: 'codebase_investigator' } }, { key: 'session.id', value: { stringValue: 'g-1' } }] },
              { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: '2222222222222222', parentSpanId: '1111111111111111', name: 'run_shell_command', kind: 1, startTimeUnixNano: '1796313603000000000', endTimeUnixNano: '1796313603250000000', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'tool_call' } }, { key: 'gen_ai.tool.name', value: { stringValue: 'run_shell_command' } }, { key: 'gen_ai.tool.call_id', value: { stringValue: 'run_shell_command-1796313603000-ab12' } }, { key: 'gen_ai.conversation.id', value: { stringValue: 'g-1' } }], status: { code: 1 } },
            ],
          },
        ],
      },
    ],
  };
  const metrics = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code' },
            metrics: [
              { name: 'claude_code.token.usage', unit: 'tokens', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: '1796313605000000000', asDouble: 1234, attributes: [{ key: 'type', value: { stringValue: 'input' } }, { key: 'session.id', value: { stringValue: 'c-9' } }, { key: 'model', value: { stringValue: 'claude-opus-5' } }] }] } },
              { name: 'claude_code.cost.usage', unit: 'USD', sum: { dataPoints: [{ timeUnixNano: '1796313605000000000', asDouble: 0.25, attributes: [{ key: 'session.id', value: { stringValue: 'c-9' } }] }] } },
            ],
          },
        ],
      },
    ],
  };
  try {
    const body = encodeRequestProtobuf('traces', traces);
    // The protobuf decoder and the JSON reader agree on the flat shape.
    assert.equal(decodeProtobuf('traces', body).items.length, 2);
    assert.equal((await post(srv.url, '/v1/traces', body, { 'content-type': 'application/x-protobuf' })).status, 200);
    assert.equal((await post(srv.url, '/v1/metrics', JSON.stringify(metrics), { 'content-type': 'application/json' })).status, 200);
  } finally {
    await srv.stop();
  }
  const evs = events(home);
  const tool = evs.find((e) => e.kind === 'agent.tool.call')!;
  assert.equal(tool.session?.agent.kind, 'gemini-cli');
  assert.equal(tool.session?.id, 'g-1');
  assert.equal(tool.agent?.tool?.call_id, 'run_shell_command-1796313603000-ab12');
  assert.equal(tool.agent?.tool?.duration_ms, 250);
  assert.equal(tool.agent?.tool?.status, 'ok');
  assert.equal((tool.attributes?.otel as { parent_span_id: string }).parent_span_id, '1111111111111111');
  const sub = evs.find((e) => e.kind === 'agent.subagent.spawn')!;
  assert.equal(sub.agent?.subagent?.description, 'codebase_investigator');
  const tok = evs.find((e) => e.agent?.raw_type === 'claude_code.token.usage')!;
  assert.deepEqual(tok.agent?.usage, { input_tokens: 1234 });
  assert.equal(tok.session?.id, 'c-9');
  assert.equal(evs.filter((e) => e.kind === 'agent.telemetry').length, 2);
});

test('bad OTLP requests get 4xx with a reason, and later good requests are still stored', async () => {
  const home = tempHome('aw-otlp-');
  const srv = await startOtlp(home);
  try {
    let r = await post(srv.url, '/v1/logs', '{"resourceLogs": [', { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.body.toString()).message, /cannot decode the logs request/);
    r = await post(srv.url, '/v1/logs', Buffer.from([0xff, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    assert.equal(r.status, 400);
    assert.equal((await post(srv.url, '/v1/logs', 'x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(srv.url, '/v2/logs', '{}', { 'content-type': 'application/json' })).status, 404);
    assert.equal((await fetch(`${srv.url}/v1/logs`)).status, 405);
    r = await post(srv.url, '/v1/logs', JSON.stringify(logsRequest(sample('codex', 'beacon-testdata-codex-0.142.4.json'))), { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
  } finally {
    await srv.stop();
  }
  assert.equal(events(home).length, sample('codex', 'beacon-testdata-codex-0.142.4.json').records.length);
});
