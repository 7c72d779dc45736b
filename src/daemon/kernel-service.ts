// The daemon's kernel sensor service: runs aw-sensor in daemon mode (every exec reported,
// agents from the catalog tracked in kernel as they start, plus agents already running
// when the daemon starts), keeps the live session registry, and treats the sensor's death
// or a stall as an incident: a high-severity `alert` plus `sensor.status` events, then a
// restart with backoff. An agent that kills the sensor must not go unnoticed.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { nowTime, type AwEvent } from '../schema/index.js';
import { AgentCatalog, type SessionInfo } from '../transforms/attribute/index.js';
import { attributeConfig } from '../transforms/attribute/config.js';
import { KernelCapture } from './kernel.js';
import type { DaemonContext, DaemonService } from './service.js';

export interface LiveSession extends SessionInfo {
  live: boolean;
}

export class KernelService implements DaemonService {
  readonly name = 'kernel-sensor';
  private cap: KernelCapture | undefined;
  private ctx: DaemonContext | undefined;
  private catalog: AgentCatalog | undefined;
  private stopping = false;
  private restarts = 0;
  private deaths = 0;
  private started = '';
  private sensorStartedAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private stalled = false;
  private readonly registry = new Map<string, SessionInfo>();
  /** Drops summed over every sensor incarnation. */
  private dropsBefore: Record<string, number> = {};
  private eventsBefore = 0;
  private lastError = '';

  async start(ctx: DaemonContext): Promise<void> {
    this.ctx = ctx;
    this.catalog = AgentCatalog.load(attributeConfig(ctx.config).catalogs);
    this.started = new Date().toISOString();
    this.launch();
    this.watchdog = setInterval(() => this.checkHealth(), 1000);
    this.watchdog.unref();
  }

  private host(): AwEvent['host'] {
    return { name: this.ctx?.config.host?.name ?? hostname(), ...(this.ctx?.config.host?.group ? { group: this.ctx.config.host.group } : {}) };
  }

