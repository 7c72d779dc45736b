import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../testing/index.js';
import { resolveScope, scopeEvents } from '../common/scope.js';
import { openIncident } from '../incident/incidents.js';
import { HOSTILE, buildStory } from '../testutil.js';
import { renderTimeline, timelineHtml } from './timeline.js';

function render(format: 'text' | 'json' | 'timesketch' | 'html', target?: string) {
  const story = buildStory({ hostile: true });
  const scope = resolveScope(story.store, target ?? story.s1);
  let out = '';
  renderTimeline(scopeEvents(story.store, scope), scope, format, (s) => (out += s));
  story.store.close();
  return { story, out };
}

test('text timeline: the exfiltration story in order, terminal-safe', () => {
  const { story, out } = render('text');
  const lines = out.trim().split('\n').slice(1);
  const idx = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const order = [/prompt: read my aws creds/, /tool call Bash: cat .*credentials/, /exec cat .*credentials \(pid 202/, /read .*\.aws\/credentials \[credential: AWS credentials\]/, /exec curl/, /connect 127\.0\.0\.1:48123/, /sub-agent spawned sess-claude-1-sub/, /ALERT \[critical\] AW-IOC-CRED-001/];
  const at = order.map(idx);
  assert.ok(at.every((i) => i >= 0), `missing: ${order.filter((_, j) => at[j] < 0).join(' ')}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, 'in time order');
  assert.ok(!out.includes('\u001b'), 'escape sequences are neutralized');
  assert.ok(out.includes('\\u001b[31m'));
  assert.ok(story.seq.alert > 0);
});

test('json and timesketch timelines parse line by line with the required fields', () => {
  const json = render('json').out.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; time: string; event: { kind: string } });
  assert.ok(json.length >= 12);
  assert.ok(json.some((r) => r.event.kind === 'network.connect'));
  const ts = render('timesketch').out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const r of ts) {
    assert.equal(typeof r.message, 'string');
    assert.match(String(r.datetime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    assert.ok(!Number.isNaN(Date.parse(String(r.datetime))));
    assert.equal(typeof r.timestamp_desc, 'string');
    assert.equal(Math.floor(Number(r.timestamp) / 1000), Date.parse(String(r.datetime)));
  }
  const cred = ts.find((r) => r.timestamp_desc === 'Credential Access')!;
  assert.match(String(cred.path), /\.aws\/credentials$/);
  assert.equal(cred.pid, 202);
  assert.ok(ts.some((r) => r.timestamp_desc === 'Prompt Received'));
  assert.ok(ts.some((r) => r.timestamp_desc === 'Sub-agent Spawned'));
});

test('incident timeline covers every session of the incident and its freeze action', () => {
  const story = buildStory();
  const inc = openIncident(story.store, { sessions: [story.s1, story.s2] });
  const scope = resolveScope(story.store, inc.id);
  const timed = scopeEvents(story.store, scope);
  assert.ok(timed.some((t) => t.ev.session?.id === story.s2));
  assert.ok(timed.some((t) => t.ev.kind === 'incident.action' && t.ev.attributes?.action === 'freeze'));
  for (let i = 1; i < timed.length; i++) assert.ok(timed[i - 1].ns <= timed[i].ns);
  story.store.close();
  const cli = runCli(['--store', story.home, 'timeline', inc.id, '--format', 'timesketch']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(cli.stdout.trim().split('\n').length, timed.length);
  assert.equal(runCli(['--store', story.home, 'timeline', 'no-such-session']).code, 1);
});

async function chromium() {
  if (!existsSync('/usr/bin/chromium')) return undefined;
  const { chromium: c } = await import('playwright-core');
  return c.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

test('HTML timeline: hostile markup and script render as text and never execute (headless Chromium)', async (t) => {
  const browser = await chromium();
  if (!browser) return t.skip('needs /usr/bin/chromium (scripts/apt-packages.txt)');
  try {
    const story = buildStory({ hostile: true });
    const scope = resolveScope(story.store, story.s1);
    const timed = scopeEvents(story.store, scope);
    story.store.close();
    const file = join(mkdtempSync(join(tmpdir(), 'aw-html-')), 'timeline.html');
    const html = timelineHtml(timed, scope);
    writeFileSync(file, html);
    assert.ok(!/https?:\/\//.test(html.replace(/http:\/\/127\.0\.0\.1:48123\/collect/g, '')), 'self-contained: no external URLs');
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('#aw-rows tr');
    // Evaluated as strings: this file is compiled without the DOM library.
    const state = (await page.evaluate(`({
      pwned: window.__pwned,
      rows: document.querySelectorAll('#aw-rows tr').length,
      imgs: document.querySelectorAll('#aw-rows img, #aw-rows script').length,
      text: document.getElementById('aw-rows').textContent,
    })`)) as { pwned?: number; rows: number; imgs: number; text: string };
    assert.equal(state.pwned, undefined, 'no injected script ran');
    assert.equal(state.imgs, 0, 'no element was created from event text');
    assert.equal(state.rows, timed.length);
    assert.ok(state.text.includes('<script>window.__pwned=1</script>'), 'hostile text shown literally');
    assert.deepEqual(dialogs, []);
    assert.deepEqual(requests, []);
    // Search filters rows; a category filter hides rows.
    await page.fill('#aw-q', 'credentials');
    const filtered = (await page.evaluate(`document.querySelectorAll('#aw-rows tr').length`)) as number;
    assert.ok(filtered > 0 && filtered < timed.length, `search shows ${filtered} of ${timed.length}`);
    await page.fill('#aw-q', '');
    await page.click('input[data-cat="process"]');
    const noProc = (await page.evaluate(`[...document.querySelectorAll('#aw-rows tr')].filter((r) => r.className === 'c-process').length`)) as number;
    assert.equal(noProc, 0);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.ok(HOSTILE.includes('onerror'));
  } finally {
    await browser.close();
  }
});

