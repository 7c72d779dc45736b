// The services `agentwarden daemon` runs, in start order. Each component adds one entry
// (a factory, so nothing starts at import time). The kernel sensor is built in.
import type { AwConfig } from '../config/types.js';
import { KernelService } from './kernel-service.js';
import type { DaemonService } from './service.js';
import { AgentLogWatcher } from '../sources/importers/watcher.js';

export interface ServiceEntry {
  name: string;
  /** Returns undefined when the service is disabled by the configuration. */
  create(config: AwConfig): DaemonService | undefined;
}

export const DAEMON_SERVICES: ServiceEntry[] = [
  { name: 'kernel-sensor', create: (cfg) => (cfg.daemon?.kernel === false ? undefined : new KernelService()) },
  // Tails the agents' own session logs (~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, ~/.cursor/projects).
  { name: 'agent-logs', create: (cfg) => (cfg.agent_logs?.enabled === false ? undefined : new AgentLogWatcher(cfg.agent_logs ?? {})) },
  // other components append here, e.g.
  // { name: 'hooks', create: (cfg) => new HooksSocketService(cfg) },
  // { name: 'otlp', create: (cfg) => new OtlpReceiverService(cfg) },
];
