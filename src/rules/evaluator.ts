// Evaluates a RuleSet over a stream of events, keeping the bounded per-session state that
// sequences (A then B within T), thresholds (more than N distinct values in T) and
// baselines (a value never seen for this agent after a learning period) need. No I/O: the
// detect transform, `rules test` and `scan` all drive this same class.
import type { AwEvent } from '../schema/index.js';
import { compileGetter } from './fields.js';
import { RuleContext, type ContextOptions, type RuleSet } from './ruleset.js';
import type { CompiledRule, RuleMatch } from './types.js';

export interface EvaluatorOptions {
  context?: ContextOptions;
  /** Correlation keys (sessions or processes) remembered per stateful rule; least recent evicted. */
  maxKeys?: number;
  /** Partial sequences kept per key and rule; oldest dropped. */
  maxPending?: number;
}

export interface EvaluatorCounters {
  events: number;
  matches: number;
  /** Rule evaluations that threw (the event carries on). */
  errors: number;
  /** State dropped to stay bounded (keys evicted, partial sequences dropped). */
  stateEvicted: number;
}

interface Partial {
  step: number;
  startMs: number;
  events: AwEvent[];
}

/** Milliseconds since the epoch of an event (its own clock; falls back to 0). */
export function eventMs(ev: AwEvent): number {
  const t = Date.parse(ev.time);
  return Number.isNaN(t) ? 0 : t;
}

/** Bounded LRU map: touching a key moves it last; inserting past capacity evicts the first. */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(
    private readonly cap: number,
    private readonly onEvict: () => void,
  ) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  peek(k: string): V | undefined {
    return this.m.get(k);
  }
  /** Inserts or replaces, making the key the most recent. */
  set(k: string, v: V): void {
    if (this.m.has(k)) this.m.delete(k);
    else if (this.m.size >= this.cap) {
      this.m.delete(this.m.keys().next().value as string);
      this.onEvict();
    }
    this.m.set(k, v);
  }
  delete(k: string): void {
    this.m.delete(k);
  }
  get size(): number {
    return this.m.size;
  }
}

function keyOf(ev: AwEvent, by: 'session' | 'process'): string | undefined {
  const sid = ev.session?.id;
  if (!sid) return undefined;
  return by === 'session' ? sid : `${sid}\u0000${ev.process?.pid ?? ''}`;
}

function inScope(r: CompiledRule, ev: AwEvent): boolean {
  const s = r.scope;
  if (s.agents && !s.agents.has(ev.session?.agent.kind ?? '')) return false;
  if (s.hostGroups && !s.hostGroups.has(ev.host?.group ?? '')) return false;
  return true;
}

/** Renders a Falco-style output template (%field) against the last triggering event. */
function renderer(r: CompiledRule): (ev: AwEvent, cx: RuleContext) => string {
  const tpl = r.meta.output;
  if (!tpl) return () => r.meta.title;
  const parts: Array<string | ((ev: AwEvent, cx: RuleContext) => unknown)> = [];
  let last = 0;
  for (const m of tpl.matchAll(/%([a-z_][\w.[\]]*[\w\]])/g)) {
    parts.push(tpl.slice(last, m.index));
    parts.push(compileGetter(m[1]));
    last = m.index! + m[0].length;
  }
  parts.push(tpl.slice(last));
  return (ev, cx) =>
    parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const v = p(ev, cx);
        return v === undefined || v === null ? '<NA>' : typeof v === 'string' ? v : JSON.stringify(v);
      })
      .join('');
}

export class Evaluator {
  readonly cx: RuleContext;
  readonly counters: EvaluatorCounters = { events: 0, matches: 0, errors: 0, stateEvicted: 0 };
  private readonly maxKeys: number;
  private readonly maxPending: number;
  private readonly seqState = new Map<CompiledRule, Lru<Partial[]>>();
  private readonly thState = new Map<CompiledRule, Lru<Map<string, number>>>();
  private readonly novState = new Map<CompiledRule, Lru<{ seen: number; values: Set<string> }>>();
  private readonly renderers = new Map<CompiledRule, (ev: AwEvent, cx: RuleContext) => string>();

  constructor(
    readonly ruleSet: RuleSet,
    opts: EvaluatorOptions = {},
  ) {
    this.cx = new RuleContext(ruleSet, opts.context ?? {});
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.maxPending = opts.maxPending ?? 16;
  }

  /** Evaluates one event and updates state; returns the rules it completes. Never throws. */
  process(ev: AwEvent): RuleMatch[] {
    return this.run(ev, true);
  }

  /**
   * Evaluates one event without changing any state: stateless rules, and sequences that this
   * event would complete. For the synchronous decision path (hooks, gateway).
   */
  peek(ev: AwEvent): RuleMatch[] {
    return this.run(ev, false);
  }

