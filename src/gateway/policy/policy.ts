// Statement policy: ordered rules over effects (op, table, node type), first match wins per
// effect, the most severe effect decides the statement. Compiled once at configure time.
import { LocatedError } from '../../core/errors.js';
import type { Analysis, Effect, EffectOp } from './analyze.js';

export type Action = 'allow' | 'block' | 'require_approval';

export interface PolicyRule {
  action: Action;
  /** Effect kinds this rule covers (all when absent). */
  ops?: EffectOp[];
  /** Relations this rule covers (`customers` matches any schema; `public.customers` only that one, or unqualified). */
  tables?: string[];
  /** Node types / functions (`DeleteStmt`, `fn:pg_sleep`). */
  what?: string[];
  reason?: string;
}

export interface PolicyConfig {
  default?: Action;
  rules?: PolicyRule[];
}

export interface Decision {
  action: Action;
  reason: string;
  /** 'policy-name#rule-index' or 'policy-name#default' or 'parse'. */
  rule: string;
  effect?: Effect;
}

export interface CompiledPolicy {
  name: string;
  decide(a: Analysis): Decision;
}

const SEVERITY: Record<Action, number> = { allow: 0, require_approval: 1, block: 2 };
export const OPS: readonly EffectOp[] = ['read', 'write', 'ddl', 'session', 'admin', 'unknown'];

/** Policies every install has; config may override them by name. */
export const BUILTIN_POLICIES: Record<string, PolicyConfig> = {
  readonly: { default: 'block', rules: [{ ops: ['read', 'session'], action: 'allow' }] },
  readwrite: {
    default: 'allow',
    rules: [
      { ops: ['admin', 'unknown'], action: 'block' },
      { ops: ['ddl'], action: 'require_approval' },
    ],
  },
  // Full access still cannot run shell commands, touch server files or switch roles.
  admin: { default: 'allow', rules: [{ ops: ['admin'], action: 'block' }] },
};

function tableMatches(pattern: string, table: string | undefined): boolean {
  if (!table) return false;
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.includes('.')) return table === p || (!table.includes('.') && p.endsWith(`.${table}`));
  return table === p || table.endsWith(`.${p}`);
}

function describe(e: Effect): string {
  const bits: string[] = [e.op];
  if (e.table) bits.push(`on ${e.table}`);
  bits.push(`(${e.what}${e.detail ? `: ${e.detail}` : ''})`);
  return bits.join(' ');
}

export function compilePolicy(name: string, cfg: PolicyConfig, file = '<config>'): CompiledPolicy {
  const rules = cfg.rules ?? [];
  rules.forEach((r, i) => {
    if (!['allow', 'block', 'require_approval'].includes(r.action)) throw new LocatedError('CONFIG_INVALID', file, 1, 1, `gateway policy ${name} rule ${i}: bad action ${String(r.action)}`);
    for (const op of r.ops ?? []) if (!OPS.includes(op)) throw new LocatedError('CONFIG_INVALID', file, 1, 1, `gateway policy ${name} rule ${i}: unknown op ${op}`);
  });
  const dflt: Action = cfg.default ?? 'block';
  const decideEffect = (e: Effect): Decision => {
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.ops && !r.ops.includes(e.op)) continue;
      if (r.tables && !r.tables.some((t) => tableMatches(t, e.table))) continue;
      if (r.what && !r.what.includes(e.what)) continue;
      return { action: r.action, reason: r.reason ?? describe(e), rule: `${name}#${i}`, effect: e };
    }
    return { action: dflt, reason: describe(e), rule: `${name}#default`, effect: e };
  };
  // A statement's decision is a pure function of its effects; template-cache hits share one
  // effects array, so a repeated statement skips the rule walk and the reason strings (with
  // the masking memos, worker CPU per pgbench -S transaction fell from 130-158 to 111-115 us).
  const memo = new WeakMap<Effect[], Decision>();
  return {
    name,
    decide(a: Analysis): Decision {
      if (!a.ok) return { action: 'block', reason: `statement does not parse: ${a.error}`, rule: 'parse' };
      if (a.statements.length === 1) {
        const effects = a.statements[0].effects;
        let d = memo.get(effects);
        if (!d) {
          d = decideAll(a);
          memo.set(effects, d);
        }
        return d;
      }
      return decideAll(a);
    },
  };
  function decideAll(a: Analysis): Decision {
    let worst: Decision = { action: 'allow', reason: 'no effects', rule: `${name}#empty` };
    let first = true;
    for (const s of a.statements) {
      for (const e of s.effects) {
        const d = decideEffect(e);
        if (first || SEVERITY[d.action] > SEVERITY[worst.action]) worst = d;
        first = false;
        if (d.action === 'block') return d;
      }
    }
    return worst;
  }
}

/**
 * An agent's effective policy: each of its groups grants a policy and the least severe
 * decision among them wins (groups add permissions). No mapped group: the default policy.
 */
export function combinePolicies(policies: CompiledPolicy[]): CompiledPolicy {
  if (policies.length === 1) return policies[0];
  return {
    name: policies.map((p) => p.name).join('+'),
    decide(a: Analysis): Decision {
      let best: Decision | undefined;
      for (const p of policies) {
        const d = p.decide(a);
        if (!best || SEVERITY[d.action] < SEVERITY[best.action]) best = d;
      }
      return best ?? { action: 'block', reason: 'no policy', rule: 'none' };
    },
  };
}
