// `agentwarden scan`: evaluates the IoC catalog (the default pack and configured rules) over
// stored events or a VIBES .ai-audit/ directory after the fact. Read-only: findings are
// printed, not stored. Each finding has its confidence, evidence references (store sequence
// numbers, or event ids for imported data) and the recommended next step.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { parseIocCatalog, type IocEntry } from '../../rules/index.js';
import { parseTimeBound, type AwEvent } from '../../schema/index.js';
import { importVibes } from '../../sources/vibes/index.js';
import { createDetector, iocCatalogFile, type DetectConfig } from '../../transforms/detect/index.js';
import type { Command } from '../context.js';
import { paint, table } from '../output.js';
import { openStoreReadonlyOrEmpty } from './store-commands.js';

export interface Finding {
  time: string;
  ioc_id?: string;
  ioc_class?: string;
  rule_id: string;
  title: string;
  severity: string;
  confidence: number;
  session?: string;
  agent?: string;
  tool_call_id?: string;
  evidence: { seqs: number[]; ids: string[] };
  message?: string;
  next_step?: string;
  attack: string[];
  atlas: string[];
}

/** Runs a fresh detector over events in order and returns its findings. */
export function scanEvents(events: Iterable<AwEvent>, config: DetectConfig, catalog: IocEntry[], rulesDir: string[] = []): { findings: Finding[]; events: number } {
  // Scan replays history: no dedup window beyond the rule's own evidence key.
  const det = createDetector({ config: { ...config, dedup_window: config.dedup_window ?? '60s' }, rulesDir });
  const byId = new Map(catalog.map((e) => [e.id, e]));
  const findings: Finding[] = [];
  let n = 0;
  for (const ev of events) {
    n++;
    for (const a of det.alertsFor(ev)) {
      const al = a.alert!;
      const ioc = al.ioc_id ? byId.get(al.ioc_id) : undefined;
      findings.push({
        time: a.time,
        ioc_id: al.ioc_id,
        ioc_class: ioc?.class,
        rule_id: al.rule_id,
        title: ioc?.title ?? al.title,
        severity: al.severity,
        confidence: al.confidence ?? 0.5,
        session: a.session?.id,
        agent: a.session?.agent.kind,
        tool_call_id: a.session?.tool_call_id,
        evidence: { seqs: al.trigger_seqs ?? [], ids: al.trigger_ids ?? [] },
        message: al.message,
        next_step: (a.attributes?.next_step as string | undefined) ?? ioc?.next_step,
        attack: al.attack ?? [],
        atlas: al.atlas ?? [],
      });
    }
  }
  return { findings, events: n };
}

export const scanCommand: Command = {
  summary: 'evaluate the IoC catalog over stored events or a VIBES .ai-audit/ directory',
  usage: `Usage: agentwarden scan [--since T] [--until T] [--session ID] [--vibes DIR] [--rules PATH]... [--min-severity S] [--json]

Replays stored events (oldest first; filtered by time and session) through the default rule
pack, the configured detect.rules and any --rules files, and prints every finding with its
IoC id, confidence, evidence (store sequence numbers; event ids for --vibes) and the
recommended next step. --vibes reads a VIBES .ai-audit/ directory instead of the store.
T is RFC 3339, a date or a duration back from now (30s, 15m, 2h, 7d).
Exit status: 0 no finding, 1 findings, 2 usage or rule error.`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        session: { type: 'string' },
        vibes: { type: 'string' },
        rules: { type: 'string', multiple: true },
        'min-severity': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const json = ctx.json || Boolean(values.json);
    const bound = (name: string, v?: string) => {
      if (v === undefined) return undefined;
      const t = parseTimeBound(v);
      if (t === undefined) throw new AwError('USAGE', `--${name}: cannot read '${v}' as a time`);
      return t;
    };
    const sinceNs = bound('since', values.since);
    const untilNs = bound('until', values.until);
    const sevs = ['info', 'low', 'medium', 'high', 'critical'];
    const minSev = values['min-severity'] ?? 'low';
    if (!sevs.includes(minSev)) throw new AwError('USAGE', `--min-severity must be one of ${sevs.join(', ')}`);
    const config = (ctx.config.detect as DetectConfig | undefined) ?? {};
    const catalogFile = iocCatalogFile();
    const catalog = existsSync(catalogFile) ? parseIocCatalog(readFileSync(catalogFile, 'utf8'), catalogFile) : [];
    let result: ReturnType<typeof scanEvents>;
    let sourceText: string;
    if (values.vibes) {
      const { result: imported, report } = importVibes(values.vibes);
      for (const p of imported.problems) ctx.err.write(`${p.file}:${p.line}: ${p.reason}\n`);
      const events = imported.events
        .filter((e) => !values.session || e.session?.id === values.session)
        .filter((e) => {
          const t = Date.parse(e.time) * 1e6;
          return (sinceNs === undefined || BigInt(Math.floor(t)) >= sinceNs) && (untilNs === undefined || BigInt(Math.floor(t)) <= untilNs);
        })
        .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      result = scanEvents(events, config, catalog, values.rules ?? []);
      sourceText = `VIBES ${report.dir}`;
    } else {
      const store = openStoreReadonlyOrEmpty(ctx);
      if (!store) return 0;
      try {
        const it = (function* () {
          for (const ev of store.iterate({ session: values.session, sinceNs, untilNs })) if (ev.kind !== 'alert') yield ev;
        })();
        result = scanEvents(it, config, catalog, values.rules ?? []);
      } finally {
        store.close();
      }
      sourceText = 'store';
    }
    const findings = result.findings.filter((f) => sevs.indexOf(f.severity) >= sevs.indexOf(minSev));
    if (json) {
      for (const f of findings) ctx.out.write(`${JSON.stringify(f)}\n`);
    } else {
      ctx.out.write(
        table(
          ['TIME', 'SEVERITY', 'CONF', 'IOC', 'RULE', 'SESSION', 'EVIDENCE', 'NEXT STEP'],
          findings.map((f) => [f.time, f.severity, f.confidence.toFixed(2), f.ioc_id ?? '', f.rule_id, f.session ?? '', f.evidence.seqs.length ? `seq ${f.evidence.seqs.join(',')}` : `id ${f.evidence.ids.join(',')}`, f.next_step ?? '']),
          90,
        ),
      );
      const crit = findings.filter((f) => f.severity === 'critical').length;
      ctx.out.write(`${findings.length} finding(s)${crit ? ` (${paint(ctx.out, 'red', `${crit} critical`)})` : ''} over ${result.events} event(s) from the ${sourceText}\n`);
    }
    return findings.length ? 1 : 0;
  },
};
