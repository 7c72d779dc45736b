// `agentwarden alerts`: the alert events in the store (emitted live by the detect
// transform), newest last, optionally for one session, grouped per agent action.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { parseTimeBound } from '../../schema/index.js';
import type { Command } from '../context.js';
import { paint, table } from '../output.js';
import { openStoreReadonlyOrEmpty } from './store-commands.js';

const SEVS = ['info', 'low', 'medium', 'high', 'critical'];

export const alertsCommand: Command = {
  summary: 'list alerts from the store (per session, with their triggering events)',
  usage: `Usage: agentwarden alerts [--session ID] [--since T] [--min-severity S] [--limit N] [--json]

Lists stored alert events: time, severity, rule, IoC id, session, the agent action group
they belong to, and the sequence numbers (or ids) of the events that triggered them.
--json prints one stored alert event per line.`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { session: { type: 'string' }, since: { type: 'string' }, 'min-severity': { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } } });
    const sinceNs = values.since === undefined ? undefined : parseTimeBound(values.since);
    if (values.since !== undefined && sinceNs === undefined) throw new AwError('USAGE', `--since: cannot read '${values.since}' as a time`);
    const minSev = values['min-severity'] ?? 'info';
    if (!SEVS.includes(minSev)) throw new AwError('USAGE', `--min-severity must be one of ${SEVS.join(', ')}`);
    if (values.limit !== undefined && !/^\d+$/.test(values.limit)) throw new AwError('USAGE', '--limit must be a number');
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 0;
    try {
      const json = ctx.json || Boolean(values.json);
      const rows: unknown[][] = [];
      let n = 0;
      for (const ev of store.iterate({ kinds: ['alert'], session: values.session, sinceNs })) {
        const a = ev.alert;
        if (!a || SEVS.indexOf(a.severity) < SEVS.indexOf(minSev)) continue;
        if (values.limit !== undefined && n >= Number(values.limit)) break;
        n++;
        if (json) ctx.out.write(`${JSON.stringify(ev)}\n`);
        else {
          const sev = a.severity === 'critical' || a.severity === 'high' ? paint(ctx.out, 'red', a.severity) : a.severity;
          rows.push([ev.seq, ev.time, sev, a.rule_id, a.ioc_id ?? '', ev.session?.id ?? '', (ev.attributes?.alert_group as string | undefined)?.split('/').pop() ?? '', a.trigger_seqs?.length ? `seq ${a.trigger_seqs.join(',')}` : `id ${(a.trigger_ids ?? []).join(',')}`, a.message ?? a.title]);
        }
      }
      if (!json) ctx.out.write(table(['SEQ', 'TIME', 'SEVERITY', 'RULE', 'IOC', 'SESSION', 'ACTION', 'TRIGGERS', 'MESSAGE'], rows, 80) + `${n} alert(s)\n`);
    } finally {
      store.close();
    }
    return 0;
  },
};
