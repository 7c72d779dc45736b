// Test helpers shared by every component's tests.
export { repoRoot, sharedDir, cliEntry } from './paths.js';
export { runCli, spawnCli, tempHome } from './cli.js';
export type { CliResult } from './cli.js';
export { agentBin, agentSimRunner, agentSkipReason } from './agents.js';
export type { AgentName } from './agents.js';
