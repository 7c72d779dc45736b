// Timelines of a session or incident: every prompt, tool call, process, file, network
// event, sub-agent spawn, decision and alert in time order, as text (plaso-like, one line
// per event), JSON lines, Timesketch JSONL, or one self-contained HTML file.
import { createHash } from 'node:crypto';
import { formatTimeNs } from '../../schema/index.js';
import { termSafe } from '../../cli/output.js';
import { categoryOf, credentialKind, endpointOf, summarize, timestampDesc, type Category } from '../common/classify.js';
import type { Scope, TimedEvent } from '../common/scope.js';

export type TimelineFormat = 'text' | 'json' | 'html' | 'timesketch';

export interface TimelineEntry {
  seq: number;
  time: string;
  kind: string;
  category: Category;
  session?: string;
  parent_session?: string;
  agent?: string;
  tool_call_id?: string;
  pid?: number;
  summary: string;
}

export function toEntry(t: TimedEvent): TimelineEntry {
  const ev = t.ev;
  return {
    seq: ev.seq,
    time: ev.time,
    kind: ev.kind,
    category: categoryOf(ev),
    session: ev.session?.id,
    parent_session: ev.session?.parent_id,
    agent: ev.session?.agent?.kind,
    tool_call_id: ev.session?.tool_call_id ?? ev.agent?.tool?.call_id,
    pid: ev.process?.pid,
    summary: summarize(ev),
  };
}

/** Writes the timeline in `format` through `write` (streams; nothing is held twice). */
export function renderTimeline(timed: TimedEvent[], scope: Scope, format: TimelineFormat, write: (s: string) => void): void {
  switch (format) {
    case 'text': {
      write(`# timeline of ${termSafe(scope.kind)} ${termSafe(scope.id)}: ${timed.length} event(s), sessions ${termSafe(scope.sessions.join(', '))}\n`);
      let buf = '';
      for (const t of timed) {
        const e = toEntry(t);
        buf += `${e.time}  ${e.category.padEnd(8)}  ${termSafe(e.session ?? '-')}  #${e.seq}  ${termSafe(e.summary)}\n`;
        if (buf.length > 1 << 16) {
          write(buf);
          buf = '';
        }
      }
      write(buf);
      return;
    }
    case 'json': {
      let buf = '';
      for (const t of timed) {
        const e = toEntry(t);
        buf += `${JSON.stringify({ ...e, event: t.ev })}\n`;
        if (buf.length > 1 << 16) {
          write(buf);
          buf = '';
        }
      }
      write(buf);
      return;
    }
    case 'timesketch': {
      let buf = '';
      for (const t of timed) buf += `${JSON.stringify(timesketchRow(t))}\n`;
      write(buf);
      return;
    }
    case 'html':
      write(timelineHtml(timed, scope));
      return;
  }
}

/** One Timesketch JSONL row: message, datetime, timestamp_desc (+ timestamp in us and fields). */
export function timesketchRow(t: TimedEvent): Record<string, unknown> {
  const ev = t.ev;
  const iso = formatTimeNs(t.ns); // ...T15:43:41.123456789Z
  const row: Record<string, unknown> = {
    message: summarize(ev),
    datetime: `${iso.slice(0, 26)}+00:00`,
    timestamp: Number(t.ns / 1000n),
    timestamp_desc: timestampDesc(ev),
    data_type: `agentwarden:${ev.kind}`,
    kind: ev.kind,
    audit_seq: ev.seq,
  };
  if (ev.session) {
    row.session_id = ev.session.id;
    row.agent = ev.session.agent?.kind;
    if (ev.session.parent_id) row.parent_session_id = ev.session.parent_id;
    if (ev.session.tool_call_id) row.tool_call_id = ev.session.tool_call_id;
  }
  if (ev.host?.name) row.hostname = ev.host.name;
  if (ev.process) {
    row.pid = ev.process.pid;
    if (ev.process.argv) row.command_line = ev.process.argv.join(' ');
  }
  if (ev.file?.path) {
    row.path = ev.file.path;
    const ck = credentialKind(ev.file.path);
    if (ck) row.credential = ck;
  }
  const ep = endpointOf(ev);
  if (ep) row.endpoint = ep;
  if (ev.agent?.tool) row.tool = ev.agent.tool.name;
  if (ev.agent?.tool?.mcp_server) row.mcp_server = ev.agent.tool.mcp_server;
  if (ev.alert) {
    row.severity = ev.alert.severity;
    row.rule_id = ev.alert.rule_id;
    if (ev.alert.ioc_id) row.ioc_id = ev.alert.ioc_id;
    row.tag = ['alert', ev.alert.severity];
  }
  return row;
}

