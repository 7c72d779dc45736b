import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, tempHome } from '../testing/index.js';

const good = (i: number, extra: object = {}) =>
  JSON.stringify({ time: `2026-12-03T12:00:0${i}.000000123Z`, kind: 'file.open', source: { type: 'test' }, session: { id: 'S1', agent: { kind: 'gemini-cli', version: '0.61.0' } }, process: { pid: 42 }, file: { path: `/w/f${i}` }, ...extra });

test('--version and --help', () => {
  assert.match(runCli(['--version']).stdout, /^agentwarden \d+\.\d+\.\d+/);
  const h = runCli(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['ingest', 'events', 'sessions', 'verify', 'key']) assert.match(h.stdout, new RegExp(`\\n  ${c}\\s`));
  assert.equal(runCli(['nope']).code, 2);
  assert.match(runCli(['events', '--help']).stdout, /Usage: agentwarden events/);
});

test('ingest keeps good lines, rejects bad ones with line numbers', () => {
  const home = tempHome();
  const input = [good(1), '{not json', good(2), JSON.stringify({ kind: 'file.open', source: { type: 't' } }), JSON.stringify({ time: '2026-12-03T12:00:00Z', kind: 'made.up', source: { type: 't' } }), '', good(3, { surprise: 1 }), good(4)].join('\n');
  const r = runCli(['ingest', '-'], { input, env: { AGENTWARDEN_HOME: home } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^line 2: not JSON/m);
  assert.match(r.stderr, /^line 4: event: must have required property 'time'/m);
  assert.match(r.stderr, /^line 5: kind: must be one of/m);
  assert.match(r.stderr, /^line 7: event: unknown field 'surprise'/m);
  assert.match(r.stdout, /stored 3 event\(s\), rejected 4 line\(s\)/);
  const ev = runCli(['events', '--json'], { env: { AGENTWARDEN_HOME: home } });
  const rows = ev.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((e) => e.seq), [1, 2, 3]);
  assert.deepEqual(rows.map((e) => e.file.path), ['/w/f1', '/w/f2', '/w/f4']);
  assert.equal(runCli(['verify'], { env: { AGENTWARDEN_HOME: home } }).code, 0);
});

test('events filters and sessions', () => {
  const home = tempHome();
  const lines = [
    good(1),
    JSON.stringify({ time: '2026-12-03T12:00:05Z', kind: 'network.connect', source: { type: 't' }, session: { id: 'S2', agent: { kind: 'codex' } }, process: { pid: 7 }, network: { dst_ip: '10.0.0.1', dst_port: 443 } }),
    good(6),
  ].join('\n');
  assert.equal(runCli(['ingest'], { input: lines, env: { AGENTWARDEN_HOME: home } }).code, 0);
  const env = { AGENTWARDEN_HOME: home };
  const j = (args: string[]) => runCli([...args, '--json'], { env }).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(j(['events', '--session', 'S2']).length, 1);
  assert.equal(j(['events', '--kind', 'file.*']).length, 2);
  assert.equal(j(['events', '--dest', '10.0.0.1']).length, 1);
  assert.equal(j(['events', '--since', '2026-12-03T12:00:04Z']).length, 2);
  assert.equal(j(['events', '--until', '2026-12-03T12:00:04Z']).length, 1);
  assert.equal(j(['events', '--pid', '7']).length, 1);
  assert.equal(j(['events', '--after', '1', '--limit', '1'])[0].seq, 2);
  const s = j(['sessions']);
  assert.deepEqual(s.map((x) => x.session_id).sort(), ['S1', 'S2']);
  assert.equal(s.find((x) => x.session_id === 'S1').agent.version, '0.61.0');
  const table = runCli(['sessions'], { env }).stdout;
  assert.match(table, /SESSION\s+AGENT/);
  assert.equal(runCli(['events', '--since', 'yesterday-ish'], { env }).code, 2);
});

test('hostile event content cannot reach the terminal as escape sequences', () => {
  const home = tempHome();
  const evil = JSON.stringify({ time: '2026-12-03T12:00:00Z', kind: 'process.exec', source: { type: 't' }, process: { pid: 1, argv: ['sh', '\u001b]0;pwned\u0007\u001b[2J', 'x\u202eyz'] } });
  runCli(['ingest'], { input: evil, env: { AGENTWARDEN_HOME: home } });
  const out = runCli(['events'], { env: { AGENTWARDEN_HOME: home } }).stdout;
  assert.doesNotMatch(out, /\u001b|\u0007|\u202e/);
  assert.match(out, /\\u001b\]0;pwned/);
});

test('key show prints the public key', () => {
  const home = tempHome();
  const r = runCli(['key', 'show', '--json'], { env: { AGENTWARDEN_HOME: home } });
  const k = JSON.parse(r.stdout);
  assert.match(k.public_key_pem, /BEGIN PUBLIC KEY/);
  assert.match(k.note_verifier_key, /^agentwarden\+[0-9a-f]{8}\+/);
  assert.equal(JSON.parse(runCli(['key', 'show', '--json'], { env: { AGENTWARDEN_HOME: home } }).stdout).key_id, k.key_id, 'stable across runs');
});
