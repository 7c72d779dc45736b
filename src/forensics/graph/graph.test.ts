import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../testing/index.js';
import { resolveScope } from '../common/scope.js';
import { buildStory } from '../testutil.js';
import { delegationGraph, toDot, toHtml, toMermaid } from './graph.js';

test('delegation graph: parent -> sub-agent edge with the context, tool calls and files that flowed along it', () => {
  const story = buildStory({ hostile: true });
  try {
    // From the child: its parent is found too.
    const g = delegationGraph(story.store, resolveScope(story.store, story.s2));
    assert.deepEqual(g.nodes.map((n) => n.id).sort(), [story.s1, story.s2].sort());
    assert.equal(g.edges.length, 1);
    const e = g.edges[0];
    assert.equal(e.parent, story.s1);
    assert.equal(e.child, story.s2);
    assert.equal(e.spawn_seq, story.seq.spawn);
    assert.equal(e.parent_tool_call_id, 'toolu_02');
    assert.match(e.context.description!, /^review /);
    assert.deepEqual(e.tool_calls.map((t) => t.name), ['Write']);
    assert.ok(e.files_written.some((f) => f.endsWith('/notes.md')));
    // Renderers keep hostile text inert.
    const dot = toDot(g);
    assert.match(dot, /digraph delegation/);
    assert.ok(dot.includes('onerror=\\"window.__pwned=2\\"'), 'quotes escaped in dot labels');
    const mm = toMermaid(g);
    assert.ok(!mm.includes('<script>') && mm.includes('#60;script#62;'));
    const html = toHtml(g);
    assert.ok(!html.includes('<script>window'), 'no raw hostile markup in the HTML');
  } finally {
    story.store.close();
  }
});

test('graph HTML renders the edge text inertly in headless Chromium; CLI formats', async (t) => {
  const story = buildStory({ hostile: true });
  story.store.close();
  for (const f of ['dot', 'mermaid', 'json']) {
    const r = runCli(['--store', story.home, 'graph', story.s1, '--format', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(story.s2), f);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'aw-graph-')), 'g.html');
  const r = runCli(['--store', story.home, 'graph', story.s1, '--format', 'html', '--out', file]);
  assert.equal(r.code, 0, r.stderr);
  if (!existsSync('/usr/bin/chromium')) return t.skip('needs /usr/bin/chromium');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    await page.waitForSelector('.node');
    const s = (await page.evaluate(`({ pwned: window.__pwned, nodes: document.querySelectorAll('.node').length, imgs: document.querySelectorAll('#aw-graph img, #aw-graph script').length, text: document.getElementById('aw-graph').textContent })`)) as { pwned?: number; nodes: number; imgs: number; text: string };
    assert.equal(s.pwned, undefined);
    assert.equal(s.imgs, 0);
    assert.equal(s.nodes, 2);
    assert.ok(s.text.includes('task: review <script>window.__pwned=1</script>'));
  } finally {
    await browser.close();
  }
});
