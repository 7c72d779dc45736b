// A loaded rule set: compiled rules indexed by event kind, compiled allowlists, and the
// evaluation context they need. Built once; the per-event path is one Map lookup.
import { isIP } from 'node:net';
import { EVENT_KINDS, type AwEvent, type EventKind } from '../schema/index.js';
import { cidrSet, globToRegExp, ipIn } from './compile.js';
import type { AllowlistMatcher, CompiledRule, EvalContext } from './types.js';

/** An allowlist as declared: default items plus per-agent-kind items. */
export interface AllowlistSpec {
  name: string;
  items: string[];
  agents: Record<string, string[]>;
}

/** Host globs (case-insensitive) and IP/CIDR blocks. */
export function compileAllowlist(items: readonly string[]): AllowlistMatcher {
  const blocks = items.filter((i) => isIP(i.split('/')[0]) !== 0);
  const hosts = items.filter((i) => isIP(i.split('/')[0]) === 0);
  const bl = blocks.length ? cidrSet(blocks) : undefined;
  const exact = new Set(hosts.filter((h) => !/[*?[]/.test(h)).map((h) => h.toLowerCase()));
  const globs = hosts.filter((h) => /[*?[]/.test(h));
  const re = globs.length ? new RegExp(globs.map((g) => globToRegExp(g.toLowerCase()).source).join('|'), 's') : undefined;
  return {
    has(value: string): boolean {
      if (bl && isIP(value)) return ipIn(bl, value);
      const v = value.toLowerCase().replace(/\.$/, '');
      return exact.has(v) || (re !== undefined && re.test(v));
    },
  };
}

export class RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly allowlists: ReadonlyMap<string, AllowlistSpec>;
  private readonly byKind = new Map<EventKind, CompiledRule[]>();
  private readonly byId = new Map<string, CompiledRule>();

  constructor(rules: CompiledRule[], allowlists: AllowlistSpec[] = []) {
    this.rules = rules;
    this.allowlists = new Map(allowlists.map((a) => [a.name, a]));
    for (const k of EVENT_KINDS) this.byKind.set(k, []);
    for (const r of rules) {
      this.byId.set(r.meta.id, r);
      for (const k of EVENT_KINDS) if (r.kinds === null || r.kinds.has(k)) this.byKind.get(k)!.push(r);
    }
  }

  /** Rules that can match an event of this kind (stateless and stateful). */
  forKind(kind: EventKind): readonly CompiledRule[] {
    return this.byKind.get(kind) ?? [];
  }

  get(id: string): CompiledRule | undefined {
    return this.byId.get(id);
  }

  /** A new rule set with both sets of rules (ids must not collide; later wins). */
  merge(other: RuleSet): RuleSet {
    const ids = new Set(other.rules.map((r) => r.meta.id));
    return new RuleSet([...this.rules.filter((r) => !ids.has(r.meta.id)), ...other.rules], [...this.allowlists.values(), ...other.allowlists.values()]);
  }
}

export interface ContextOptions {
  /** Extra allowlist items from configuration: name -> agent kind ('*' = every agent) -> items. */
  allowlists?: Record<string, Record<string, string[]>>;
  /** Declared workspaces: session id or agent kind -> directory ('*' for every session). */
  workspaces?: Record<string, string>;
}

/**
 * The evaluation context: compiled allowlists per (name, agent kind), and workspaces
 * (declared in config, or learned from each session's start event / root cwd).
 */
export class RuleContext implements EvalContext {
  private readonly cache = new Map<string, Map<string, AllowlistMatcher | undefined>>();
  /** Workspaces learned per session (bounded; oldest forgotten first). */
  private readonly learned = new Map<string, string>();
  private readonly maxLearned: number;

  constructor(
    private readonly set: RuleSet,
    private readonly opts: ContextOptions = {},
    maxSessions = 10_000,
  ) {
    this.maxLearned = maxSessions;
  }

  allowlist(name: string, agentKind: string | undefined): AllowlistMatcher | undefined {
    // Two-level cache: no string building on the per-event path.
    let byAgent = this.cache.get(name);
    if (!byAgent) this.cache.set(name, (byAgent = new Map()));
    const ak = agentKind ?? '';
    if (byAgent.has(ak)) return byAgent.get(ak);
    const spec = this.set.allowlists.get(name);
    const extra = this.opts.allowlists?.[name];
    let m: AllowlistMatcher | undefined;
    if (spec || extra) {
      const items = [...(spec?.items ?? []), ...((agentKind && spec?.agents[agentKind]) || []), ...(extra?.['*'] ?? []), ...((agentKind && extra?.[agentKind]) || [])];
      m = compileAllowlist(items);
    }
    byAgent.set(ak, m);
    return m;
  }

  workspaceOf(ev: AwEvent): string | undefined {
    const sid = ev.session?.id;
    const w = this.opts.workspaces;
    if (w) {
      const d = (sid && w[sid]) || (ev.session && w[ev.session.agent.kind]) || w['*'];
      if (d) return d;
    }
    return sid ? this.learned.get(sid) : undefined;
  }

  private readonly depths = new Map<string, number>();

  depthOf(sessionId: string): number {
    return this.depths.get(sessionId) ?? 0;
  }

  private setDepth(sid: string, d: number): void {
    if (this.depths.has(sid)) return;
    if (this.depths.size >= this.maxLearned) this.depths.delete(this.depths.keys().next().value as string);
    this.depths.set(sid, d);
  }

  /**
   * Learns from an event before rules see it: sub-agent depth (from parent links and spawn
   * events) and a session's workspace (its start event's attributes.workspace/cwd or process cwd).
   */
  observe(ev: AwEvent): void {
    const s = ev.session;
    if (!s) return;
    if (s.parent_id && !this.depths.has(s.id)) this.setDepth(s.id, this.depthOf(s.parent_id) + 1);
    if (ev.kind === 'agent.subagent.spawn' && ev.agent?.subagent?.session_id) this.setDepth(ev.agent.subagent.session_id, this.depthOf(s.id) + 1);
    if (ev.kind !== 'agent.session.start') return;
    const a = ev.attributes;
    // Hook sources keep the agent's payload (with its cwd) under attributes.payload.
    const payload = a?.payload as Record<string, unknown> | undefined;
    const ws =
      (typeof a?.workspace === 'string' && a.workspace) || (typeof a?.cwd === 'string' && a.cwd) || (typeof payload?.cwd === 'string' && payload.cwd) || ev.process?.cwd;
    if (!ws) return;
    if (this.learned.size >= this.maxLearned) this.learned.delete(this.learned.keys().next().value as string);
    this.learned.set(s.id, ws);
  }
}
