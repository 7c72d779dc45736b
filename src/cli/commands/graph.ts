// `agentwarden graph SESSION|INCIDENT`: the delegation graph.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { resolveScope } from '../../forensics/common/scope.js';
import { delegationGraph, toDot, toHtml, toMermaid } from '../../forensics/graph/graph.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { requireStoreDir } from './incident.js';

export const graphCommand: Command = {
  summary: 'delegation graph (parent agent -> sub-agent) as dot, mermaid, json or html',
  usage: `Usage: agentwarden graph SESSION|INCIDENT [--format dot|mermaid|json|html] [--out FILE]

Nodes are agent sessions (the scope's, their ancestors and descendants); each edge is a
delegation, labelled with the context handed over (task description, first prompt), the
tool calls the sub-agent made, the credentials it read and the endpoints it contacted.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
    const target = positionals[0];
    if (!target) throw new AwError('USAGE', 'graph SESSION|INCIDENT');
    const format = values.format ?? (ctx.json || values.json ? 'json' : 'dot');
    if (!['dot', 'mermaid', 'json', 'html'].includes(format)) throw new AwError('USAGE', '--format is dot, mermaid, json or html');
    requireStoreDir(ctx);
    const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
    try {
      const g = delegationGraph(store, resolveScope(store, target));
      const text = format === 'dot' ? toDot(g) : format === 'mermaid' ? toMermaid(g) : format === 'html' ? toHtml(g) : `${JSON.stringify(g, null, 2)}\n`;
      if (values.out) writeFileSync(values.out, text);
      else ctx.out.write(text);
    } finally {
      store.close();
    }
    return 0;
  },
};
