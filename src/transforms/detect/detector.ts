// The live detect transform: evaluates the rule set on every event and emits `alert`
// events right behind the event that completed a rule. Alerts carry the ids (and store
// sequence numbers when known) of their triggering events, are de-duplicated (same rule,
// session and evidence key within a window) and grouped per agent action (the tool call, or
// a burst of alerts in one session). `decide(ev)` answers synchronously for the hook path and
// the gateway without changing any state.
import { randomUUID } from 'node:crypto';
import type { Transform } from '../../core/component.js';
import { Evaluator, RuleSet, type CompiledRule, type RuleAction, type RuleMatch } from '../../rules/index.js';
import { parseDurationMs, type AwEvent, type Severity } from '../../schema/index.js';
import { DETECT_DEFAULTS, type DetectConfig } from './config.js';
import { loadRuleFiles } from './files.js';

export interface Decision {
  action: 'allow' | RuleAction;
  /** The rule that decided (the strongest action, then the highest severity). */
  rule_id?: string;
  ioc_id?: string;
  severity?: Severity;
  reason?: string;
  /** Every rule the event matched (including alert-only rules). */
  matched: Array<{ rule_id: string; action: RuleAction; severity: Severity }>;
}

export interface DetectorCounters {
  events: number;
  alerts: number;
  /** Alerts suppressed as repeats within the dedup window. */
  deduplicated: number;
  decisions: number;
  denied: number;
  approvals: number;
  /** Rule evaluations that threw (counted; the event passed on). */
  errors: number;
  /** Stateful entries evicted to stay bounded. */
  stateEvicted: number;
}

const ACTION_RANK: Record<RuleAction, number> = { alert: 0, require_approval: 1, deny: 2 };
const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

function toolCallOf(ev: AwEvent): string | undefined {
  return ev.session?.tool_call_id ?? ev.agent?.tool?.call_id;
}

export interface DetectorOptions {
  config?: DetectConfig;
  /** A rule set built by the caller (tests, bench); otherwise loaded from the default pack and config.rules. */
  ruleSet?: RuleSet;
  /** Extra rule files or directories (added after config.rules). */
  rulesDir?: string | string[];
  /** Called with every alert as it is emitted (besides being returned from apply). */
  onAlert?: (alert: AwEvent) => void;
}

export class Detector implements Transform {
  readonly name = 'detect';
  readonly ruleSet: RuleSet;
  readonly evaluator: Evaluator;
  private readonly dedupMs: number;
  private readonly dedup = new Map<string, number>();
  private readonly groups = new Map<string, { id: string; lastMs: number }>();
  private readonly maxKeys: number;
  private readonly onAlert?: (a: AwEvent) => void;
  private readonly counts = { alerts: 0, deduplicated: 0, decisions: 0, denied: 0, approvals: 0 };
  private groupSeq = 0;

  constructor(ruleSet: RuleSet, config: DetectConfig = {}, onAlert?: (a: AwEvent) => void) {
    this.ruleSet = ruleSet;
    this.maxKeys = config.max_sessions ?? DETECT_DEFAULTS.max_sessions;
    this.evaluator = new Evaluator(ruleSet, {
      context: { allowlists: config.allowlists, workspaces: config.workspaces },
      maxKeys: this.maxKeys,
      maxPending: config.max_pending ?? DETECT_DEFAULTS.max_pending,
    });
    this.dedupMs = parseDurationMs(config.dedup_window ?? DETECT_DEFAULTS.dedup_window) ?? 60_000;
    this.onAlert = onAlert;
  }

  get counters(): DetectorCounters {
    const c = this.evaluator.counters;
    return { events: c.events, errors: c.errors, stateEvicted: c.stateEvicted, ...this.counts };
  }

  /** Pipeline entry: the event itself, followed by any alerts it raised. Never throws. */
  apply(event: AwEvent): AwEvent | AwEvent[] {
    if (event.kind === 'alert') return event; // never re-evaluate our own output
    if (!event.id) event.id = randomUUID(); // alerts reference their triggers by id
    const matches = this.evaluator.process(event);
    if (!matches.length) return event;
    const out: AwEvent[] = [event];
    for (const m of matches) {
      const a = this.toAlert(m, event);
      if (a) {
        out.push(a);
        this.onAlert?.(a);
      }
    }
    return out;
  }

  /** Evaluates matches over a batch (scan, rules test): events in, alerts out. */
  alertsFor(event: AwEvent): AwEvent[] {
    const r = this.apply(event);
    return Array.isArray(r) ? r.slice(1) : [];
  }

  /**
   * Synchronous decision for an event about to happen (a PreToolUse hook, a gateway
   * statement): the strongest action of the rules it matches, sequences included. Does not
   * change detector state; the event is evaluated for alerts when it enters the pipeline.
   */
  decide(event: AwEvent): Decision {
    this.counts.decisions++;
    let matches: RuleMatch[];
    try {
      matches = this.evaluator.peek(event);
    } catch {
      matches = [];
    }
    const matched = matches.map((m) => ({ rule_id: m.rule.meta.id, action: m.rule.meta.action, severity: m.rule.meta.severity }));
    let best: CompiledRule | undefined;
    for (const m of matches) {
      const r = m.rule;
      if (r.meta.action === 'alert') continue;
      if (!best || ACTION_RANK[r.meta.action] > ACTION_RANK[best.meta.action] || (r.meta.action === best.meta.action && SEVERITY_RANK[r.meta.severity] > SEVERITY_RANK[best.meta.severity])) best = r;
    }
    if (!best) return { action: 'allow', matched };
    if (best.meta.action === 'deny') this.counts.denied++;
    else this.counts.approvals++;
    const msg = matches.find((m) => m.rule === best)?.message;
    return { action: best.meta.action, rule_id: best.meta.id, ioc_id: best.meta.ioc, severity: best.meta.severity, reason: `${best.meta.title}${msg && msg !== best.meta.title ? `: ${msg}` : ''}`, matched };
  }

