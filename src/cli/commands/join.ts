// Analyst questions that cross the agent and kernel views:
//   agentwarden why SEQ | --pid PID [--at T]   which tool call (and prompt, session chain) ran this
//   agentwarden toolcall CALL_ID               what that tool call did on the machine
//   agentwarden delegation [--session ID]      parent -> child sessions with the parent tool call
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { parseTimeBound, type AwEvent } from '../../schema/index.js';
import { storedDelegationEdges, toolCallActivity, whichToolCall } from '../../transforms/join/index.js';
import type { Command } from '../context.js';
import { table, termSafe } from '../output.js';
import { openStoreReadonlyOrEmpty } from './store-commands.js';

function brief(v: unknown, n = 160): string {
  const s = termSafe(typeof v === 'string' ? v : JSON.stringify(v ?? ''));
  return s.length > n ? `${s.slice(0, n - 1)}\u2026` : s;
}

function procLine(ev: AwEvent): string {
  const p = ev.process;
  return `${ev.kind} pid ${p?.pid ?? '?'}${p?.ppid !== undefined ? ` ppid ${p.ppid}` : ''} ${brief((p?.argv ?? []).join(' ') || p?.exe || '', 120)}`;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new AwError('USAGE', `${name} must be a number`);
  return Number(v);
}

