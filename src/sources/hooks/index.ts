// Agent hooks: install into the agents' configs, the hook server (DaemonService), the policy.
export { HookServer, hookPaths } from './server.js';
export type { HookServerOptions, HookServerCounters } from './server.js';
export { denyListDecider, combineDeciders, answerFor, pathPattern } from './policy.js';
export type { HookDecider, HookDecision, HookAnswer } from './policy.js';
export { mapHookPayload, toolCategory, isBlockingEvent, HOOK_AGENTS } from './map.js';
export type { HookAgent } from './map.js';
export { installHooks, uninstallHooks, hookStatus, hookCommand, agentConfigPath, nativeClientPath, HOOK_EVENTS } from './install.js';
export type { HookScope } from './install.js';
export { hooksCommand } from './commands.js';
export { HOOKS_CONFIG_SCHEMA, HOOKS_DEFAULTS } from './config.js';
export type { HooksConfig, HookDenyRule } from './config.js';
