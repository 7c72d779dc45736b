// `agentwarden hunt`: every session that matches, across the whole store.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { hunt } from '../../forensics/hunt/hunt.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { table } from '../output.js';
import { requireStoreDir } from './incident.js';

export const huntCommand: Command = {
  summary: 'find every session that touched a file, host, command, MCP server, model or IoC',
  usage: `Usage: agentwarden hunt [--file PATH] [--host HOST|IP] [--command TEXT] [--mcp SERVER] [--model MODEL] [--ioc ID] [--json]

--file matches the exact path (or a prefix when it ends with / or *), including the paths
agent tools named; --host matches the destination IP, host name, DNS query or SNI;
--command matches a substring of an executed command line or a tool call input; --mcp
matches tool calls to that MCP server; --model the model an agent used; --ioc alerts with
that IoC id. Several criteria: sessions matching all of them.`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: { file: { type: 'string' }, host: { type: 'string' }, command: { type: 'string' }, mcp: { type: 'string' }, model: { type: 'string' }, ioc: { type: 'string' }, json: { type: 'boolean' } },
    });
    const q = { file: values.file, host: values.host, command: values.command, mcp: values.mcp, model: values.model, ioc: values.ioc };
    if (Object.values(q).every((v) => v === undefined)) throw new AwError('USAGE', 'hunt needs at least one of --file, --host, --command, --mcp, --model, --ioc');
    requireStoreDir(ctx);
    const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
    try {
      const hits = hunt(store, q);
      if (ctx.json || values.json) for (const h of hits) ctx.out.write(`${JSON.stringify(h)}\n`);
      else {
        ctx.out.write(table(['SESSION', 'AGENT', 'MATCHES', 'FIRST', 'LAST', 'EXAMPLE'], hits.map((h) => [h.session, h.agent ?? '', h.matches, h.first_time, h.last_time, Object.entries(h.criteria).map(([k, v]) => `${k} #${v.seq}: ${v.summary}`).join(' | ')]), 100));
        ctx.out.write(`${hits.length} session(s)\n`);
      }
    } finally {
      store.close();
    }
    return 0;
  },
};