  private run(ev: AwEvent, commit: boolean): RuleMatch[] {
    if (commit) {
      this.counters.events++;
      this.cx.observe(ev);
    }
    const rules = this.ruleSet.forKind(ev.kind);
    let out: RuleMatch[] | undefined;
    const cx = this.cx;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      try {
        if ((r.scope.agents || r.scope.hostGroups) && !inScope(r, ev)) continue;
        let events: AwEvent[] | undefined;
        if (r.sequence) events = this.sequence(r, ev, commit);
        else if (!r.pred(ev, cx)) continue;
        else if (r.threshold) events = commit ? this.threshold(r, ev) : undefined;
        else if (r.novelty) events = commit ? this.novelty(r, ev) : undefined;
        else events = [ev];
        if (!events) continue;
        (out ??= []).push({ rule: r, events, message: this.render(r, ev) });
      } catch {
        this.counters.errors++;
      }
    }
    if (out && commit) this.counters.matches += out.length;
    return out ?? [];
  }

  private render(r: CompiledRule, ev: AwEvent): string {
    let f = this.renderers.get(r);
    if (!f) this.renderers.set(r, (f = renderer(r)));
    return f(ev, this.cx);
  }

  private lru<V>(map: Map<CompiledRule, Lru<V>>, r: CompiledRule): Lru<V> {
    let l = map.get(r);
    if (!l) map.set(r, (l = new Lru<V>(this.maxKeys, () => this.counters.stateEvicted++)));
    return l;
  }

  private sequence(r: CompiledRule, ev: AwEvent, commit: boolean): AwEvent[] | undefined {
    const spec = r.sequence!;
    const key = keyOf(ev, spec.by);
    if (key === undefined) return undefined;
    const state = this.lru(this.seqState, r);
    // Read without reordering (a Map delete+set per event measured ~100 ns); writes refresh recency.
    const pending = state.peek(key);
    let done: AwEvent[] | undefined;
    let now = 0;
    if (pending) {
      now = eventMs(ev);
      const live = pending.filter((p) => now - p.startMs <= spec.withinMs && now >= p.startMs - 1000);
      const next: Partial[] = [];
      for (const p of live) {
        const step = spec.steps[p.step];
        if ((step.kinds === null || step.kinds.has(ev.kind)) && step.pred(ev, this.cx)) {
          if (p.step + 1 === spec.steps.length) {
            done ??= [...p.events, ev];
            continue; // completed: drop it (one match per completing event)
          }
          if (commit) next.push({ step: p.step + 1, startMs: p.startMs, events: [...p.events, ev] });
          continue;
        }
        next.push(p);
      }
      if (commit) {
        if (next.length) state.set(key, next);
        else state.delete(key);
      }
    }
    if (commit && !done) {
      const first = spec.steps[0];
      if ((first.kinds === null || first.kinds.has(ev.kind)) && first.pred(ev, this.cx)) {
        const list = state.peek(key) ?? [];
        list.push({ step: 1, startMs: pending ? now : eventMs(ev), events: [ev] });
        if (list.length > this.maxPending) {
          list.shift();
          this.counters.stateEvicted++;
        }
        state.set(key, list);
      }
    }
    return done;
  }

  private threshold(r: CompiledRule, ev: AwEvent): AwEvent[] | undefined {
    const spec = r.threshold!;
    const key = keyOf(ev, spec.by);
    if (key === undefined) return undefined;
    const state = this.lru(this.thState, r);
    let seen = state.get(key);
    if (!seen) state.set(key, (seen = new Map()));
    const now = eventMs(ev);
    for (const [v, t] of seen) {
      if (now - t <= spec.withinMs) break;
      seen.delete(v);
    }
    const raw = spec.field ? spec.field(ev, this.cx) : `#${this.counters.events}`;
    const vals = Array.isArray(raw) ? raw : [raw];
    for (const v of vals) {
      if (v === undefined || v === null) continue;
      const s = String(v);
      seen.delete(s);
      seen.set(s, now);
    }
    if (seen.size > spec.over) {
      seen.clear();
      return [ev];
    }
    return undefined;
  }

  private novelty(r: CompiledRule, ev: AwEvent): AwEvent[] | undefined {
    const spec = r.novelty!;
    const key = spec.key === 'session' ? ev.session?.id : ev.session?.agent.kind;
    if (!key) return undefined;
    const raw = spec.field(ev, this.cx);
    if (raw === undefined || raw === null) return undefined;
    const state = this.lru(this.novState, r);
    let b = state.get(key);
    if (!b) state.set(key, (b = { seen: 0, values: new Set() }));
    const vals = (Array.isArray(raw) ? raw : [raw]).map(String);
    let fresh = false;
    for (const v of vals) {
      if (b.values.has(v)) continue;
      if (b.seen >= spec.learn) fresh = true;
      if (b.values.size < spec.maxValues) b.values.add(v);
      else this.counters.stateEvicted++;
    }
    b.seen++;
    return fresh ? [ev] : undefined;
  }
}
