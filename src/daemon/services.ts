// The services `agentwarden daemon` runs, in start order. Each component adds one entry
// (a factory, so nothing starts at import time). The kernel sensor is built in.
import type { AwConfig } from '../config/types.js';
import { createResponseService } from '../forensics/service.js';
import { GatewayService } from '../gateway/service.js';
import { ExportersService } from '../sinks/exporters/service.js';
import { HookServer } from '../sources/hooks/server.js';
import { AgentLogWatcher } from '../sources/importers/watcher.js';
import { OtlpReceiver } from '../sources/otlp/server.js';
import { detectorHookDecider, type Detector } from '../transforms/detect/index.js';
import { KernelService } from './kernel-service.js';
import type { DaemonService } from './service.js';

/** What the daemon shares with the services it creates. */
export interface ServiceDeps {
  /** The live pipeline's detector: synchronous decisions for hooks. */
  detector?: Detector;
  /** Settles once everything emitted so far is durable in the store. */
  flush?: () => Promise<void>;
}

export interface ServiceEntry {
  name: string;
  /** Returns undefined when the service is disabled by the configuration. */
  create(config: AwConfig, deps: ServiceDeps): DaemonService | undefined;
}

export const DAEMON_SERVICES: ServiceEntry[] = [
  { name: 'kernel-sensor', create: (cfg) => (cfg.daemon?.kernel === false ? undefined : new KernelService()) },
  // Tails the agents' own session logs (~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, ~/.cursor/projects).
  { name: 'agent-logs', create: (cfg) => (cfg.agent_logs?.enabled === false ? undefined : new AgentLogWatcher(cfg.agent_logs ?? {})) },
  // Agent hooks: the hook client hands payloads over a local socket; the rules decide.
  { name: 'hooks', create: (cfg, d) => ((cfg.hooks as { enabled?: boolean } | undefined)?.enabled === false ? undefined : new HookServer({ deciders: d.detector ? [detectorHookDecider(d.detector)] : [], flush: d.flush })) },
  // Native OpenTelemetry of the agents (only when configured: it opens a TCP port).
  { name: 'otlp', create: (cfg) => (cfg.otlp ? new OtlpReceiver() : undefined) },
  // The L7 gateway, when a PostgreSQL or HTTP listener is configured.
  { name: 'gateway', create: (cfg) => (cfg.gateway?.postgres || cfg.gateway?.http ? new GatewayService() : undefined) },
  // Proactive/autonomous response: alerts at or above the configured severity open incidents.
  { name: 'response', create: (cfg) => createResponseService(cfg) },
  // SIEM exporters tail the store with per-exporter cursors (the store is their buffer).
  { name: 'exporters', create: (cfg) => ExportersService.fromConfig(cfg) },
];
