// `agentwarden exporters list|test|export`: see what is configured, prove each exporter
// reaches its receiver, and back-fill a SIEM from the store.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import type { CliContext, Command } from '../../cli/context.js';
import { table, termSafe } from '../../cli/output.js';
import { AwError } from '../../core/errors.js';
import { nowTime, parseTimeBound, type AwEvent } from '../../schema/index.js';
import { openStoreReadonly, type EventQuery } from '../store/index.js';
import type { ExporterConfig } from './config.js';
import type { ExporterSink } from './core/sink.js';
import { createExporters, deliverOnce } from './factory.js';
import { elasticIndexTemplate } from './elastic/template.js';

function configured(ctx: CliContext): ExporterConfig[] {
  return ctx.config.exporters ?? [];
}

function select(list: ExporterConfig[], names: string[] | undefined): ExporterConfig[] {
  if (!names?.length) return list;
  for (const n of names) if (!list.some((e) => e.name === n)) throw new AwError('USAGE', `no exporter named '${termSafe(n)}' (configured: ${list.map((e) => e.name).join(', ') || 'none'})`);
  return list.filter((e) => names.includes(e.name));
}

function summary(s: ExporterSink): Record<string, unknown> {
  return { name: s.name, target: s.transport.target, ...s.counters, last_error: s.droppedTotal ? s.transport.lastError : undefined };
}

/** Waits until the sink has room; false if it stayed full for `ms` (the receiver is down). */
async function waitRoom(s: ExporterSink, ms: number): Promise<boolean> {
  if (s.room > 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const ok = await Promise.race([s.flush().then(() => true as const), timedOut]);
  clearTimeout(timer);
  return ok && s.room > 0;
}

const USAGE = `Usage: agentwarden exporters list [--json]
       agentwarden exporters test [NAME]... [--timeout SEC] [--json]
       agentwarden exporters export [--to NAME]... [--since T] [--until T] [--session ID]
                                    [--kind K]... [--timeout SEC] [--json]
       agentwarden exporters elastic-template [--index NAME]

list    the exporters of the 'exporters:' config section and where they send (no secrets).
test    sends one test alert (rule AW-EXPORTER-TEST, severity info) to each exporter,
        ignoring its filter, and reports whether the receiver accepted it.
export  sends stored events (optionally filtered) through the exporters, respecting each
        exporter's filter: a back-fill after adding a SIEM. The store is read at the pace
        the receivers accept; nothing is dropped for lack of buffer space.
elastic-template  prints the Elasticsearch index template for the data stream (docs/exporters.md).
T is RFC 3339, a date, or a duration back from now (30s, 15m, 2h, 7d).
Exit status: 0 everything delivered, 1 some events not delivered, 2 usage or configuration error.`;

export const exportersCommand: Command = {
  summary: 'list, test and back-fill the SIEM exporters',
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === 'list') return list(rest, ctx);
    if (sub === 'test') return testCmd(rest, ctx);
    if (sub === 'export') return exportCmd(rest, ctx);
    if (sub === 'elastic-template') {
      const { values } = parseArgs({ args: rest, options: { index: { type: 'string' } } });
      ctx.out.write(`${JSON.stringify(elasticIndexTemplate(values.index), null, 2)}\n`);
      return 0;
    }
    throw new AwError('USAGE', `unknown subcommand '${termSafe(sub ?? '')}' (list, test, export, elastic-template)`);
  },
};

async function list(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const cfgs = configured(ctx);
  // Build the sinks only to learn their targets (resolves secrets, opens no connection).
  const sinks = createExporters(cfgs);
  const rows = cfgs.map((c, i) => ({ name: c.name, type: c.type, target: sinks[i].transport.target, filter: c.filter ?? null }));
  await Promise.all(sinks.map((s) => s.close()));
  if (ctx.json || values.json) ctx.out.write(`${JSON.stringify(rows)}\n`);
  else if (!rows.length) ctx.out.write('no exporters configured (see docs/exporters.md)\n');
  else ctx.out.write(table(['NAME', 'TYPE', 'TARGET', 'FILTER'], rows.map((r) => [r.name, r.type, r.target, r.filter ? JSON.stringify(r.filter) : 'all']), 100));
  return 0;
}

