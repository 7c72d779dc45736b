// The hook server: a DaemonService listening on a local unix socket. Each connection
// carries one hook payload; the server maps it to events, asks the deciders, emits the
// events into the pipeline and answers in the agent's protocol. Connections are handled
// independently (one buffer each) and emits are serialized by the event loop, so hooks
// that run concurrently for parallel tool calls can neither interleave nor be lost.
// On start, and every spool_scan_ms, it drains the spool the client writes while the
// server is down.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AwError } from '../../core/errors.js';
import type { AwPaths } from '../../core/paths.js';
import type { DaemonContext, DaemonService } from '../../daemon/service.js';
import { nowTime, type AwEvent } from '../../schema/index.js';
import { HOOKS_DEFAULTS, type HooksConfig } from './config.js';
import { normalizeHookPayload } from '../../transforms/normalize/index.js';
import { isBlockingEvent, mapHookPayload, withDecision } from './map.js';
import { ALLOW, answerFor, combineDeciders, denyListDecider, type HookAnswer, type HookDecider } from './policy.js';
import { encodeAnswer, MAX_HEADER, MAX_PAYLOAD, parseRequest, timeOfId } from './protocol.js';

export function hookPaths(cfg: HooksConfig | undefined, paths: AwPaths): { socket: string; spool: string } {
  return {
    socket: cfg?.socket ? resolve(cfg.socket) : join(paths.runDir, 'hook.sock'),
    spool: cfg?.spool_dir ? resolve(cfg.spool_dir) : join(paths.runDir, 'hook-spool'),
  };
}

export interface HookServerOptions {
  /** Extra deciders after the config deny list (e.g. the rule engine's decide). */
  deciders?: HookDecider[];
  /** Settles once everything emitted so far is durable; spool files are deleted after it. */
  flush?: () => Promise<void>;
}

export interface HookServerCounters {
  connections: number;
  payloads: number;
  denied: number;
  malformed: number;
  duplicates: number;
  spool_drained: number;
  spool_bad: number;
  decider_errors: number;
  emit_errors: number;
}

const SEEN_CAP = 100_000;

export class HookServer implements DaemonService {
  readonly name = 'hooks';
  readonly counters: HookServerCounters = { connections: 0, payloads: 0, denied: 0, malformed: 0, duplicates: 0, spool_drained: 0, spool_bad: 0, decider_errors: 0, emit_errors: 0 };
  private server: Server | undefined;
  private ctx: DaemonContext | undefined;
  private decide: HookDecider = () => undefined;
  private socketPath = '';
  private spoolDir = '';
  private host = hostname();
  /** Client ids already recorded: a payload spooled after a slow answer is not stored twice. */
  private readonly seen = new Set<string>();
  private scanTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();
  /** Events of the request being answered: emitted after the answer is written, so the
   * pipeline's transforms (redaction, rules) never delay the agent. */
  private pending: AwEvent[] = [];

  constructor(private readonly opts: HookServerOptions = {}) {}

  get socket(): string {
    return this.socketPath;
  }