  status(): Record<string, unknown> {
    return { rules: this.ruleSet.rules.length, ...this.counters };
  }

  private bounded<V>(m: Map<string, V>, k: string, v: V): void {
    if (!m.has(k) && m.size >= this.maxKeys) m.delete(m.keys().next().value as string);
    m.delete(k);
    m.set(k, v);
  }

  private toAlert(m: RuleMatch, ev: AwEvent): AwEvent | undefined {
    const r = m.rule;
    const now = Date.parse(ev.time) || 0;
    const sid = ev.session?.id ?? '';
    const first = m.events[0];
    const evidence = r.dedupFields ? r.dedupFields.map((g) => JSON.stringify(g(ev, this.evaluator.cx) ?? null)).join('|') : (toolCallOf(ev) ?? toolCallOf(first) ?? first.id ?? '');
    const key = `${r.meta.id}\u0000${sid}\u0000${evidence}`;
    const last = this.dedup.get(key);
    if (last !== undefined && now - last >= 0 && now - last <= this.dedupMs) {
      this.counts.deduplicated++;
      return undefined;
    }
    this.bounded(this.dedup, key, now);
    this.counts.alerts++;
    const group = this.groupOf(ev, sid, now);
    const ids = m.events.map((e) => e.id).filter((x): x is string => typeof x === 'string');
    const seqs = m.events.map((e) => e.seq).filter((x): x is number => typeof x === 'number');
    const alert: AwEvent = {
      time: ev.time,
      id: randomUUID(),
      kind: 'alert',
      source: { type: 'rules', name: 'detect', ref: `${r.meta.origin.file}:${r.meta.origin.line}` },
      ...(ev.host ? { host: ev.host } : {}),
      ...(ev.session ? { session: { ...ev.session, tool_call_id: toolCallOf(ev) ?? ev.session.tool_call_id } } : {}),
      ...(ev.process ? { process: ev.process } : {}),
      alert: {
        rule_id: r.meta.id,
        title: r.meta.title,
        severity: r.meta.severity,
        ...(r.meta.ioc ? { ioc_id: r.meta.ioc } : {}),
        trigger_ids: ids,
        ...(seqs.length ? { trigger_seqs: seqs } : {}),
        action: r.meta.action,
        confidence: r.meta.confidence,
        tags: r.meta.tags,
        attack: r.meta.attack,
        atlas: r.meta.atlas,
        message: m.message,
      },
      attributes: { alert_group: group, trigger_kinds: m.events.map((e) => e.kind), ...(r.meta.next_step ? { next_step: r.meta.next_step } : {}) },
    };
    return alert;
  }

  /** One group per agent action: the tool call when known, else a burst within 10 s in the session. */
  private groupOf(ev: AwEvent, sid: string, now: number): string {
    const tc = toolCallOf(ev);
    if (tc) return `${sid}/${tc}`;
    const g = this.groups.get(sid);
    if (g && now - g.lastMs <= 10_000) {
      g.lastMs = now;
      return g.id;
    }
    const id = `${sid}/g${++this.groupSeq}`;
    this.bounded(this.groups, sid, { id, lastMs: now });
    return id;
  }
}

/**
 * The factory the pipelines use: loads the default pack, then config.detect.rules, then
 * `rulesDir` (a bad rule file throws a LocatedError here, before any event flows).
 */
export function createDetector(opts: DetectorOptions = {}): Detector {
  const config = opts.config ?? {};
  let ruleSet = opts.ruleSet;
  if (config.enabled === false) ruleSet = new RuleSet([]); // pass-through, decide() allows
  if (!ruleSet) {
    const extra = opts.rulesDir === undefined ? [] : Array.isArray(opts.rulesDir) ? opts.rulesDir : [opts.rulesDir];
    ruleSet = loadRuleFiles([...(config.rules ?? []), ...extra], { defaultPack: config.default_pack ?? DETECT_DEFAULTS.default_pack }).ruleSet;
  }
  return new Detector(ruleSet, config, opts.onAlert);
}

/**
 * decide() in the hook server's decider shape (`HookDecider` of src/sources/hooks): deny with
 * the rule and reason, or no opinion. `require_approval` becomes a deny that says approval is
 * required, unless `approval: 'allow'` (hooks cannot ask the user in every agent).
 */
export function detectorHookDecider(det: Detector, opts: { approval?: 'deny' | 'allow' } = {}): (ev: AwEvent) => { action: 'allow' | 'deny'; reason?: string; rule_id?: string } | undefined {
  return (ev) => {
    const d = det.decide(ev);
    if (d.action === 'allow' || (d.action === 'require_approval' && opts.approval === 'allow')) return undefined;
    return { action: 'deny', rule_id: d.rule_id, reason: `AgentWarden ${d.rule_id}${d.ioc_id ? ` (${d.ioc_id})` : ''}: ${d.reason ?? ''}${d.action === 'require_approval' ? ' [approval required]' : ''}` };
  };
}
