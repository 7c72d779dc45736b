// `agentwarden exporters list|test|export` end to end: the real CLI in a child process,
// a real store, and a loopback receiver in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, tempHome } from '../../testing/index.js';
import { HttpReceiver } from './testing/receivers.js';
import { verifyWebhook } from './webhook/index.js';
import { sampleEvents } from './mapping/samples.js';

function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawnCli(args);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

test('list, test and export against a live receiver; failures are reported', async () => {
  const home = tempHome();
  const r = await new HttpReceiver().start();
  const cfgFile = join(home, 'aw.yaml');
  writeFileSync(
    cfgFile,
    `exporters:
  - type: webhook
    name: hook
    url: ${r.url}/hook
    secret: k3y
    filter: { kinds: ['file.*', alert] }
  - type: splunk-hec
    name: dead
    url: http://127.0.0.1:1
    token: t
`,
  );
  const base = ['--store', home, '--config', cfgFile];

  const l = await cli([...base, 'exporters', 'list', '--json']);
  assert.equal(l.code, 0, l.stderr);
  const rows = JSON.parse(l.stdout);
  assert.deepEqual(
    rows.map((x: any) => [x.name, x.type, x.target]),
    [
      ['hook', 'webhook', `${r.url}/hook`],
      ['dead', 'splunk-hec', 'http://127.0.0.1:1/services/collector/event'],
    ],
  );
  assert.ok(!l.stdout.includes('k3y'), 'no secrets in the listing');

  const t = await cli([...base, 'exporters', 'test', '--timeout', '1', '--json']);
  assert.equal(t.code, 1, 'one exporter cannot be reached');
  const res = JSON.parse(t.stdout);
  assert.deepEqual(
    res.map((x: any) => [x.name, x.ok]),
    [
      ['hook', true],
      ['dead', false],
    ],
  );
  assert.equal(r.requests.length, 1);
  assert.ok(verifyWebhook('k3y', r.requests[0].headers['x-agentwarden-signature'] as string, r.requests[0].body));
  assert.equal(JSON.parse(r.requests[0].body.toString('utf8'))[0].alert.rule_id, 'AW-EXPORTER-TEST');

  const events = sampleEvents();
  const ing = await cli([...base, 'ingest', '-'], events.map((e) => JSON.stringify({ ...e, seq: undefined })).join('\n') + '\n');
  assert.equal(ing.code, 0, ing.stderr);
  const before = r.requests.length;
  const x = await cli([...base, 'exporters', 'export', '--to', 'hook', '--json']);
  assert.equal(x.code, 0, x.stderr);
  const out = JSON.parse(x.stdout);
  assert.equal(out.read, events.length);
  const wanted = events.filter((e) => e.kind.startsWith('file.') || e.kind === 'alert').length;
  assert.equal(out.exporters[0].sent, wanted);
  assert.equal(out.exporters[0].filtered, events.length - wanted);
  const got = r.requests.slice(before).flatMap((q) => JSON.parse(q.body.toString('utf8')));
  assert.equal(got.length, wanted);
  assert.ok(got.every((e: any) => typeof e.seq === 'number'), 'stored events carry their seq');

  const tpl = await cli([...base, 'exporters', 'elastic-template', '--index', 'logs-aw.custom-prod']);
  assert.equal(tpl.code, 0, tpl.stderr);
  assert.deepEqual(JSON.parse(tpl.stdout).index_patterns, ['logs-aw.custom-*']);

  const bad = await cli([...base, 'exporters', 'export', '--to', 'nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no exporter named 'nope'/);
  await r.stop();
});
