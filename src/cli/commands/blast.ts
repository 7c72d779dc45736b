// `agentwarden blast-radius SESSION|INCIDENT`: what the session(s) touched.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { blastRadius, type BlastRadius } from '../../forensics/blast/blast.js';
import { resolveScope } from '../../forensics/common/scope.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { table, termSafe } from '../output.js';
import { requireStoreDir } from './incident.js';

export function renderBlast(br: BlastRadius): string {
  const out: string[] = [];
  out.push(`blast radius of ${termSafe(br.scope.kind)} ${termSafe(br.scope.id)}: ${br.events} event(s), ${termSafe(br.window.start ?? '')} .. ${termSafe(br.window.end ?? '')}\n`);
  const sec = (title: string, headers: string[], rows: unknown[][]) => {
    out.push(`\n${title} (${rows.length})\n`);
    if (rows.length) out.push(table(headers, rows, 90));
  };
  sec('credentials read', ['PATH', 'KIND', 'PROCESS', 'PID', 'TOOL CALL', 'TIME', 'SEQ'], br.credentials.map((c) => [c.path, c.kind, c.process ?? '', c.pid ?? '', c.tool_call_id ?? '', c.time, c.seq]));
  sec('endpoints contacted', ['ENDPOINT', 'COUNT', 'AFTER CRED READ', 'PROCESSES', 'FIRST'], br.endpoints.map((e) => [e.endpoint, e.count, e.after_credential_read ? 'yes' : '', e.processes.join(' '), e.first_time]));
  sec('files written', ['PATH', 'COUNT', 'FIRST'], br.files.written.map((f) => [f.path, f.count, f.first_time]));
  sec('files deleted', ['PATH', 'COUNT', 'FIRST'], br.files.deleted.map((f) => [f.path, f.count, f.first_time]));
  sec('files read', ['PATH', 'COUNT', 'CREDENTIAL', 'FIRST'], br.files.read.map((f) => [f.path, f.count, f.credential ?? '', f.first_time]));
  sec('processes run', ['PID', 'PPID', 'COMMAND', 'TIME'], br.processes.map((p) => [p.pid, p.ppid ?? '', p.command, p.time]));
  sec('sub-agents spawned', ['SESSION', 'AGENT', 'PARENT', 'DESCRIPTION'], br.subagents.map((s) => [s.session_id ?? '', s.agent_id ?? '', s.parent_session ?? '', s.description ?? '']));
  sec('git commits and pushes', ['KIND', 'SHA', 'REPO', 'SUBJECT / COMMAND', 'TIME'], br.git.map((g) => [g.kind, g.sha ?? '', g.repo ?? '', g.subject ?? g.command ?? '', g.time]));
  sec('tools used', ['TOOL', 'CALLS', 'MCP SERVER'], br.tools.map((t) => [t.name, t.calls, t.mcp_server ?? '']));
  if (br.models.length) out.push(`\nmodels: ${termSafe(br.models.join(', '))}\n`);
  sec('alerts', ['SEQ', 'SEVERITY', 'IOC', 'RULE', 'TITLE'], br.alerts.map((a) => [a.seq, a.severity, a.ioc_id ?? '', a.rule_id, a.title]));
  return out.join('');
}

export const blastCommand: Command = {
  summary: 'blast radius of a session or incident: files, credentials, endpoints, processes, sub-agents, commits',
  usage: `Usage: agentwarden blast-radius SESSION|INCIDENT [--json] [--no-git]

Every file read, written or deleted, credential read, endpoint contacted, process run,
sub-agent spawned, tool used and git commit made or pushed (git log of the workspaces
in the window, unless --no-git). This is the input of the containment playbooks.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, 'no-git': { type: 'boolean' } }, allowPositionals: true });
    const target = positionals[0];
    if (!target) throw new AwError('USAGE', 'blast-radius SESSION|INCIDENT');
    requireStoreDir(ctx);
    const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
    try {
      const br = blastRadius(store, resolveScope(store, target), { git: !values['no-git'] });
      ctx.out.write(ctx.json || values.json ? `${JSON.stringify(br)}\n` : renderBlast(br));
    } finally {
      store.close();
    }
    return 0;
  },
};
