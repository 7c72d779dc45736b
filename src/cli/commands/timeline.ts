// `agentwarden timeline SESSION|INCIDENT`: everything that happened, in order.
import { createWriteStream, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { resolveScope, scopeEvents } from '../../forensics/common/scope.js';
import { renderTimeline, type TimelineFormat } from '../../forensics/timeline/timeline.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { requireStoreDir } from './incident.js';

const FORMATS = ['text', 'json', 'html', 'timesketch'];

export const timelineCommand: Command = {
  summary: 'timeline of a session or incident (text, json, html, timesketch)',
  usage: `Usage: agentwarden timeline SESSION|INCIDENT [--format text|json|html|timesketch] [--out FILE]

Every prompt, tool call, process, file and network event, sub-agent spawn, decision and
alert of the session (or of all the incident's sessions) in time order.
  text        one line per event (time, category, session, seq, summary)
  json        one JSON object per line: the summary fields plus the full event
  html        one self-contained file with filtering and search (no network needed)
  timesketch  JSONL with message, datetime, timestamp_desc (imports into Timesketch as is)`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const target = positionals[0];
    if (!target) throw new AwError('USAGE', 'timeline SESSION|INCIDENT');
    const format = (values.format ?? (ctx.json || values.json ? 'json' : 'text')) as TimelineFormat;
    if (!FORMATS.includes(format)) throw new AwError('USAGE', `--format is one of ${FORMATS.join(', ')}`);
    requireStoreDir(ctx);
    const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
    try {
      const scope = resolveScope(store, target);
      const timed = scopeEvents(store, scope);
      if (values.out) {
        if (format === 'html') {
          let html = '';
          renderTimeline(timed, scope, format, (s) => (html += s));
          writeFileSync(values.out, html);
        } else {
          const ws = createWriteStream(values.out);
          renderTimeline(timed, scope, format, (s) => ws.write(s));
          await new Promise<void>((res, rej) => ws.end((err?: Error | null) => (err ? rej(err) : res())));
        }
        ctx.err.write(`wrote ${timed.length} event(s) to ${values.out}\n`);
      } else renderTimeline(timed, scope, format, (s) => ctx.out.write(s));
    } finally {
      store.close();
    }
    return 0;
  },
};
