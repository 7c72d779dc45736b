// Recognizes a tool result that says a hook or policy blocked the call (the agents write
// the hook's reason into the result text), so imports record status 'denied' and an
// agent.decision instead of a plain error. Patterns from the generated blocked runs:
// Claude "PreToolUse:Bash hook error: [...]: <reason>", Codex "Command blocked by
// PreToolUse hook: <reason>. Command: ...", Gemini "Tool execution blocked: <reason>".
const PATTERNS: RegExp[] = [
  /PreToolUse:[\w.-]+ hook error: (?:\[[^\]]*\]: )?([^\n]*)/,
  /Command blocked by PreToolUse hook: (.*?)(?:\. Command: |\n|$)/,
  /Tool execution blocked: ([^\n]*)/,
  /blocked by (?:a |the )?(?:hook|policy)[: ]+([^\n]*)/i,
];

/** The block reason when `text` reports a hook/policy block, else undefined. */
export function blockedReason(text: unknown): string | undefined {
  const t = typeof text === 'string' ? text : text && typeof text === 'object' ? JSON.stringify(text) : '';
  if (!t) return undefined;
  for (const re of PATTERNS) {
    const m = re.exec(t);
    if (m) return (m[1] ?? '').trim() || 'blocked';
  }
  return undefined;
}
