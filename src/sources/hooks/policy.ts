// The hook's answer: a decider says allow or deny for a mapped event, and `answerFor`
// turns that into each agent's protocol. Deciders are pluggable: the minimal deny list
// from config is one; the rule engine (src/rules `decide(event)`) can be passed as
// another. The first deny wins. Deciders run on the hot path: compile at configure time.
import { AwError } from '../../core/errors.js';
import type { AwEvent } from '../../schema/index.js';
import type { HookDenyRule } from './config.js';

export interface HookDecision {
  action: 'allow' | 'deny';
  /** Shown to the model when denying. */
  reason?: string;
  rule_id?: string;
}

/** Returns a decision for the event, or undefined for "no opinion". Must not throw. */
export type HookDecider = (event: AwEvent) => HookDecision | undefined;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// A path ends at the end of the text or at a character that cannot continue a file name in
// a command line or a JSON string ("\" is the start of an escaped quote in JSON text).
const PATH_END = '(?=$|[/\\s\'"`;|&)<>\\\\,])';

/** `~/.aws` -> a regex for ~/.aws, $HOME/.aws, ${HOME}/.aws and /any/home/.aws. */
export function pathPattern(path: string): RegExp {
  if (path.startsWith('~/')) {
    const rest = escapeRe(path.slice(2).replace(/\/+$/, ''));
    return new RegExp(`(?:~|\\$\\{?HOME\\}?|/[^\\s'"\`]*)/${rest}${PATH_END}`);
  }
  return new RegExp(`(?<![\\w.-])${escapeRe(path.replace(/\/+$/, ''))}${PATH_END}`);
}

/** What a deny rule looks at: the tool input for tool calls, the text for prompts. */
export function subjectOf(event: AwEvent): string | undefined {
  const a = event.agent;
  if (!a) return undefined;
  if (event.kind === 'agent.tool.call' && a.tool) return typeof a.tool.input === 'string' ? a.tool.input : JSON.stringify(a.tool.input ?? null);
  if (event.kind === 'agent.prompt') return a.prompt?.text;
  return undefined;
}

/** Compiles the config deny list into a decider (throws AwError on a bad regex). */
export function denyListDecider(rules: readonly HookDenyRule[] = []): HookDecider {
  const compiled = rules.map((r, i) => {
    let re: RegExp;
    try {
      re = r.path ? pathPattern(r.path) : new RegExp(r.pattern!);
    } catch (err) {
      throw new AwError('CONFIG_INVALID', `hooks.deny[${i}].pattern: ${(err as Error).message}`, { cause: err });
    }
    const id = r.id ?? `deny-${i}`;
    const tools = r.tools?.length ? new Set(r.tools.map((t) => t.toLowerCase())) : undefined;
    const reason = r.reason ?? `access to ${r.path ?? `/${r.pattern}/`} is denied by AgentWarden policy (rule ${id})`;
    return { re, id, tools, reason };
  });
  if (!compiled.length) return () => undefined;
  return (event) => {
    const subject = subjectOf(event);
    if (subject === undefined) return undefined;
    const toolName = event.agent?.tool?.name.toLowerCase();
    for (const c of compiled) {
      if (c.tools && (!toolName || !c.tools.has(toolName))) continue;
      if (c.re.test(subject)) return { action: 'deny', reason: c.reason, rule_id: c.id };
    }
    return undefined;
  };
}

/** Runs the deciders in order; the first deny wins; a throwing decider is counted, not fatal. */
export function combineDeciders(deciders: readonly HookDecider[], onError?: (err: unknown) => void): HookDecider {
  return (event) => {
    for (const d of deciders) {
      let r: HookDecision | undefined;
      try {
        r = d(event);
      } catch (err) {
        onError?.(err);
        continue;
      }
      if (r?.action === 'deny') return r;
    }
    return undefined;
  };
}

export interface HookAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

export const ALLOW: HookAnswer = { code: 0, stdout: '', stderr: '' };

/**
 * The answer in the agent's own protocol. Exit code 2 with the reason on stderr blocks a
 * pre-tool or prompt event in Claude Code, Codex CLI, Gemini CLI and Cursor alike, and the
 * reason reaches the model (../shared/research/agent-sim.md, "Cross-agent notes"). Cursor
 * also reads a JSON answer on stdout, which carries separate user and agent messages.
 * Allow prints nothing: plain stdout on UserPromptSubmit would be added to the context.
 */
export function answerFor(agentKind: string, eventName: string, decision: HookDecision | undefined, blocking: boolean): HookAnswer {
  if (decision?.action !== 'deny' || !blocking) return ALLOW;
  const reason = `Blocked by AgentWarden: ${decision.reason ?? 'denied by policy'}`;
  if (agentKind === 'cursor') {
    const body = eventName === 'beforeSubmitPrompt' ? { continue: false, user_message: reason } : { permission: 'deny', user_message: reason, agent_message: reason };
    return { code: 2, stdout: `${JSON.stringify(body)}\n`, stderr: `${reason}\n` };
  }
  return { code: 2, stdout: '', stderr: `${reason}\n` };
}
