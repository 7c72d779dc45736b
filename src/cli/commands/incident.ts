// `agentwarden incident open|list|show|close`: incidents over agent sessions (src/forensics/incident).
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import type { ResponseConfig } from '../../forensics/config.js';
import { IncidentDb } from '../../forensics/incident/db.js';
import { closeIncident, openIncident } from '../../forensics/incident/incidents.js';
import { openIncidentsForAlerts } from '../../forensics/response.js';
import { openStore, storeDirOf } from '../../sinks/store/index.js';
import type { CliContext, Command } from '../context.js';
import { table, termSafe } from '../output.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function responseConfig(ctx: CliContext): ResponseConfig {
  return (ctx.config.response as ResponseConfig | undefined) ?? {};
}

export function requireStoreDir(ctx: CliContext): string {
  const dir = storeDirOf(ctx.paths, ctx.config.store ?? {});
  if (!existsSync(join(dir, 'events.db'))) throw new AwError('STORE_MISSING', `no store at ${dir}`);
  return dir;
}

export const incidentCommand: Command = {
  summary: 'open, list, show and close incidents (opening freezes the sessions)',
  usage: `Usage: agentwarden incident open --session ID [--session ID2]... [--reason TEXT] [--alert SEQ]...
       agentwarden incident list [--status open|closed] [--json]
       agentwarden incident show ID [--json]
       agentwarden incident close ID --resolution TEXT
       agentwarden incident scan        (open incidents for new alerts per the response tier)

Opening freezes the sessions: an incident.action event marking their records is appended
to the store and every file they referenced that still exists is snapshotted into the
incident's evidence directory. Every action is logged with who and when.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        session: { type: 'string', multiple: true },
        reason: { type: 'string' },
        alert: { type: 'string', multiple: true },
        resolution: { type: 'string' },
        status: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const sub = positionals[0];
    const json = ctx.json || values.json;
    const cfg = responseConfig(ctx);
    if (sub === 'open') {
      requireStoreDir(ctx);
      if (!values.session?.length) throw new AwError('USAGE', 'incident open needs --session ID');
      const alerts = (values.alert ?? []).map((a) => {
        if (!/^\d+$/.test(a)) throw new AwError('USAGE', '--alert takes a store sequence number');
        return Number(a);
      });
      const store = openStore(ctx.paths, ctx.config.store ?? {});
      try {
        const inc = openIncident(store, { sessions: values.session, reason: values.reason, alerts, cfg });
        if (json) ctx.out.write(`${JSON.stringify(inc)}\n`);
        else ctx.out.write(`opened ${inc.id} over ${inc.sessions.length} session(s); frozen at seq ${inc.freeze_seq}; evidence in ${termSafe(inc.evidence_dir)}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    if (sub === 'scan') {
      requireStoreDir(ctx);
      const store = openStore(ctx.paths, ctx.config.store ?? {});
      try {
        const r = openIncidentsForAlerts(store, cfg, { home: ctx.paths.home, exporters: exporterNames(ctx) });
        if (json) ctx.out.write(`${JSON.stringify({ scanned: r.scanned, opened: r.opened.map((i) => i.id), attached: r.attached, unattributed: r.unattributed, contained: r.contained })}\n`);
        else ctx.out.write(`tier ${cfg.tier ?? 'reactive'}: scanned ${r.scanned} alert(s), opened ${r.opened.length} incident(s)${r.opened.length ? ` (${r.opened.map((i) => i.id).join(', ')})` : ''}, attached ${r.attached.length}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    const dir = requireStoreDir(ctx);
    if (sub === 'list') {
      if (!existsSync(join(dir, 'forensics.db'))) {
        if (json) return 0;
        ctx.out.write('no incidents\n');
        return 0;
      }
      const db = IncidentDb.open(dir);
      try {
        const st = values.status;
        if (st && st !== 'open' && st !== 'closed') throw new AwError('USAGE', '--status is open or closed');
        const list = db.list({ status: st as 'open' | 'closed' | undefined });
        if (json) for (const i of list) ctx.out.write(`${JSON.stringify(i)}\n`);
        else ctx.out.write(table(['ID', 'STATUS', 'SEVERITY', 'OPENED', 'SESSIONS', 'ALERTS', 'TITLE'], list.map((i) => [i.id, i.status, i.severity, i.opened_at, i.sessions.join(','), i.alerts.length, i.title]), 60));
      } finally {
        db.close();
      }
      return 0;
    }
    if (sub === 'show') {
      const id = positionals[1];
      if (!id) throw new AwError('USAGE', 'incident show ID');
      const db = IncidentDb.open(dir);
      try {
        const inc = db.require(id);
        const log = db.logOf(id);
        if (json) ctx.out.write(`${JSON.stringify({ incident: inc, log })}\n`);
        else {
          const lines = [
            `incident  ${inc.id}  [${inc.status}]  severity ${inc.severity}`,
            `title     ${inc.title}`,
            `reason    ${inc.reason}`,
            `opened    ${inc.opened_at} by ${inc.opened_by}`,
            ...(inc.closed_at ? [`closed    ${inc.closed_at}: ${inc.resolution ?? ''}`] : []),
            `sessions  ${inc.sessions.join(', ')}`,
            `window    ${inc.window.start} .. ${inc.window.end}`,
            `alerts    ${inc.alerts.join(', ') || '(none)'}${inc.ioc_ids.length ? `  IoC ${inc.ioc_ids.join(', ')}` : ''}`,
            `evidence  ${inc.evidence_dir}`,
          ];
          ctx.out.write(lines.map(termSafe).join('\n') + '\n\naction log:\n');
          ctx.out.write(table(['#', 'TIME', 'ACTOR', 'ACTION', 'DETAIL'], log.map((l) => [l.n, l.time, l.actor, l.action, JSON.stringify(l.detail)]), 100));
        }
      } finally {
        db.close();
      }
      return 0;
    }
    if (sub === 'close') {
      const id = positionals[1];
      if (!id || !values.resolution) throw new AwError('USAGE', 'incident close ID --resolution TEXT');
      const store = openStore(ctx.paths, ctx.config.store ?? {});
      try {
        const inc = closeIncident(store, id, values.resolution);
        if (json) ctx.out.write(`${JSON.stringify(inc)}\n`);
        else ctx.out.write(`closed ${inc.id}: ${termSafe(inc.resolution)}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    throw new AwError('USAGE', `unknown subcommand '${termSafe(sub ?? '')}' (open, list, show, close, scan)`);
  },
};

/** Names of exporters configured in the `exporters:` section, if any (for notifications). */
export function exporterNames(ctx: CliContext): string[] {
  const ex = ctx.config.exporters as unknown;
  if (!ex || typeof ex !== 'object') return [];
  if (Array.isArray(ex)) return ex.map((e, i) => String((e as { name?: string; type?: string })?.name ?? (e as { type?: string })?.type ?? `exporter-${i}`));
  return Object.keys(ex as Record<string, unknown>).filter((k) => (ex as Record<string, unknown>)[k]);
}
