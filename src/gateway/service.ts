// The gateway as a daemon service: the PostgreSQL listener and the HTTP proxies, all
// emitting gateway.* events into the daemon's pipeline (or, standalone, into the store).
import type { DaemonContext, DaemonService } from '../daemon/service.js';
import type { AwPaths } from '../core/paths.js';
import type { AwEvent } from '../schema/index.js';
import type { GatewayConfig } from './config.js';
import { ForwardProxy } from './http/forward.js';
import { ReverseProxy } from './http/reverse.js';
import { PgGateway } from './postgres/server.js';
import { PgWorkers } from './postgres/workers.js';

export interface GatewayListeners {
  postgres?: { host: string; port: number; fingerprint: string; generated: boolean; certFile: string };
  forward?: { host: string; port: number };
  reverse: Array<{ name: string; host: string; port: number }>;
}

export class GatewayService implements DaemonService {
  readonly name = 'gateway';
  pg?: PgGateway;
  pgWorkers?: PgWorkers;
  forward?: ForwardProxy;
  reverse: ReverseProxy[] = [];
  listeners: GatewayListeners = { reverse: [] };

  /** Starts every configured listener. */
  async startWith(paths: AwPaths, cfg: GatewayConfig, emit: (ev: AwEvent) => void, log: (m: string) => void): Promise<GatewayListeners> {
    // workers >= 1: the proxy runs in worker processes and this process only collects their
    // events. Even one worker process beats running in-process next to the store: pgbench -S
    // c=8 on 2 CPUs, gateway CPU 107-120 us/transaction with 1 worker process vs 145-149
    // with 2, and in-process (sharing the thread with the store) the c=8 ratio fell to 0.17.
    if (cfg.postgres && (cfg.postgres.workers ?? 0) >= 1) {
      this.pgWorkers = new PgWorkers({ paths, config: cfg, emit, log, count: cfg.postgres.workers! });
      const a = await this.pgWorkers.start();
      this.listeners.postgres = { ...a, fingerprint: this.pgWorkers.tlsFingerprint, generated: this.pgWorkers.generated, certFile: this.pgWorkers.certFile };
    } else if (cfg.postgres) {
      this.pg = new PgGateway({ paths, config: cfg, emit, log });
      const a = await this.pg.start();
      this.listeners.postgres = { ...a, fingerprint: this.pg.tls.fingerprint, generated: this.pg.tls.generated, certFile: this.pg.tls.certFile };
    }
    if (cfg.http?.forward) {
      this.forward = new ForwardProxy({ paths, config: cfg, emit, log });
      this.listeners.forward = await this.forward.start();
    }
    for (const r of cfg.http?.reverse ?? []) {
      const p = new ReverseProxy({ paths, config: cfg, route: r, emit, log });
      this.reverse.push(p);
      this.listeners.reverse.push({ name: r.name, ...(await p.start()) });
    }
    return this.listeners;
  }

  async start(ctx: DaemonContext): Promise<void> {
    const cfg = ctx.config.gateway;
    if (!cfg) return;
    const l = await this.startWith(ctx.paths, cfg, (e) => ctx.emit(e), (m) => ctx.log(m));
    if (l.postgres) ctx.log(`gateway postgres on ${l.postgres.host}:${l.postgres.port}, TLS SHA-256 ${l.postgres.fingerprint}`);
  }

  async stop(): Promise<void> {
    await this.pg?.stop();
    await this.pgWorkers?.stop();
    await this.forward?.stop();
    await Promise.all(this.reverse.map((r) => r.stop()));
  }

  status(): Record<string, unknown> {
    return {
      postgres: this.pg?.status() ?? this.pgWorkers?.status(),
      forward: this.forward?.status(),
      reverse: this.reverse.map((r) => r.status()),
    };
  }
}
