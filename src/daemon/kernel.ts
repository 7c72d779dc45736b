// Wires the kernel sensor to attribution: aw-sensor records -> KernelNormalizer ->
// Attributor -> emit. Shared by `agentwarden run` (one tracked command) and the daemon's
// kernel service (agents detected system-wide). Loss accounting: the kernel's counters
// (ring_full, truncations, probe errors) arrive with the helper's periodic stats and are
// turned into `sensor.drop` events whenever they grow.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { nowTime, type AwEvent } from '../schema/index.js';
import { KernelNormalizer, type UntrackedExec } from '../sources/linux-ebpf/normalize.js';
import { T, type RawRecord } from '../sources/linux-ebpf/records.js';
import { SensorProcess, type SensorCounts } from '../sources/linux-ebpf/sensor.js';
import { Attributor, type AgentCatalog, type SessionInfo } from '../transforms/attribute/index.js';

/** Counters that mean an event (or part of one) was lost. */
export const LOSS_REASONS = ['ring_full', 'argv_truncated', 'env_truncated', 'path_truncated', 'probe_error', 'pending_full'] as const;

export interface KernelCaptureOptions {
  mode: 'run' | 'daemon';
  cmd?: string[];
  catalog: AgentCatalog;
  /** Receives every attributed event; may return a promise to apply backpressure. */
  emit: (e: AwEvent) => void | Promise<void>;
  host?: AwEvent['host'];
  lingerMs?: number;
  ringMb?: number;
  holdMs?: number;
  lateWaitMs?: number;
  binary?: string;
  stdio?: 'inherit' | 'ignore';
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onSession?: (s: SessionInfo, what: 'start' | 'id' | 'end') => void;
  log?: (msg: string) => void;
}

export class KernelCapture {
  readonly normalizer: KernelNormalizer;
  readonly attributor: Attributor;
  readonly sensor: SensorProcess;
  /** Loss counts already reported as sensor.drop events. */
  private reported: Record<string, number> = {};
  private timer: NodeJS.Timeout;
  private pendingEmit: Promise<void> | undefined;
  readonly trackedRoots = new Set<number>();
  events = 0;
  private readonly host: AwEvent['host'];

  constructor(private readonly o: KernelCaptureOptions) {
    this.host = o.host ?? { name: hostname() };
    this.normalizer = new KernelNormalizer({ isMarker: o.catalog.isMarker, host: this.host, sourceName: o.mode === 'run' ? 'run' : 'daemon' });
    this.attributor = new Attributor({ catalog: o.catalog, holdMs: o.holdMs, lateWaitMs: o.lateWaitMs, onSession: o.onSession });
    const out = (e: AwEvent) => {
      this.events++;
      const p = this.o.emit(e);
      if (p) this.pendingEmit = p;
    };
    this.sensor = new SensorProcess(
      { mode: o.mode, cmd: o.cmd, binary: o.binary, lingerMs: o.lingerMs, ringMb: o.ringMb, stdio: o.stdio, cwd: o.cwd, env: o.env },
      (r) => {
        this.onRecord(r, out);
        const p = this.pendingEmit;
        this.pendingEmit = undefined;
        return p;
      },
    );
    this.timer = setInterval(() => this.attributor.tick(out), 100);
    this.timer.unref();
  }

  private onRecord(r: RawRecord, out: (e: AwEvent) => void): void {
    if (r.type === T.HELLO && r.rootPid) {
      this.trackedRoots.add(r.rootPid);
      this.attributor.addRoot(r.rootPid, { cwd: this.o.cwd ?? process.cwd(), uid: process.getuid?.() });
    } else if (r.type === T.STATS) {
      this.reportDrops(r.counts, out);
    } else if (r.type === T.LOG) {
      this.o.log?.(r.text);
    }
    this.normalizer.handle(
      r,
      (e) => this.attributor.apply(e, out),
      this.o.mode === 'daemon' ? (x) => this.detect(x) : undefined,
    );
  }

  /** Daemon: an exec outside any tracked tree; start tracking it when it is an agent. */
  private detect(x: UntrackedExec): void {
    const m = this.o.catalog.match(x.exe, x.argv);
    if (!m || this.trackedRoots.has(x.pid)) return;
    this.trackRoot(x.pid, { exe: x.exe, argv: x.argv, ppid: x.ppid, uid: x.uid });
  }

  /** Tracks a running process and its existing descendants (daemon attach). */
  trackRoot(pid: number, info: { exe?: string; argv?: string[]; ppid?: number; uid?: number }): void {
    this.sensor.track(pid);
    this.trackedRoots.add(pid);
    const cwd = procCwd(pid);
    if (cwd) this.normalizer.seedCwd(pid, cwd);
    this.attributor.addRoot(pid, { exe: info.exe, argv: info.argv, cwd, uid: info.uid, parentPid: info.ppid });
    // children forked before the map update: track them too (the kernel adopts later forks)
    for (const child of procDescendants(pid)) this.sensor.track(child);
    this.o.log?.(`tracking pid ${pid} (${info.argv?.slice(0, 3).join(' ') ?? info.exe})`);
  }

  private reportDrops(counts: SensorCounts, out: (e: AwEvent) => void): void {
    const delta: Record<string, number> = {};
    let any = false;
    for (const k of LOSS_REASONS) {
      const d = counts[k] - (this.reported[k] ?? 0);
      if (d > 0) {
        delta[k] = d;
        any = true;
        this.reported[k] = counts[k];
      }
    }
    if (!any) return;
    out({ time: nowTime(), kind: 'sensor.drop', host: this.host, source: { type: 'linux-ebpf', name: this.o.mode }, sensor: { name: 'linux-ebpf', state: 'degraded', drops: delta, message: 'kernel events lost or truncated' } });
  }

  /** Loss counters: kernel and user space, by reason. */
  drops(extra: Record<string, number> = {}): Record<string, number> {
    const d: Record<string, number> = {};
    for (const k of LOSS_REASONS) if (this.sensor.counts[k]) d[k] = this.sensor.counts[k];
    if (this.normalizer.counters.decode_errors) d.decode_error = this.normalizer.counters.decode_errors;
    if (this.normalizer.counters.exec_incomplete) d.exec_incomplete = this.normalizer.counters.exec_incomplete;
    if (this.sensor.corrupt) d.stream_corrupt = 1;
    for (const [k, v] of Object.entries(extra)) if (v) d[k] = v;
    return d;
  }

  /** Waits for the helper's stream to end, then releases everything still held. */
  async finish(): Promise<void> {
    await this.sensor.ended;
    const out = (e: AwEvent) => {
      this.events++;
      void this.o.emit(e);
    };
    this.reportDrops(this.sensor.counts, out);
    this.attributor.tick(out, true);
    clearInterval(this.timer);
  }

  stop(): void {
    this.sensor.stop();
  }
}

function procCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** Descendants of pid from /proc (ppid chains), nearest first. */
export function procDescendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(rest[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const want = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent) {
      if (!want.has(p) && want.has(pp)) {
        want.add(p);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}
