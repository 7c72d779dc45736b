// `agentwarden replay SESSION`: decrypts and shows a gateway session recording.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { findRecording, listRecordings, loadRecordingKeys, readRecording, recordingDir } from '../../gateway/recording/index.js';
import type { Command } from '../context.js';
import { table, termSafe } from '../output.js';

export const replayCommand: Command = {
  summary: 'show a recorded gateway session (statements, decisions, masked results)',
  usage: `Usage: agentwarden replay SESSION|FILE [--rows N] [--json]
       agentwarden replay --list [--json]

Recordings are encrypted (AES-256-GCM); the key comes from gateway.recording.key / key_file
(old keys: gateway.recording.old_key_files) or <home>/keys/gateway-recording.key.
Results are shown as recorded: after masking. --rows limits rows printed per result (default 20).`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { list: { type: 'boolean' }, rows: { type: 'string' }, json: { type: 'boolean' } } });
    const cfg = ctx.config.gateway?.recording;
    const dir = recordingDir(ctx.paths, cfg);
    const json = ctx.json || values.json;
    if (values.list) {
      const recs = listRecordings(dir);
      if (json) for (const r of recs) ctx.out.write(`${JSON.stringify({ file: r.file, bytes: r.bytes, ...r.header })}\n`);
      else ctx.out.write(table(['SESSION', 'STARTED', 'PROTOCOL', 'AGENT', 'DATABASE', 'BYTES'], recs.map((r) => [r.header.session, r.header.started, r.header.protocol, r.header.agent, r.header.database ?? '', r.bytes])));
      return 0;
    }
    const session = positionals[0];
    if (!session) throw new AwError('USAGE', 'replay needs a SESSION id (see agentwarden replay --list)');
    const file = findRecording(dir, session);
    if (!file) throw new AwError('NOT_FOUND', `no recording for ${session} in ${dir}`);
    const rec = readRecording(file, loadRecordingKeys(ctx.paths, cfg, false).all);
    if (json) {
      ctx.out.write(`${JSON.stringify({ header: rec.header, truncated: rec.truncated })}\n`);
      for (const r of rec.records) ctx.out.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const h = rec.header;
    const maxRows = values.rows ? Number(values.rows) : 20;
    ctx.out.write(`session ${termSafe(h.session)}  agent ${termSafe(h.agent)} (${termSafe((h.groups ?? []).join(','))})  ${termSafe(h.protocol)}${h.database ? ` db ${termSafe(h.database)}` : ''}  started ${termSafe(h.started)}\n`);
    for (const r of rec.records) {
      const t = `+${(Number(r.t) / 1000).toFixed(3)}s`;
      if (r.type === 'statement') {
        ctx.out.write(`${t} [${termSafe(r.decision)}] ${termSafe(r.sql)}${r.reason ? `  -- ${termSafe(r.reason)}` : ''}${r.approval ? `  (approval ${termSafe(r.approval)}${r.approver ? ` by ${termSafe(r.approver)}` : ''})` : ''}\n`);
      } else if (r.type === 'result') {
        const data = (r.data as string[][] | undefined) ?? [];
        const masked = (r.masked as Array<{ column?: string; detector?: string; count: number }> | undefined) ?? [];
        ctx.out.write(`${t}   -> ${termSafe(r.tag)} rows=${termSafe(r.rows)} ${r.duration_us !== undefined ? `${termSafe(r.duration_us)}us` : ''}${masked.length ? ` masked: ${masked.map((m) => `${termSafe(m.column ?? m.detector)}x${m.count}`).join(', ')}` : ''}\n`);
        if (data.length && Array.isArray(r.columns)) {
          const shown = data.slice(0, maxRows);
          ctx.out.write(table(r.columns as string[], shown, 40).replace(/^/gm, '       '));
          if (data.length > shown.length) ctx.out.write(`       ... ${data.length - shown.length} more recorded row(s)\n`);
        } else if (data.length) for (const d of data.slice(0, maxRows)) ctx.out.write(`       ${termSafe(d.join(' '))}\n`);
      } else if (r.type === 'http') {
        ctx.out.write(`${t} [${termSafe(r.decision)}] ${termSafe(r.method)} ${termSafe(r.path)}${termSafe(r.query ?? '')} -> ${termSafe(r.status ?? '')}\n`);
        if (r.response) ctx.out.write(`       ${termSafe(String(r.response).slice(0, 400))}\n`);
      } else if (r.type === 'end') {
        ctx.out.write(`${t} end: ${termSafe(r.reason)} (${termSafe(r.statements)} statement(s), ${termSafe(r.blocked)} refused)\n`);
      } else ctx.out.write(`${t} ${termSafe(JSON.stringify(r))}\n`);
    }
    if (rec.truncated) ctx.out.write('(recording ends mid-frame: still being written or cut)\n');
    return 0;
  },
};
