import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nowTime } from '../../schema/index.js';
import { runCli } from '../../testing/index.js';
import { buildStory } from '../testutil.js';
import { hunt } from './hunt.js';

test('hunt finds the sessions by file, host, command, model, IoC and MCP server; criteria combine with AND', () => {
  const story = buildStory();
  try {
    // A second, unrelated session that used an MCP server and touched another file.
    story.store.appendBatch([
      { event: { time: nowTime(), kind: 'agent.tool.call', source: { type: 'hook' }, session: { id: 'other', agent: { kind: 'codex' } }, agent: { model: 'gpt-5', tool: { name: 'mcp__github__create_issue', call_id: 'c1', input: { title: 'x' } } } } },
      { event: { time: nowTime(), kind: 'file.open', source: { type: 'linux-ebpf' }, session: { id: 'other', agent: { kind: 'codex' } }, process: { pid: 9 }, file: { path: '/etc/hosts', intent: ['read'] } } },
    ]);
    const ids = (q: Parameters<typeof hunt>[1]) => hunt(story.store, q).map((h) => h.session);
    assert.deepEqual(ids({ file: story.credPath }), [story.s1]);
    assert.deepEqual(ids({ file: `${story.workspace}/` }), [story.s2]);
    assert.deepEqual(ids({ host: '127.0.0.1' }), [story.s1]);
    assert.deepEqual(ids({ host: `127.0.0.1:${story.port}` }), [story.s1]);
    assert.deepEqual(ids({ host: '127.0.0.1:1' }), []);
    assert.deepEqual(ids({ command: 'curl -s -d' }), [story.s1]);
    assert.deepEqual(ids({ model: 'claude-sonnet-4-5' }), [story.s1]);
    assert.deepEqual(ids({ model: 'gpt-5' }), ['other']);
    assert.deepEqual(ids({ ioc: 'AW-IOC-CRED-001' }), [story.s1]);
    assert.deepEqual(ids({ mcp: 'github' }), ['other']);
    assert.deepEqual(ids({ mcp: 'github', host: '127.0.0.1' }), []);
    assert.deepEqual(ids({ file: story.credPath, host: '127.0.0.1' }), [story.s1]);
    const h = hunt(story.store, { file: story.credPath, command: 'curl' })[0];
    assert.ok(h.criteria.file && h.criteria.command);
  } finally {
    story.store.close();
  }
  const cli = runCli(['--store', story.home, 'hunt', '--host', '127.0.0.1', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal((JSON.parse(cli.stdout.trim()) as { session: string }).session, story.s1);
  assert.equal(runCli(['--store', story.home, 'hunt']).code, 2);
});