export const whyCommand: Command = {
  summary: 'which tool call, prompt and agent session caused a kernel event or process',
  usage: `Usage: agentwarden why SEQ [--json]
       agentwarden why --pid PID [--at T] [--json]

Joins the event (or the latest exec of PID at or before T) to the agent tool call that ran
it: by a tool-call marker in the environment, by descent from a process that ran the
call's command, or by the command text itself within the call's time window (and the
agent's session marker). Prints the process lineage, the tool call, its result, the
prompt it answered and the delegation chain up to the root session.
Exit status: 0 joined, 1 no tool call found, 2 usage error.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { pid: { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const seq = num('SEQ', positionals[0]);
    const pid = num('--pid', values.pid);
    if (seq === undefined && pid === undefined) throw new AwError('USAGE', 'give SEQ or --pid PID');
    const atNs = values.at ? parseTimeBound(values.at) : undefined;
    if (values.at && atNs === undefined) throw new AwError('USAGE', `--at: cannot read '${values.at}' as a time`);
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 1;
    try {
      const a = whichToolCall(store, { seq, pid, atNs });
      if (!a) throw new AwError('NOT_FOUND', seq !== undefined ? `no event with seq ${seq}` : `no process events for pid ${pid}`);
      if (ctx.json || values.json) {
        ctx.out.write(`${JSON.stringify({ event: a.event, match: a.match ?? null, tool_call: a.call ?? null, result: a.result ?? null, prompt: a.prompt ?? null, chain: a.chain, lineage: a.lineage.map((e) => e.seq) })}\n`);
        return a.match ? 0 : 1;
      }
      ctx.out.write(`event   #${a.event.seq} ${procLine(a.event)}\n`);
      // Lineage from the process that ran the call's command (or the last few ancestors).
      const anchor = a.match?.anchorPid !== undefined ? a.lineage.findIndex((e) => e.process?.pid === a.match!.anchorPid) : -1;
      const shown = anchor >= 0 ? a.lineage.slice(anchor) : a.lineage.slice(-6);
      for (const e of shown) if (e.seq !== a.event.seq) ctx.out.write(`  from  #${e.seq} ${procLine(e)}\n`);
      if (!a.match) {
        ctx.out.write('no agent tool call found for this process\n');
        return 1;
      }
      const t = a.call?.agent?.tool ?? a.result?.agent?.tool;
      ctx.out.write(`tool call ${termSafe(a.match.toolCallId)} (joined by ${a.match.via}) in session ${termSafe(a.match.sessionId)}\n`);
      if (t) ctx.out.write(`  ${termSafe(a.call?.session?.agent.kind ?? '')} ${termSafe(t.name)} [${termSafe(t.category ?? 'other')}] input ${brief(t.input)}\n`);
      if (a.result?.agent?.tool) ctx.out.write(`  result ${termSafe(a.result.agent.tool.status ?? '')}${a.result.agent.tool.exit_code !== undefined ? ` exit ${a.result.agent.tool.exit_code}` : ''}: ${brief(a.result.agent.tool.output)}\n`);
      if (a.prompt?.agent?.prompt) ctx.out.write(`prompt  #${a.prompt.seq} ${brief(a.prompt.agent.prompt.text)}\n`);
      for (const e of a.chain) ctx.out.write(`sub-agent of ${termSafe(e.parent_session_id)}${e.parent_tool_call_id ? ` via tool call ${termSafe(e.parent_tool_call_id)}` : ''}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};

export const toolcallCommand: Command = {
  summary: 'what one agent tool call did on the machine (processes, files, network)',
  usage: `Usage: agentwarden toolcall CALL_ID [--session ID] [--json]

Shows the tool call (input, result, the prompt it answered) and every kernel event in its
time window that joins to it: the processes it spawned and their descendants, their file
and network activity. Call ids are unique within a session; --session picks one when the
same id appears in several (the first session that has it is used otherwise).`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { session: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const id = positionals[0];
    if (!id) throw new AwError('USAGE', 'give a tool call id');
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 1;
    try {
      const a = toolCallActivity(store, id, { session: values.session });
      if (!a) throw new AwError('NOT_FOUND', `no tool call ${id} in the store`);
      if (ctx.json || values.json) {
        ctx.out.write(`${JSON.stringify({ tool_call: a.call ?? null, result: a.result ?? null, prompt: a.prompt ?? null, chain: a.chain, processes: a.processes, files: a.files, network: a.network, other: a.other })}\n`);
        return 0;
      }
      const t = a.call?.agent?.tool ?? a.result?.agent?.tool;
      ctx.out.write(`tool call ${termSafe(id)}: ${termSafe(t?.name ?? '?')} [${termSafe(t?.category ?? 'other')}] in ${termSafe(a.call?.session?.agent.kind ?? '')} session ${termSafe(a.call?.session?.id ?? a.result?.session?.id ?? '')}\n`);
      ctx.out.write(`  input  ${brief(t?.input)}\n`);
      if (a.result?.agent?.tool) ctx.out.write(`  result ${termSafe(a.result.agent.tool.status ?? '')}${a.result.agent.tool.exit_code !== undefined ? ` exit ${a.result.agent.tool.exit_code}` : ''}: ${brief(a.result.agent.tool.output)}\n`);
      if (a.prompt?.agent?.prompt) ctx.out.write(`  prompt ${brief(a.prompt.agent.prompt.text)}\n`);
      const rows = [...a.processes, ...a.files, ...a.network, ...a.other]
        .sort((x, y) => x.seq - y.seq)
        .map((e) => [e.seq, e.time, e.kind, e.process?.pid ?? '', e.kind.startsWith('process.') ? (e.process?.argv ?? []).join(' ') : e.file?.path ?? (e.network ? `${e.network.dst_host ?? e.network.dst_ip ?? ''}:${e.network.dst_port ?? ''}` : '')]);
      ctx.out.write(rows.length ? table(['SEQ', 'TIME', 'KIND', 'PID', 'DETAIL'], rows, 100) : 'no kernel activity joined to this call\n');
      return 0;
    } finally {
      store.close();
    }
  },
};

export const delegationCommand: Command = {
  summary: 'sub-agent delegation edges (parent session -> child session, with the parent tool call)',
  usage: `Usage: agentwarden delegation [--session ROOT] [--json]

Lists parent -> child session edges from sub-agent spawns (Claude Task/Agent sidechains,
Codex spawn_agent threads, Gemini invoke_agent, Cursor subagentStart, VIBES delegations)
and from child sessions that name their parent. --session keeps the tree under ROOT.`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { session: { type: 'string' }, json: { type: 'boolean' } } });
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 0;
    try {
      const edges = storedDelegationEdges(store, values.session);
      if (ctx.json || values.json) for (const e of edges) ctx.out.write(`${JSON.stringify(e)}\n`);
      else ctx.out.write(table(['PARENT SESSION', 'CHILD SESSION', 'VIA TOOL CALL', 'AGENT', 'TIME'], edges.map((e) => [e.parent_session_id, e.child_session_id, e.parent_tool_call_id ?? '', e.child_agent_name ?? e.agent_kind ?? '', e.time]), 70));
      return 0;
    } finally {
      store.close();
    }
  },
};
