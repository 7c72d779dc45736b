// `agentwarden daemon`: opens the store, starts every service of services.ts, serves the
// status socket (status, sessions) and stops cleanly on SIGTERM/SIGINT. A state file marks
// a running daemon; finding it at start means the previous daemon died without stopping
// (killed, crashed): that is recorded and alerted like a sensor death.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AwConfig } from '../config/types.js';
import type { AwPaths } from '../core/paths.js';
import { nowTime, type AwEvent } from '../schema/index.js';
import { openStore, storeWriter } from '../sinks/store/index.js';
import { KernelService } from './kernel-service.js';
import type { DaemonContext, DaemonService } from './service.js';
import { DAEMON_SERVICES, type ServiceDeps, type ServiceEntry } from './services.js';
import { buildLivePipeline } from '../pipeline/live.js';
import { StatusServer, socketPath } from './status-socket.js';

export interface DaemonOptions {
  config: AwConfig;
  paths: AwPaths;
  log: (msg: string) => void;
  services?: ServiceEntry[];
}

export interface RunningDaemon {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  mkdirSync(o.paths.runDir, { recursive: true });
  const stateFile = join(o.paths.runDir, 'daemon.json');
  const cfg = o.config.store ?? {};
  const store = openStore(o.paths, cfg);
  const writer = storeWriter(store, cfg, { whenFull: 'drop_newest', onError: (e) => o.log(`store: ${(e as Error).message}`) });
  const host: AwEvent['host'] = { name: o.config.host?.name ?? hostname(), ...(o.config.host?.group ? { group: o.config.host.group } : {}) };
  // Every source's events go through the live chain: dedupe, tool-call join, detection,
  // redaction, then the store (see src/pipeline/live.ts).
  const live = buildLivePipeline(o.config, writer);
  let emitted = 0;
  const emit = (e: AwEvent) => {
    emitted++;
    live.pipeline.emit(e);
  };
  const ctx: DaemonContext = { config: o.config, paths: o.paths, emit, log: o.log };
  const deps: ServiceDeps = { detector: live.detector, flush: () => live.pipeline.flush() };

  if (existsSync(stateFile)) {
    let prev: { pid?: number; started?: string } = {};
    try {
      prev = JSON.parse(readFileSync(stateFile, 'utf8'));
    } catch {
      /* unreadable: still unclean */
    }
    if (prev.pid && prev.pid !== process.pid && isAlive(prev.pid)) throw new Error(`a daemon is already running (pid ${prev.pid}, ${stateFile})`);
    const msg = `previous daemon (pid ${prev.pid ?? '?'}, started ${prev.started ?? '?'}) ended without stopping: killed or crashed; activity since then was unobserved`;
    o.log(msg);
    emit({ time: nowTime(), kind: 'sensor.status', host, source: { type: 'daemon' }, sensor: { name: 'daemon', state: 'died', message: msg } });
    emit({ time: nowTime(), kind: 'alert', host, source: { type: 'daemon' }, alert: { rule_id: 'AW-DAEMON-UNCLEAN-STOP', title: 'AgentWarden daemon was killed or crashed', severity: 'high', tags: ['sensor', 'tamper'], message: msg } });
  }
  const started = new Date().toISOString();
  writeFileSync(stateFile, JSON.stringify({ pid: process.pid, started, socket: socketPath(o.paths) }));

  const services: DaemonService[] = [];
  for (const entry of o.services ?? DAEMON_SERVICES) {
    const svc = entry.create(o.config, deps);
    if (!svc) continue;
    try {
      await svc.start(ctx);
      services.push(svc);
      o.log(`started ${svc.name}`);
    } catch (err) {
      o.log(`service ${entry.name} failed to start: ${(err as Error).message}`);
      emit({ time: nowTime(), kind: 'alert', host, source: { type: 'daemon' }, alert: { rule_id: 'AW-SERVICE-FAILED', title: `daemon service ${entry.name} failed to start`, severity: 'high', message: (err as Error).message } });
    }
  }

  const statusServer = new StatusServer(socketPath(o.paths), {
    status: () => ({
      daemon: { pid: process.pid, started, host: host.name, events_emitted: emitted, store: { acknowledged: writer.acknowledged, queue_dropped: writer.counters.dropped, queue_depth: writer.counters.depth, last_seq: writer.lastSeq } },
      pipeline: { ...live.pipeline.counters, detector: live.detector.status(), redaction: live.redactor.counters },
      services: Object.fromEntries(services.map((s) => [s.name, safeStatus(s)])),
    }),
    sessions: () => services.filter((s): s is KernelService => s instanceof KernelService).flatMap((s) => s.sessions()),
  });
  await statusServer.listen();

  // store queue losses (the daemon never blocks its sources) become sensor.drop events
  let reportedDrops = 0;
  const dropTimer = setInterval(() => {
    const d = writer.counters.dropped;
    if (d <= reportedDrops) return;
    const ok = writer.write({ time: nowTime(), kind: 'sensor.drop', host, source: { type: 'daemon' }, sensor: { name: 'store-queue', state: 'degraded', drops: { store_queue_full: d - reportedDrops }, message: 'events dropped: store queue full' } });
    if (ok) reportedDrops = d;
  }, 1000);
  dropTimer.unref();

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      o.log('stopping');
      clearInterval(dropTimer);
      for (const s of [...services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          o.log(`stopping ${s.name}: ${(err as Error).message}`);
        }
      }
      await statusServer.close();
      await live.pipeline.flush();
      await writer.close();
      store.close();
      rmSync(stateFile, { force: true });
      resolveDone();
    })());
  return { stop, done };
}

function safeStatus(s: DaemonService): Record<string, unknown> {
  try {
    return s.status();
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
