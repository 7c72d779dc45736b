// `agentwarden rules list|test|check`: what the loaded policy contains, which events a rule
// file matches and why, and whether rule files load.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { Evaluator, type CompiledRule, type RuleSet } from '../../rules/index.js';
import { sysmonToEvent } from '../../rules/sigma/index.js';
import { validateEvent, type AwEvent } from '../../schema/index.js';
import { loadRuleFiles } from '../../transforms/detect/index.js';
import type { DetectConfig } from '../../transforms/detect/index.js';
import type { CliContext, Command } from '../context.js';
import { paint, table, termSafe } from '../output.js';

function detectConfig(ctx: CliContext): DetectConfig {
  return (ctx.config.detect as DetectConfig | undefined) ?? {};
}

function kindsText(r: CompiledRule): string {
  if (r.kinds === null) return '*';
  const k = [...r.kinds];
  return k.length > 3 ? `${k.slice(0, 3).join(',')},+${k.length - 3}` : k.join(',');
}

function ruleType(r: CompiledRule): string {
  return r.sequence ? 'sequence' : r.threshold ? 'threshold' : r.novelty ? 'baseline' : r.meta.source === 'sigma' ? 'sigma' : 'match';
}

/** Reads events: normalized JSON lines, or Sysmon records (evtx-dump or flattened), one per line. */
export function readEventLines(file: string, onProblem: (line: number, reason: string) => void): Array<{ line: number; event: AwEvent }> {
  if (!existsSync(file)) throw new AwError('USAGE', `no such file: ${file}`);
  const out: Array<{ line: number; event: AwEvent }> = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        onProblem(i + 1, `not JSON: ${(e as Error).message}`);
        return;
      }
      const v = validateEvent(raw);
      if (v.ok) {
        out.push({ line: i + 1, event: v.event });
        return;
      }
      const sys = sysmonToEvent(raw, `${file}:${i + 1}`);
      if (sys) out.push({ line: i + 1, event: sys });
      else onProblem(i + 1, v.reason);
    });
  return out;
}

function listRules(rs: RuleSet, ctx: CliContext, json: boolean): void {
  if (json) {
    for (const r of rs.rules) {
      const m = r.meta;
      ctx.out.write(`${JSON.stringify({ id: m.id, title: m.title, severity: m.severity, action: m.action, type: ruleType(r), ioc: m.ioc, kinds: r.kinds ? [...r.kinds] : null, attack: m.attack, atlas: m.atlas, source: m.source, origin: `${m.origin.file}:${m.origin.line}:${m.origin.column}` })}\n`);
    }
    return;
  }
  ctx.out.write(table(['ID', 'SEVERITY', 'ACTION', 'TYPE', 'IOC', 'KINDS', 'ORIGIN', 'TITLE'], rs.rules.map((r) => [r.meta.id, r.meta.severity, r.meta.action, ruleType(r), r.meta.ioc ?? '', kindsText(r), `${r.meta.origin.file}:${r.meta.origin.line}`, r.meta.title])));
  ctx.out.write(`${rs.rules.length} rule(s)\n`);
}

const USAGE = `Usage: agentwarden rules list [--rules PATH]... [--no-default] [--json]
       agentwarden rules test RULEFILE --events FILE [--with-default] [--json]
       agentwarden rules check PATH...

list   the rules of the loaded policy: the default pack, then detect.rules from the config,
       then each --rules file or directory (our YAML rules and Sigma rules alike).
test   evaluates RULEFILE (a file or directory; add the default pack with --with-default) over
       the events in FILE (normalized events or Sysmon records, one JSON object per line) and
       prints each match with the comparisons that held and the lines of its triggering events.
       Exit status 0 when something matched, 1 when nothing did, 2 on a rule or usage error.
check  loads rule files and reports the first problem as file:line:col: CODE: message.`;

export const rulesCommand: Command = {
  summary: 'list, test and check detection rules (default pack, site rules, Sigma)',
  usage: USAGE,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { rules: { type: 'string', multiple: true }, 'no-default': { type: 'boolean' }, events: { type: 'string' }, 'with-default': { type: 'boolean' }, json: { type: 'boolean' } },
    });
    const json = ctx.json || Boolean(values.json);
    const sub = positionals[0];
    if (sub === 'list') {
      const cfg = detectConfig(ctx);
      const loaded = loadRuleFiles([...(cfg.rules ?? []), ...(values.rules ?? [])], { defaultPack: !values['no-default'] && cfg.default_pack !== false });
      listRules(loaded.ruleSet, ctx, json);
      for (const s of loaded.sigmaSkipped) ctx.err.write(`skipped ${termSafe(s.file)}: ${termSafe(s.reason)}\n`);
      return 0;
    }
    if (sub === 'check') {
      const paths = positionals.slice(1);
      if (!paths.length) throw new AwError('USAGE', 'rules check needs at least one PATH');
      const loaded = loadRuleFiles(paths, { defaultPack: true });
      ctx.out.write(`OK: ${loaded.sources.length} file(s), ${loaded.ruleSet.rules.length} rule(s) (${loaded.stats.sigma} Sigma), ${loaded.stats.macros} macro(s), ${loaded.stats.lists} list(s)\n`);
      return 0;
    }
    if (sub === 'test') {
      const ruleFile = positionals[1];
      if (!ruleFile || !values.events) throw new AwError('USAGE', 'rules test needs RULEFILE and --events FILE');
      const loaded = loadRuleFiles([ruleFile], { defaultPack: Boolean(values['with-default']) });
      const cfg = detectConfig(ctx);
      const ev = new Evaluator(loaded.ruleSet, { context: { allowlists: cfg.allowlists, workspaces: cfg.workspaces } });
      let bad = 0;
      const events = readEventLines(values.events, (line, reason) => {
        bad++;
        ctx.err.write(`line ${line}: ${termSafe(reason)}\n`);
      });
      const lineOf = new Map<AwEvent, number>(events.map((e) => [e.event, e.line]));
      let matched = 0;
      for (const { line, event } of events) {
        for (const m of ev.process(event)) {
          matched++;
          const r = m.rule;
          const why = r.sequence
            ? r.sequence.steps.flatMap((s, i) => [`step ${i + 1} (line ${lineOf.get(m.events[i]) ?? '?'}): ${s.explain}`, ...(s.why?.(m.events[i], ev.cx) ?? []).map((w) => `  ${w}`)])
            : (r.why?.(event, ev.cx) ?? [r.explain]);
          const lines = m.events.map((e) => lineOf.get(e) ?? 0);
          if (json) {
            ctx.out.write(`${JSON.stringify({ line, rule_id: r.meta.id, severity: r.meta.severity, action: r.meta.action, ioc: r.meta.ioc, message: m.message, trigger_lines: lines, why })}\n`);
          } else {
            ctx.out.write(`line ${line}: ${paint(ctx.out, r.meta.severity === 'critical' || r.meta.severity === 'high' ? 'red' : 'yellow', r.meta.id)} [${r.meta.severity}${r.meta.action !== 'alert' ? `, ${r.meta.action}` : ''}] ${termSafe(m.message)}\n`);
            ctx.out.write(`  events: line ${lines.join(', line ')}\n`);
            for (const w of why) ctx.out.write(`  why: ${termSafe(w)}\n`);
          }
        }
      }
      if (!json) ctx.out.write(`${events.length} event(s), ${matched} match(es)${bad ? `, ${bad} bad line(s)` : ''}\n`);
      return matched ? 0 : 1;
    }
    throw new AwError('USAGE', `unknown subcommand '${sub ?? ''}' (expected: list, test, check)`);
  },
};
