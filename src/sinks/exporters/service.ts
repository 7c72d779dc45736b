// ExportersService: the daemon service that feeds the configured exporters from the store.
// It tails the store (a read-only connection; SQLite WAL readers see each committed batch)
// instead of taking events from the live path, so:
// - the store is the exporters' durable buffer: while a receiver is down the service stops
//   reading (it never writes more than the sink's free room), so nothing is dropped, however
//   long the outage, and memory stays bounded;
// - each exporter keeps a cursor (<home>/exporters/<name>.cursor: the last store sequence
//   number delivered or counted), written atomically, so a daemon restart resumes where the
//   exporter stopped (at-least-once: a batch in flight at a crash is sent again);
// - exporters see exactly what was recorded (after transforms, alerts included, with seq).
// Drop reports (sensor.drop) from the sinks are emitted into the pipeline every interval.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwConfig } from '../../config/types.js';
import type { DaemonContext, DaemonService } from '../../daemon/service.js';
import type { AwEvent } from '../../schema/index.js';
import { openStoreReadonly, type EventStore } from '../store/index.js';
import type { ExporterConfig } from './config.js';
import type { ExporterSink } from './core/sink.js';
import { createExporters } from './factory.js';

export interface ExportersServiceOptions {
  /** Store polling interval (default 200 ms). */
  pollMs?: number;
  /** Events read from the store per exporter per poll at most (default 2000). */
  readBatch?: number;
  /** Interval of sensor.drop reports (default 10 s). */
  reportMs?: number;
}

interface Lane {
  sink: ExporterSink;
  cfg: ExporterConfig;
  cursorFile: string;
  /** Last store seq delivered or counted: persisted. */
  cursor: number;
  /** Last store seq handed to the sink. */
  readPos: number;
  /** Accepted events not yet settled: settle index -> seq. */
  pending: Array<{ upto: number; seq: number }>;
  savedCursor: number;
}

export class ExportersService implements DaemonService {
  readonly name = 'exporters';
  private lanes: Lane[] = [];
  private store: EventStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private ctx: DaemonContext | undefined;
  private ticking = false;
  private readonly o: Required<ExportersServiceOptions>;
  readErrors = 0;

  constructor(
    private readonly config: AwConfig,
    opts: ExportersServiceOptions = {},
  ) {
    this.o = { pollMs: opts.pollMs ?? 200, readBatch: opts.readBatch ?? 2000, reportMs: opts.reportMs ?? 10_000 };
  }

  /** The service only exists when exporters are configured. */
  static fromConfig(config: AwConfig, opts?: ExportersServiceOptions): ExportersService | undefined {
    return config.exporters?.length ? new ExportersService(config, opts) : undefined;
  }

  get sinks(): ExporterSink[] {
    return this.lanes.map((l) => l.sink);
  }

  async start(ctx: DaemonContext): Promise<void> {
    this.ctx = ctx;
    const list = this.config.exporters ?? [];
    const sinks = createExporters(list, { onError: (m) => ctx.log(m) });
    this.store = openStoreReadonly(ctx.paths, this.config.store);
    const dir = join(ctx.paths.home, 'exporters');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const end = this.store.size;
    this.lanes = sinks.map((sink, i) => {
      const cfg = list[i];
      const cursorFile = join(dir, `${cfg.name}.cursor`);
      let cursor: number;
      try {
        cursor = Number(JSON.parse(readFileSync(cursorFile, 'utf8')).seq);
        if (!Number.isInteger(cursor) || cursor < 0) throw new Error('bad cursor');
      } catch {
        cursor = cfg.start_at === 'beginning' ? 0 : end;
      }
      if (cursor > end) {
        // The store is younger than the cursor (recreated or restored): its sequence numbers
        // restarted, so everything in it is new to this exporter.
        ctx.log(`exporters: ${cfg.name}: cursor ${cursor} is past the end of the store (${end}); starting from its beginning`);
        cursor = 0;
      }
      return { sink, cfg, cursorFile, cursor, readPos: cursor, pending: [], savedCursor: -1 };
    });
    for (const l of this.lanes) this.save(l);
    this.timer = setInterval(() => void this.tick(), this.o.pollMs);
    this.timer.unref();
    this.reportTimer = setInterval(() => this.report(), this.o.reportMs);
    this.reportTimer.unref();
  }