function timeoutMs(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new AwError('USAGE', '--timeout must be a number of seconds');
  return Number(v) * 1000;
}

async function testCmd(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { timeout: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  const t = timeoutMs(values.timeout, 10_000);
  const cfgs = select(configured(ctx), positionals);
  if (!cfgs.length) throw new AwError('USAGE', 'no exporters configured (see docs/exporters.md)');
  const host = ctx.config.host?.name ?? hostname();
  const ev: AwEvent = {
    id: `aw-exporter-test-${Date.now()}`,
    time: nowTime(),
    kind: 'alert',
    host: { name: host },
    source: { type: 'cli', name: 'exporters-test' },
    alert: { rule_id: 'AW-EXPORTER-TEST', title: 'AgentWarden exporter test', severity: 'info', message: 'test event sent by `agentwarden exporters test`; no action needed' },
  };
  const delivered = await deliverOnce(cfgs, [ev], { timeoutMs: t, ignoreFilters: true });
  const results = delivered.map((d) => ({ name: d.name, target: d.target, ok: d.sent === 1, error: d.error }));
  if (ctx.json || values.json) ctx.out.write(`${JSON.stringify(results)}\n`);
  else ctx.out.write(table(['NAME', 'TARGET', 'RESULT'], results.map((r) => [r.name, r.target, r.ok ? 'delivered' : `FAILED: ${r.error}`]), 100));
  return results.every((r) => r.ok) ? 0 : 1;
}

async function exportCmd(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      session: { type: 'string' },
      kind: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const t = timeoutMs(values.timeout, 30_000);
  const cfgs = select(configured(ctx), values.to).map((c) => ({ ...c, close_timeout_ms: t }));
  if (!cfgs.length) throw new AwError('USAGE', 'no exporters configured (see docs/exporters.md)');
  const bound = (name: string, v?: string) => {
    if (v === undefined) return undefined;
    const b = parseTimeBound(v);
    if (b === undefined) throw new AwError('USAGE', `--${name}: cannot read '${termSafe(v)}' as a time`);
    return b;
  };
  const q: EventQuery = { session: values.session, sinceNs: bound('since', values.since), untilNs: bound('until', values.until) };
  if (values.kind?.length) q.kinds = values.kind;
  const errors: string[] = [];
  const sinks = createExporters(cfgs as ExporterConfig[], { onError: (m) => errors.push(m) });
  const store = openStoreReadonly(ctx.paths, ctx.config.store);
  let read = 0;
  const gaveUp = new Set<ExporterSink>();
  try {
    let after = 0;
    for (;;) {
      const page = store.query({ ...q, afterSeq: after, limit: 1000 });
      if (!page.length) break;
      for (const ev of page) {
        // Back-pressure: wait for room instead of dropping.
        for (const s of sinks) {
          if (gaveUp.has(s)) continue;
          if (!(await waitRoom(s, t))) {
            gaveUp.add(s);
            errors.push(`exporter ${s.name}: receiver unavailable for ${t / 1000} s, export stopped at seq ${after}`);
            continue;
          }
          s.write(ev);
        }
        after = ev.seq;
        read++;
      }
    }
  } finally {
    await Promise.all(sinks.map((s) => s.close()));
    store.close();
  }
  for (const e of errors) ctx.err.write(`${termSafe(e)}\n`);
  const res = sinks.map(summary);
  if (ctx.json || values.json) ctx.out.write(`${JSON.stringify({ read, exporters: res })}\n`);
  else {
    ctx.out.write(`read ${read} event(s) from the store\n`);
    ctx.out.write(table(['NAME', 'TARGET', 'SENT', 'FILTERED', 'DROPPED'], sinks.map((s) => [s.name, s.transport.target, s.counters.sent, s.counters.filtered, s.droppedTotal]), 100));
  }
  return sinks.every((s) => s.droppedTotal === 0 && !gaveUp.has(s)) ? 0 : 1;
}
