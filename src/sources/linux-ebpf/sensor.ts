// Runs the privileged helper (native/build/ebpf/aw-sensor) and streams its records.
// fd 3 carries binary records (records.ts), fd 4 carries commands ("track PID").
// Reading pauses while the consumer is busy: the helper then blocks on the pipe, the ring
// buffer fills, and every lost record is counted in kernel (ring_full), never silent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { COUNT_NAMES, RecordFramer, T, type CountName, type RawRecord } from './records.js';

export interface SensorOptions {
  mode: 'run' | 'daemon';
  /** run mode: the command to start tracked */
  cmd?: string[];
  binary?: string;
  lingerMs?: number;
  ringMb?: number;
  /** stdio for the tracked command (run mode): inherited by default */
  stdio?: 'inherit' | 'ignore';
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export type SensorCounts = Record<CountName, number>;

/** Locates aw-sensor: $AGENTWARDEN_SENSOR_BIN, else native/build/ebpf above this module or the cwd. */
export function sensorBinary(explicit?: string): string | undefined {
  const cands: string[] = [];
  if (explicit) cands.push(resolve(explicit));
  if (process.env.AGENTWARDEN_SENSOR_BIN) cands.push(resolve(process.env.AGENTWARDEN_SENSOR_BIN));
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let d = start;
    for (let i = 0; i < 8; i++) {
      cands.push(join(d, 'native', 'build', 'ebpf', 'aw-sensor'));
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  for (const c of cands) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

let probeCache: string | null | undefined;

/**
 * Why the eBPF sensor cannot run here (undefined when it can). `load` also loads and attaches
 * the program once (about 4 s, tests use it); without it only the cheap checks run and a
 * load failure is reported by the helper itself.
 */
export function sensorUnavailableReason(opts: { binary?: string; load?: boolean } = { load: true }): string | undefined {
  const binary = opts.binary;
  if (probeCache !== undefined && !binary && opts.load) return probeCache ?? undefined;
  const bin = sensorBinary(binary);
  let reason: string | undefined;
  if (process.platform !== 'linux') reason = 'the eBPF sensor needs Linux';
  else if (!bin) reason = 'aw-sensor is not built (run scripts/setup.d/10-ebpf.sh: needs clang, bpftool, libbpf-dev)';
  else if (!existsSync('/sys/kernel/btf/vmlinux')) reason = 'the kernel has no BTF (/sys/kernel/btf/vmlinux)';
  else if (typeof process.getuid === 'function' && process.getuid() !== 0 && !hasBpfCaps()) reason = 'needs root or CAP_BPF+CAP_PERFMON';
  else if (opts.load) {
    const r = spawnSync(bin, ['probe'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) reason = `aw-sensor cannot load: ${(r.stderr || '').trim().split('\n').pop() ?? `exit ${r.status}`}`;
  }
  if (!binary && opts.load) probeCache = reason ?? null;
  return reason;
}

function hasBpfCaps(): boolean {
  try {
    const st = spawnSync('grep', ['CapEff', '/proc/self/status'], { encoding: 'utf8' }).stdout;
    const eff = BigInt(`0x${st.split(':')[1].trim()}`);
    return (eff & (1n << 39n)) !== 0n && (eff & (1n << 38n)) !== 0n; // CAP_BPF 39, CAP_PERFMON 38
  } catch {
    return false;
  }
}

export class SensorProcess {
  readonly counts: SensorCounts = Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as SensorCounts;
  tracked = 0;
  written = 0;
  rootPid = 0;
  /** Raw wait status of the root command (run mode). */
  rootStatus: number | undefined;
  lastStatsAt = 0;
  readonly child: ChildProcess;
  private ctl: Writable | undefined;
  private readonly framer = new RecordFramer();
  readonly ended: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  corrupt: string | undefined;

  constructor(opts: SensorOptions, onRecord: (r: RawRecord) => void | Promise<void>) {
    const bin = sensorBinary(opts.binary);
    if (!bin) throw new Error('aw-sensor is not built');
    const args = [opts.mode, ...(opts.ringMb ? ['--ring-mb', String(opts.ringMb)] : [])];
    if (opts.mode === 'run') args.push('--linger-ms', String(opts.lingerMs ?? 2000), '--', ...(opts.cmd ?? []));
    const io = opts.stdio ?? 'inherit';
    this.child = spawn(bin, args, { stdio: [io, io, 'inherit', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env });
    const events = this.child.stdio[3] as Readable;
    this.ctl = this.child.stdio[4] as Writable;
    this.ctl.on('error', () => undefined);
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
    this.ended = new Promise((res) => {
      let busy = Promise.resolve();
      events.on('data', (chunk: Buffer) => {
        const recs: RawRecord[] = [];
        try {
          this.framer.push(chunk, (r) => recs.push(r));
        } catch (err) {
          this.corrupt = (err as Error).message;
          this.child.kill('SIGTERM');
          return;
        }
        for (const r of recs) this.observe(r);
        let pending: Promise<void> | undefined;
        for (const r of recs) {
          const p = onRecord(r);
          if (p) pending = p;
        }
        if (pending) {
          events.pause();
          busy = busy.then(() => pending).finally(() => events.resume());
        }
      });
      events.on('end', () =>
        void busy.then(() => {
          // the helper closes the stream before its slow detach (seconds): do not wait for it
          this.child.unref();
          (this.child.stdio[4] as Writable | null)?.destroy();
          events.destroy();
          res();
        }),
      );
      events.on('error', () => res());
    });
  }

  private observe(r: RawRecord): void {
    if (r.type === T.STATS) {
      Object.assign(this.counts, r.counts);
      this.tracked = r.tracked;
      this.written = r.written;
      this.lastStatsAt = Date.now();
    } else if (r.type === T.HELLO) {
      this.rootPid = r.rootPid;
    } else if (r.type === T.ROOT_EXIT) {
      this.rootStatus = r.status;
    }
  }

  track(pid: number): void {
    this.ctl?.write(`track ${pid}\n`);
  }

  untrack(pid: number): void {
    this.ctl?.write(`untrack ${pid}\n`);
  }

  stop(): void {
    this.ctl?.write('stop\n');
    this.ctl?.end();
  }

  /** The root command's exit code from its wait status (128+signal when killed). */
  rootExitCode(): number | undefined {
    const s = this.rootStatus;
    if (s === undefined) return undefined;
    if ((s & 0x7f) === 0) return (s >> 8) & 0xff;
    return 128 + (s & 0x7f);
  }
}
