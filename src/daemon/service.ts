// A long-running part of `agentwarden daemon` (kernel sensor, hook socket, OTLP receiver,
// watchers, gateway). The daemon starts services as named steps and always runs teardown.
import type { AwConfig } from '../config/types.js';
import type { AwPaths } from '../core/paths.js';
import type { AwEvent } from '../schema/index.js';

export interface DaemonContext {
  config: AwConfig;
  paths: AwPaths;
  /** Sends an event into the daemon's pipeline (transforms, then store and exporters). */
  emit(event: AwEvent): void;
  /** Diagnostic log line (goes to the daemon's log). */
  log(message: string): void;
}

export interface DaemonService {
  readonly name: string;
  start(ctx: DaemonContext): Promise<void>;
  stop(): Promise<void>;
  /** Health and counters for `agentwarden status`. */
  status(): Record<string, unknown>;
}
