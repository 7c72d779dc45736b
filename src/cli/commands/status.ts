// `agentwarden status`: health and counters of the running daemon.
import { parseArgs } from 'node:util';
import { askDaemon } from '../../daemon/status-socket.js';
import type { CliContext, Command } from '../context.js';
import { paint, termSafe } from '../output.js';

export const statusCommand: Command = {
  summary: 'health, event and drop counters of the running daemon',
  usage: `Usage: agentwarden status [--json]

Asks the running daemon (its socket in the store home's run/ directory).
Exit status: 0 healthy, 1 degraded (a service restarting or stalled, drops counted), 2 no daemon.`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
    let st: { daemon: Record<string, any>; services: Record<string, Record<string, any>> };
    try {
      st = (await askDaemon(ctx.paths, 'status')) as typeof st;
    } catch (err) {
      if (ctx.json || values.json) ctx.out.write(`${JSON.stringify({ running: false, error: (err as Error).message })}\n`);
      else ctx.err.write(`no daemon answering at ${ctx.paths.runDir} (${termSafe((err as Error).message)}); start it with 'agentwarden daemon'\n`);
      return 2;
    }
    const degraded = Object.values(st.services).some((s) => (s.state && s.state !== 'running') || Object.keys(s.drops ?? {}).length > 0 || s.error);
    if (ctx.json || values.json) {
      ctx.out.write(`${JSON.stringify({ running: true, healthy: !degraded, ...st })}\n`);
      return degraded ? 1 : 0;
    }
    render(ctx, st, degraded);
    return degraded ? 1 : 0;
  },
};

function render(ctx: CliContext, st: { daemon: Record<string, any>; services: Record<string, Record<string, any>> }, degraded: boolean): void {
  const d = st.daemon;
  ctx.out.write(`${degraded ? paint(ctx.out, 'yellow', 'DEGRADED') : paint(ctx.out, 'green', 'OK')}  daemon pid ${d.pid} on ${termSafe(d.host)}, since ${termSafe(d.started)}\n`);
  ctx.out.write(`  events emitted ${d.events_emitted}, stored ${d.store.acknowledged} (last seq ${d.store.last_seq}), store queue drops ${d.store.queue_dropped}\n`);
  for (const [name, s] of Object.entries(st.services)) {
    const drops = s.drops && Object.keys(s.drops).length ? paint(ctx.out, 'red', ` drops ${termSafe(JSON.stringify(s.drops))}`) : ' drops 0';
    const extra = Object.entries(s)
      .filter(([k]) => !['drops', 'state'].includes(k))
      .map(([k, v]) => `${k}=${termSafe(typeof v === 'object' ? JSON.stringify(v) : v)}`)
      .join(' ');
    ctx.out.write(`  ${termSafe(name)}: ${termSafe(s.state ?? 'running')}${drops}\n    ${extra}\n`);
  }
}

/** `agentwarden sessions --live`: the daemon's registry of agent sessions. */
export async function liveSessions(ctx: CliContext, json: boolean): Promise<number> {
  let list: Array<Record<string, any>>;
  try {
    list = (await askDaemon(ctx.paths, 'sessions')) as typeof list;
  } catch (err) {
    ctx.err.write(`no daemon answering at ${ctx.paths.runDir} (${termSafe((err as Error).message)}); start it with 'agentwarden daemon'\n`);
    return 2;
  }
  if (json) {
    for (const s of list) ctx.out.write(`${JSON.stringify(s)}\n`);
    return 0;
  }
  const { table } = await import('../output.js');
  ctx.out.write(
    table(
      ['SESSION', 'AGENT', 'VERSION', 'ROOT PID', 'LIVE', 'PIDS', 'EVENTS', 'STARTED', 'ID FROM'],
      list.map((s) => [s.id, s.agent?.kind, s.agent?.version ?? '', s.root_pid, s.live ? 'yes' : 'ended', s.live_pids ?? '', s.events, s.started, s.id_source]),
    ),
  );
  return 0;
}
