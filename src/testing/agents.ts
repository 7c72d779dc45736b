// Locates the real agent CLIs and ../shared/agent-sim for end-to-end tests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedDir } from './paths.js';

export type AgentName = 'claude' | 'codex' | 'gemini';

/** Path of the agent CLI installed by scripts/setup.d/30-agent-clis.sh, or undefined. */
export function agentBin(agent: AgentName): string | undefined {
  const p = join(repoRoot(), '.agent-clis', 'node_modules', '.bin', agent);
  return existsSync(p) ? p : undefined;
}

/** ../shared/agent-sim/run-agent.mjs, or undefined. */
export function agentSimRunner(): string | undefined {
  const p = sharedDir('agent-sim', 'run-agent.mjs');
  return existsSync(p) ? p : undefined;
}

/** Why an agent e2e test cannot run here, or undefined when it can. */
export function agentSkipReason(agent: AgentName): string | undefined {
  if (!agentSimRunner()) return 'needs ../shared/agent-sim';
  if (!agentBin(agent)) return `needs the ${agent} CLI (run scripts/setup.d/30-agent-clis.sh)`;
  return undefined;
}