/** JSON text that is safe inside a <script type="application/json"> element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// The viewer script. It only ever puts event text into the page with textContent, and the
// page's Content-Security-Policy allows this one script (by hash) and nothing else, so even
// markup that slipped through could not run.
const VIEWER_JS = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('aw-data').textContent);
  var rows = data.rows;
  var tbody = document.getElementById('aw-rows');
  var q = document.getElementById('aw-q');
  var sess = document.getElementById('aw-session');
  var count = document.getElementById('aw-count');
  var more = document.getElementById('aw-more');
  var cats = {};
  var PAGE = 2000;
  var shown = PAGE;
  var boxes = document.getElementById('aw-cats');
  data.categories.forEach(function (c) {
    cats[c] = true;
    var l = document.createElement('label');
    var b = document.createElement('input');
    b.type = 'checkbox'; b.checked = true; b.dataset.cat = c;
    b.addEventListener('change', function () { cats[c] = b.checked; shown = PAGE; render(); });
    l.appendChild(b); l.appendChild(document.createTextNode(' ' + c));
    boxes.appendChild(l);
  });
  data.sessions.forEach(function (s) {
    var o = document.createElement('option'); o.value = s; o.textContent = s; sess.appendChild(o);
  });
  function matches(r, needle) {
    if (!cats[r[2]]) return false;
    if (sess.value && r[3] !== sess.value) return false;
    if (!needle) return true;
    return (r[5] + ' ' + r[1] + ' ' + (r[3] || '') + ' ' + r[6]).toLowerCase().indexOf(needle) >= 0;
  }
  function render() {
    var needle = q.value.trim().toLowerCase();
    var frag = document.createDocumentFragment();
    var n = 0, total = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (!matches(r, needle)) continue;
      total++;
      if (n >= shown) continue;
      n++;
      var tr = document.createElement('tr');
      tr.className = 'c-' + r[2];
      [r[0], r[1], r[2], r[3] || '', r[4] === null ? '' : String(r[4]), r[5]].forEach(function (v, j) {
        var td = document.createElement('td');
        td.textContent = j === 0 ? '#' + v : v;
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    }
    tbody.textContent = '';
    tbody.appendChild(frag);
    count.textContent = total + ' of ' + rows.length + ' event(s)' + (total > n ? ', showing ' + n : '');
    more.hidden = total <= n;
  }
  q.addEventListener('input', function () { shown = PAGE; render(); });
  sess.addEventListener('change', function () { shown = PAGE; render(); });
  more.addEventListener('click', function () { shown += PAGE; render(); });
  render();
})();
`;

const CSS = `
body{font:13px/1.4 system-ui,sans-serif;margin:0;color:#1d232b;background:#fafbfc}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #d8dee4;padding:8px 12px;z-index:1}
h1{font-size:15px;margin:0 0 6px}
#aw-cats label{margin-right:10px;white-space:nowrap}
input[type=search]{width:28em;padding:3px 6px}
table{border-collapse:collapse;width:100%}
td{padding:2px 8px;border-bottom:1px solid #eef1f4;vertical-align:top;white-space:pre-wrap;word-break:break-word}
td:nth-child(1),td:nth-child(2){white-space:nowrap;color:#57606a;font-family:ui-monospace,monospace;font-size:12px}
tr.c-alert{background:#ffebe9}tr.c-prompt{background:#ddf4ff}tr.c-tool{background:#fbefff}
tr.c-network{background:#fff8c5}tr.c-subagent{background:#dafbe1}tr.c-incident{background:#eaeef2}
#aw-count{color:#57606a;margin-left:8px}
`;

export function timelineHtml(timed: TimedEvent[], scope: Scope): string {
  const rows = timed.map((t) => {
    const e = toEntry(t);
    return [e.seq, e.time, e.category, e.session ?? null, e.pid ?? null, e.summary, e.kind];
  });
  const categories = [...new Set(rows.map((r) => r[2] as string))].sort();
  const sessions = [...new Set(rows.map((r) => r[3]).filter((s): s is string => typeof s === 'string'))].sort();
  const data = jsonForScript({ scope: { kind: scope.kind, id: scope.id, sessions: scope.sessions }, categories, sessions, rows });
  const scriptHash = createHash('sha256').update(VIEWER_JS).digest('base64');
  const title = `AgentWarden timeline: ${scope.kind} ${scope.id}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-${scriptHash}'; style-src 'unsafe-inline'; img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style></head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<div><input type="search" id="aw-q" placeholder="search text, time, session" aria-label="search">
<select id="aw-session" aria-label="session"><option value="">all sessions</option></select><span id="aw-count"></span></div>
<div id="aw-cats"></div></header>
<table><thead><tr><th>seq</th><th>time</th><th>what</th><th>session</th><th>pid</th><th>detail</th></tr></thead><tbody id="aw-rows"></tbody></table>
<p><button id="aw-more" hidden>show more</button></p>
<script type="application/json" id="aw-data">${data}</script>
<script>${VIEWER_JS}</script>
</body></html>
`;
}