  /** One poll: advance cursors, then hand each exporter what fits in its buffer. */
  async tick(): Promise<void> {
    if (this.ticking || !this.store) return;
    this.ticking = true;
    try {
      for (const l of this.lanes) {
        this.advance(l);
        const room = l.sink.room;
        if (room === 0) continue;
        let events: AwEvent[];
        try {
          events = this.store.query({ afterSeq: l.readPos, limit: Math.min(room, this.o.readBatch) });
        } catch (err) {
          this.readErrors++;
          this.ctx?.log(`exporters: reading the store: ${(err as Error).message}`);
          continue;
        }
        for (const ev of events) {
          const seq = ev.seq!;
          const r = l.sink.write(ev);
          // A filtered event settles as soon as everything before it has.
          if (r === 'accepted' || l.pending.length) l.pending.push({ upto: l.sink.acceptedCount, seq });
          else l.cursor = seq;
          l.readPos = seq;
        }
        this.advance(l);
      }
    } finally {
      this.ticking = false;
    }
  }

  private advance(l: Lane): void {
    // Events the sink gave up on at close ('shutdown') are still in the store behind the
    // cursor: they do not advance it and are sent again at the next start.
    const settled = l.sink.settledCount - l.sink.counters.dropped.shutdown;
    while (l.pending.length && l.pending[0].upto <= settled) l.cursor = l.pending.shift()!.seq;
    if (l.cursor !== l.savedCursor) this.save(l);
  }

  private save(l: Lane): void {
    try {
      const tmp = `${l.cursorFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ seq: l.cursor }), { mode: 0o600 });
      renameSync(tmp, l.cursorFile);
      l.savedCursor = l.cursor;
    } catch (err) {
      this.ctx?.log(`exporters: cannot save cursor ${l.cursorFile}: ${(err as Error).message}`);
    }
  }

  private report(): void {
    for (const l of this.lanes) {
      const ev = l.sink.dropReport(this.config.host?.name ? { name: this.config.host.name } : undefined);
      if (ev) this.ctx?.emit(ev);
    }
  }

  /** Resolves when every exporter has caught up with the store as it is now (tests, export). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const target = this.store?.size ?? 0;
    const deadline = Date.now() + timeoutMs;
    while (this.lanes.some((l) => l.readPos < target || l.pending.length)) {
      if (Date.now() > deadline) {
        const where = this.lanes.map((l) => `${l.cfg.name}: read ${l.readPos}/${target}, pending ${l.pending.length}, ${l.sink.counters.state}`).join('; ');
        throw new Error(`exporters did not catch up within ${timeoutMs} ms (${where})`);
      }
      await this.tick();
      await Promise.race([Promise.all(this.lanes.map((l) => l.sink.flush())), new Promise((r) => setTimeout(r, 500))]);
      await this.tick();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.reportTimer) clearInterval(this.reportTimer);
    this.timer = undefined;
    this.reportTimer = undefined;
    // Deliver what the sinks hold (bounded by close_timeout_ms); events not yet read stay
    // in the store behind the cursor for the next start.
    await Promise.all(this.lanes.map((l) => l.sink.close()));
    for (const l of this.lanes) this.advance(l);
    this.store?.close();
    this.store = undefined;
  }

  status(): Record<string, unknown> {
    const size = this.store?.size ?? 0;
    return Object.fromEntries(
      this.lanes.map((l) => [
        l.cfg.name,
        { type: l.cfg.type, target: l.sink.transport.target, cursor: l.cursor, lag: Math.max(0, size - l.cursor), ...l.sink.counters, last_error: l.sink.transport.lastError },
      ]),
    );
  }
}
