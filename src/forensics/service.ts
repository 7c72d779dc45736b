// The daemon's response service: in the proactive and autonomous tiers it scans the store
// for new alerts every `scan_interval_ms` and opens (or extends) incidents. It opens its own
// handle on the store (the store supports several appenders) so it never blocks the
// pipeline's writer. Register with: { name: 'response', create: createResponseService }.
import type { AwConfig } from '../config/types.js';
import { errorMessage } from '../core/errors.js';
import type { DaemonContext, DaemonService } from '../daemon/service.js';
import { openStore, type EventStore } from '../sinks/store/index.js';
import { RESPONSE_DEFAULTS, type ResponseConfig } from './config.js';
import { openIncidentsForAlerts } from './response.js';

export class ResponseService implements DaemonService {
  readonly name = 'response';
  private timer: NodeJS.Timeout | undefined;
  private store: EventStore | undefined;
  private readonly counters = { scans: 0, alerts: 0, opened: 0, attached: 0, contained: 0, unattributed: 0, errors: 0 };
  private lastError: string | undefined;
  private lastOpened: string | undefined;

  constructor(private readonly cfg: ResponseConfig) {}

  async start(ctx: DaemonContext): Promise<void> {
    this.store = openStore(ctx.paths, ctx.config.store ?? {});
    const exporters = Array.isArray(ctx.config.exporters) ? ctx.config.exporters.map((e) => String((e as { name?: string }).name ?? 'exporter')) : [];
    const scan = () => {
      if (!this.store) return;
      try {
        const r = openIncidentsForAlerts(this.store, this.cfg, { home: ctx.paths.home, exporters });
        this.counters.scans++;
        this.counters.alerts += r.scanned;
        this.counters.opened += r.opened.length;
        this.counters.attached += r.attached.length;
        this.counters.contained += r.contained.filter((c) => c.result).length;
        this.counters.unattributed += r.unattributed.length;
        for (const inc of r.opened) {
          this.lastOpened = inc.id;
          ctx.log(`response: opened ${inc.id} (${inc.severity}) over ${inc.sessions.join(', ')}`);
        }
      } catch (err) {
        // A failed scan is retried at the next tick; the alerts stay in the store.
        this.counters.errors++;
        this.lastError = errorMessage(err);
        ctx.log(`response: scan failed: ${this.lastError}`);
      }
    };
    scan();
    this.timer = setInterval(scan, this.cfg.scan_interval_ms ?? RESPONSE_DEFAULTS.scan_interval_ms);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.store?.close();
    this.store = undefined;
  }

  status(): Record<string, unknown> {
    return { tier: this.cfg.tier ?? RESPONSE_DEFAULTS.tier, min_severity: this.cfg.min_severity ?? RESPONSE_DEFAULTS.min_severity, ...this.counters, last_opened: this.lastOpened, last_error: this.lastError };
  }
}

/** Daemon service factory: undefined (not started) in the reactive tier. */
export function createResponseService(config: AwConfig): DaemonService | undefined {
  const cfg = config.response ?? {};
  const tier = cfg.tier ?? RESPONSE_DEFAULTS.tier;
  return tier === 'reactive' ? undefined : new ResponseService(cfg);
}
