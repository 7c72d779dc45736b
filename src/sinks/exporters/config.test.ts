// The `exporters:` config section: valid configs load and build sinks; bad ones are
// rejected at load time with a file:line:col error pointing at the offending key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../config/load.js';
import { LocatedError } from '../../core/errors.js';
import { createExporters } from './factory.js';

const good = `
exporters:
  - type: jsonl-file
    name: local
    path: /tmp/aw-exporters-config-test/events.jsonl
    filter: { kinds: [alert, 'network.*'], min_severity: medium }
  - type: webhook
    name: hook
    url: https://hooks.example/aw
    secret: abc
    buffer: { capacity: 1000, when_full: drop_oldest }
  - type: splunk-hec
    name: splunk
    url: https://splunk.example:8088
    token: 11111111-2222-3333-4444-555555555555
    index: agentwarden
  - type: elastic
    name: es
    url: https://es.example:9200
    api_key: a2V5
    retry: { max_attempts: 3, initial_backoff_ms: 500 }
  - type: sentinel
    name: sentinel
    endpoint: https://dcr-a1b2.westeurope-1.ingest.monitor.azure.com
    dcr_immutable_id: dcr-00112233445566778899aabbccddeeff
    stream: Custom-AgentWarden_CL
    tenant_id: t
    client_id: c
    client_secret: s
  - type: logscale
    name: falcon
    url: https://cloud.us.humio.com
    token: x
  - type: ocsf
    name: lake
    path: /tmp/aw-exporters-config-test/ocsf.jsonl
  - type: otlp-logs
    name: otel
    url: http://127.0.0.1:4318
  - type: syslog
    name: rsyslog
    host: 127.0.0.1
    protocol: udp
    facility: auth
`;

function located(text: string): LocatedError {
  try {
    parseConfigText(text, 'aw.yaml');
  } catch (err) {
    assert.ok(err instanceof LocatedError, String(err));
    return err;
  }
  assert.fail('expected a LocatedError');
}

test('a valid exporters section loads and builds one sink per exporter', async () => {
  const cfg = parseConfigText(good, 'aw.yaml');
  const sinks = createExporters(cfg);
  assert.deepEqual(
    sinks.map((s) => s.name),
    ['local', 'hook', 'splunk', 'es', 'sentinel', 'falcon', 'lake', 'otel', 'rsyslog'],
  );
  await Promise.all(sinks.map((s) => s.close()));
});

test('an unknown key is located at its line and column', () => {
  const e = located(good.replace('    index: agentwarden\n', '    indx: agentwarden\n'));
  assert.equal(e.code, 'CONFIG_INVALID');
  assert.equal(e.line, 16);
  assert.equal(e.column, 5);
  assert.match(e.message, /^aw\.yaml:16:5: CONFIG_INVALID: .*indx: unknown key/);
});

test('an unknown exporter type is rejected with the allowed types', () => {
  const e = located('exporters:\n  - type: splonk\n    name: x\n');
  assert.equal(e.line, 2);
  assert.match(e.message, /type.*(jsonl-file|must be equal)/);
});

test('a missing required setting and a bad value are located', () => {
  const e = located('exporters:\n  - type: splunk-hec\n    name: s\n    token: t\n');
  assert.match(e.message, /url/);
  assert.equal(e.line, 2);
  const e2 = located('exporters:\n  - type: elastic\n    name: es\n    url: ftp://x\n    api_key: k\n');
  assert.equal(e2.line, 4);
  assert.match(e2.message, /url/);
  const e3 = located('exporters:\n  - type: webhook\n    name: h\n    url: https://x\n    secret: a\n    filter: { min_severity: severe }\n');
  assert.equal(e3.line, 6);
  assert.match(e3.message, /min_severity/);
});

test('a secret is required in exactly one form', () => {
  const e = located('exporters:\n  - type: webhook\n    name: h\n    url: https://x\n');
  assert.equal(e.line, 2);
  assert.throws(() => createExporters([{ type: 'webhook', name: 'a', url: 'https://x', secret_file: '/nonexistent/aw-secret' }]), /cannot read secret_file/);
});

test('duplicate exporter names are refused', () => {
  assert.throws(
    () =>
      createExporters([
        { type: 'jsonl-file', name: 'a', path: '/tmp/x' },
        { type: 'jsonl-file', name: 'a', path: '/tmp/y' },
      ]),
    /duplicate exporter name 'a'/,
  );
});

test('type-specific rules: ocsf needs a path or a url, syslog a known facility, sentinel a dcr id', () => {
  assert.equal(located('exporters:\n  - type: ocsf\n    name: o\n').line, 2);
  const e = located('exporters:\n  - type: syslog\n    name: s\n    host: h\n    facility: local9\n');
  assert.equal(e.line, 5);
  const e2 = located('exporters:\n  - type: sentinel\n    name: s\n    endpoint: https://x\n    dcr_immutable_id: nope\n    stream: Custom-X\n    tenant_id: t\n    client_id: c\n    client_secret: s\n');
  assert.equal(e2.line, 5);
  assert.match(e2.message, /dcr_immutable_id/);
});
