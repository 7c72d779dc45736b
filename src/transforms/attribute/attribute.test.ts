import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AwEvent, EventProcess } from '../../schema/index.js';
import { Attributor } from './attribute.js';
import { AgentCatalog } from './catalog.js';

const catalog = AgentCatalog.load();
let t = 0;
const ev = (kind: AwEvent['kind'], pid: number, more: { ppid?: number; process?: Partial<EventProcess>; file?: AwEvent['file'] } = {}): AwEvent => ({
  time: new Date(1_800_000_000_000 + t++).toISOString(),
  kind,
  source: { type: 'test' },
  ...(more.file ? { file: more.file } : {}),
  process: { ...(more.process ?? {}), pid, ...(more.ppid ? { ppid: more.ppid } : {}) },
});

describe('agent catalog', () => {
  it('matches executables, interpreter scripts and env-launched scripts; not plain tools', () => {
    assert.equal(catalog.match('/opt/x/claude.exe', ['claude'])?.sig.kind, 'claude-code');
    assert.equal(catalog.match('/usr/bin/node', ['node', '/x/node_modules/@google/gemini-cli/bundle/gemini.js', '-p', 'hi'])?.sig.kind, 'gemini-cli');
    assert.equal(catalog.match('/usr/bin/env', ['/usr/bin/env', 'node', '/x/node_modules/.bin/codex', 'exec'])?.sig.kind, 'codex');
    assert.equal(catalog.match('/usr/bin/node', ['node', '/x/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'])?.sig.kind, 'mcp-server');
    assert.equal(catalog.match('/usr/bin/cat', ['cat', 'claude']), undefined);
    assert.equal(catalog.match('/usr/bin/node', ['node', 'server.js', 'claude']), undefined);
  });
  it('rejects a bad user catalog with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aw-cat-'));
    try {
      const f = join(dir, 'bad.yaml');
      writeFileSync(f, 'agents:\n  - kind: mine\n    exe_regex: ["(unclosed"]\n');
      assert.throws(() => AgentCatalog.load([f]), /bad\.yaml:2:\d+: CATALOG_INVALID: .*exe_regex/);
      writeFileSync(f, 'agents:\n  - kind: my-agent\n    exe: [myagent]\n    session_env: [MY_SESSION]\n');
      const c = AgentCatalog.load([f]);
      assert.equal(c.match('/usr/local/bin/myagent', ['myagent'])?.sig.kind, 'my-agent');
      assert.equal(c.isMarker('MY_SESSION'), true);
      assert.equal(c.match('/x/claude', ['claude'])?.sig.kind, 'claude-code', 'shipped entries stay');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Attributor', () => {
  it('agent sub-session inside a tracked tree gets the agent id from the child marker; held events carry it', () => {
    const a = new Attributor({ catalog, holdMs: 10_000 });
    const out: AwEvent[] = [];
    const emit = (e: AwEvent) => out.push(e);
    a.addRoot(100, { cwd: '/w' });
    a.apply(ev('process.exec', 100, { process: { pid: 100, exe: '/usr/bin/node', argv: ['node', 'run-agent.mjs'] } }), emit);
    a.apply(ev('process.fork', 101, { ppid: 100 }), emit);
    a.apply(ev('process.exec', 101, { process: { pid: 101, exe: '/x/claude.exe', argv: ['/x/.bin/claude', '-p', 'hi'] } }), emit);
    a.apply(ev('file.open', 101, { file: { path: '/w/README.md', intent: ['read'] } }), emit);
    assert.equal(out.length, 2, 'the agent session waits for its id (the fork belongs to the parent)');
    a.apply(ev('process.fork', 102, { ppid: 101 }), emit);
    a.apply(ev('process.exec', 102, { process: { pid: 102, exe: '/bin/bash', argv: ['bash', '-c', 'cat x'], env_markers: { CLAUDECODE: '1', CLAUDE_CODE_SESSION_ID: 'sess-1' } } }), emit);
    a.apply(ev('process.fork', 103, { ppid: 102 }), emit);
    a.apply(ev('process.exec', 103, { process: { pid: 103, exe: '/usr/bin/cat', argv: ['cat', 'x'] } }), emit);
    a.apply(ev('file.open', 103, { file: { path: '/w/x', intent: ['read'] } }), emit);
    const agentEvents = out.filter((e) => e.session?.agent.kind === 'claude-code');
    assert.ok(agentEvents.length >= 6);
    assert.ok(agentEvents.every((e) => e.session?.id === 'sess-1'));
    const rd = out.find((e) => e.file?.path === '/w/x')!;
    assert.equal(rd.process?.depth, 2);
    assert.deepEqual(rd.process?.ancestry?.map((x) => x.pid), [102, 101]);
    assert.equal(rd.process?.exe, '/usr/bin/cat');
    assert.equal(rd.session?.root_pid, 101);
    assert.ok(rd.session?.parent_id, 'sub-session of the run session');
    const root = out.find((e) => e.process?.pid === 100)!;
    assert.equal(root.session?.agent.kind, 'unknown');
  });

  it('a marker without an agent process does not make a session', () => {
    const a = new Attributor({ catalog });
    const out: AwEvent[] = [];
    a.addRoot(200);
    a.apply(ev('process.exec', 200, { process: { pid: 200, exe: '/bin/bash', argv: ['bash'], env_markers: { CLAUDECODE: '1', CLAUDE_CODE_SESSION_ID: 'ide-terminal' } } }), (e) => out.push(e));
    assert.equal(out.length, 1);
    assert.equal(out[0].session?.agent.kind, 'unknown');
    assert.notEqual(out[0].session?.id, 'ide-terminal');
    assert.equal(a.list().length, 1);
  });

  it('holds at most holdMs, then releases with the generated id (flagged)', () => {
    let now = 0;
    const a = new Attributor({ catalog, holdMs: 1000, now: () => now });
    const out: AwEvent[] = [];
    a.addRoot(300, { exe: '/x/claude', argv: ['claude'] });
    a.apply(ev('file.open', 300, { file: { path: '/w/a', intent: ['read'] } }), (e) => out.push(e));
    a.tick((e) => out.push(e));
    assert.equal(out.length, 0);
    now = 1500;
    a.tick((e) => out.push(e));
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].process?.flags, ['session_id_generated']);
  });

  it('an event before its fork waits and is marked late', () => {
    const a = new Attributor({ catalog, lateWaitMs: 10_000 });
    const out: AwEvent[] = [];
    a.addRoot(400);
    a.apply(ev('file.open', 401, { file: { path: '/w/early', intent: ['read'] } }), (e) => out.push(e));
    assert.equal(out.length, 0);
    a.apply(ev('process.fork', 401, { ppid: 400 }), (e) => out.push(e));
    const early = out.find((e) => e.file?.path === '/w/early')!;
    assert.equal(early.session?.attribution, 'late');
    assert.ok(early.process?.flags?.includes('late_attribution'));
    assert.equal(early.process?.depth, 1);
  });

  it('codex: session id from the rollout file path', () => {
    const a = new Attributor({ catalog });
    const out: AwEvent[] = [];
    a.addRoot(500, { exe: '/usr/bin/env', argv: ['/usr/bin/env', 'node', '/x/.bin/codex', 'exec'] });
    a.apply(ev('file.open', 500, { file: { path: '/h/.codex/sessions/2026/12/03/rollout-2026-12-03T16-00-00-01a23cae-23b0-71d3-82db-42030c0adadc.jsonl', intent: ['write', 'create'] } }), (e) => out.push(e));
    assert.equal(out[0].session?.id, '01a23cae-23b0-71d3-82db-42030c0adadc');
    assert.equal(out[0].session?.agent.kind, 'codex');
  });
});

describe('Attributor argv on later events', () => {
  it('keeps the full argv on exec and an abbreviation on the process’s other events', () => {
    const a = new Attributor({ catalog });
    const out: AwEvent[] = [];
    a.addRoot(600);
    const argv = ['cat', ...Array.from({ length: 5000 }, (_, i) => `/repo/dir/file-${i}.txt`)];
    a.apply(ev('process.exec', 600, { process: { exe: '/usr/bin/cat', argv } }), (e) => out.push(e));
    a.apply(ev('file.open', 600, { file: { path: '/repo/dir/file-1.txt', intent: ['read'] } }), (e) => out.push(e));
    assert.equal(out[0].process?.argv?.length, 5001);
    const later = out[1].process!;
    assert.ok(later.argv!.length < 200);
    assert.equal(later.argv![0], 'cat');
    assert.match(later.argv![later.argv!.length - 1], /more arguments; full argv on the process\.exec event/);
    assert.ok(later.flags?.includes('argv_abbreviated'));
  });
});