  private launch(): void {
    const ctx = this.ctx!;
    const acfg = attributeConfig(ctx.config);
    const cap = new KernelCapture({
      mode: 'daemon',
      catalog: this.catalog!,
      emit: (e) => ctx.emit(e),
      host: this.host(),
      holdMs: acfg.hold_ms,
      lateWaitMs: acfg.late_wait_ms,
      ringMb: acfg.ring_mb,
      stdio: 'ignore',
      onSession: (s, what) => {
        this.registry.set(s.key + ':' + this.restarts, s);
        ctx.log(`session ${what}: ${s.agent.kind} ${s.id} root pid ${s.root_pid}`);
      },
      log: (m) => ctx.log(`aw-sensor: ${m}`),
    });
    this.cap = cap;
    this.sensorStartedAt = Date.now();
    this.stalled = false;
    ctx.emit(this.status_event('started', `kernel sensor started (helper pid ${cap.sensor.child.pid})`));
    // agents already running: track them and their trees
    for (const a of runningAgents(this.catalog!)) cap.trackRoot(a.pid, a);
    void cap.sensor.exited.then(({ code, signal }) => {
      if (this.cap !== cap) return;
      this.dropsBefore = this.drops();
      this.eventsBefore += cap.events;
      this.cap = undefined;
      if (this.stopping) return;
      this.deaths++;
      this.lastError = `helper exited (code ${code}, signal ${signal})`;
      ctx.emit(this.status_event('died', `kernel sensor died: ${this.lastError}`));
      ctx.emit(this.alert('AW-SENSOR-DIED', `Kernel sensor died (${signal ?? `exit ${code}`}); agent activity was unobserved until restart`));
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.deaths - 1, 6));
      setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        this.launch();
      }, delay).unref();
    });
  }

  /** A stalled helper (SIGSTOP, hung) stops sending its periodic stats. */
  private checkHealth(): void {
    const cap = this.cap;
    if (!cap || this.stopping) return;
    const last = cap.sensor.lastStatsAt || this.sensorStartedAt;
    const since = Date.now() - last;
    if (!this.stalled && since > 5000 && Date.now() - this.sensorStartedAt > 15_000) {
      this.stalled = true;
      this.ctx!.emit(this.status_event('degraded', `kernel sensor silent for ${Math.round(since / 1000)} s`));
      this.ctx!.emit(this.alert('AW-SENSOR-STALLED', `Kernel sensor stopped reporting for ${Math.round(since / 1000)} s (stopped or hung)`));
    } else if (this.stalled && since < 2000) {
      this.stalled = false;
      this.ctx!.emit(this.status_event('started', 'kernel sensor reporting again'));
    }
  }

  private status_event(state: 'started' | 'stopped' | 'died' | 'degraded', message: string): AwEvent {
    return { time: nowTime(), kind: 'sensor.status', host: this.host(), source: { type: 'linux-ebpf', name: 'daemon' }, sensor: { name: 'linux-ebpf', state, message, ...(Object.keys(this.drops()).length ? { drops: this.drops() } : {}) } };
  }

  private alert(ruleId: string, title: string): AwEvent {
    return { time: nowTime(), kind: 'alert', host: this.host(), source: { type: 'linux-ebpf', name: 'daemon' }, alert: { rule_id: ruleId, title, severity: 'high', tags: ['sensor', 'tamper'], message: title } };
  }

  drops(): Record<string, number> {
    const out: Record<string, number> = { ...this.dropsBefore };
    if (this.cap) for (const [k, v] of Object.entries(this.cap.drops())) out[k] = (this.dropsBefore[k] ?? 0) + v;
    return out;
  }

  /** Live agent sessions (root still running) and recently ended ones. */
  sessions(): LiveSession[] {
    const live = this.cap ? new Map(this.cap.attributor.list().map((s) => [s.key, s])) : new Map<string, SessionInfo>();
    return [...this.registry.entries()].map(([k, s]) => {
      const cur = live.get(s.key);
      const info = cur && k.endsWith(`:${this.restarts}`) ? cur : s;
      return { ...info, live: Boolean(cur && !info.ended && k.endsWith(`:${this.restarts}`)) };
    });
  }

  status(): Record<string, unknown> {
    const cap = this.cap;
    return {
      state: this.stopping ? 'stopping' : !cap ? 'restarting' : this.stalled ? 'stalled' : 'running',
      started: this.started,
      helper_pid: cap?.sensor.child.pid,
      restarts: this.restarts,
      deaths: this.deaths,
      last_error: this.lastError || undefined,
      events: this.eventsBefore + (cap?.events ?? 0),
      tracked_pids: cap?.sensor.tracked ?? 0,
      kernel_records: cap?.sensor.counts.events ?? 0,
      suppressed: cap ? { kernel_noise: cap.sensor.counts.noise_suppressed, collapsed_reads: cap.normalizer.counters.collapsed_reads, failed_reads: cap.normalizer.counters.failed_reads_dropped } : {},
      drops: this.drops(),
      sessions_live: this.sessions().filter((s) => s.live).length,
      sessions_total: this.registry.size,
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    const cap = this.cap;
    if (!cap) return;
    cap.stop();
    await Promise.race([cap.finish(), new Promise((r) => setTimeout(r, 5000))]);
    this.ctx?.emit(this.status_event('stopped', 'kernel sensor stopped (daemon shutdown)'));
  }
}

/** Agent processes already running (catalog match on /proc/PID/exe and cmdline). */
export function runningAgents(catalog: AgentCatalog): Array<{ pid: number; exe?: string; argv: string[]; ppid?: number; uid?: number }> {
  const found: Array<{ pid: number; exe?: string; argv: string[]; ppid?: number; uid?: number }> = [];
  const byPid = new Map<number, { exe?: string; argv: string[]; ppid: number; uid?: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter((x, i, a) => i < a.length - 1 || x);
      if (!argv.length) continue; // kernel thread
      let exe: string | undefined;
      try {
        exe = readlinkSync(`/proc/${name}/exe`);
      } catch {
        exe = undefined;
      }
      const st = readFileSync(`/proc/${name}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(st)?.[1] ?? 0);
      const uid = Number(/Uid:\s+(\d+)/.exec(st)?.[1] ?? NaN);
      byPid.set(Number(name), { exe, argv, ppid, uid: Number.isNaN(uid) ? undefined : uid });
    } catch {
      /* gone */
    }
  }
  for (const [pid, p] of byPid) {
    if (!catalog.match(p.exe, p.argv)) continue;
    // the outermost agent process only: its descendants come with it
    let anc = byPid.get(p.ppid);
    let nested = false;
    for (let i = 0; anc && i < 64; i++) {
      if (catalog.match(anc.exe, anc.argv)) {
        nested = true;
        break;
      }
      anc = byPid.get(anc.ppid);
    }
    if (!nested) found.push({ pid, ...p });
  }
  return found;
}