  async start(ctx: DaemonContext): Promise<void> {
    const cfg = (ctx.config.hooks ?? {}) as HooksConfig;
    const p = hookPaths(cfg, ctx.paths);
    this.ctx = ctx;
    this.socketPath = p.socket;
    this.spoolDir = p.spool;
    if (ctx.config.host?.name) this.host = ctx.config.host.name;
    this.decide = combineDeciders([denyListDecider(cfg.deny), ...(this.opts.deciders ?? [])], (err) => {
      this.counters.decider_errors++;
      ctx.log(`hooks: decider failed: ${(err as Error).message}`);
    });
    mkdirSync(dirname(this.socketPath), { recursive: true, mode: 0o700 });
    mkdirSync(this.spoolDir, { recursive: true, mode: 0o700 });
    await this.clearStaleSocket();
    const server = createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.socketPath, () => {
        server.off('error', rej);
        res();
      });
    });
    chmodSync(this.socketPath, 0o600);
    this.server = server;
    server.on('error', (err) => ctx.log(`hooks: server error: ${err.message}`));
    this.emit({ id: `hooks-start-${Date.now()}`, time: nowTime(), kind: 'sensor.status', source: { type: 'hook', name: 'hook-server' }, host: { name: this.host }, sensor: { name: 'hooks', state: 'started', message: `listening on ${this.socketPath}` } });
    await this.drainSpool();
    const every = cfg.spool_scan_ms ?? HOOKS_DEFAULTS.spool_scan_ms;
    if (every > 0) {
      this.scanTimer = setInterval(() => void this.drainSpool(), every);
      this.scanTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((res) => {
        server.close(() => res());
        // Connections still open after a grace period are cut; their clients spool.
        setTimeout(() => {
          for (const s of this.sockets) s.destroy();
        }, 2000).unref();
      });
    }
    await this.draining;
    this.emitAllNow();
    if (this.ctx) this.emit({ id: `hooks-stop-${Date.now()}`, time: nowTime(), kind: 'sensor.status', source: { type: 'hook', name: 'hook-server' }, host: { name: this.host }, sensor: { name: 'hooks', state: 'stopped', message: JSON.stringify(this.counters) } });
  }

  status(): Record<string, unknown> {
    return { socket: this.socketPath, spool: this.spoolDir, listening: Boolean(this.server), ...this.counters };
  }

  /** Handles one complete request (from a socket or the spool) and returns the answer; its
   * events are queued and go out with the next emitPending(). */
  private handle(buf: Buffer, spooled = false): HookAnswer {
    const parsed = parseRequest(buf);
    if (!parsed.ok) {
      this.counters.malformed++;
      this.pending.push({ time: nowTime(), kind: 'agent.telemetry', source: { type: 'hook', name: 'hook-server' }, host: { name: this.host }, agent: { raw_type: 'malformed_request' }, attributes: { error: parsed.reason, raw: buf.subarray(0, 4096).toString('utf8'), spooled } });
      return ALLOW;
    }
    const { req } = parsed;
    this.counters.payloads++;
    const text = req.payload.toString('utf8');
    let payload: unknown;
    let parseError: string | undefined;
    try {
      payload = JSON.parse(text) as unknown;
    } catch (err) {
      parseError = (err as Error).message;
    }
    const time = timeOfId(req.id) ?? nowTime();
    const meta = { id: req.id, time, host: this.host };
    if (parseError !== undefined) {
      this.counters.malformed++;
      this.recordOnce(req.id, [
        { id: `hook-${req.id}`, time, kind: 'agent.telemetry', source: { type: 'hook', name: `${req.agent}-hook`, ref: req.id }, host: { name: this.host }, agent: { raw_type: 'malformed_payload' }, attributes: { error: `payload is not JSON: ${parseError}`, raw: text.slice(0, 65536), bytes: req.payload.length, spooled } },
      ]);
      return ALLOW;
    }
    // The shared agent vocabulary (src/transforms/normalize) maps the payload, so hook,
    // transcript and OTLP records of one tool call agree (ids, sessions, categories); the
    // local mapping only covers payloads it does not take (not a JSON object).
    let events: AwEvent[];
    try {
      events = normalizeHookPayload(req.agent, payload, { time, ref: req.id, sourceName: `${req.agent}-hook` });
    } catch (err) {
      this.ctx?.log(`hooks: normalizer failed (${(err as Error).message}); using the raw mapping`);
      events = [];
    }
    if (!events.length) events = mapHookPayload(req.agent, payload, meta);
    for (const ev of events) {
      if (this.host) ev.host = { name: this.host };
      ev.id ??= `hook-${req.id}`;
    }
    const eventName = events[0].agent?.raw_type ?? '';
    const blocking = isBlockingEvent(eventName);
    const decision = blocking && !spooled ? this.decide(events[0]) : undefined;
    if (decision?.action === 'deny') {
      this.counters.denied++;
      events = withDecision(events, decision, req.id);
    }
    const attrs = (events[0].attributes ??= {});
    attrs.hook_payload_id = req.id;
    if (spooled) attrs.spooled = true;
    if (req.payload.length !== req.declared) attrs.truncated = { declared: req.declared, received: req.payload.length };
    this.recordOnce(req.id, events);
    return answerFor(events[0].session?.agent.kind ?? req.agent, eventName, decision, blocking);
  }

  private recordOnce(id: string, events: AwEvent[]): void {
    if (this.seen.has(id)) {
      this.counters.duplicates++;
      return;
    }
    this.seen.add(id);
    if (this.seen.size > SEEN_CAP) this.seen.delete(this.seen.values().next().value as string);
    this.pending.push(...events);
  }

  private emitScheduled = false;

  /**
   * Feeds queued events to the pipeline in slices of at most ~5 ms per event-loop turn, so
   * that answers to other hooks waiting on the socket are not held up behind the
   * transforms (redacting a 200 KB payload takes ~100 ms on a loaded 2-core machine).
   * Order is kept: one queue, first in first out.
   */
  private emitPending(): void {
    if (this.emitScheduled || !this.pending.length) return;
    this.emitScheduled = true;
    setImmediate(() => {
      this.emitScheduled = false;
      const t0 = performance.now();
      let i = 0;
      while (i < this.pending.length && (i === 0 || performance.now() - t0 < 5)) this.emit(this.pending[i++]);
      this.pending.splice(0, i);
      this.emitPending();
    });
  }

  /** Emits everything still queued, now (before flushing for the spool, and at stop). */
  private emitAllNow(): void {
    const evs = this.pending;
    this.pending = [];
    for (const ev of evs) this.emit(ev);
  }

  private emit(ev: AwEvent): void {
    try {
      this.ctx?.emit(ev);
    } catch (err) {
      this.counters.emit_errors++;
      this.ctx?.log(`hooks: emit failed: ${(err as Error).message}`);
    }
  }

  private onConnection(s: Socket): void {
    this.counters.connections++;
    this.sockets.add(s);
    const chunks: Buffer[] = [];
    let size = 0;
    let limit = MAX_HEADER + MAX_PAYLOAD;
    s.setTimeout(30_000, () => s.destroy());
    s.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Keep what fits (recorded as truncated), discard the rest.
        const keep = c.length - (size - limit);
        if (keep > 0) chunks.push(c.subarray(0, keep));
        limit = -1;
        return;
      }
      if (limit >= 0) chunks.push(c);
    });
    s.on('end', () => {
      let answer: HookAnswer;
      try {
        answer = this.handle(Buffer.concat(chunks));
      } catch (err) {
        this.ctx?.log(`hooks: request failed: ${(err as Error).message}`);
        answer = ALLOW;
      }
      s.end(encodeAnswer(answer));
      this.emitPending();
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.sockets.delete(s));
  }

  /** Drains spooled payloads in arrival order; files are removed once the events are durable. */
  drainSpool(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = this.drainOnce().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.spoolDir);
    } catch {
      return;
    }
    const done: string[] = [];
    const now = Date.now();
    for (const name of names.sort()) {
      const file = join(this.spoolDir, name);
      if (name.startsWith('.tmp-')) {
        // A client died between write and rename. After a minute, take it if complete.
        try {
          if (now - statSync(file).mtimeMs < 60_000) continue;
        } catch {
          continue;
        }
      } else if (!name.endsWith('.awh')) continue;
      let buf: Buffer;
      try {
        buf = readFileSync(file);
      } catch {
        continue;
      }
      const parsed = parseRequest(buf);
      if (!parsed.ok || parsed.req.payload.length !== parsed.req.declared) {
        // Reported and still recorded (as malformed or truncated): nothing is silently dropped.
        this.counters.spool_bad++;
        this.ctx?.log(`hooks: bad spool file ${name}: ${parsed.ok ? 'incomplete payload' : parsed.reason}`);
      }
      this.handle(buf, true);
      this.emitPending();
      this.counters.spool_drained++;
      done.push(file);
    }
    if (!done.length) return;
    this.emitAllNow();
    if (this.opts.flush) await this.opts.flush();
    for (const f of done) {
      try {
        unlinkSync(f);
      } catch {
        /* already gone */
      }
    }
  }

  private async clearStaleSocket(): Promise<void> {
    if (!existsSync(this.socketPath)) return;
    const alive = await new Promise<boolean>((res) => {
      const c = connect(this.socketPath);
      c.once('connect', () => {
        c.destroy();
        res(true);
      });
      c.once('error', () => res(false));
    });
    if (alive) throw new AwError('HOOKS_RUNNING', `a hook server is already listening on ${this.socketPath}`);
    unlinkSync(this.socketPath);
  }
}
